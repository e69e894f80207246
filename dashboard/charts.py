"""Chart builders: pure functions from plain data to a Plotly figure, in one house style.

Nothing here reads Streamlit state or the engine: pages pass in numbers, get a figure back, and
tests check figures without a browser. Long series are downsampled to MAX_POINTS so a redraw
every second stays cheap.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

MAX_POINTS = 2000
TEMPLATE = "plotly_white"
TRAIN, VAL, TEST, ACCENT, GREY = "#2563eb", "#ea580c", "#16a34a", "#9333ea", "#94a3b8"
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#4b5563")
SS_COLOURS = {"H": "#dc2626", "E": "#2563eb", "C": "#a3a3a3"}


def styled(fig: go.Figure, title: str = "", x: str = "", y: str = "", height: int = 320) -> go.Figure:
    _set_template(fig, pio.templates[TEMPLATE])
    axis = dict(showgrid=True, gridcolor="#eef2f7")  # no make_subplots here: one x axis and one y axis
    fig.update_layout(title=dict(text=title, font=dict(size=15)), height=height,
                      margin=dict(l=50, r=20, t=45 if title else 20, b=45), legend=dict(orientation="h", y=-0.22),
                      font=dict(family="Inter, Segoe UI, sans-serif", size=12), hovermode="x unified",
                      xaxis=dict(title=dict(text=x), **axis), yaxis=dict(title=dict(text=y), **axis))
    return fig


def _set_template(fig: go.Figure, template: go.layout.Template) -> None:
    """Plotly validates a template property by property whenever one is set: ~10 ms a figure, most of
    its cost. A registered template was valid when it was registered, so set it as Plotly itself sets
    its default template on every new figure: with validation off for that one property."""
    layout = fig.layout
    validating, layout._validate = layout._validate, False
    try:
        layout.template = template
    finally:
        layout._validate = validating


def downsample(x, y, max_points: int = MAX_POINTS):
    """Every k-th point (always keeping the last) so at most `max_points` are drawn."""
    x, y = np.asarray(x), np.asarray(y)
    if x.size <= max_points:
        return x, y
    keep = np.unique(np.r_[np.linspace(0, x.size - 1, max_points).astype(int), x.size - 1])
    return x[keep], y[keep]


def ema(values, smoothing: float) -> np.ndarray:
    """Bias-corrected exponential moving average, as TensorBoard's smoothing slider (0: none)."""
    values = np.asarray(values, dtype=float)
    if smoothing <= 0 or values.size == 0:
        return values
    out, last, weight = np.empty_like(values), 0.0, 0.0
    for i, v in enumerate(values):  # sequential by nature; at most a few thousand points per redraw
        if np.isfinite(v):
            last = smoothing * last + (1 - smoothing) * v
            weight = smoothing * weight + (1 - smoothing)
        out[i] = last / weight if weight else np.nan
    return out


def _line(x, y, name, colour, dash=None, width=2, mode="lines", **kw) -> go.Scatter:
    x, y = downsample(x, y)
    return go.Scatter(x=x, y=y, name=name, mode=mode, line=dict(color=colour, dash=dash, width=width), **kw)


def _mark_epoch(fig: go.Figure, epoch: int, label: str, colour: str = ACCENT) -> None:
    if epoch:
        fig.add_vline(x=epoch, line=dict(color=colour, dash="dot", width=1.5), annotation_text=label,
                      annotation_position="top left", annotation_font_color=colour)


def loss_curves(rows: list[dict], batch_x=(), batch_loss=(), best_epoch: int = 0, stopped_epoch: int = 0,
                smoothing: float = 0.6, validations=()) -> go.Figure:
    """Training loss per batch (faint, and smoothed), train and validation loss per epoch.

    `batch_x` counts epochs completed (1.5 is half-way through epoch 2), so batch points and epoch
    points share one axis; `validations` are extra (epochs completed, val_loss) points from
    mid-epoch validation.
    """
    fig = go.Figure()
    if len(batch_loss):
        fig.add_trace(_line(batch_x, batch_loss, "train loss (batch)", TRAIN, width=1, opacity=0.25))
        fig.add_trace(_line(batch_x, ema(batch_loss, smoothing), "train loss (smoothed)", TRAIN, width=1.5))
    epochs = [r["epoch"] for r in rows]
    if rows:
        fig.add_trace(_line(epochs, [r["train_loss"] for r in rows], "train loss (epoch)", TRAIN, mode="lines+markers"))
    points = sorted([(v[0], v[1]) for v in validations] + [(r["epoch"], r["val_loss"]) for r in rows])
    if points:
        fig.add_trace(_line([p[0] for p in points], [p[1] for p in points], "validation loss", VAL,
                            mode="lines+markers"))
    _mark_epoch(fig, best_epoch, f"best epoch {best_epoch}")
    if stopped_epoch and stopped_epoch != best_epoch:
        _mark_epoch(fig, stopped_epoch, "early stop", GREY)
    return styled(fig, "Loss", "epoch", "loss")


