"""The learned space as a plotly scatter animated over the recorded epochs (protscope.explain.space), pure.

Every frame has the same traces (one per class, or one coloured by value) and the same axis ranges, so
play and the epoch slider move the points, never the frame. Each point carries its index in customdata:
a click (st.plotly_chart on_select) names the same point whichever epoch is shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from dashboard.logic.chart_style import SS_COLOURS, colour_of

MARGIN = 0.05  # of the range, around the points of every epoch


@dataclass(frozen=True)
class Colouring:
    title: str
    groups: tuple[str, ...]  # category names, in legend order; () when coloured by value
    values: np.ndarray  # (P,) index into groups, or the value itself


def colouring(labels: np.ndarray | None, task: str, classes: tuple[str, ...], label: int = 0) -> Colouring:
    """How to colour the points: by class (binary, multi-class, per residue), by value (regression), or for a
    multi-label run by whether each protein carries label `label`."""
    if labels is None:
        return Colouring("", ("proteins",), np.zeros(0, dtype=np.int64))
    if task == "regression":
        return Colouring("value", (), labels.astype(np.float64))
    if labels.ndim == 2:
        name = classes[label] if label < len(classes) else str(label)
        return Colouring(name, (f"not {name}", name), labels[:, label].astype(np.int64))
    names = tuple(classes) if len(classes) > int(labels.max(initial=0)) else tuple(str(i) for i in
                                                                                     range(int(labels.max()) + 1))
    return Colouring("class", names, labels.astype(np.int64))


def hover_names(ids: np.ndarray, position: np.ndarray | None, residues: np.ndarray | None) -> list[str]:
    if position is None:
        return [str(i) for i in ids]
    return [f"{i} · {r}{p + 1}" for i, p, r in zip(ids, position, residues)]


def _traces(xy: np.ndarray, colour: Colouring, names: list[str]) -> list[go.Scatter]:
    """The traces of one epoch's points `xy` (P, 2)."""
    index = np.arange(len(xy))
    if not colour.groups:
        return [go.Scatter(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=index, hovertext=names,
                           hoverinfo="text", marker=dict(color=colour.values, colorscale="Viridis", size=6,
                                                         colorbar=dict(title=colour.title)), name=colour.title)]
    values = colour.values if len(colour.values) else np.zeros(len(xy), dtype=np.int64)
    colours = [SS_COLOURS.get(name) or colour_of(g) for g, name in enumerate(colour.groups)]  # H, E, C as on Evaluate
    return [go.Scatter(x=xy[values == g, 0], y=xy[values == g, 1], mode="markers", customdata=index[values == g],
                       hovertext=[names[i] for i in index[values == g]], hoverinfo="text", name=name,
                       marker=dict(color=colours[g], size=6, opacity=0.8)) for g, name in enumerate(colour.groups)]


def space_figure(coords: np.ndarray, epochs: np.ndarray, colour: Colouring, names: list[str], method: str,
                 explained: np.ndarray) -> go.Figure:
    """(E, P, 2) coordinates as a scatter with one frame per recorded epoch; the last epoch is shown first."""
    shares = [f" · {s:.0%} of its spread on these axes" if np.isfinite(s) else "" for s in explained]
    frames = [go.Frame(data=_traces(coords[e], colour, names), name=str(epoch),
                       layout=dict(title_text=f"Epoch {epoch}{shares[e]}")) for e, epoch in enumerate(epochs)]
    fig = go.Figure(data=frames[-1].data, frames=frames)
    lo, hi = coords.reshape(-1, 2).min(0), coords.reshape(-1, 2).max(0)
    pad = (hi - lo) * MARGIN + 1e-9
    axis = "PC" if method == "pca" else "UMAP "
    fig.update_xaxes(range=[lo[0] - pad[0], hi[0] + pad[0]], title_text=f"{axis}1", zeroline=False)
    fig.update_yaxes(range=[lo[1] - pad[1], hi[1] + pad[1]], title_text=f"{axis}2", zeroline=False)
    steps = [dict(method="animate", label=str(epoch), args=[[str(epoch)], dict(mode="immediate", frame=dict(
        duration=0, redraw=True), transition=dict(duration=0))]) for epoch in epochs]
    play = dict(label="▶ play", method="animate", args=[None, dict(frame=dict(duration=500, redraw=True),
                                                                 fromcurrent=False, transition=dict(duration=250))])
    pause = dict(label="❚❚", method="animate", args=[[None], dict(mode="immediate", frame=dict(duration=0))])
    return fig.update_layout(
        title_text=frames[-1].layout.title.text, height=520, legend_title_text=colour.title, dragmode="pan",
        updatemenus=[dict(type="buttons", buttons=[play, pause], direction="left", x=0, y=-0.12, xanchor="left")],
        sliders=[dict(active=len(epochs) - 1, steps=steps, x=0.15, len=0.85, y=-0.08,
                      currentvalue=dict(prefix="epoch "))], margin=dict(l=10, r=10, t=50, b=90))


def chosen_point(event) -> int | None:
    """The point index a click selected (st.plotly_chart's on_select event), or None."""
    points = ((event or {}).get("selection") or {}).get("points") or []
    if not points:
        return None
    data = points[0].get("customdata")
    data = data[0] if isinstance(data, (list, tuple)) else data
    return None if data is None else int(data)


def attribution_bar(sequence: str, scores: np.ndarray) -> go.Figure:
    """Per-residue attribution as bars along the sequence, red raising the explained number, blue lowering it."""
    colours = np.where(scores >= 0, "#c0392b", "#2e6da4")
    fig = go.Figure(go.Bar(x=np.arange(1, len(sequence) + 1), y=scores, marker_color=colours,
                           hovertext=[f"{a}{i + 1}: {s:+.3f}" for i, (a, s) in enumerate(zip(sequence, scores))],
                           hoverinfo="text"))
    return fig.update_layout(height=220, xaxis_title="residue", yaxis_title="attribution", margin=dict(t=20, b=10))
