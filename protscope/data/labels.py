"""Parse label text into class indices or values, and infer the task when it is not given.

Per-sequence labels become `y` (int64 class indices or float32 values). Per-residue labels (one
character per residue) and their 0/1 masks are parsed through a byte lookup table, all rows at
once. Problems raise ProtScopeError naming the rows.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from protscope.errors import ProtScopeError, list_some

MAX_CLASSES = 50
MAX_RESIDUE_CLASSES = 20
# If exactly one of two binary labels is one of these, it is the negative class (index 0).
NEGATIVE_WORDS = {"0", "0.0", "-1", "no", "n", "false", "f", "negative", "neg", "insoluble",
                  "inactive", "nonbinder", "non-binder", "unstable", "low"}
# Known per-residue label orders (3-state and 8-state DSSP); other alphabets are sorted.
RESIDUE_ORDERS = ("HEC", "HGIEBTSC")
DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


@dataclass(frozen=True)
class ParsedLabels:
    task: str
    classes: tuple[str, ...]
    y: np.ndarray  # (N,) int64 class index, or float32 value for regression
    notes: tuple[str, ...] = ()


def parse_labels(values: list[str], task: str, binarize_at: float | None, where) -> ParsedLabels:
    """`where(i)` describes row i for messages. `task` may be "auto"."""
    missing = [i for i, v in enumerate(values) if v == "" or v.lower() in ("nan", "na", "n/a", "none", "null")]
    if missing:
        raise ProtScopeError(f"{len(missing):,} rows have no label (first at {where(missing[0])}; rows "
                             f"{list_some([i + 1 for i in missing])})",
                             fix="fill in the labels or remove those rows")
    numbers, bad = _to_float(values)
    notes = ()
    if bad and all(DECIMAL_COMMA.fullmatch(values[i]) for i in bad):
        numbers, bad = _to_float([v.replace(",", ".") for v in values])
        notes = (f"labels with a decimal comma (e.g. '{values[bad[0] if bad else 0]}') were read as numbers",)
    if bad and len(bad) < len(values) / 2:
        raise ProtScopeError(f"label '{values[bad[0]]}' is not a number, while most labels are "
                             f"({len(bad):,} such rows, first at {where(bad[0])})",
                             fix="correct those labels, or check that the label column is the right one")
    if not bad:
        infinite = np.flatnonzero(~np.isfinite(numbers))
        if infinite.size:
            raise ProtScopeError(f"label '{values[infinite[0]]}' is not a finite number "
                                 f"({infinite.size:,} rows, first at {where(infinite[0])})",
                                 fix="replace infinite values or remove those rows")
        too_big = np.flatnonzero(np.abs(numbers) > np.finfo(np.float32).max)
        if too_big.size:
            raise ProtScopeError(f"label '{values[too_big[0]]}' is too large to train on",
                                 where=where(too_big[0]), fix="rescale the values (e.g. log10) or correct the typo")
        parsed = _numeric_labels(numbers, task, binarize_at, where)
        return ParsedLabels(parsed.task, parsed.classes, parsed.y, notes)
    if task == "regression" or binarize_at is not None:
        raise ProtScopeError(f"labels are text (e.g. '{values[0]}'), not numbers", where=where(0),
                             fix="choose a classification task, or the column with numeric values")
    return _categorical(np.asarray(values, dtype=object), task)


def _to_float(values: list[str]) -> tuple[np.ndarray | None, list[int]]:
    try:
        return np.asarray(values, dtype=np.float64), []
    except ValueError:
        bad = []
        for i, v in enumerate(values):
            try:
                float(v)
            except ValueError:
                bad.append(i)
        return None, bad


def _numeric_labels(numbers: np.ndarray, task: str, binarize_at, where) -> ParsedLabels:
    if binarize_at is not None:
        y = (numbers >= binarize_at).astype(np.int64)
        labels = ParsedLabels("binary", (f"< {binarize_at:g}", f"≥ {binarize_at:g}"), y)
        _check_classes(labels.classes, y)
        return labels
    unique = np.unique(numbers)
    integral = bool(np.all(unique == np.round(unique)))
    if task == "auto":
        if unique.size <= 2 and set(unique.tolist()) <= {0.0, 1.0}:
            task = "binary"
        elif integral and 3 <= unique.size <= 10 and numbers.size >= 10 * unique.size:
            task = "multiclass"
        else:
            task = "regression"
    if task == "regression":
        if unique.size < 2:
            raise ProtScopeError(f"every label is {unique[0]:g}", where=where(0),
                                 fix="regression needs values that vary")
        return ParsedLabels("regression", (), numbers.astype(np.float32))
    if task == "binary" and unique.size > 2:
        raise ProtScopeError(f"binary classification needs 2 label values, found {unique.size:,}",
                             where=where(0), fix="set binarize_at to a threshold, or choose "
                                                 "regression or multiclass")
    names = np.array([f"{u:g}" for u in unique], dtype=object)
    return _categorical(names[np.searchsorted(unique, numbers)], task)


def _categorical(values: np.ndarray, task: str) -> ParsedLabels:
    classes, y = np.unique(values.astype(str), return_inverse=True)
    classes = [str(c) for c in classes]
    negative = [c.lower() in NEGATIVE_WORDS for c in classes]
    if negative == [False, True]:  # e.g. ("soluble", "insoluble"): the negative class goes first
        classes.reverse()
        y = 1 - y
    if task == "auto":
        task = "binary" if len(classes) == 2 else "multiclass"
    if task == "binary" and len(classes) > 2:
        raise ProtScopeError(f"binary classification needs 2 classes, found {len(classes):,} "
                             f"({list_some(classes)})", fix="choose multiclass, or merge classes")
    _check_classes(tuple(classes), y)
    return ParsedLabels(task, tuple(classes), y.astype(np.int64))


def _check_classes(classes: tuple[str, ...], y: np.ndarray) -> None:
    if len(classes) < 2 or np.unique(y).size < 2:
        raise ProtScopeError(f"every row has the same label ('{classes[int(y[0])]}')",
                             fix="a classifier needs at least two classes; check the label column")
    if len(classes) > MAX_CLASSES or len(classes) > max(2, y.size // 2):
        raise ProtScopeError(f"the label column has {len(classes):,} distinct values in {y.size:,} rows, "
                             "too many classes for the data",
                             fix="if the labels are measured values choose task 'regression'; "
                                 "otherwise pick the right label column or merge classes")


def class_balance_notes(classes: tuple[str, ...], y: np.ndarray) -> list[str]:
    counts = np.bincount(y, minlength=len(classes))
    rare = [f"'{c}' ({n / y.size:.1%})" for c, n in zip(classes, counts) if n / y.size < 0.05]
    if rare:
        return [f"rare classes: {', '.join(rare)} of rows. A model can score high accuracy by never predicting "
                "them; watch MCC or balanced accuracy, and consider class weights (loss: class weights balanced)"]
    return []


# --- per-residue labels ---------------------------------------------------------------------------

def parse_residue_labels(strings: list[str]) -> tuple[tuple[str, ...], np.ndarray]:
    """Classes and the concatenated (sum of lengths,) uint8 class codes of per-residue labels."""
    joined = "".join(strings)
    if not joined.isascii():
        row = next(i for i, s in enumerate(strings) if not s.isascii())
        raise ProtScopeError(f"per-residue labels must be single ASCII characters (row {row + 1})",
                             fix="write one letter per residue, such as H, E or C")
    raw = np.frombuffer(joined.encode("ascii"), dtype=np.uint8)
    present = np.flatnonzero(np.bincount(raw, minlength=256))
    letters = "".join(chr(c) for c in present)
    order = next((o for o in RESIDUE_ORDERS if set(letters) <= set(o)), None)
    classes = tuple(c for c in order if c in letters) if order else tuple(letters)
    if order == "HEC":
        classes = tuple(order)
    if len(classes) > MAX_RESIDUE_CLASSES:
        raise ProtScopeError(f"per-residue labels use {len(classes)} different characters "
                             f"({''.join(classes)[:40]})", fix="use at most "
                             f"{MAX_RESIDUE_CLASSES} classes, one character per residue")
    if len(classes) < 2:
        raise ProtScopeError(f"every residue has the same label '{classes[0] if classes else ''}'",
                             fix="a classifier needs at least two classes")
    lookup = np.zeros(256, dtype=np.uint8)
    lookup[[ord(c) for c in classes]] = np.arange(len(classes), dtype=np.uint8)
    return classes, lookup[raw]


def parse_masks(strings: list[str], where) -> np.ndarray:
    """Concatenated (sum of lengths,) bool from '0'/'1' strings."""
    joined = "".join(strings)
    raw = np.frombuffer(joined.encode("ascii", errors="replace"), dtype=np.uint8)
    bad = np.flatnonzero((raw != ord("0")) & (raw != ord("1")))
    if bad.size:
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        row = int(np.searchsorted(np.cumsum(lengths), bad[0], side="right"))
        raise ProtScopeError(f"mask has character '{joined[bad[0]]}'; only 0 and 1 are allowed",
                             where=where(row), fix="write 1 for scored residues and 0 for the rest")
    return raw == ord("1")
