"""Chart builders: pure functions from plain data to a Plotly figure, in one house style.

Nothing here reads Streamlit state or the engine: pages pass in numbers, get a figure back, and
tests check figures without a browser. The house style and the pieces (lines, log axes, metric
panels) are in dashboard.logic.chart_style; long series are downsampled there so a redraw every second
stays cheap.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from dashboard.logic.chart_style import (
    ACCENT,
    GREY,
    PALETTE,
    PANEL_HEIGHT,
    PANELS_PER_ROW,
    SS_COLOURS,
    TRAIN,
    curve,
    ema,
    log_axis,
    mark_epoch,
    metric_axis,
    metric_label,
    panel_domains,
    styled,
    undefined_note,
)
from dashboard.logic.chart_style import VAL as VAL  # re-exported: pages colour their charts with these
from dashboard.logic.chart_style import colour_of as colour_of


def loss_curves(rows: list[dict], batch_x=(), batch_loss=(), best_epoch: int = 0, stopped_epoch: int = 0,
                smoothing: float = 0.6, validations=()) -> go.Figure:
    """Training loss per batch (faint, and smoothed), train and validation loss per epoch.

    `batch_x` counts epochs completed (1.5 is half-way through epoch 2), so batch points and epoch
    points share one axis; `validations` are extra (epochs completed, val_loss) points from
    mid-epoch validation.
    """
    fig = go.Figure()
    if len(batch_loss):
        fig.add_trace(curve(batch_x, batch_loss, "train loss (batch)", TRAIN, width=1, opacity=0.25))
        fig.add_trace(curve(batch_x, ema(batch_loss, smoothing), "train loss (smoothed)", TRAIN, width=1.5))
    epochs = [r["epoch"] for r in rows]
    if rows:
        fig.add_trace(curve(epochs, [r["train_loss"] for r in rows], "train loss (epoch)", TRAIN, mode="lines+markers"))
    points = sorted([(v[0], v[1]) for v in validations] + [(r["epoch"], r["val_loss"]) for r in rows])
    if points:
        fig.add_trace(curve([p[0] for p in points], [p[1] for p in points], "validation loss", VAL,
                            mode="lines+markers"))
    mark_epoch(fig, best_epoch, f"best epoch {best_epoch}")
    if stopped_epoch and stopped_epoch != best_epoch:
        mark_epoch(fig, stopped_epoch, "early stop", GREY)
    return styled(fig, "Loss", "epoch", "loss")


def metric_curves(rows: list[dict], metrics: tuple[str, ...], best_epoch: int = 0,
                  train_too: tuple[str, ...] | None = None) -> go.Figure:
    """Small multiples: one panel per metric, each on its own y axis, over one shared epoch axis; validation
    solid and training dotted (for those in `train_too`, all by default) in the metric's colour. A gap
    between the two is what overfitting looks like. NaN (a metric undefined at that epoch) is a gap; a
    metric undefined at every epoch says so in its panel."""
    train_too = metrics if train_too is None else train_too
    epochs, n = [r["epoch"] for r in rows], max(len(metrics), 1)
    cols = min(n, PANELS_PER_ROW)
    grid_rows = -(-n // cols)
    height = 145 + PANEL_HEIGHT * grid_rows
    mode = "lines+markers" if len(epochs) < 60 else "lines"  # markers would hide the training curve's dots
    traces, layout, notes, shapes = [], {}, [], []
    for i, (name, (x_domain, y_domain)) in enumerate(zip(metrics, panel_domains(n, grid_rows, cols, height))):
        ax, colour, values = str(i + 1) if i else "", PALETTE[i % len(PALETTE)], []
        for split, dash in (("train", "dot"), ("val", None)):
            key = f"{split}_{name}"
            if (split == "val" or name in train_too) and any(key in r for r in rows):
                values.append(np.array([r.get(key) for r in rows], dtype=float))  # None (NaN read back) -> NaN
                traces.append(curve(epochs, values[-1], f"{split} {metric_label(name)}", colour, dash, showlegend=False,
                                    mode=mode if split == "val" else "lines", marker=dict(size=5),
                                    xaxis=f"x{ax}", yaxis=f"y{ax}"))
        title, y_axis = metric_axis(name, np.concatenate(values) if values else [])
        layout[f"xaxis{ax}"] = dict(domain=x_domain, anchor=f"y{ax}", matches="x" if i else None,
                                    title=dict(text="epoch" if i + cols >= len(metrics) else ""))
        layout[f"yaxis{ax}"] = dict(domain=y_domain, anchor=f"x{ax}", **y_axis)
        notes.append(dict(text=f"<b>{title}</b>", x=sum(x_domain) / 2, y=y_domain[1], xref="paper", yref="paper",
                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(color=colour)))
        if not any(np.isfinite(v).any() for v in values):
            notes.append(undefined_note(title, f"x{ax} domain", f"y{ax} domain", recorded=bool(values)))
        if best_epoch:
            shapes.append(dict(type="line", xref=f"x{ax}", yref=f"y{ax} domain", x0=best_epoch, x1=best_epoch,
                               y0=0, y1=1, line=dict(color=ACCENT, dash="dot", width=1.5), showlegend=not i,
                               name=f"best epoch {best_epoch}"))
    for split, dash in (("validation (solid)", None), ("training (dotted)", "dot")):  # one legend for all panels
        if dash is None or any(m in train_too for m in metrics):
            traces.append(go.Scatter(x=[None], y=[None], mode=mode if dash is None else "lines", hoverinfo="skip",
                                     name=split, line=dict(color="#475569", dash=dash)))
    # The whole layout at once: each update_layout of a subplot axis costs a millisecond or more.
    fig = go.Figure(traces, layout=dict(annotations=notes, shapes=shapes, **layout))
    return styled(fig, "Metrics", "epoch" if grid_rows == 1 else "", "", height,
                  margin=dict(t=70, b=75), legend=dict(y=0, yanchor="bottom", yref="container"))


def series_curve(x, y, title: str, y_label: str, colour: str = ACCENT, log_y: bool = False,
                 x_label: str = "epoch") -> go.Figure:
    fig = go.Figure(curve(x, y, y_label, colour, mode="lines+markers" if len(x) < 60 else "lines",
                          sci="y" if log_y else ""))
    fig = styled(fig, title, x_label, y_label, height=260)
    if log_y:
        fig.update_yaxes(**log_axis(y))
    return fig


def lr_finder(lrs, losses, suggestion: float, raw=None) -> go.Figure:
    """Learning-rate range test: the smoothed loss against the learning rate, the raw loss of each step
    faint behind it, and the suggested rate, or a note when the loss never clearly fell."""
    lrs, losses = np.asarray(lrs, dtype=float), np.asarray(losses, dtype=float)
    hover = "lr %{text}<br>loss %{y:.4f}<extra>%{fullData.name}</extra>"
    fig = go.Figure()
    if raw is not None and len(raw):
        fig.add_trace(curve(lrs[:len(raw)], raw, "loss per step", TRAIN, width=1, opacity=0.35, sci="x",
                            hovertemplate=hover))
    fig.add_trace(curve(lrs, losses, "smoothed loss", TRAIN, sci="x", hovertemplate=hover))
    found = bool(np.isfinite(suggestion) and suggestion > 0 and losses.size)
    if found:
        at = float(np.interp(np.log10(suggestion), np.log10(lrs), losses))
        fig.add_trace(go.Scatter(x=[suggestion], y=[at], mode="markers", name=f"suggested {suggestion:.1e}",
                                 marker=dict(color=ACCENT, size=11, symbol="diamond"), text=[f"{suggestion:.1e}"],
                                 hovertemplate=hover))
    fig = styled(fig, "Learning-rate range test", "learning rate", "loss", hovermode="closest",
                 xaxis=log_axis(lrs), yaxis=dict(range=_descent_range(losses)))
    if found:
        fig.add_vline(x=suggestion, line=dict(color=ACCENT, dash="dot"))
        # an annotation on a log axis is placed by log10 of its value (a shape by the value itself)
        fig.add_annotation(x=math.log10(suggestion), y=1, yref="paper", text=f"suggested {suggestion:.1e}",
                           showarrow=False, xanchor="left", yanchor="top", font=dict(color=ACCENT))
    else:
        fig.add_annotation(x=0.5, y=0.95, xref="paper", yref="paper", showarrow=False,
                           text="inconclusive: no clear descent", font=dict(color="#64748b", size=14),
                           bgcolor="rgba(255,255,255,0.85)",
                           hovertext="The loss never fell clearly as the rate grew, so no rate is suggested: "
                                     "try a wider range or more steps, or check the data and labels.")
    return fig


def _descent_range(losses: np.ndarray) -> list[float] | None:
    """A loss range showing the descent: up to as far above the starting loss as the descent went below
    it, so the blow-up at high rates runs off the top instead of flattening the rest (None: autorange)."""
    finite = losses[np.isfinite(losses)]
    if not finite.size:
        return None
    low, start = float(finite.min()), float(finite[0])
    high = min(float(finite.max()), start + (start - low)) if start - low > 0.02 * abs(start) else float(finite.max())
    pad = 0.08 * ((high - low) or abs(high) or 1.0)
    return [low - pad, high + pad]


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
        fig.add_trace(curve(c["fpr"], c["tpr"], f"{name} (AUC {c['auc']:.3f})", PALETTE[i % len(PALETTE)]))
    fig = styled(fig, "ROC curve", "false positive rate", "true positive rate", height=360)
    fig.update_layout(hovermode="closest")
    return fig


def precision_recall(curves: dict, base_rates: dict | None = None) -> go.Figure:
    fig = go.Figure()
    for i, (name, c) in enumerate(curves.items()):
        colour = PALETTE[i % len(PALETTE)]
        fig.add_trace(curve(c["recall"], c["precision"], f"{name} (AP {c['ap']:.3f})", colour))
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


def overlay(lines: list[dict], title: str, x_label: str, y_label: str, smoothing: float = 0.0) -> go.Figure:
    """Curves of several runs on one axis. Each line: name, x, y, colour, and optional dash."""
    fig = go.Figure()
    for line in lines:
        fig.add_trace(curve(line["x"], ema(line["y"], smoothing), line["name"], line["colour"], line.get("dash"),
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
        fig.add_trace(curve(x, mean, g["name"], g["colour"], g.get("dash"),
                            mode="lines+markers" if x.size < 40 else "lines"))
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
