"""Multi-label targets: a protein may carry any number of L labels at once (an enzyme that is also
membrane-bound). `y` is a (N, L) float32 multi-hot matrix, 1 where the protein carries the label, and
`classes` names the L labels: in the order of `label_cols`, or sorted for ';' lists.

Three ways in, each named in a note on the dataset:
- 0/1 columns named by `label_cols` (`membrane,enzyme`); a row of zeros is an explicit empty set;
- one column of ';'-separated labels (`membrane;enzyme`), read so when task is multilabel, or when task
  is auto and some value holds a ';' (said in a note). `none` is an explicit empty set; an empty cell
  is missing and refused, since it cannot tell "no label" from "not annotated";
- FASTA headers `>P12345 labels=membrane;enzyme`, which become such a column.

Refused, with what to change: a label column that is not 0/1, a column of 0/1 read as ';' lists, fewer
than 2 or more than MAX_LABELS labels, a label that no protein (or every protein) carries, and, once the
data is split, a label that no training protein carries (`check_training_labels`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from protscope.data.columns import ROLES, ColumnMap
from protscope.data.labels import ParsedLabels
from protscope.data.raw_table import RawTable
from protscope.errors import ProtScopeError, list_some

MAX_LABELS = 50  # as many as classes: per-label metrics, curves and the co-occurrence map stay readable
SEPARATOR = ";"
EMPTY_SET = "none"  # the explicit empty set in a ';' list
MISSING = {"", "nan", "na", "n/a", "null"}
ONE, ZERO = ("1", "1.0"), ("0", "0.0")  # 1.0 and 0.0: a spreadsheet or pandas may write the 0/1 as floats
RARE = 0.05  # labels on fewer than this share of proteins get a note
MIN_SET = 10  # label sets fewer proteins share are pooled into one stratum of the random split


def label_columns(text: str) -> tuple[str, ...]:
    """The column names of a `label_cols` setting ("membrane, enzyme" -> ("membrane", "enzyme"))."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ProtScopeError(f"label_cols names {_quoted(twice)} twice", fix="name each label column once")
    return names


def from_columns(columns: dict[str, list[str]], where) -> ParsedLabels:
    """Labels from 0/1 columns (their names, in order, are the labels). `where(i, column)` names a cell."""
    names = tuple(columns)
    cells = np.array([columns[name] for name in names], dtype=object).T  # (N, L) text
    ones = np.isin(cells, ONE)
    bad = np.argwhere(~(ones | np.isin(cells, ZERO)))
    if bad.size:
        i, j = (int(k) for k in bad[0])
        shown = f"'{cells[i, j]}'" if cells[i, j] else "an empty cell"
        raise ProtScopeError(f"label column '{names[j]}' holds {shown}, not 0 or 1 ({len(bad):,} such cells)",
                             where=where(i, names[j]),
                             fix="write 1 where the protein carries the label and 0 where it does not (an empty "
                                 "cell is not read as 0), or leave that column out of label_cols")
    return _checked(names, ones.astype(np.float32), f"the 0/1 columns {', '.join(names)}")


def looks_like_lists(values: list[str]) -> bool:
    """Some label holds a ';': a list of labels rather than one class (task auto reads it as multi-label)."""
    return any(SEPARATOR in v for v in values)


