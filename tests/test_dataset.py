"""Validation and normalisation in build_dataset: each rule, with its message or warning."""
import numpy as np
import pytest

from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.errors import ProtScopeError
from tests.conftest import csv_bytes, random_sequences

SEQS = random_sequences(30, seed=11)


def load(rows, header=("id", "sequence", "label"), **cfg):
    return load_bytes(csv_bytes(list(header), rows), "t.csv", DataConfig(**cfg))


def rows_with(*changes, n=30):
    rows = [[f"p{i}", s, i % 2] for i, s in enumerate(SEQS[:n])]
    for i, col, value in changes:
        rows[i][col] = value
    return rows


def test_sequences_are_uppercased_and_whitespace_stripped():
    ds = load(rows_with((0, 1, "  mkt ayi akq  "), (1, 1, SEQS[1].lower())))
    assert ds.sequences[0] == "MKTAYIAKQ"
    assert ds.sequences[1] == SEQS[1]


def test_trailing_stop_codon_is_dropped():
    ds = load(rows_with((0, 1, SEQS[0] + "*")))
    assert ds.sequences[0] == SEQS[0] and ds.lengths[0] == len(SEQS[0])


def test_nonstandard_residues_map_to_x_with_a_warning():
    ds = load(rows_with((0, 1, "MKBZUOJX" + SEQS[0])))
    assert ds.sequences[0].startswith("MKBZUOJX")
    assert ds.tokens[0, 2:8].tolist() == [21] * 6
    assert any("non-standard residues (B 1, J 1, O 1, U 1, X 1, Z 1)" in w for w in ds.warnings)


def test_nonstandard_residues_can_be_rejected():
    with pytest.raises(ProtScopeError, match=r"line 3, row 2.*non-standard residue 'U' at position 4"):
        load(rows_with((1, 1, "MKTU" + SEQS[1])), unknown_residues="reject")


def test_invalid_character_names_row_and_position():
    with pytest.raises(ProtScopeError, match=r"row 6, column 'sequence', id 'p5'.*'3' at position 3"):
        load(rows_with((5, 1, "MK3" + SEQS[5])))


def test_dna_is_rejected():
    dna = random_sequences(30, seed=3)
    rows = [[f"p{i}", "".join("ACGT"[ord(c) % 4] for c in s), i % 2] for i, s in enumerate(dna)]
    with pytest.raises(ProtScopeError, match="DNA or RNA"):
        load(rows)


def test_empty_sequences_are_dropped_with_rows_named():
    ds = load(rows_with((2, 1, ""), (7, 1, "")))
    assert len(ds) == 28
    assert any("2 rows with an empty sequence were dropped (rows 3, 8)" in w for w in ds.warnings)


def test_exact_duplicates_dropped_and_conflicts_reported():
    rows = rows_with() + [["p0", SEQS[0], 0], ["other", SEQS[1], 0]]
    ds = load(rows)
    assert len(ds) == 31
    assert any("1 exact duplicate rows were dropped (rows 31)" in w for w in ds.warnings)
    assert any("conflicting labels: p1=1 / other=0" in w for w in ds.warnings)


@pytest.mark.parametrize("policy, n, message", [
    ("truncate", 30, "2 sequences truncated to 50 residues"),
    ("drop", 28, "2 sequences dropped for being longer than 50 residues"),
])
def test_long_sequences(policy, n, message):
    rows = rows_with((0, 1, "M" * 80), (1, 1, "A" * 60), n=30)
    rows = [r for r in rows if len(r[1]) <= 50 or r[0] in ("p0", "p1")]
    rows += [[f"s{i}", "MKTAYIAKQR" * 3, i % 2] for i in range(30 - len(rows))]
    ds = load(rows, max_length=50, long_sequences=policy)
    assert len(ds) == n and ds.tokens.shape[1] <= 50
    assert any(message in w for w in ds.warnings)
    if policy == "truncate":
        assert ds.sequences[0] == "M" * 50 and ds.lengths[0] == 50


def test_long_sequences_rejected():
    with pytest.raises(ProtScopeError, match="longer than 50 residues"):
        load(rows_with((0, 1, "M" * 80)), max_length=50, long_sequences="reject")


def test_too_few_rows():
    with pytest.raises(ProtScopeError, match="at least 20"):
        load(rows_with(n=12))


def test_residue_labels_and_mask_are_packed(residue_csv):
    ds = load_bytes(residue_csv, "ss.csv", DataConfig())
    assert ds.task == "residue" and ds.classes == ("H", "E", "C")
    assert ds.residue_y.shape == ds.tokens.shape and ds.residue_mask.dtype == bool
    assert not ds.residue_mask[~ds.mask].any()  # padding is never scored
    text = residue_csv.decode().splitlines()[1].split(",")
    n = len(text[1])
    assert "".join("HEC"[k] for k in ds.residue_y[0, :n]) == text[2]
    assert ds.residue_mask[0, :n].tolist() == [c == "1" for c in text[3]]


