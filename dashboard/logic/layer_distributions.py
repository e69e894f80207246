"""One layer's distributions over training: pure builders from the histograms a run records.

    distribution_heatmap(internals, "convs.0", "weights")    # steps x values, log(1 + count)
    percentile_bands({"seed 1": a}, "convs.0", "gradients")  # TensorBoard's distribution bands

Each stored histogram has its own range; the heat map puts them on one grid, and both distribution
charts scale their value axis to the RECENT records (the latest RECENT_SHARE of them), so one early
spike does not squash the rest of the run into a line. Values outside that range are counted in the
edge bins (and the chart says so). Charts with nothing to draw say why, in the figure.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from dashboard.logic.chart_style import colour_of, styled
from dashboard.logic.layer_charts import empty, subtitle

HIST_KEYS = {"weights": "w_hist", "gradients": "g_hist", "activations": "a_hist"}
SINGULAR = {"weights": "weight", "gradients": "gradient", "activations": "activation"}
RECENT_SHARE = 0.3  # the value axes follow the latest 30 % of the records
GRID_BINS = 32
# pct = [min, 7, 16, 31, 50, 69, 84, 93 %, max]: the bands from the outside in, and how opaque each is
BANDS = ((0, 8, 0.10, "min–max"), (1, 7, 0.16, "7–93 %"), (2, 6, 0.22, "16–84 %"), (3, 5, 0.30, "31–69 %"))


def distribution_heatmap(internals: dict, layer: str, which: str = "weights") -> go.Figure:
    """Steps x values, coloured by log(1 + count): each record's histogram re-binned onto one grid that
    spans the recent records' range (values outside it counted in the edge rows)."""
    title = f"{layer}: {which} over training"
    found = hists_of(internals, layer, which)
    if not found:
        return empty(title, missing_text(internals, layer, which))
    lo, hi = recent_window([h for _, h in found])
    edges = np.linspace(lo, hi, GRID_BINS + 1)
    grid, outside = rebin([h for _, h in found], edges)  # (records, GRID_BINS), (records,)
    outside = float(outside.sum())
    total = sum(float(np.sum(h["counts"])) for _, h in found)
    steps = [r["step"] for r, _ in found]
    note = (f"{outside / total:.1%} of the values lie outside it, counted in the edge rows"
            if total and outside / total >= 5e-4 else "every value is inside it")
    fig = go.Figure(go.Heatmap(
        x=steps, y=(edges[:-1] + edges[1:]) / 2, z=np.log1p(grid).T, customdata=grid.T, colorscale="Blues",
        colorbar=dict(title=dict(text="log(1+count)", side="right"), thickness=12),
        hovertemplate=f"step %{{x}}<br>{SINGULAR[which]} ≈ %{{y:.3g}}<br>%{{customdata:,.0f}} values<extra></extra>"),
        layout=dict(annotations=[subtitle(f"value axis: the range of the latest {RECENT_SHARE:.0%} of records<br>"
                                           f"{note}")]))
    return styled(fig, title, "optimizer step", f"{SINGULAR[which]} value", height=360, hovermode="closest",
                  margin=dict(t=85))


