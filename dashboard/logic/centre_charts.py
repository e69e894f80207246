"""The harmonic loss's class centres as a picture: what the output layer reads for each validation protein
(or residue), projected onto its first two principal components and coloured by the true class, with each
class's centre projected onto the same plane; and the distances between the centres, in the full space.

Pure functions on the arrays of protscope.train.class_centres.ClassCentres and the stored predictions.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from dashboard.logic.chart_style import colour_of, styled

MAX_POINTS = 2000  # points drawn at most (evenly spaced): residues of a per-residue task run to the hundred thousand


@dataclass(frozen=True)
class CentrePlane:
    """Features and centres on the plane of the features' first two principal components."""

    points: np.ndarray  # (M, 2) the proteins (or residues) drawn
    labels: np.ndarray  # (M,) their true classes
    centres: np.ndarray  # (k, 2)
    explained: tuple[float, float]  # the share of the features' variance along each axis


def labelled_features(features: np.ndarray, y_true: np.ndarray, feature_protein=None, feature_position=None,
                      protein=None, position=None) -> tuple[np.ndarray, np.ndarray]:
    """(features, true classes) of the labelled predictions. Per protein, features and truth share an order;
    per residue, the features of every real residue are matched to the scored ones by (protein, position)."""
    if feature_protein is None:
        return features, np.asarray(y_true)
    width = int(max(np.max(feature_position, initial=0), np.max(position, initial=0))) + 1
    have = np.asarray(feature_protein, np.int64) * width + feature_position  # one key per residue
    want = np.asarray(protein, np.int64) * width + position
    order = np.argsort(have)
    at = order[np.minimum(np.searchsorted(have, want, sorter=order), len(have) - 1)]
    found = have[at] == want
    return features[at[found]], np.asarray(y_true)[found]


def project(features: np.ndarray, labels: np.ndarray, centres: np.ndarray, max_points: int = MAX_POINTS) -> CentrePlane:
    """PCA of `features` (N, D) onto 2 axes, fitted on at most `max_points` evenly spaced rows; `centres` (k, D)
    projected onto the same axes."""
    take = np.linspace(0, len(features) - 1, min(len(features), max_points)).round().astype(int)
    x, labels = features[take].astype(np.float64), labels[take]
    mean = x.mean(0)
    _, spread, axes = np.linalg.svd(x - mean, full_matrices=False)  # axes: (min(M, D), D), largest first
    axes = np.vstack([axes, np.zeros((max(0, 2 - len(axes)), x.shape[1]))])[:2]  # one-dimensional features: a flat y
    variance = spread**2
    shares = variance[:2] / variance.sum() if variance.sum() > 0 else np.zeros(2)
    shares = np.pad(shares, (0, 2 - len(shares)))
    return CentrePlane((x - mean) @ axes.T, labels, (centres.astype(np.float64) - mean) @ axes.T,
                       (float(shares[0]), float(shares[1])))


def centre_figure(plane: CentrePlane, classes, what: str = "proteins") -> go.Figure:
    """The validation `what` (proteins or residues) as dots in their class's colour, each centre as a large cross."""
    fig = go.Figure()
    for i, name in enumerate(classes):
        mine = plane.labels == i
        fig.add_trace(go.Scattergl(x=plane.points[mine, 0], y=plane.points[mine, 1], mode="markers", name=str(name),
                                   legendgroup=str(i), marker=dict(color=colour_of(i), size=5, opacity=0.55)))
    for i, name in enumerate(classes):
        fig.add_trace(go.Scatter(x=[plane.centres[i, 0]], y=[plane.centres[i, 1]], mode="markers+text",
                                 name=f"centre of {name}", legendgroup=str(i), text=[f"centre {name}"],
                                 textposition="top center", marker=dict(color=colour_of(i), size=16, symbol="x",
                                                                        line=dict(width=2, color="#111827"))))
    first, second = (f"PC{n} ({share:.0%} of the variance)" for n, share in enumerate(plane.explained, 1))
    return styled(fig, f"Validation {what} and the class centres", first, second, height=420, hovermode="closest",
                  yaxis=dict(scaleanchor="x", scaleratio=1))  # one unit is as long on both axes: distances look true


def distance_rows(distances: np.ndarray, classes) -> list[dict]:
    """One row per class: its centre's distance to every centre (the full space, not the plane)."""
    return [{"centre": str(a), **{str(b): round(float(distances[i, j]), 3) for j, b in enumerate(classes)}}
            for i, a in enumerate(classes)]