def from_lists(values: list[str], where, column: str, detected: bool = False) -> ParsedLabels:
    """Labels from one column of ';'-separated lists; `detected`: task auto chose multi-label from them."""
    if set(values) <= {*ONE, *ZERO}:
        raise ProtScopeError(f"column '{column}' holds 0 and 1, one yes/no label, not ';'-separated lists of labels",
                             where=where(0), fix="name every 0/1 label column with label_cols (e.g. label_cols "
                                                 "membrane,enzyme), or choose task binary for this one")
    if not looks_like_lists(values):
        other = next((s for s in ("|", ",") if any(s in v for v in values)), "")
        if other:
            example = next(v for v in values if other in v)
            raise ProtScopeError(f"no label list in column '{column}' holds ';', the separator ProtScope reads, but "
                                 f"some hold '{other}' (e.g. '{example[:40]}')", where=where(0),
                                 fix="separate the labels of a protein with ';', e.g. membrane;enzyme")
    pieces = pd.Series(values, dtype=object).str.split(SEPARATOR).explode().str.strip()
    pieces = pieces[pieces != ""]
    empty = pieces.str.lower() == EMPTY_SET
    listed = np.bincount(pieces.index.to_numpy(dtype=np.int64), minlength=len(values))  # (N,) labels per row
    missing = np.flatnonzero((listed == 0) | np.isin(np.char.lower(np.asarray(values, dtype=str)), list(MISSING)))
    if missing.size:
        raise ProtScopeError(f"{missing.size:,} rows have no labels (first at {where(int(missing[0]))}; rows "
                             f"{list_some((missing + 1).tolist())})",
                             fix=f"write the labels separated by ';', or '{EMPTY_SET}' for a protein that carries "
                                 "none (an empty cell is read as missing, not as no label)")
    mixed = np.flatnonzero(listed[pieces.index[empty].to_numpy(dtype=np.int64)] > 1)
    if mixed.size:
        row = int(pieces.index[empty][mixed[0]])
        raise ProtScopeError(f"'{values[row]}' lists '{EMPTY_SET}' (no label) together with labels", where=where(row),
                             fix=f"write '{EMPTY_SET}' alone for a protein without labels, or drop it")
    labels = pieces[~empty]
    codes, names = pd.factorize(labels, sort=True)
    y = np.zeros((len(values), len(names)), dtype=np.float32)
    y[labels.index.to_numpy(dtype=np.int64), codes] = 1.0
    parsed = _checked(tuple(str(n) for n in names), y, f"the ';'-separated lists in column '{column}'")
    lower = pd.Series(parsed.classes).str.lower()
    if lower.duplicated().any():
        twins = [c for c, low in zip(parsed.classes, lower) if (lower == low).sum() > 1]
        parsed = ParsedLabels(parsed.task, parsed.classes, parsed.y, (*parsed.notes, (
            f"labels that differ only in capitals are read as different labels: {_quoted(twins)}; write them "
            "alike if they mean the same")))
    if detected:
        example = next(v for v in values if SEPARATOR in v)
        note = (f"the labels in column '{column}' are ';'-separated lists (e.g. '{example[:40]}'), so the task is "
                "multilabel: each protein may carry several labels. To read each combination as one class "
                "instead, set task multiclass")
        return ParsedLabels(parsed.task, parsed.classes, parsed.y, (note, *parsed.notes))
    return parsed


def _checked(names: tuple[str, ...], y: np.ndarray, source: str) -> ParsedLabels:
    """Refuse label sets no model can learn from; say what was read."""
    n, k = y.shape
    if k < 2:
        raise ProtScopeError(f"{source} give only one label ({_quoted(names)}): that is a yes/no "
                             "(binary) task, not a multi-label one",
                             fix="choose task binary with that column as the label, or add more labels")
    if k > MAX_LABELS:
        raise ProtScopeError(f"{source} give {k:,} labels, more than ProtScope trains on at once ({MAX_LABELS})",
                             fix="keep the labels you care most about, or merge rare ones")
    counts = y.sum(axis=0).astype(np.int64)
    for test, what in ((counts == 0, "no protein carries"), (counts == n, "every protein carries")):
        if test.any():
            shown = _quoted([names[j] for j in np.flatnonzero(test)])
            raise ProtScopeError(f"{what} the label {shown}: there is nothing to learn about it",
                                 fix="remove that label (its column, or its name from the lists)")
    per_protein = y.sum(axis=1)
    notes = [f"multi-label: {k} labels read from {source}: " + ", ".join(
        f"{name} {c:,} ({c / n:.1%})" for name, c in zip(names, counts)) + f"; {int((per_protein == 0).sum()):,} "
        f"proteins carry none, {int((per_protein > 1).sum()):,} more than one (mean {per_protein.mean():.2f})"]
    rare = [f"'{name}' ({c / n:.1%})" for name, c in zip(names, counts) if c / n < RARE]
    if rare:
        notes.append(f"rare labels: {', '.join(rare)} of proteins. A model can score a low Hamming loss by never "
                     "predicting them; watch macro F1 and each label's average precision, and consider pos_weight "
                     "balanced")
    if per_protein.max() <= 1:
        notes.append("no protein carries more than one label: the labels exclude one another here, so a "
                     "multiclass task (one label column) would fit this data too")
    return ParsedLabels("multilabel", names, y, tuple(notes))


