"""Figures of one explained sequence (protscope.explain), pure functions of the engine's arrays.

The attribution is a sequence logo: one letter per residue, as tall as its score, above the line when the
residue raises the explained number and below (paler) when it lowers it; long proteins wrap every
RESIDUES_PER_ROW residues, all rows on one scale. Letters are logomaker's glyphs coloured by its 'chemistry'
scheme, drawn on a matplotlib figure made without pyplot (no global state: the server draws for many users).
The saturation mutagenesis is a plotly heat map, 20 substitutes x L positions, on a diverging scale
centred at 0, each cell's hover naming its mutation ('K45A: +0.12').
"""
from __future__ import annotations

import logomaker
import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure

from dashboard.logic.chart_style import styled
from protscope.alphabet import ALPHABET, decode, encode

RESIDUES_PER_ROW = 100
ROW_HEIGHT = 1.5  # inches
# logomaker's 'chemistry' colours (polar, amide, basic, acidic, hydrophobic), and X in grey
CHEMISTRY = {**dict.fromkeys("GSTYC", "#008000"), **dict.fromkeys("QN", "#800080"), **dict.fromkeys("KRH", "#0000ff"),
             **dict.fromkeys("DE", "#ff0000"), **dict.fromkeys("AVLIPWFM", "#000000"), "X": "#9ca3af"}
BELOW_ALPHA = 0.45  # letters that lower the target are paler, as logomaker's fade_below


def residue_letters(sequence: str) -> str:
    """The letter of each residue as the model read it: B, Z, J, U, O and gaps were read as X."""
    return decode(encode(sequence))


def attribution_logo(sequence: str, scores: np.ndarray, title: str, unit: str) -> Figure:
    """A sequence logo of per-residue scores (L,): letter heights are the scores, negative ones below 0."""
    letters, scores = residue_letters(sequence), np.asarray(scores, dtype=float)
    rows = max(1, -(-len(letters) // RESIDUES_PER_ROW))
    fig = Figure(figsize=(12, 0.4 + ROW_HEIGHT * rows), layout="constrained")
    top = float(np.abs(scores).max(initial=0.0)) * 1.08 or 1.0
    span = min(RESIDUES_PER_ROW, len(letters))  # positions per row: a short protein fills the width
    for row in range(rows):
        ax = fig.add_subplot(rows, 1, row + 1)
        start = row * span
        # One glyph per residue: logomaker.Logo would draw all 21 letters at every position (zero height for
        # 20 of them), four times slower for the same picture.
        for i in range(start, min(start + span, len(letters))):
            value = scores[i]
            logomaker.Glyph(i + 1, letters[i], ax=ax, floor=min(value, 0.0), ceiling=max(value, 0.0),
                            color=CHEMISTRY[letters[i]], alpha=1.0 if value >= 0 else BELOW_ALPHA)
        ax.axhline(0, color="#475569", linewidth=0.6)
        ax.set_xlim(start + 0.5, start + span + 0.5)
        ax.set_ylim(-top, top)
        ax.set_ylabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(title, fontsize=10, x=0.01, horizontalalignment="left")
    return fig


def mutation_labels(sequence: str, effects: np.ndarray) -> np.ndarray:
    """(20, L) hover texts: 'K45A: +0.1200', and 'K45 (wild type)' on the wild type's own cell."""
    letters = np.array(list(residue_letters(sequence)))
    substitutes = np.array(list(ALPHABET))[:, None]  # (20, 1)
    sites = np.char.add(letters, np.arange(1, len(letters) + 1).astype(str))  # (L,): 'K45'
    changes = np.char.mod("%+.4f", effects)
    labels = np.char.add(np.char.add(np.char.add(sites, substitutes), ": "), changes)
    return np.where(substitutes == letters, np.char.add(sites, " (wild type)"), labels)


def mutagenesis_heatmap(sequence: str, effects: np.ndarray, explained: str, unit: str) -> go.Figure:
    """The (20, L) changes as a heat map: substitutes down, positions across, 0 white, the wild type dotted."""
    effects = np.asarray(effects, dtype=float)
    letters = np.array(list(residue_letters(sequence)))
    positions = np.arange(1, len(letters) + 1)
    reach = float(np.abs(effects).max(initial=0.0)) or 1.0
    fig = go.Figure(go.Heatmap(z=effects, x=positions, y=list(ALPHABET), colorscale="RdBu", reversescale=True,
                               zmid=0, zmin=-reach, zmax=reach, text=mutation_labels(sequence, effects),
                               hovertemplate="%{text}<extra></extra>",
                               colorbar=dict(title=dict(text=f"change<br>({unit})"))))
    wild = letters != "X"  # X has no row: every substitution of it is a change
    fig.add_trace(go.Scatter(x=positions[wild], y=letters[wild], mode="markers",
                             marker=dict(size=4, color="#111827"), hoverinfo="skip", name="wild type",
                             showlegend=False))
    return styled(fig, f"Every single substitution: the change of the {explained}", "position", "substitute",
                  height=460, hovermode="closest", yaxis=dict(autorange="reversed", dtick=1))


def measured_heatmaps(comparison, unit: str) -> go.Figure:
    """Two (20, S) heat maps side by side, predicted and measured change from the wild type at the varied sites,
    each on its own diverging scale centred at 0 (a model's changes are often smaller than the measured ones);
    blank cells were not measured, dots mark the wild type."""
    from plotly.subplots import make_subplots

    sites = [f"{comparison.wild_type[s]}{s + 1}" for s in comparison.sites]
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.14,
                        subplot_titles=("predicted (the model's saturation mutagenesis)", "measured (the data)"))
    wild = [comparison.wild_type[s] for s in comparison.sites]
    for column, (z, bar_x) in enumerate(((comparison.predicted, 0.43), (comparison.measured, 1.0)), start=1):
        z = np.asarray(z, dtype=float)
        reach = float(np.nanmax(np.abs(z), initial=0.0)) or 1.0
        text = [[f"{site}{a}: {v:+.3f}" if np.isfinite(v) else f"{site}{a}: not measured" for site, v in zip(sites, r)]
                for a, r in zip(ALPHABET, z)]
        fig.add_trace(go.Heatmap(z=z, x=sites, y=list(ALPHABET), colorscale="RdBu", reversescale=True, zmid=0,
                                 zmin=-reach, zmax=reach, text=text, hovertemplate="%{text}<extra></extra>",
                                 colorbar=dict(x=bar_x, len=0.9, title=dict(text=f"change<br>({unit})"))),
                      row=1, col=column)
        fig.add_trace(go.Scatter(x=sites, y=wild, mode="markers", marker=dict(size=6, color="#111827"),
                                 hoverinfo="skip", showlegend=False), row=1, col=column)
        fig.update_yaxes(autorange="reversed", dtick=1, row=1, col=column)
    title = (f"Single mutants, predicted against measured: Spearman {comparison.spearman:.2f} over "
             f"{comparison.count}" if comparison.count >= 3 else
             f"Only {comparison.count} measured single mutants: too few to correlate")
    return styled(fig, title, "site", "substitute", height=560, hovermode="closest", margin=dict(t=85))
