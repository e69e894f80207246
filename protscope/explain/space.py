"""The learned space: the features a run's output layer read for its validation proteins, per recorded epoch
(protscope.train.learned), projected onto a plane.

    projection = project(repo.learned(run_id), "pca")     # coords (E, P, 2), one frame per recorded epoch

PCA is fitted on the last recorded epoch and the same two axes are applied to every epoch, so the axes stay
put and the animation shows points moving, not axes turning; fitting each epoch anew would make each frame
the best view of that epoch but let the axes flip and rotate between frames, which reads as motion that is
not there. Each epoch is centred on its own mean (a drift of the whole cloud says nothing about how the
proteins are arranged, and would push early epochs out of the frame), and `explained` says how much of each
epoch's spread the final axes hold: early epochs whose spread lies elsewhere show a small share.
UMAP (umap-learn, optional) is fitted on the last epoch the same way, and the other epochs are placed with
its `transform`.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass

import numpy as np

from protscope.errors import ProtScopeError
from protscope.serialise import clean_json
from protscope.train.learned import LearnedSeries

METHODS = ("pca", "umap")
UMAP_SEED = 0  # UMAP's layout is random: a fixed seed gives the same picture each time


def umap_available() -> bool:
    return importlib.util.find_spec("umap") is not None


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray  # (E, P, 2) float32: each recorded epoch's points on the plane
    epochs: np.ndarray  # (E,)
    method: str  # "pca" or "umap"
    explained: np.ndarray  # (E,) share of each epoch's variance on the two axes (PCA; nan for UMAP)
    learned: LearnedSeries  # what the points are: ids, labels, positions

    def to_json(self) -> dict:
        s = self.learned
        points = {"ids": s.ids.tolist(), "labels": None if s.labels is None else s.labels.tolist()}
        if s.position is not None:
            points |= {"position": (s.position + 1).tolist(), "residue": s.residues.tolist()}
        return clean_json({"method": self.method, "epochs": self.epochs.tolist(),
                           "explained": [round(float(e), 4) for e in self.explained], "points": points,
                           "coords": np.round(self.coords.astype(np.float64), 4).tolist()})


def pca_axes(features: np.ndarray) -> np.ndarray:
    """(2, D) the first two principal axes of `features` (P, D), each signed so its largest loading is
    positive (an SVD's signs are arbitrary); an axis beyond the data's rank is zero."""
    x = features.astype(np.float64) - features.mean(0, dtype=np.float64)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    axes = np.zeros((2, features.shape[1]))
    axes[:min(2, len(vt))] = vt[:2]
    signs = np.sign(axes[np.arange(2), np.abs(axes).argmax(1)])
    return axes * np.where(signs == 0, 1.0, signs)[:, None]


def project(learned: LearnedSeries | None, method: str = "pca") -> Projection:
    """Every recorded epoch's points on the plane of the last epoch's PCA (or UMAP)."""
    if learned is None or learned.features is None or not len(learned.epochs):
        raise ProtScopeError("this run has no recorded learned space", fix="train with training.learned on (the "
                             "default) and validation proteins; runs recorded before it was kept have none")
    if method not in METHODS:
        raise ProtScopeError(f"unknown projection '{method}'", fix=f"use one of: {', '.join(METHODS)}")
    features = learned.features.astype(np.float32)  # (E, P, D)
    if not np.isfinite(features).all():
        bad = [int(e) for e, f in zip(learned.epochs, features) if not np.isfinite(f).all()]
        raise ProtScopeError(f"the recorded features of epoch {bad[0]} are not all finite (NaN, or beyond float16's "
                             "±65,504)", where=f"{len(bad)} of {len(features)} recorded epochs",
                             fix="the run probably diverged: lower the learning rate, or add gradient clipping")
    centred = features - features.mean(1, keepdims=True)
    if method == "umap":
        return Projection(_umap(features), learned.epochs, method, np.full(len(features), np.nan), learned)
    axes = pca_axes(features[-1]).astype(np.float32)
    coords = centred @ axes.T  # (E, P, 2)
    total = (centred.astype(np.float64) ** 2).sum((1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        explained = np.where(total > 0, (coords.astype(np.float64) ** 2).sum((1, 2)) / total, np.nan)
    return Projection(coords, learned.epochs, method, explained, learned)


def _umap(features: np.ndarray) -> np.ndarray:
    if not umap_available():
        raise ProtScopeError("UMAP needs the umap-learn package, which is not installed",
                             fix="pip install umap-learn, or use the PCA projection")
    import umap

    if features.shape[1] < 4:
        raise ProtScopeError(f"UMAP needs at least 4 points; this run recorded {features.shape[1]}",
                             fix="use the PCA projection")
    reducer = umap.UMAP(n_neighbors=min(15, features.shape[1] - 1), random_state=UMAP_SEED)
    last = reducer.fit_transform(features[-1])
    return np.stack([reducer.transform(f) for f in features[:-1]] + [last]).astype(np.float32)
