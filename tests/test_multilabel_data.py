"""Multi-label data: the three ways labels come in (0/1 columns, ';' lists, FASTA headers), what is
refused and what is said, the split, the summary, and the derived built-in dataset's script."""
from __future__ import annotations

import gzip
import importlib.util

import numpy as np
import pytest

from protscope.config.sections import DataConfig
from protscope.data.builtin import SAMPLE_DIR, config_for, get_spec, load_bytes
from protscope.data.multilabel import MAX_LABELS, MIN_SET, label_text
from protscope.data.splits import make_split, split_table
from protscope.data.summary import composition_by_class, format_summary, summarise
from protscope.errors import ProtScopeError
from tests.conftest import MULTILABELS, csv_bytes, multilabel_csv, multilabel_rows, random_sequences

COLUMNS = DataConfig(label_cols=",".join(MULTILABELS))


def lists_csv(rows: list[list], header: str = "labels") -> bytes:
    """The same proteins with their labels as one ';'-separated column ('none' for no label)."""
    text = label_text(np.array([r[2:] for r in rows]), MULTILABELS)
    return csv_bytes(["id", "sequence", header], [[r[0], r[1], t] for r, t in zip(rows, text)])


def load(content: bytes, cfg: DataConfig = DataConfig(), name: str = "m.csv"):
    return load_bytes(content, name, cfg)


# --- the three ways in -----------------------------------------------------------------------------

def test_zero_one_columns_give_a_multi_hot_matrix_in_their_order():
    rows = multilabel_rows()
    data = load(multilabel_csv(), COLUMNS)
    assert data.task == "multilabel" and data.classes == MULTILABELS
    assert data.y.dtype == np.float32 and data.y.shape == (90, 3)
    np.testing.assert_array_equal(data.y, np.array([r[2:] for r in rows], dtype=np.float32))
    note = next(w for w in data.warnings if w.startswith("multi-label: 3 labels read from the 0/1 columns"))
    empty = sum(1 for r in rows if not any(r[2:]))
    assert f"{empty:,} proteins carry none" in note and "lysine" in note
    assert data.columns.labels == MULTILABELS and data.columns.label == ""


def test_semicolon_lists_are_detected_and_said_so():
    rows = multilabel_rows()
    data = load(lists_csv(rows))
    assert data.task == "multilabel" and data.classes == tuple(sorted(MULTILABELS))
    order = [MULTILABELS.index(c) for c in data.classes]
    np.testing.assert_array_equal(data.y, np.array([r[2:] for r in rows], dtype=np.float32)[:, order])
    assert any("are ';'-separated lists" in w and "set task multiclass" in w for w in data.warnings)
    explicit = load(lists_csv(rows), DataConfig(task="multilabel"))
    assert not any("';'-separated lists (e.g." in w for w in explicit.warnings)  # asked for: nothing to explain
    np.testing.assert_array_equal(explicit.y, data.y)


def test_fasta_headers_carry_labels_lists():
    rows = multilabel_rows()
    text = label_text(np.array([r[2:] for r in rows]), MULTILABELS)
    fasta = "".join(f">{r[0]} labels={t}\n{r[1]}\n" for r, t in zip(rows, text)).encode()
    data = load(fasta, name="m.fasta")
    assert data.task == "multilabel" and set(data.classes) == set(MULTILABELS)
    assert data.y.sum() == sum(sum(r[2:]) for r in rows)
    assert any("labels were read from the FASTA headers" in w for w in data.warnings)


def test_a_label_file_with_zero_one_columns_joins_a_fasta():
    rows = multilabel_rows()
    fasta = "".join(f">{r[0]}\n{r[1]}\n" for r in rows).encode()
    labels = csv_bytes(["id", *MULTILABELS], [[r[0], *r[2:]] for r in rows])
    data = load_bytes(fasta, "m.fasta", COLUMNS, label_data=labels)
    np.testing.assert_array_equal(data.y, np.array([r[2:] for r in rows], dtype=np.float32))


def test_unused_zero_one_columns_are_named_not_guessed():
    data = load(multilabel_csv())
    assert data.task == "binary"  # the first 0/1 column, as before: ProtScope does not guess multi-label
    note = next(w for w in data.warnings if "hold only 0 and 1 but are not used" in w)
    assert "tryptophan, acidic" in note and "label_cols lysine,tryptophan,acidic" in note