def percentile_bands(internals_by_run: dict[str, dict], layer: str, which: str = "weights") -> go.Figure:
    """TensorBoard's distribution view: the median as a line and the 31-69, 16-84, 7-93 % and min-max bands
    filled around it, over the steps; one colour per run. The value axis follows the recent records."""
    title = f"{layer}: {which}, percentile bands"
    traces, recent = [], []
    for i, (run, internals) in enumerate(internals_by_run.items()):
        found = [(r, h) for r, h in hists_of(internals, layer, which)
                 if len(h.get("pct") or ()) == 9 and None not in h["pct"]]
        if not found:
            continue
        steps = np.array([r["step"] for r, _ in found], float)
        pct = np.array([h["pct"] for _, h in found], float)  # (records, 9)
        recent.append(pct[-max(1, math.ceil(RECENT_SHARE * len(pct))):])
        colour = colour_of(i)
        for low, high, alpha, label in BANDS if len(internals_by_run) == 1 else BANDS[1:3]:  # overlaid: two bands
            traces.append(go.Scatter(x=np.r_[steps, steps[::-1]], y=np.r_[pct[:, high], pct[::-1, low]],
                                     fill="toself", fillcolor=_rgba(colour, alpha), line=dict(width=0), mode="lines",
                                     name=f"{run} {label}", legendgroup=run, showlegend=False, hoverinfo="skip"))
        traces.append(go.Scatter(
            x=steps, y=pct[:, 4], name=run, legendgroup=run, mode="lines+markers" if len(steps) < 40 else "lines",
            line=dict(color=colour, width=2), marker=dict(size=5), customdata=pct[:, [2, 6, 1, 7]],
            hovertemplate=f"{run}, step %{{x}}<br>median %{{y:.3g}}<br>16–84 %: %{{customdata[0]:.3g}} to "
                          "%{customdata[1]:.3g}<br>7–93 %: %{customdata[2]:.3g} to %{customdata[3]:.3g}"
                          "<extra></extra>"))
    if not traces:
        return empty(title, missing_text(next(iter(internals_by_run.values()), {}), layer, which))
    window = np.concatenate(recent)
    lo, hi = _padded(float(window[:, 0].min()), float(window[:, 8].max()))
    bands = "31–69, 16–84, 7–93 % and min–max" if len(internals_by_run) == 1 else "16–84 and 7–93 %"
    note = subtitle(f"line: the median; bands: {bands}<br>value axis: the range of the latest {RECENT_SHARE:.0%} of "
                     "records")
    return styled(go.Figure(traces, layout=dict(annotations=[note])), title, "optimizer step",
                  f"{SINGULAR[which]} value", height=360, hovermode="closest", margin=dict(t=85),
                  yaxis=dict(range=[lo, hi]))


# --- the pieces: histograms on one grid ------------------------------------------------------------

def hists_of(internals: dict, layer: str, which: str) -> list[tuple[dict, dict]]:
    """(record, histogram) of `layer` at each record that has a finite one."""
    found = [(r, r["layers"].get(layer, {}).get(HIST_KEYS[which])) for r in internals.get("records") or []]
    return [(r, h) for r, h in found if h and h.get("lo") is not None and h.get("hi") is not None and h.get("counts")]


def recent_window(hists: list[dict], share: float = RECENT_SHARE) -> tuple[float, float]:
    """The value range spanned by the latest `share` of the histograms (at least one), never empty."""
    recent = hists[-max(1, math.ceil(share * len(hists))):]
    return _padded(min(h["lo"] for h in recent), max(h["hi"] for h in recent))


def rebin(hists: list[dict], edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Histograms' counts on other bin `edges`, (len(hists), len(edges) - 1), and per histogram how many
    of its values lie outside the edges. Each source bin is spread evenly over its width; the counts below
    or above the edges are added to the first or last bin, so every total is kept. Vectorised: the heat
    map re-bins up to 200 records at every redraw."""
    if len({len(h["counts"]) for h in hists}) > 1:  # bins of different counts: one at a time
        parts = [rebin([h], edges) for h in hists]
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    counts = np.array([h["counts"] for h in hists], dtype=float).reshape(len(hists), -1)  # (n, bins)
    lo = np.array([h["lo"] for h in hists], dtype=float)[:, None]
    hi = np.array([h["hi"] for h in hists], dtype=float)[:, None]
    n, bins = counts.shape
    total = counts.sum(axis=1)
    cum = np.concatenate([np.zeros((n, 1)), np.cumsum(counts, axis=1)], axis=1)  # (n, bins + 1)
    at = np.clip((edges[None, :] - lo) / np.where(hi > lo, hi - lo, 1.0) * bins, 0, bins)  # edges in source bins
    k = np.minimum(at.astype(int), bins - 1)
    cdf = np.take_along_axis(cum, k, axis=1) + (at - k) * np.take_along_axis(counts, k, axis=1)  # (n, edges)
    constant = hi[:, 0] <= lo[:, 0]  # a constant tensor: every value at lo
    cdf[constant] = np.where(edges[None, :] > lo[constant], total[constant, None], 0.0)
    below, above = cdf[:, 0], total - cdf[:, -1]
    grid = np.diff(cdf, axis=1)
    grid[:, 0] += below
    grid[:, -1] += above
    return grid, below + above


def missing_text(internals: dict, layer: str, which: str) -> str:
    if not internals.get("records"):
        return "no layer statistics recorded"
    if which == "activations":
        return f"no activations recorded for {layer}: they are measured after an activation function, and it has none"
    return f"no {which} recorded for {layer} (not finite, or not measured)"


def _padded(lo: float, hi: float) -> tuple[float, float]:
    if hi > lo:
        return lo, hi
    pad = abs(lo) * 0.1 or 1.0  # a constant: a range around it, never an empty one
    return lo - pad, hi + pad


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
