"""How well each protein of a split was predicted, to pick the best and worst for a closer look (Evaluate's
"Residues behind the predictions").

    errors = protein_errors(predictions, task)    # (P,) one number per protein, lower is better
    best, worst = extremes(errors, 5)              # row positions, best first / worst first
"""
from __future__ import annotations

import numpy as np

ERROR_NAMES = {"regression": "absolute error", "multilabel": "mean label error",
               "residue": "mean residue error"}  # others: "1 − p(true class)"


def error_name(task: str) -> str:
    return ERROR_NAMES.get(task, "1 − p(true class)")


def protein_errors(predictions, task: str) -> np.ndarray:
    """(P,) per protein of `predictions` (a protscope.train.inference.Predictions), in its rows' order:
    |prediction − value| for regression, 1 − the probability of the true class for classification, the mean
    |label − probability| for multi-label, and per residue the mean of 1 − p(true class) over its labelled
    residues (nan where none is labelled)."""
    outputs, truth = np.asarray(predictions.outputs, dtype=float), predictions.y_true
    if truth is None:
        raise ValueError("these predictions carry no labels to measure errors against")
    truth = np.asarray(truth)
    if task == "regression":
        return np.abs(outputs.reshape(-1) - truth.astype(float))
    if task == "multilabel":
        return np.abs(truth.astype(float) - outputs).mean(axis=1)
    missed = 1.0 - np.take_along_axis(outputs, truth.astype(np.int64)[:, None], axis=1)[:, 0]  # (N,)
    if task != "residue":
        return missed
    count = len(predictions.rows)
    totals = np.bincount(predictions.protein, weights=missed, minlength=count)
    counts = np.bincount(predictions.protein, minlength=count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return totals / counts


def extremes(errors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The positions of the k smallest errors (best first) and the k largest (worst first), nan left out; a
    split of fewer than 2k proteins is shared between the two."""
    known = np.flatnonzero(np.isfinite(errors))
    order = known[np.argsort(errors[known], kind="stable")]
    half = min(k, (len(order) + 1) // 2)
    return order[:half], order[::-1][:min(k, len(order) - half)]