# --- what is refused ---------------------------------------------------------------------------------

def test_a_label_column_that_is_not_zero_one_is_refused_with_its_cell():
    rows = multilabel_rows(40)
    rows[7][3] = 2
    with pytest.raises(ProtScopeError, match="row 8.*label column 'tryptophan' holds '2', not 0 or 1"):
        load(csv_bytes(["id", "sequence", *MULTILABELS], rows), COLUMNS)
    rows[7][3] = ""
    with pytest.raises(ProtScopeError, match="holds an empty cell.*not read as 0"):
        load(csv_bytes(["id", "sequence", *MULTILABELS], rows), COLUMNS)


def test_labels_no_model_can_learn_are_refused():
    rows = multilabel_rows(40)
    never = [[*r[:4], 0] for r in rows]
    with pytest.raises(ProtScopeError, match="no protein carries the label 'acidic'"):
        load(csv_bytes(["id", "sequence", *MULTILABELS], never), COLUMNS)
    always = [[*r[:4], 1] for r in rows]
    with pytest.raises(ProtScopeError, match="every protein carries the label 'acidic'"):
        load(csv_bytes(["id", "sequence", *MULTILABELS], always), COLUMNS)
    with pytest.raises(ProtScopeError, match="only one label.*binary"):
        load(multilabel_csv(40), DataConfig(label_cols="lysine"))


def test_too_many_labels_are_refused():
    n, k = 120, MAX_LABELS + 1
    names = [f"go{j}" for j in range(k)]
    rows = [[f"p{i}", s, *[int((i + j) % 3 == 0) for j in range(k)]] for i, s in enumerate(random_sequences(n))]
    with pytest.raises(ProtScopeError, match=f"give {k} labels, more than ProtScope trains on at once"):
        load(csv_bytes(["id", "sequence", *names], rows), DataConfig(label_cols=",".join(names)))


def test_semicolon_lists_refusals():
    rows = multilabel_rows(40)
    body = lists_csv(rows).decode().splitlines()
    missing = "\n".join(body[:5] + [body[5].rsplit(",", 1)[0] + ","] + body[6:]) + "\n"
    with pytest.raises(ProtScopeError, match="1 rows have no labels.*'none' for a protein that carries none"):
        load(missing.encode(), DataConfig(task="multilabel"))
    mixed = "\n".join(body[:5] + [body[5].rsplit(",", 1)[0] + ",none;lysine"] + body[6:]) + "\n"
    with pytest.raises(ProtScopeError, match="'none;lysine' lists 'none'"):
        load(mixed.encode())
    piped = lists_csv(rows).replace(b";", b"|")
    with pytest.raises(ProtScopeError, match="the separator ProtScope reads, but some hold '\\|'"):
        load(piped, DataConfig(task="multilabel"))
    zero_one = csv_bytes(["id", "sequence", "label"], [[r[0], r[1], r[2]] for r in rows])
    with pytest.raises(ProtScopeError, match="holds 0 and 1.*label_cols"):
        load(zero_one, DataConfig(task="multilabel"))


def test_settings_that_contradict_multi_label_columns_are_refused():
    with pytest.raises(ProtScopeError, match="label_cols names multi-label columns, but task is 'binary'"):
        DataConfig(label_cols="a,b", task="binary")
    with pytest.raises(ProtScopeError, match="both label_col .* and label_cols"):
        DataConfig(label_cols="a,b", label_col="c")
    with pytest.raises(ProtScopeError, match="no column 'membrane' \\(asked for as the label column\\)"):
        load(multilabel_csv(40), DataConfig(label_cols="lysine,membrane"))
    with pytest.raises(ProtScopeError, match="names 'lysine' twice"):
        load(multilabel_csv(40), DataConfig(label_cols="lysine,lysine"))