def metric_curves(rows: list[dict], metrics: tuple[str, ...], best_epoch: int = 0,
                  train_too: tuple[str, ...] | None = None) -> go.Figure:
    """Validation curves of `metrics`, with the training curve (dotted) of those in `train_too` (all by
    default): a gap between the two is what overfitting looks like."""
    fig = go.Figure()
    epochs = [r["epoch"] for r in rows]
    train_too = metrics if train_too is None else train_too
    for i, name in enumerate(metrics):
        colour = PALETTE[i % len(PALETTE)]
        for split, dash in (("train", "dot"), ("val", None)):
            key = f"{split}_{name}"
            if split == "train" and name not in train_too:
                continue
            if rows and key in rows[0]:
                fig.add_trace(_line(epochs, [r.get(key, np.nan) for r in rows], f"{split} {name}", colour, dash,
                                    mode="lines+markers"))
    _mark_epoch(fig, best_epoch, f"best epoch {best_epoch}")
    return styled(fig, "Metrics", "epoch", "value")


def series_curve(x, y, title: str, y_label: str, colour: str = ACCENT, log_y: bool = False,
                 x_label: str = "epoch") -> go.Figure:
    fig = go.Figure(_line(x, y, y_label, colour, mode="lines+markers" if len(x) < 60 else "lines"))
    fig = styled(fig, title, x_label, y_label, height=260)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def lr_finder(lrs, losses, suggestion: float) -> go.Figure:
    fig = go.Figure(_line(lrs, losses, "smoothed loss", TRAIN))
    if np.isfinite(suggestion):
        fig.add_vline(x=suggestion, line=dict(color=ACCENT, dash="dot"), annotation_text=f"suggested {suggestion:.1e}")
    fig = styled(fig, "Learning-rate range test", "learning rate", "loss")
    fig.update_xaxes(type="log")
    return fig


def confusion(matrix, classes, normalised: bool) -> go.Figure:
    matrix = np.asarray(matrix, dtype=float)
    text = [[f"{v:.2f}" if normalised else f"{int(v):,}" for v in row] for row in matrix]
    fig = go.Figure(go.Heatmap(z=matrix, x=list(classes), y=list(classes), colorscale="Blues", text=text,
                               texttemplate="%{text}", hovertemplate="true %{y}<br>predicted %{x}<br>%{text}"
                               "<extra></extra>", showscale=False))
    fig = styled(fig, "Confusion matrix" + (" (share of each true class)" if normalised else ""),
                 "predicted", "true", height=360)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(hovermode="closest")
    return fig


def roc(curves: dict) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=GREY, dash="dash"), name="chance"))
    for i, (name, c) in enumerate(curves.items()):
        fig.add_trace(_line(c["fpr"], c["tpr"], f"{name} (AUC {c['auc']:.3f})", PALETTE[i % len(PALETTE)]))
    fig = styled(fig, "ROC curve", "false positive rate", "true positive rate", height=360)
    fig.update_layout(hovermode="closest")
    return fig


def precision_recall(curves: dict, base_rates: dict | None = None) -> go.Figure:
    fig = go.Figure()
    for i, (name, c) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(_line(c["recall"], c["precision"], f"{name} (AP {c['ap']:.3f})", colour))
        if base_rates and name in base_rates:
            fig.add_hline(y=base_rates[name], line=dict(color=colour, dash="dot", width=1))
    fig = styled(fig, "Precision-recall curve", "recall", "precision", height=360)
    fig.update_layout(hovermode="closest")
    return fig


def calibration(cal: dict) -> go.Figure:
    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line=dict(color=GREY, dash="dash"),
                               name="perfectly calibrated"))
    fig.add_trace(go.Scatter(x=cal["mean_predicted"], y=cal["observed_fraction"], mode="lines+markers",
                             marker=dict(size=np.clip(np.sqrt(np.asarray(cal["count"], float)) * 1.5, 5, 22)),
                             line=dict(color=TRAIN), name="model", text=[f"{int(n)} proteins" for n in cal["count"]]))
    fig = styled(fig, "Calibration", "predicted probability", "observed fraction positive", height=340)
    fig.update_layout(hovermode="closest")
    return fig


def parity(true, pred, r2: float, spearman: float) -> go.Figure:
    true, pred = np.asarray(true, float), np.asarray(pred, float)
    low, high = float(np.nanmin([true.min(), pred.min()])), float(np.nanmax([true.max(), pred.max()]))
    fig = go.Figure(go.Scatter(x=[low, high], y=[low, high], mode="lines", line=dict(color=GREY, dash="dash"),
                               name="y = x"))
    fig.add_trace(go.Scattergl(x=true, y=pred, mode="markers", marker=dict(color=TRAIN, size=5, opacity=0.5),
                               name="proteins"))
    fig = styled(fig, f"Predicted vs measured (R² {r2:.3f}, Spearman {spearman:.3f})", "measured", "predicted",
                 height=380)
    fig.update_layout(hovermode="closest")
    return fig


