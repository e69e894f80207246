"""The house style of every chart, and the pieces charts are built from: the template, lines, log axes,
metric panels. Pure functions of plain data, like the builders in dashboard.logic.charts that use them.
"""
from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio

MAX_POINTS = 2000
TEMPLATE = "protscope"
TRAIN, VAL, TEST, ACCENT, GREY = "#2563eb", "#ea580c", "#16a34a", "#9333ea", "#94a3b8"
PALETTE = ("#2563eb", "#ea580c", "#16a34a", "#9333ea", "#db2777", "#0891b2", "#ca8a04", "#4b5563")
GRID = "#eef2f7"
SS_COLOURS = {"H": "#dc2626", "E": "#2563eb", "C": "#a3a3a3"}


def _house_template() -> go.layout.Template:
    """plotly_white with light grid lines on every axis: set in the template, not per axis, so each panel
    of a small multiple gets them without a per-axis update (those are the slow part of a Plotly build)."""
    template = pio.templates["plotly_white"]
    for axis in (template.layout.xaxis, template.layout.yaxis):
        axis.update(showgrid=True, gridcolor=GRID)
    return template


pio.templates[TEMPLATE] = _house_template()


def styled(fig: go.Figure, title: str = "", x: str = "", y: str = "", height: int = 320, **layout) -> go.Figure:
    """The house look. `x` and `y` title the first axes (panels of a small multiple title their own);
    `layout` changes parts of it in the same update (margin=dict(t=75) keeps the other margins)."""
    _set_template(fig, pio.templates[TEMPLATE])
    style = dict(title=dict(text=title, font=dict(size=15)), height=height,
                 margin=dict(l=50, r=20, t=45 if title else 20, b=45), legend=dict(orientation="h", y=-0.22),
                 font=dict(family="Inter, Segoe UI, sans-serif", size=12), hovermode="x unified",
                 xaxis=dict(title=dict(text=x)), yaxis=dict(title=dict(text=y)))
    for key, value in layout.items():
        style[key] = {**style[key], **value} if isinstance(style.get(key), dict) else value
    fig.update_layout(**style)
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


def curve(x, y, name, colour, dash=None, width=2, mode="lines", sci: str = "", **kw) -> go.Scatter:
    """A downsampled line; `sci` ("x" or "y") names a log coordinate whose hover reads 3.0e-04."""
    x, y = downsample(x, y)
    if sci:
        kw.update(text=[f"{v:.1e}" for v in (x if sci == "x" else y)],
                  hovertemplate=kw.get("hovertemplate", f"{name} %{{text}}<extra></extra>"))
    return go.Scatter(x=x, y=y, name=name, mode=mode, line=dict(color=colour, dash=dash, width=width), **kw)


def log_axis(values) -> dict:
    """A log axis over the positive values, ticked at whole decades labelled 1e-4, 1e-3, ... (Plotly's own
    log ticks read 0.0001 or 100µ). Spanning whole decades puts a labelled tick at each end; a span of a
    decade or so also gets 2 and 5 in between, and a single value half a decade either side."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v) & (v > 0)]
    if not v.size:
        return dict(type="log")
    # within 2% of a power of ten counts as on it: a schedule peaking at 1.001e-3 is ticked 1e-3 at the top
    low, high = math.floor(np.log10(v.min()) + 0.01), math.ceil(np.log10(v.max()) - 0.01)
    if low == high:
        low, high = low - 0.5, high + 0.5
    pad = 0.03 * (high - low)
    steps = (1, 2, 5) if high - low <= 1.5 else (1,)
    ticks = [(m, k) for k in range(math.floor(low), math.ceil(high) + 1) for m in steps
             if low - 1e-9 <= k + math.log10(m) <= high + 1e-9]
    return dict(type="log", range=[low - pad, high + pad], tickmode="array", tickvals=[m * 10.0 ** k for m, k in ticks],
                ticktext=[f"{m}e{k}" for m, k in ticks], minor=dict(showgrid=False))


def mark_epoch(fig: go.Figure, epoch: int, label: str, colour: str = ACCENT) -> None:
    if epoch:
        fig.add_vline(x=epoch, line=dict(color=colour, dash="dot", width=1.5), annotation_text=label,
                      annotation_position="top left", annotation_font_color=colour)


def colour_of(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


# --- metric panels: scores bounded to 0-1, correlations to -1-1; errors start at 0; R² below R2_FLOOR is
# off the chart (an untrained regressor can score -50 and would flatten the rest of the curve).
UNIT_RANGE = {"accuracy", "balanced_accuracy", "precision", "recall", "f1", "macro_f1", "roc_auc", "pr_auc",
              "micro_f1", "macro_roc_auc", "macro_ap", "subset_accuracy"}  # the last four: multi-label
SIGNED_RANGE = {"mcc", "spearman", "pearson"}
ERRORS = ("rmse", "mae", "mse", "loss")
R2_FLOOR = -1.0
METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "mcc": "MCC", "f1": "F1",
                "macro_f1": "macro F1", "roc_auc": "ROC AUC", "pr_auc": "PR AUC", "r2": "R²", "rmse": "RMSE",
                "micro_f1": "micro F1", "macro_roc_auc": "macro ROC AUC", "macro_ap": "macro AP",
                "mae": "MAE", "mse": "MSE", "spearman": "Spearman ρ", "pearson": "Pearson r"}
PANELS_PER_ROW, PANEL_HEIGHT = 4, 230


def metric_label(name: str) -> str:
    return METRIC_NAMES.get(name, name.replace("_", " "))


def metric_axis(name: str, values) -> tuple[str, dict]:
    """A metric panel's title and y axis: a fixed range where the metric has bounds, padded so a curve
    at a bound is not cut in half."""
    title, finite = metric_label(name), np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if name in UNIT_RANGE or re.fullmatch(r"q\d+", name):
        low, high = 0.0, 1.0
    elif name in SIGNED_RANGE:
        low, high = -1.0, 1.0
    elif name == "r2":
        lowest = float(finite.min()) if finite.size else 0.0
        low, high = max(R2_FLOOR, min(0.0, lowest)), 1.0
        title += " (axis cut at −1)" if lowest < R2_FLOOR else ""
    else:
        return title, dict(rangemode="tozero" if name.endswith(ERRORS) else "normal", hoverformat=".4g")
    pad = 0.03 * (high - low)
    return title, dict(range=[low - pad, high + pad], hoverformat=".3f")


def panel_domains(n: int, rows: int, cols: int, height: int) -> list[tuple[list, list]]:
    """(x domain, y domain) of each of `n` panels, filled row by row from the top."""
    gap_x, gap_y = 0.06, 75 / max(height - 145, 1)  # 75 px: the x ticks below a panel and the title above the next
    w, h = (1 - gap_x * (cols - 1)) / cols, (1 - gap_y * (rows - 1)) / rows
    cells = [(i // cols, i % cols) for i in range(n)]
    return [([c * (w + gap_x), c * (w + gap_x) + w], [1 - r * (h + gap_y) - h, 1 - r * (h + gap_y)]) for r, c in cells]


def undefined_note(title: str, xref: str, yref: str, recorded: bool = True) -> dict:
    why = (f"{title} could not be computed at any epoch (MCC, for one, is undefined while the model predicts "
           "a single class)") if recorded else f"{title} is not in this run's history"
    return dict(text="undefined" if recorded else "not recorded", x=0.5, y=0.5, xref=xref, yref=yref,
                showarrow=False, font=dict(color=GREY, size=14), hovertext=why)
