"""Random stratified, file and homology-free split behaviour (homology: test_homology.py)."""
import numpy as np
import pytest

from protscope.config.sections import DataConfig
from protscope.data.builtin import config_for, load_bytes, load_data
from protscope.data.split_groups import distinct_sequences
from protscope.data.splits import cut_points, make_split, split_table
from protscope.errors import ProtScopeError
from tests.conftest import csv_bytes, random_sequences


def dataset(n=200, classes=2, dup_every=0, seed=0, labels=None):
    seqs = random_sequences(n, seed=seed)
    if dup_every:
        seqs = [seqs[i - i % dup_every] for i in range(n)]  # runs of identical sequences
    labels = labels or [i % classes for i in range(n)]
    return load_bytes(csv_bytes(["id", "sequence", "label"],
                                [[f"p{i}", s, y] for i, (s, y) in enumerate(zip(seqs, labels))]),
                      "s.csv", DataConfig())


def test_random_split_is_deterministic_and_seeded():
    data = dataset()
    a = make_split(data, DataConfig(split_seed=1)).assignment
    b = make_split(data, DataConfig(split_seed=1)).assignment
    c = make_split(data, DataConfig(split_seed=2)).assignment
    np.testing.assert_array_equal(a, b)
    assert (a != c).any()


@pytest.mark.parametrize("val, test", [(0.1, 0.1), (0.2, 0.15), (0.05, 0.3)])
def test_fractions_and_stratification(val, test):
    data = dataset(n=400, classes=4)
    split = make_split(data, DataConfig(split="random", val_fraction=val, test_fraction=test))
    counts = split.counts()
    assert abs(counts["val"] - val * 400) <= 4 and abs(counts["test"] - test * 400) <= 4
    for row in split_table(data, split):
        shares = [row[c] / row["proteins"] for c in data.classes]
        assert max(shares) - min(shares) <= 0.1  # each split keeps the 25% per class balance


def test_identical_sequences_never_cross_splits():
    data = dataset(n=300, dup_every=3, labels=[(i // 3) % 2 for i in range(300)])
    assignment = make_split(data, DataConfig(split="random")).assignment
    for seq in set(data.sequences):
        rows = [i for i, s in enumerate(data.sequences) if s == seq]
        assert len(set(assignment[rows])) == 1


def test_regression_split_spreads_values():
    seqs = random_sequences(300, seed=5)
    values = np.linspace(0, 10, 300)
    data = load_bytes(csv_bytes(["sequence", "value"], list(zip(seqs, values))), "r.csv", DataConfig())
    split = make_split(data, DataConfig())
    means = [row["mean"] for row in split_table(data, split)]
    assert max(means) - min(means) < 1.0  # quintile strata keep the splits' means close


def test_rare_class_error_says_how_many_are_needed():
    labels = [0] * 100 + [1] * 100 + [2] * 6
    data = dataset(n=206, labels=labels)
    with pytest.raises(ProtScopeError, match=r"'2' \(6\).*each class needs at least 10") as info:
        make_split(data, DataConfig())
    assert "Fix:" in str(info.value)
    make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))  # 1/0.2 = 5 <= 6: fine


def test_file_split_holds_out_validation_from_train():
    cfg = config_for("esol")
    data = load_data(cfg)
    split = make_split(data, cfg)
    counts = split.counts()
    assert counts["test"] == 783  # the published test set is untouched
    assert counts["train"] + counts["val"] == 2364
    assert abs(counts["val"] - 236) <= 2
    assert any("held out as val" in n for n in split.notes)
    assert (split.assignment[data.file_split == 2] == 2).all()


def test_file_split_requested_without_a_split_column():
    with pytest.raises(ProtScopeError, match="no split column"):
        make_split(dataset(), DataConfig(split="file"))


def test_cut_points():
    filled = np.cumsum(np.ones(100, dtype=int))
    assert cut_points(filled, (0.1, 0.1)) == [10, 20]
    assert cut_points(np.array([1, 2, 3]), (0.1, 0.1)) == [1, 2]  # each part gets a group
    uneven = np.cumsum([1] * 20 + [30] + [1] * 49)  # 100 rows, one group of 30
    val_end, test_end = cut_points(uneven, (0.1, 0.1))
    assert uneven[val_end - 1] == 10 and uneven[test_end - 1] == 20


def test_distinct_sequences_number_groups_as_a_sorted_unique_does():
    """Same group ids as np.unique on a fixed-width string array (so seeded splits do not change), with
    prefixes of one another and repeats among them."""
    rng = np.random.default_rng(3)
    sequences = ["".join(rng.choice(list("ACDE"), rng.integers(1, 6))) for _ in range(2_000)]
    distinct, groups = distinct_sequences(sequences)
    expected_distinct, expected_groups = np.unique(np.asarray(sequences, dtype=object).astype(str),
                                                   return_inverse=True)
    assert list(distinct) == list(expected_distinct) and len(distinct) < len(sequences)
    assert np.array_equal(groups, expected_groups)
    assert all(distinct[g] == s for g, s in zip(groups, sequences))