def histogram(values, title: str, x_label: str, colour: str = TRAIN, bins: int = 40, groups: dict | None = None):
    fig = go.Figure()
    if groups:
        for i, (name, v) in enumerate(groups.items()):
            fig.add_trace(go.Histogram(x=v, nbinsx=bins, name=str(name), opacity=0.6,
                                       marker_color=PALETTE[i % len(PALETTE)]))
        fig.update_layout(barmode="overlay")
    else:
        fig.add_trace(go.Histogram(x=values, nbinsx=bins, marker_color=colour, name=x_label))
    fig = styled(fig, title, x_label, "count", height=300)
    fig.update_layout(hovermode="closest")
    return fig


def bars(labels, values, title: str, y_label: str = "count", colour: str = TRAIN) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(labels), y=list(values), marker_color=colour, text=[f"{v:,}" for v in values],
                           textposition="outside"))
    return styled(fig, title, "", y_label, height=300)


def composition_by_class(letters: str, by_class: dict) -> go.Figure:
    """Grouped bars: mean amino-acid composition (%) of each class."""
    fig = go.Figure()
    for i, (name, fractions) in enumerate(by_class.items()):
        fig.add_trace(go.Bar(x=list(letters), y=np.asarray(fractions) * 100, name=str(name),
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="group")
    return styled(fig, "Amino-acid composition by class", "amino acid", "% of residues", height=320)


def split_counts(table: list[dict], classes: tuple[str, ...]) -> go.Figure:
    fig = go.Figure()
    names = [row["split"] for row in table]
    for i, c in enumerate(classes or ("proteins",)):
        fig.add_trace(go.Bar(x=names, y=[row.get(c, row["proteins"] if not classes else 0) for row in table],
                             name=str(c), marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="stack")
    return styled(fig, "Proteins per split", "", "proteins", height=280)


def residue_track(sequence: str, true: str, predicted: str, start: int = 0, width: int = 120) -> go.Figure:
    """Two rows of coloured cells (true and predicted H/E/C) under the sequence, for a window."""
    end = min(len(sequence), start + width)
    positions = list(range(start + 1, end + 1))
    fig = go.Figure()
    for row, states in enumerate((true, predicted)):
        for state, colour in SS_COLOURS.items():
            xs = [p for p, s in zip(positions, states[start:end]) if s == state]
            fig.add_trace(go.Bar(x=xs, y=[1] * len(xs), base=[row * 1.2] * len(xs), marker_color=colour, width=1,
                                 name=state, showlegend=row == 0, hovertext=[sequence[p - 1] for p in xs]))
    fig.update_layout(barmode="overlay", bargap=0)
    fig = styled(fig, "Secondary structure: true (bottom) and predicted (top)", "residue", "", height=230)
    fig.update_yaxes(tickvals=[0.5, 1.7], ticktext=["true", "predicted"], showgrid=False)
    fig.update_layout(hovermode="closest")
    return fig


def colour_of(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def overlay(lines: list[dict], title: str, x_label: str, y_label: str, smoothing: float = 0.0) -> go.Figure:
    """Curves of several runs on one axis. Each line: name, x, y, colour, and optional dash."""
    fig = go.Figure()
    for line in lines:
        fig.add_trace(_line(line["x"], ema(line["y"], smoothing), line["name"], line["colour"], line.get("dash"),
                            mode="lines+markers" if len(line["x"]) < 40 else "lines"))
    fig = styled(fig, title, x_label, y_label, height=380)
    fig.update_layout(hovermode="closest")
    return fig


def mean_bands(groups: list[dict], title: str, y_label: str) -> go.Figure:
    """One mean line per group with a shaded ±1 sd band. Each group: name, x, mean, sd, colour."""
    fig = go.Figure()
    for g in groups:
        x, mean, sd = np.asarray(g["x"]), np.asarray(g["mean"]), np.asarray(g["sd"])
        fig.add_trace(go.Scatter(x=np.r_[x, x[::-1]], y=np.r_[mean + sd, (mean - sd)[::-1]], fill="toself",
                                 fillcolor=g["colour"], opacity=0.18, line=dict(width=0), hoverinfo="skip",
                                 showlegend=False, name=g["name"]))
        fig.add_trace(_line(x, mean, g["name"], g["colour"], mode="lines+markers" if x.size < 40 else "lines"))
    fig = styled(fig, title, "epoch", y_label, height=380)
    fig.update_layout(hovermode="closest")
    return fig


def parallel(rows: list[dict], params: list[str], metric: str) -> go.Figure:
    """Parallel coordinates: one line per run through its settings, coloured by `metric`. Text settings
    become numbered categories."""
    dims = []
    for p in params + [metric]:
        values = [r.get(p) for r in rows]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values if v is not None):
            dims.append(dict(label=p, values=[np.nan if v is None else float(v) for v in values]))
        else:
            names = sorted({str(v) for v in values})
            dims.append(dict(label=p, values=[names.index(str(v)) for v in values],
                             tickvals=list(range(len(names))), ticktext=names))
    colour = [float(r.get(metric)) if isinstance(r.get(metric), (int, float)) else np.nan for r in rows]
    fig = go.Figure(go.Parcoords(dimensions=dims, line=dict(color=colour, colorscale="Viridis", showscale=True)))
    fig = styled(fig, f"Settings against {metric}", height=440)
    return fig.update_layout(margin=dict(t=95, l=60, r=60))  # room for the axis names above the axes
