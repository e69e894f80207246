"""Which rows of a file are kept: exact duplicates dropped, identical sequences with different labels reported,
long sequences cut or dropped (max_length), the file's own split read, and train/val rows that repeat a test
sequence counted (or dropped). Each step returns a mask over the rows and adds its note to `warnings`.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from protscope.config.sections import DataConfig
from protscope.data.columns import SPLIT_VALUES, Records
from protscope.data.multilabel import columns_text
from protscope.errors import ProtScopeError, list_some


def dedupe(seqs, records: Records, keep, warnings) -> np.ndarray:
    """Drop rows identical in every column ProtScope reads (id, sequence, labels, mask, split)."""
    columns = [records.ids, seqs, records.labels, records.residue_labels, records.masks, records.splits,
               *(records.label_columns or {}).values()]
    frame = pd.DataFrame({i: c for i, c in enumerate(columns) if c is not None})
    drop = frame.duplicated().to_numpy() & keep
    if drop.any():
        warnings.append(f"{drop.sum():,} exact duplicate rows were dropped (rows "
                        f"{list_some(records.rows[drop].tolist())})")
    return ~drop


def report_conflicts(seqs, records: Records, index, warnings) -> None:
    """Warn about identical sequences that carry different labels (kept: real data has them)."""
    per_residue = records.labels is None and records.label_columns is None
    labels = (columns_text(records.label_columns) if records.label_columns is not None
              else records.labels or records.residue_labels)
    if labels is None:
        return
    frame = pd.DataFrame({"seq": seqs, "label": labels}).iloc[index]
    repeated = frame[frame["seq"].duplicated(keep=False)]
    if repeated.empty:
        return
    groups = repeated.groupby("seq", sort=False)
    conflicted = groups["label"].nunique()
    conflicts = [groups.indices[seq] for seq in conflicted[conflicted > 1].index]
    conflicts = [repeated.index[rows] for rows in conflicts]
    if per_residue:
        shown = [" / ".join(records.ids[i] for i in rows) for rows in conflicts]
        what = "different per-residue labels"
    else:
        shown = [" / ".join(f"{records.ids[i]}={labels[i]}" for i in rows) for rows in conflicts]
        what = "conflicting labels"
    if conflicts:
        warnings.append(f"{len(conflicts):,} sequences appear more than once with {what}: "
                        f"{list_some(shown, 10)}. The same protein is labelled one way in one row and "
                        "another way in the other, so no model can get both right; they are kept as the file has them")


def limit_lengths(lengths, cfg: DataConfig, where, warnings, keep) -> np.ndarray:
    long = np.flatnonzero((lengths > cfg.max_length) & keep)
    if not long.size:
        return np.ones(len(lengths), dtype=bool)
    if cfg.long_sequences == "reject":
        raise ProtScopeError(f"{long.size:,} sequences are longer than {cfg.max_length:,} residues "
                             f"(this one has {lengths[long[0]]:,})", where=where(int(long[0]), "sequence"),
                             fix="raise max_length, or set long_sequences to truncate or drop")
    verb = "truncated to" if cfg.long_sequences == "truncate" else "dropped for being longer than"
    warnings.append(f"{long.size:,} sequences {verb} {cfg.max_length:,} residues "
                    f"(longest {lengths[long].max():,})")
    out = np.ones(len(lengths), dtype=bool)
    if cfg.long_sequences == "drop":
        out[long] = False
    return out


def file_split_codes(records: Records, mapping: dict[str, str], where) -> np.ndarray | None:
    if records.splits is None:
        return None
    codes = {"train": 0, "val": 1, "test": 2, "exclude": -1}
    names = {}
    for value in set(records.splits):
        target = mapping.get(value) or SPLIT_VALUES.get(value.lower())
        if target is None:
            i = records.splits.index(value)
            raise ProtScopeError(f"split value '{value}' is not train, val or test",
                                 where=where(i, records.columns.split or "split"),
                                 fix="use train, val (or valid) and test in the split column")
        names[value] = codes[target]
    return np.fromiter((names[v] for v in records.splits), dtype=np.int8, count=len(records.splits))


def split_overlap(seqs, file_split, keep, drop: bool, warnings) -> np.ndarray:
    test = {seqs[i] for i in np.flatnonzero(keep & (file_split == 2))}
    fit_rows = np.flatnonzero(keep & (file_split < 2))
    overlap = [i for i in fit_rows if seqs[i] in test]
    out = np.ones(len(seqs), dtype=bool)
    if overlap and drop:
        out[overlap] = False
        warnings.append(f"{len(overlap):,} train/val rows whose sequence is also in the test split were "
                        "dropped, so the test proteins are all new to the model")
    elif overlap:
        warnings.append(f"the file's own split is kept as published, but {len(overlap):,} train/val "
                        "sequences also occur in its test split: the model sees these test proteins while "
                        "training, so its test score may be a little too good (drop split overlap removes them)")
    return out
