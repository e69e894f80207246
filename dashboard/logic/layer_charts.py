"""Layer health charts: pure builders from the layer statistics a run records (docs/INTERNALS.md).

    table = health_table(health_rows(internals), layer_warnings(internals))   # one row per layer
    gradient_flow({"seed 1": a, "seed 2": b})         # gradient size per layer at the latest record
    ratio_over_time({"seed 1": a})                     # log10 update ratio, rule of thumb 1e-3

One layer's distributions over time are in layer_distributions.py. Charts with nothing to draw say
why, in the figure.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.logic.chart_style import GREY, TEST, colour_of, log_axis, styled
from protscope.evaluation.layer_health import DEAD_BAD, RATIO_GOOD, RATIO_WATCH, RULES, SATURATED_BAD

STATUS_MARK = {"good": "✓", "watch": "▲", "bad": "✖", "none": "○"}  # shapes as well as colours
STATUS_COLOUR = {"good": "#16a34a", "watch": "#d97706", "bad": "#dc2626", "none": "#94a3b8"}
# the table's own three checks, then layer_warnings' rules
CHECKS = tuple(dict.fromkeys(("update ratio", "dead units", "saturated", *(r.replace("_", " ") for r in RULES))))
HEALTH_FINE, HEALTH_UNMEASURED = f"{STATUS_MARK['good']} fine", f"{STATUS_MARK['none']} not measured"
HEALTH_LABELS = (HEALTH_FINE, HEALTH_UNMEASURED, *(f"{STATUS_MARK[s]} {c}" for s in ("bad", "watch") for c in CHECKS))
HEALTH_COLOURS = (STATUS_COLOUR["good"], STATUS_COLOUR["none"], *(STATUS_COLOUR[s] for s in ("bad", "watch")
                                                                   for _ in CHECKS))
_RANK = {"none": 0, "good": 1, "watch": 2, "bad": 3}
RULES_OF_THUMB = (
    f"Rules of thumb, not laws. **Update ratio** (how much one step changes a layer's weights, relative to "
    f"their spread): about 1e-3 is healthy (Karpathy's rule of thumb); :green[{RATIO_GOOD[0]:.0e} to "
    f"{RATIO_GOOD[1]:.0e}] is fine, :red[below {RATIO_WATCH[0]:.0e} or above {RATIO_WATCH[1]:.0e}] a problem. **Dead "
    f"units** (ReLU outputs that are 0 for every protein in the batch): a few % is normal, {DEAD_BAD:.0%} or more is a "
    f"problem. **Saturated** (tanh or sigmoid outputs stuck near their limits): above {SATURATED_BAD:.0%} slows "
    "learning. :green[✓ fine] · :orange[▲ worth watching] · :red[✖ a problem] · :gray[○ not measured].")
# the rule-of-thumb columns first: on a narrow screen the table scrolls sideways to the rest
COLUMN_HELP = {
    "#": "Position in the network, from the input (1) to the output.",
    "layer": "The layer's name in the model.",
    "activation": "The activation function applied to its output (none for normalisation and output layers).",
    "health": "The worst of this layer's rule-of-thumb checks, and what it is about.",
    "update ratio": "How much the latest step changed the weights, relative to their spread (rule of thumb: 1e-3).",
    "ratio trend": "log10 of the update ratio over the run (−3 is the rule of thumb's 1e-3).",
    "gradient norm": "Size of the gradient of the layer's weights at the latest recorded step, before clipping.",
    "gradient trend": "The gradient norm over the run.",
    "dead %": "ReLU-family layers: share of units that output 0 for every protein in the batch.",
    "saturated %": "tanh, sigmoid, GRU and LSTM layers: share of outputs stuck near their limits.",
    "weight std": "Spread (standard deviation) of the layer's weights now.",
    "parameters": "Weights and biases this layer learns.",
    "kind": "What sort of layer it is.",
}
TABLE_COLUMNS = list(COLUMN_HELP)
SPARKLINES = ("ratio trend", "gradient trend")
# pixels, so that more columns show at once
NARROW = {"kind": 64, "activation": 76, "parameters": 84, "dead %": 64, "saturated %": 88}
NUMBER_FORMATS = {"parameters": "localized", "weight std": "%.3g", "gradient norm": "%.2e", "update ratio": "%.1e",
                  "dead %": "%.0f%%", "saturated %": "%.0f%%"}


def health_table(rows: list[dict], warnings=()) -> pd.DataFrame:
    """One row per layer (health_rows' order), for st.dataframe. Its "health" cell lists the checks that are
    not fine, each a label of HEALTH_LABELS (coloured by HEALTH_COLOURS); a layer a warning names is marked."""
    flagged: dict[str, object] = {}
    for w in warnings:  # worst first (layer_warnings' order): a layer keeps its worst warning
        for name in w.layers:
            flagged.setdefault(name, w)
    return pd.DataFrame([{
        "#": row["index"], "layer": row["name"], "kind": row.get("kind", ""), "activation": row.get("activation") or
        "none", "health": _health(row, flagged.get(row["name"])), "parameters": row.get("parameters"),
        "weight std": row["w_std"], "gradient norm": row["g_norm"], "update ratio": row["ratio"],
        "ratio trend": _finite([_log10(v) for v in row["ratio_series"]]),
        "dead %": None if row["dead"] is None else 100 * row["dead"],
        "saturated %": None if row["saturated"] is None else 100 * row["saturated"],
        "gradient trend": _finite(row["g_norm_series"])} for row in rows], columns=TABLE_COLUMNS)


def _health(row: dict, warning) -> list[str]:
    """The labels of a layer's checks that are not fine, worst first; or that all are fine (or unmeasured)."""
    checks = {"update ratio": row["ratio_status"], "dead units": row["dead_status"],
              "saturated": row["saturated_status"]}
    if warning is not None:
        checks[warning.rule.replace("_", " ")] = "watch" if warning.severity == "info" else "bad"
    found = sorted(((status, name) for name, status in checks.items() if status in ("watch", "bad")),
                   key=lambda p: -_RANK[p[0]])
    if found:
        return [f"{STATUS_MARK[status]} {name}" for status, name in found]
    return [HEALTH_FINE if "good" in checks.values() else HEALTH_UNMEASURED]


def chosen_layer(rows: list[dict], warnings, selected: list[int]) -> dict:
    """The row clicked in the table; before any click, the first layer a warning names, or the first layer."""
    if selected and selected[0] < len(rows):
        return rows[selected[0]]
    named = {n for w in warnings for n in w.layers}
    return next((r for r in rows if r["name"] in named), rows[0])


def summary(internals: dict, warnings) -> str:
    """One line for a closed view: what the rules of thumb found."""
    if not internals.get("records"):
        return "Layer health: not recorded for this run"
    if not warnings:
        return "Layer health: no layer breaks a rule of thumb"
    rules = ", ".join(sorted({w.rule.replace("_", " ") for w in warnings}))
    return f"Layer health: {len(warnings)} warning{'s' if len(warnings) > 1 else ''} ({rules})"


def run_label(record) -> str:
    """A run as the overlays name it: its name (or id) and seed."""
    seed = (record.config.get("training") or {}).get("seed")
    return record.title + (f" · seed {seed}" if seed is not None else "")


def gradient_flow(internals_by_run: dict[str, dict]) -> go.Figure:
    """Gradient RMS per weight of each layer at each run's latest record, layers listed input (top) to
    output, on a log axis: a line that falls steeply toward the input is a vanishing gradient. A gradient of
    exactly 0 (a log axis has no 0) is drawn as × at the left edge, and the chart says so."""
    lines, names = [], []  # (run index, run, latest record, norms, RMS per weight)
    for i, (run, internals) in enumerate(internals_by_run.items()):
        records = internals.get("records") or []
        if not records:
            continue
        last, layers = records[-1], internals.get("layers") or []
        names = names or [layer["name"] for layer in layers]
        norms = [last["layers"].get(layer["name"], {}).get("g_norm") for layer in layers]
        rms = [n / math.sqrt(max(layer.get("parameters") or 1, 1)) if n is not None else None
               for n, layer in zip(norms, layers)]
        lines.append((i, run, last, norms, rms))
    if not lines:
        return empty("Gradient flow", "no layer statistics recorded")
    positive = [v for line in lines for v in line[4] if v is not None and v > 0]
    floor = min(positive) / 10 if positive else 1e-6  # where a 0 is drawn
    traces = [go.Scatter(
        y=names[:len(rms)], x=[None if v is None else floor if v == 0 else v for v in rms],
        name=f"{run} (step {last['step']})", legendgroup=run, mode="lines+markers",
        line=dict(color=colour_of(i), width=2), marker=dict(size=[11 if v == 0 else 7 for v in rms],
                                                            symbol=["x" if v == 0 else "circle" for v in rms]),
        text=["0" if v == 0 else "not measured" if v is None else f"{v:.2e}" for v in rms],
        customdata=[[n if n is not None else float("nan")] for n in norms],
        hovertemplate=f"{run}<br>%{{y}}: RMS %{{text}}, norm %{{customdata[0]:.3g}}<extra></extra>")
        for i, run, last, norms, rms in lines]
    zeros = any(v == 0 for line in lines for v in line[4])
    notes = [subtitle("× exactly 0, drawn at the left edge")] if zeros else []
    return styled(go.Figure(traces, layout=dict(annotations=notes)), "Gradient flow (latest step)",
                  "gradient RMS per weight (log scale)", "",
                  height=max(280, 170 + 24 * len(names) + 22 * len(traces)), hovermode="closest",
                  margin=dict(b=40 + 22 * len(traces)), legend=dict(y=0, yanchor="bottom", yref="container"),
                  xaxis=log_axis(positive + [floor]),
                  yaxis=dict(type="category", autorange="reversed", automargin=True))


def ratio_over_time(internals_by_run: dict[str, dict], layer: str | None = None,
                    highlight: str | None = None) -> go.Figure:
    """log10 of the update ratio over the steps: every layer (a colour each, dotted for runs after the first;
    with `highlight`, that layer in colour over the others in grey), or one `layer` with one line per run;
    the rule of thumb's 1e-3 as a guide and its healthy band shaded."""
    lines = []  # (run index, layer index, run, layer name, steps, log10 ratios, ratios)
    for r, (run, internals) in enumerate(internals_by_run.items()):
        records = internals.get("records") or []
        steps = [rec["step"] for rec in records]
        for li, name in enumerate([layer] if layer else [entry["name"] for entry in internals.get("layers") or []]):
            ratios = [rec["layers"].get(name, {}).get("ratio") for rec in records]
            if any(v is not None and math.isfinite(v) for v in ratios):
                lines.append((r, li, run, name, steps, [_log10(v) for v in ratios], ratios))
    values = [v for line in lines for v in line[5] if v is not None]
    low = math.floor(min(values + [math.log10(RATIO_GOOD[0])])) - 0.2
    zero = low + 0.1  # a ratio of exactly 0 (no change at all; a log axis has no 0) is drawn as × at the bottom
    lines = [(*line[:5], [zero if v == 0 else y for y, v in zip(line[5], line[6])], line[6]) for line in lines]
    zeros = any(0 in line[6] for line in lines)
    traces = []
    if highlight and not layer:
        others = [line for line in lines if line[3] != highlight]
        lines = [line for line in lines if line[3] == highlight]
        if others:  # one trace, the layers separated by gaps: drawing 16 grey lines as one is much cheaper
            gap = [math.nan]
            traces.append(go.Scatter(
                x=np.concatenate([[*line[4], *gap] for line in others]).astype(float), name="other layers",
                y=np.array([math.nan if v is None else v for line in others for v in [*line[5], None]]),
                text=np.array([line[3] for line in others for _ in range(len(line[4]) + 1)]),
                customdata=np.array([math.nan if v is None else v for line in others for v in [*line[6], None]]),
                mode="lines", line=dict(color=GREY, width=1), opacity=0.6,
                hovertemplate="%{text}, step %{x}: %{customdata:.1e}<extra></extra>"))
    for r, li, run, name, steps, y, ratios in lines:
        label = run if layer or (highlight and len(internals_by_run) > 1) else (
            name if len(internals_by_run) == 1 else f"{name} · {run}")
        traces.append(go.Scatter(
            x=np.array(steps, dtype=float), y=np.array([math.nan if v is None else v for v in y]), name=label,
            legendgroup=run, mode="lines+markers" if len(steps) < 40 or 0 in ratios else "lines",
            marker=dict(size=[9 if v == 0 else 5 for v in ratios],
                        symbol=["x" if v == 0 else "circle" for v in ratios]),
            line=dict(color=colour_of(r if layer or highlight else li), width=2.5 if highlight else 2,
                      dash=None if layer or highlight or not r else "dot"),
            customdata=np.array([math.nan if v is None else v for v in ratios]),
            hovertemplate=f"{label}, step %{{x}}: %{{customdata:.1e}}<extra></extra>"))
    title = (f"Update ratio: {layer}" if layer else f"Update ratio: {highlight} (grey: the other layers)"
             if highlight else "Update ratio, every layer")
    if not lines:
        return empty(title, "no update ratio recorded" if any(
            (i.get("records") or []) for i in internals_by_run.values()) else "no layer statistics recorded")
    high = math.ceil(max(values + [math.log10(RATIO_GOOD[1])])) + 0.2
    ticks = list(range(math.ceil(low), math.floor(high) + 1))
    good = [math.log10(v) for v in RATIO_GOOD]
    layout = dict(shapes=[dict(type="rect", xref="x domain", x0=0, x1=1, y0=good[0], y1=good[1], fillcolor=TEST,
                               opacity=0.07, line=dict(width=0), layer="below"),
                          dict(type="line", xref="x domain", x0=0, x1=1, y0=-3, y1=-3,
                               line=dict(color=TEST, dash="dash", width=1.5))],
                  annotations=[dict(text="rule of thumb ≈ 1e-3", xref="x domain", x=1, y=-3, xanchor="right",
                                    yanchor="bottom", showarrow=False, font=dict(color=TEST),
                                    bgcolor="rgba(255,255,255,0.8)")]
                  + ([subtitle("× at the bottom: ratio 0, no change at all")]
                     if zeros else []))
    axis = dict(range=[low, high], tickvals=ticks, ticktext=[f"1e{t}" for t in ticks])
    return styled(go.Figure(traces, layout=layout), title, "optimizer step", "update ratio (log scale)", height=340,
                  hovermode="closest", yaxis=axis)


def same_layers(a: dict, b: dict) -> bool:
    """Whether two runs' networks have the same layers in the same order (so they can be overlaid)."""
    names = [[layer["name"] for layer in i.get("layers") or []] for i in (a, b)]
    return bool(names[0]) and names[0] == names[1]


def empty(title: str, text: str) -> go.Figure:
    """A chart that says why there is nothing to draw, instead of blank axes."""
    note = dict(text=text, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(color=GREY, size=14))
    return styled(go.Figure(layout=dict(annotations=[note])), title, height=260, xaxis=dict(visible=False),
                  yaxis=dict(visible=False))


def subtitle(text: str) -> dict:
    return dict(text=text, x=0, y=1, xref="paper", yref="paper", xanchor="left", yanchor="bottom", yshift=6,
                align="left", showarrow=False, font=dict(color="#64748b", size=11))


def _log10(v: float | None) -> float | None:
    return math.log10(v) if v is not None and v > 0 and math.isfinite(v) else None


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]
