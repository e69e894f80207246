"""What every split method shares: the Split it returns, the strata it balances, the groups of identical
sequences it keeps together, the class-size check and the balance notes (protscope.data.splits and
protscope.data.homology both build on these).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from protscope.data.dataset import SPLITS, ProteinData
from protscope.data.multilabel import balance_note, label_set_strata
from protscope.errors import ProtScopeError, list_some


@dataclass(frozen=True)
class Split:
    """Which split each row of a dataset is in, with what the user should know about it."""

    assignment: np.ndarray  # (N,) int8: 0 train, 1 val, 2 test
    method: str
    notes: tuple[str, ...] = ()
    n_clusters: int | None = None  # homology split only
    largest_cluster: int | None = None

    def index(self, name: str) -> np.ndarray:
        return np.flatnonzero(self.assignment == SPLITS.index(name))

    def counts(self) -> dict[str, int]:
        return {name: int((self.assignment == i).sum()) for i, name in enumerate(SPLITS)}


def strata(data: ProteinData) -> np.ndarray:
    """(N,) int: the stratum of each row (class, value quintile, label set, or 0 for per-residue data)."""
    if data.y is None:
        return np.zeros(len(data), dtype=np.int64)
    if data.task == "regression":
        edges = np.quantile(data.y, [0.2, 0.4, 0.6, 0.8])
        return np.searchsorted(edges, data.y, side="right")
    if data.task == "multilabel":
        return label_set_strata(data.y)
    return data.y.astype(np.int64)


def sequence_groups(data: ProteinData) -> np.ndarray:
    """(N,) int: rows with identical sequences share a group."""
    return distinct_sequences(data.sequences)[1]


def distinct_sequences(sequences) -> tuple[np.ndarray, np.ndarray]:
    """The distinct sequences, sorted, and the (N,) int index of each row's sequence among them.

    The same numbering as np.unique on a fixed-width string array, without building one: at 100k
    proteins up to 2,000 long that array alone is 800 MB (4 bytes per character) and its sort
    took 9 s; hashing the Python strings takes a few milliseconds and no copy of the text.
    """
    codes, distinct = pd.factorize(np.asarray(sequences, dtype=object), sort=True)
    return np.asarray(distinct, dtype=object), codes.astype(np.int64)


def check_class_sizes(data: ProteinData, rows: np.ndarray, fractions) -> None:
    """Every class must be big enough to put at least one member in each split."""
    smallest = min(f for f in fractions if f > 0)
    needed = max(3, math.ceil(1 / smallest - 1e-9))
    if rows.size < needed:
        raise ProtScopeError(f"{rows.size:,} rows are too few for a split with "
                             f"{smallest:.0%} in its smallest part; at least {needed} are needed",
                             fix="add data, or raise the validation and test fractions")
    if data.task in ("binary", "multiclass"):
        counts = np.bincount(data.y[rows], minlength=len(data.classes))
        small = [f"'{c}' ({n})" for c, n in zip(data.classes, counts) if n < needed]
        if small:
            raise ProtScopeError(f"classes {list_some(small)} have too few members for a stratified "
                                 f"split with {smallest:.0%} in its smallest part: each class needs at "
                                 f"least {needed}", fix="add examples of those classes, merge rare "
                                 "classes, or raise the validation and test fractions")


def balance_notes(data: ProteinData, assignment: np.ndarray) -> tuple[str, ...]:
    """How far each split's class fractions drift from the whole data's, in percentage points."""
    if data.task == "multilabel":
        return (balance_note(data.y, data.classes, assignment),)
    if data.task not in ("binary", "multiclass"):
        return ()
    overall = np.bincount(data.y, minlength=len(data.classes)) / len(data)
    drift = 0.0
    for i in range(3):
        part = data.y[assignment == i]
        if part.size:
            drift = max(drift, np.abs(np.bincount(part, minlength=len(data.classes)) / part.size
                                      - overall).max())
    return (f"class balance: the largest gap between a split's class fraction and the whole "
            f"data's is {drift:.1%} points",)