def test_only_exclusive_labels_and_labels_that_differ_in_capitals_get_a_note():
    rows = [[f"p{i}", s, "ab"[i % 2]] for i, s in enumerate(random_sequences(40))]
    data = load(csv_bytes(["id", "sequence", "labels"], rows), DataConfig(task="multilabel"))
    assert any("no protein carries more than one label" in w for w in data.warnings)
    rows = [[f"p{i}", s, ("Membrane;enzyme", "membrane", " enzyme ", "none")[i % 4]]
            for i, s in enumerate(random_sequences(40))]
    data = load(csv_bytes(["id", "sequence", "labels"], rows))
    assert data.classes == ("Membrane", "enzyme", "membrane")  # spaces dropped, capitals kept
    assert any("differ only in capitals" in w and "'Membrane', 'membrane'" in w for w in data.warnings)


# --- split and summary -------------------------------------------------------------------------------

def test_random_split_is_stratified_by_label_set_and_says_so():
    data = load(multilabel_csv(200, seed=2), COLUMNS)
    split = make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))
    assert split.notes[0].startswith("multi-label: the random split is stratified by label set")
    assert f"fewer than {MIN_SET} proteins were pooled" in split.notes[0]
    assert any(n.startswith("label balance:") for n in split.notes)
    table = split_table(data, split)
    assert [row["proteins"] for row in table] == [int((split.assignment == i).sum()) for i in range(3)]
    assert sum(row["lysine"] for row in table) == int(data.y[:, 0].sum())
    assert make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2)).assignment.tolist() == \
        split.assignment.tolist()  # deterministic for a seed


def test_a_label_missing_from_training_is_refused_and_one_missing_from_test_is_said():
    rows = multilabel_rows(60)
    for i, row in enumerate(rows):  # acidic only on test proteins; tryptophan on none of them
        row[4] = int(i % 10 == 0 and i >= 40)
        row[3] = 0 if i >= 40 else row[3]
    split_col = ["train"] * 30 + ["val"] * 10 + ["test"] * 20
    content = csv_bytes(["id", "sequence", *MULTILABELS, "split"], [r + [s] for r, s in zip(rows, split_col)])
    data = load(content, COLUMNS)
    with pytest.raises(ProtScopeError, match="no training protein carries the label 'acidic'"):
        make_split(data, DataConfig())
    rows = multilabel_rows(60)
    for row in rows[40:]:
        row[3] = 0
    data = load(csv_bytes(["id", "sequence", *MULTILABELS, "split"], [r + [s] for r, s in zip(rows, split_col)]),
                COLUMNS)
    notes = make_split(data, DataConfig()).notes
    assert any("no test protein carries 'tryptophan'" in n and "undefined" in n for n in notes)


def test_summary_counts_proteins_per_label():
    data = load(multilabel_csv(), COLUMNS)
    summary = summarise(data)
    counts = data.y.sum(axis=0)
    assert [r["count"] for r in summary["classes"]] == counts.astype(int).tolist()
    assert [r["fraction"] for r in summary["classes"]] == [round(c / 90, 4) for c in counts]
    assert summary["label_sets"]["none"] == int((data.y.sum(axis=1) == 0).sum())
    assert summary["columns"]["labels"] == "lysine,tryptophan,acidic"
    text = format_summary(summary)
    assert "  labels    lysine:" in text and "carry no label" in text
    composition = composition_by_class(data)
    assert list(composition) == list(MULTILABELS)
    k = "ACDEFGHIKLMNPQRSTVWY".index("K")
    assert composition["lysine"][k] > composition["acidic"][k]  # the lysine proteins are lysine-rich
    assert all(abs(v.sum() - 1) < 1e-9 for v in composition.values())


# --- the derived built-in dataset ----------------------------------------------------------------------

def test_the_derived_dataset_is_what_its_script_makes():
    """The script rebuilds the file's content exactly (compared uncompressed: another zlib may pack it
    differently), and the manifest names the labels the script writes."""
    path = SAMPLE_DIR / "structure_content" / "make_structure_content.py"
    spec = importlib.util.spec_from_file_location("make_structure_content", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    import pandas as pd

    source = pd.read_csv(script.SOURCE, dtype=str, keep_default_na=False)
    made = script.per_protein(source).to_csv(index=False, lineterminator="\n").encode()
    assert made == gzip.decompress(script.OUTPUT.read_bytes())
    assert config_for("structure-content").label_cols == ",".join(script.LABELS)
    assert get_spec("structure-content").files[0].path == "structure_content/structure_content.csv.gz"
    assert script.OUTPUT.stat().st_size < 3_000_000