def unused_binary_columns(table: RawTable, columns: ColumnMap) -> list[str]:
    """A note naming the 0/1 columns nothing reads: they may be labels the user meant to train on together."""
    used = {getattr(columns, role) for role in ROLES} | set(columns.labels) | {"description"}
    binary = [c for c in table.columns if c not in used and set(table.values[c]) == {"0", "1"}]
    if not binary:
        return []
    label_is_binary = bool(columns.label) and set(table.values[columns.label]) <= {*ONE, *ZERO}
    together = ",".join([*([columns.label] if label_is_binary else []), *columns.labels, *binary])
    several = len(binary) > 1
    return [f"{table.source}: column{'s' * several} {', '.join(binary)} hold{'' if several else 's'} only 0 and 1 "
            f"but {'are' if several else 'is'} not used. To predict several yes/no labels together (multi-label), "
            f"set label_cols {together}"]


def label_text(y: np.ndarray, classes) -> list[str]:
    """Each row's labels as one ';'-separated string, `none` for an empty set: how a list column writes them."""
    names = np.asarray(classes, dtype=object)
    return [SEPARATOR.join(names[row]) or EMPTY_SET for row in np.asarray(y) > 0.5]


def columns_text(columns: dict[str, list[str]]) -> list[str]:
    """label_text of 0/1 label columns (already checked by from_columns)."""
    cells = np.array(list(columns.values()), dtype=object).T
    return label_text(np.isin(cells, ONE), tuple(columns))


# --- splits --------------------------------------------------------------------------------------

def label_set_strata(y: np.ndarray) -> np.ndarray:
    """(N,) int stratum of each protein: its label set, with sets fewer than MIN_SET proteins share pooled
    into one stratum (else each rare combination would go whole to train)."""
    _, inverse, counts = np.unique(y > 0.5, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.ravel()
    pooled = np.where(counts[inverse] < MIN_SET, -1, inverse)
    return np.unique(pooled, return_inverse=True)[1].ravel().astype(np.int64)


def stratification_note(y: np.ndarray) -> str:
    counts = np.unique(y > 0.5, axis=0, return_counts=True)[1]
    rare = counts < MIN_SET
    return (f"multi-label: the random split is stratified by label set (the combination of labels each protein "
            f"carries), not label by label; {int(counts[rare].sum()):,} proteins in {int(rare.sum()):,} sets "
            f"shared by fewer than {MIN_SET} proteins were pooled into one stratum")


def balance_note(y: np.ndarray, classes, assignment: np.ndarray) -> str:
    """How far each split's share of proteins carrying each label drifts from the whole data's."""
    overall = y.mean(axis=0)
    gaps = np.max([np.abs(y[assignment == i].mean(axis=0) - overall) for i in range(3) if (assignment == i).any()],
                  axis=0)
    worst = int(gaps.argmax())
    return (f"label balance: the largest gap between a split's share of proteins carrying a label and the whole "
            f"data's is {gaps[worst]:.1%} points ('{classes[worst]}')")


def check_training_labels(y: np.ndarray, classes, assignment: np.ndarray) -> tuple[str, ...]:
    """Refuse a split that leaves a label out of training; note labels a validation or test split lacks."""
    counts = np.stack([y[assignment == i].sum(axis=0) for i in range(3)])  # (3 splits, L)
    absent = np.flatnonzero(counts[0] == 0)
    if absent.size:
        raise ProtScopeError(f"no training protein carries the label {_quoted([classes[j] for j in absent])} (it "
                             f"is on {int(counts[1:, absent].sum()):,} validation or test proteins only), so the "
                             "model could never learn it", fix="choose another split or split_seed, or remove that "
                                                                "label")
    notes = []
    for i, split in ((1, "validation"), (2, "test")):
        lacking = [classes[j] for j in np.flatnonzero(counts[i] == 0)]
        if lacking and (assignment == i).any():
            notes.append(f"no {split} protein carries {_quoted(lacking)}: {'its' if len(lacking) == 1 else 'their'} "
                         f"{split} F1, ROC AUC and average precision are undefined (shown as 'undefined')")
    return tuple(notes)


def _quoted(names) -> str:
    return list_some([f"'{name}'" for name in names])
