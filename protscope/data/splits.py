"""Train / validation / test splits: stratified random, the file's own, or homology-aware.

Whatever the method, identical sequences are one group and never land in two splits when
ProtScope makes the split. Random splits are stratified by class (classification), by value
quintile (regression), by label set (multi-label, rare sets pooled) or not at all (per-residue).
Splits are deterministic for a seed.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from protscope.config.sections import DataConfig
from protscope.data.dataset import SPLITS, ProteinData
from protscope.data.homology import homology_split
from protscope.data.multilabel import check_training_labels, stratification_note
from protscope.data.split_groups import Split, balance_notes, check_class_sizes, sequence_groups, strata
from protscope.errors import ProtScopeError


def make_split(data: ProteinData, cfg: DataConfig) -> Split:
    split = _split(data, cfg)
    if data.task == "multilabel":  # a label no training protein carries is refused now, not after training
        split = replace(split, notes=split.notes + check_training_labels(data.y, data.classes, split.assignment))
    return split


def _split(data: ProteinData, cfg: DataConfig) -> Split:
    method = cfg.split
    if method == "auto":
        method = "file" if data.file_split is not None else "random"
    if method == "file":
        return file_split(data, cfg)
    if method == "homology":
        return homology_split(data, cfg)
    fractions = (1 - cfg.val_fraction - cfg.test_fraction, cfg.val_fraction, cfg.test_fraction)
    assignment = random_split(data, np.arange(len(data)), fractions, cfg.split_seed)
    notes = balance_notes(data, assignment)
    if data.task == "multilabel":
        notes = (stratification_note(data.y), *notes)
    return Split(assignment.astype(np.int8), "random", notes)


def random_split(data: ProteinData, rows: np.ndarray, fractions, seed: int) -> np.ndarray:
    """Assign `rows` to parts 0..k-1 in proportion to `fractions`, stratified, by sequence group.

    Returns (N,) int8 with -1 for rows not in `rows`. Part 0 (train) takes what is left over.
    """
    check_class_sizes(data, rows, fractions)
    rng = np.random.default_rng(seed)
    unique_groups, groups = np.unique(sequence_groups(data)[rows], return_inverse=True)
    sizes = np.bincount(groups)
    first = np.unique(groups, return_index=True)[1]
    group_layer = strata(data)[rows][first]  # a group's stratum is that of its first row
    group_part = np.zeros(unique_groups.size, dtype=np.int8)
    for value in np.unique(group_layer):
        members = rng.permutation(np.flatnonzero(group_layer == value))
        bounds = cut_points(np.cumsum(sizes[members]), fractions[1:])
        for part, (a, b) in enumerate(zip([0, *bounds[:-1]], bounds), start=1):
            group_part[members[a:b]] = part
    out = np.full(len(data), -1, dtype=np.int8)
    out[rows] = group_part[groups]
    return out


def cut_points(filled: np.ndarray, fractions) -> list[int]:
    """Group counts at which each non-train part ends, taking groups in order.

    `filled[i]` is the number of rows in the first i+1 groups. Each part gets the number of groups
    whose rows come closest to its share, and at least one group when there are enough to go round.
    """
    n = filled.size
    bounds, prev, target = [], 0, 0.0
    for k, fraction in enumerate(fractions):
        target += fraction * filled[-1]
        b = int(np.searchsorted(filled, target, side="left"))  # filled[b] >= target
        if b < n and (b == 0 or filled[b] - target <= target - filled[b - 1]):
            b += 1
        if n > len(fractions):
            b = max(b, prev + 1)
        b = min(b, n - (len(fractions) - k))
        bounds.append(max(b, prev))
        prev = bounds[-1]
    return bounds


def file_split(data: ProteinData, cfg: DataConfig) -> Split:
    if data.file_split is None:
        raise ProtScopeError("this data has no split column", fix="choose a random or homology split, "
                             "or add a split column with train, val and test")
    assignment = data.file_split.astype(np.int8).copy()
    counts = np.bincount(assignment, minlength=3)
    notes = [f"the file's own split: {counts[0]:,} train, {counts[1]:,} val, {counts[2]:,} test"]
    if counts[0] == 0:
        raise ProtScopeError("the file's split has no training rows", fix="mark some rows 'train'")
    if counts[1] == 0 or counts[2] == 0:
        missing = [SPLITS[i] for i in (1, 2) if counts[i] == 0]
        fractions = [1.0] + [cfg.val_fraction if i == 1 else cfg.test_fraction for i in (1, 2)
                             if counts[i] == 0]
        fractions[0] -= sum(fractions[1:])
        train = np.flatnonzero(assignment == 0)
        carved = random_split(data, train, tuple(fractions), cfg.split_seed)[train]
        for k, name in enumerate(missing, start=1):
            assignment[train[carved == k]] = SPLITS.index(name)
        notes.append(f"the file has no {' or '.join(missing)} rows, so "
                     f"{' and '.join(f'{f:.0%}' for f in fractions[1:])} of its training rows were held "
                     f"out as {' and '.join(missing)} (stratified, seed {cfg.split_seed})")
    return Split(assignment, "file", tuple(notes) + balance_notes(data, assignment))


def split_table(data: ProteinData, split: Split) -> list[dict]:
    """One row per split: its size and its class balance (or value summary) for display."""
    rows = []
    for i, name in enumerate(SPLITS):
        index = np.flatnonzero(split.assignment == i)
        row = {"split": name, "proteins": int(index.size)}
        if not index.size:
            pass  # an empty part (a tiny or one-split file) has no balance to show
        elif data.task == "regression":
            row.update(mean=float(data.y[index].mean()), std=float(data.y[index].std()))
        elif data.task == "residue":
            scored = data.residue_mask[index]
            counts = np.bincount(data.residue_y[index][scored], minlength=len(data.classes))
            row["residues"] = int(scored.sum())
            row.update({c: int(n) for c, n in zip(data.classes, counts)})
        elif data.task == "multilabel":  # proteins carrying each label: a protein counts under each of its labels
            row.update({c: int(n) for c, n in zip(data.classes, data.y[index].sum(axis=0))})
        elif data.y is not None:
            counts = np.bincount(data.y[index], minlength=len(data.classes))
            row.update({c: int(n) for c, n in zip(data.classes, counts)})
        rows.append(row)
    return rows