def test_residue_label_length_mismatch(residue_csv):
    lines = residue_csv.decode().splitlines()
    fields = lines[4].split(",")
    fields[2] = fields[2][:-3]
    lines[4] = ",".join(fields)
    with pytest.raises(ProtScopeError, match=r"line 5.*column 'ss3'.*per-residue values for a sequence"):
        load_bytes("\n".join(lines).encode(), "ss.csv", DataConfig())


def test_file_split_values_are_mapped_and_overlap_counted():
    rows = [[f"p{i}", s, i % 2, ["train", "Valid", "TEST"][i % 3]] for i, s in enumerate(SEQS)]
    rows.append(["dup", SEQS[2], 0, "train"])  # SEQS[2] is in test
    ds = load(rows, header=("id", "sequence", "label", "split"))
    assert np.bincount(ds.file_split).tolist() == [11, 10, 10]
    assert any("1 train/val sequences also occur in its test split" in w for w in ds.warnings)
    ds = load(rows, header=("id", "sequence", "label", "split"), drop_split_overlap=True)
    assert np.bincount(ds.file_split).tolist() == [10, 10, 10]


def test_unknown_split_value():
    rows = [[f"p{i}", s, i % 2, "train" if i != 4 else "later"] for i, s in enumerate(SEQS)]
    with pytest.raises(ProtScopeError, match="line 6.*split value 'later'"):
        load(rows, header=("id", "sequence", "label", "split"))


def test_arrays_are_read_only_and_subset_works(binary_csv):
    ds = load_bytes(binary_csv, "b.csv", DataConfig())
    with pytest.raises(ValueError):
        ds.tokens[0, 0] = 3
    part = ds.subset(np.array([3, 1]))
    assert list(part.ids) == ["p3", "p1"] and part.y.tolist() == [1, 1]
    assert part.tokens.shape[1] == max(part.lengths)
    assert part.sequences == (ds.sequences[3], ds.sequences[1])


def test_fingerprint_changes_with_data(binary_csv):
    a = load_bytes(binary_csv, "b.csv", DataConfig())
    b = load_bytes(binary_csv, "b.csv", DataConfig())
    c = load_bytes(binary_csv.replace(b",1\n", b",0\n", 1), "b.csv", DataConfig())
    assert a.fingerprint() == b.fingerprint() != c.fingerprint()


def test_unlabelled_data_can_be_loaded_for_prediction():
    data = csv_bytes(["sequence"], [[s] for s in SEQS[:3]])
    ds = load_bytes(data, "new.csv", DataConfig(), require_labels=False)
    assert len(ds) == 3 and not ds.has_labels


def test_composition_by_class_counts_each_class_separately():
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_bytes
    from protscope.data.summary import composition_by_class

    rows = ["sequence,label"] + [f"{'K' * 9 + 'A'},pos" for _ in range(12)] + [f"{'E' * 5},neg" for _ in range(12)]
    data = load_bytes("\n".join(rows).encode(), "x.csv", DataConfig())
    comp = composition_by_class(data)
    k, a, e = (ALPHABET_INDEX[c] for c in "KAE")
    assert comp["pos"][k] == pytest.approx(0.9) and comp["pos"][a] == pytest.approx(0.1)
    assert comp["neg"][e] == pytest.approx(1.0) and comp["neg"].sum() == pytest.approx(1.0)


ALPHABET_INDEX = {c: i for i, c in enumerate("ACDEFGHIKLMNPQRSTVWY")}


def test_fingerprint_is_hashed_once_per_dataset_and_afresh_for_a_subset(binary_csv, monkeypatch):
    import hashlib

    import protscope.data.dataset

    data = load_bytes(binary_csv, "b.csv", DataConfig())
    calls, sha256 = [], hashlib.sha256
    monkeypatch.setattr(protscope.data.dataset.hashlib, "sha256", lambda: calls.append(1) or sha256())
    first = data.fingerprint()
    assert data.fingerprint() == first and len(calls) == 1  # every dashboard rerun asks for it
    part = data.subset(np.arange(len(data) - 1))
    assert part.fingerprint() != first and len(calls) == 2


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_runs_no_garbage_collection_and_restores_the_collector(enabled):
    import gc

    rows = [[s * 3, str(i % 2)] for i, s in enumerate(SEQS * 60)]  # thousands of cells: collections are due
    collections = []
    callback = lambda phase, info: collections.append(phase) if phase == "start" else None  # noqa: E731
    (gc.enable if enabled else gc.disable)()
    gc.callbacks.append(callback)
    try:
        load_bytes(csv_bytes(["sequence", "label"], rows), "many.csv", DataConfig())
        assert collections == [] and gc.isenabled() is enabled
    finally:
        gc.callbacks.remove(callback)
        gc.enable()
