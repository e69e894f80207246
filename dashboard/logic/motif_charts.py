"""Figures of learned motifs (protscope.explain.motifs), pure functions of the engine's arrays.

Logos are drawn by logomaker on matplotlib figures made without pyplot (no global state: the dashboard
draws in many sessions at once). A filter's weights are drawn centred per position (only differences
between amino acids at a position matter to a filter on one-hot input): letters above the line raise its
output, letters below lower it. An activation PWM is drawn as information content against the amino-acid
frequencies of the proteins scanned, so a common residue (L) is not mistaken for a motif. The window
network's units are plotly heat maps, window offset by amino acid, as in Qian & Sejnowski (1988).
"""
from __future__ import annotations

import logomaker
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from protscope.alphabet import ALPHABET

COLOURS = "chemistry"  # logomaker's protein scheme: acidic, basic, polar, hydrophobic, aromatic
ROW_HEIGHT = 1.35  # inches per logo
UNIT_COLUMNS = 4


def centred_weights(weights: np.ndarray) -> pd.DataFrame:
    """(k, 20) weights as a logomaker frame, each position centred on its mean over the 20 amino acids."""
    centred = np.asarray(weights, dtype=np.float64)
    centred = centred - centred.mean(1, keepdims=True)
    return pd.DataFrame(centred, columns=list(ALPHABET), index=np.arange(1, len(weights) + 1))


def information(pwm: np.ndarray, background: np.ndarray) -> pd.DataFrame:
    """(k, 20) letter frequencies as a logo in bits: each position's relative entropy against `background`,
    sum p log2(p / q), shared among its letters by frequency (logomaker's "information"); a position without
    any letter is 0."""
    p = np.nan_to_num(np.asarray(pwm, dtype=np.float64), nan=0.0)
    q = np.asarray(background, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log2(p / q[None, :]), 0.0)
    bits = p * np.clip(terms.sum(1, keepdims=True), 0.0, None)
    return pd.DataFrame(bits, columns=list(ALPHABET), index=np.arange(1, len(pwm) + 1))


def logo_column(frames: list[pd.DataFrame], titles: list[str], ylabel: str) -> Figure:
    """One logo per row, sharing the y scale so rows compare."""
    fig = Figure(figsize=(5.2, ROW_HEIGHT * max(len(frames), 1)), layout="constrained")
    axes = np.atleast_1d(fig.subplots(max(len(frames), 1), 1, squeeze=False)[:, 0])
    top = max([float(f.clip(lower=0).sum(axis=1).max()) for f in frames] + [1e-6])
    bottom = min([float(f.clip(upper=0).sum(axis=1).min()) for f in frames] + [0.0])
    for ax, frame, title in zip(axes, frames, titles):
        logomaker.Logo(frame, ax=ax, color_scheme=COLOURS, flip_below=False, fade_below=0.4)
        ax.set_ylim(bottom * 1.05, top * 1.05)
        ax.set_title(title, fontsize=8, loc="left")
        ax.set_ylabel(ylabel, fontsize=7)
        ax.tick_params(labelsize=7)
    return fig


def weight_logos(weights: np.ndarray, filters: list[int], titles: list[str]) -> Figure:
    """Logos of filters `filters` from weights (F, k, 20) of one epoch."""
    return logo_column([centred_weights(weights[f]) for f in filters], titles, "weight")


def pwm_logos(pwms: list[np.ndarray], background: np.ndarray, titles: list[str]) -> Figure:
    return logo_column([information(p, background) for p in pwms], titles, "bits")


def motif_title(motif) -> str:
    """'filter 12 · influence 0.031 · 1,204 sites · KKWDE' for a protscope.explain.motifs.Motif."""
    influence = "not measured" if not np.isfinite(motif.influence) else f"{motif.influence:.3g}"
    return f"filter {motif.filter} · influence {influence} · {motif.sites:,} sites · {motif.consensus}"


def motif_rows(motifs) -> list[dict]:
    """The table of every filter, most influential first."""
    return [{"filter": m.filter, "influence": m.influence if np.isfinite(m.influence) else None, "sites": m.sites,
             "consensus": m.consensus} for m in motifs]


def unit_heatmaps(weights: np.ndarray, units: list[int], letters: str, offsets: np.ndarray,
                  outgoing: np.ndarray | None, classes: tuple[str, ...]) -> go.Figure:
    """Heat maps of window units (H, 2w+1, 21): offset across, amino acid down, red excites, blue inhibits,
    one colour scale for all; each title gives the unit's weights to the output classes."""
    rows = -(-len(units) // UNIT_COLUMNS)
    titles = [f"unit {u}" + ("" if outgoing is None else " → " + " ".join(
        f"{c} {w:+.2f}" for c, w in zip(classes, outgoing[:, u]))) for u in units]
    fig = make_subplots(rows=rows, cols=min(UNIT_COLUMNS, len(units)), subplot_titles=titles,
                        horizontal_spacing=0.04, vertical_spacing=0.5 / max(rows, 1))
    scale = float(np.abs(weights[units]).max()) or 1.0
    for i, u in enumerate(units):
        fig.add_trace(go.Heatmap(z=weights[u].T, x=offsets, y=list(letters), zmin=-scale, zmax=scale, zmid=0,
                                 colorscale="RdBu_r", showscale=i == 0, colorbar=dict(title="weight", len=0.6),
                                 hovertemplate="offset %{x}, %{y}: %{z:.3f}<extra>unit " + str(u) + "</extra>"),
                      row=i // UNIT_COLUMNS + 1, col=i % UNIT_COLUMNS + 1)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=8), dtick=1)
    fig.update_xaxes(tickfont=dict(size=8), dtick=2)
    fig.update_annotations(font_size=10)
    return fig.update_layout(height=230 * rows + 40, margin=dict(l=10, r=10, t=40, b=10))
