"""Every loader path gives the same dataset: CSV variants, TSV, gzip, FASTA headers, FASTA + labels."""
import gzip

import numpy as np
import pytest

from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes, load_data, read_columns
from protscope.data.readers import read_bytes
from protscope.errors import ProtScopeError
from tests.conftest import csv_bytes, random_sequences

SEQS = random_sequences(24, seed=7)
LABELS = [i % 2 for i in range(24)]


def _csv(sep=",", bom=False, crlf=False) -> bytes:
    text = csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, y] for i, (s, y) in
                                                    enumerate(zip(SEQS, LABELS))], sep).decode()
    if crlf:
        text = text.replace("\n", "\r\n")
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def _quoted() -> bytes:
    rows = [f'"p{i}","{s}","{y}","note, with ""quotes""\nand a newline"' for i, (s, y) in
            enumerate(zip(SEQS, LABELS))]
    return ("id,sequence,label,comment\n" + "\n".join(rows) + "\n").encode()


def _fasta(style: str) -> bytes:
    if style == "label=":
        return "".join(f">p{i} some protein label={y}\n{s[:60]}\n{s[60:]}\n"
                       for i, (s, y) in enumerate(zip(SEQS, LABELS))).encode()
    return "".join(f">p{i}|{y}\n{s}\n" for i, (s, y) in enumerate(zip(SEQS, LABELS))).encode()


LOADERS = {
    "csv": lambda: (_csv(), "data.csv"),
    "csv-bom-crlf": lambda: (_csv(bom=True, crlf=True), "data.csv"),
    "csv-quoted-multiline": lambda: (_quoted(), "data.csv"),
    "tsv": lambda: (_csv("\t"), "data.tsv"),
    "tsv-named-txt": lambda: (_csv("\t"), "data.txt"),
    "semicolon": lambda: (_csv(";"), "data.csv"),
    "csv-gzip": lambda: (gzip.compress(_csv()), "data.csv.gz"),
    "utf16": lambda: (_csv().decode().encode("utf-16"), "data.csv"),
    "fasta-label=": lambda: (_fasta("label="), "data.fasta"),
    "fasta-pipe": lambda: (_fasta("pipe"), "data.fa"),
    "fasta-gzip": lambda: (gzip.compress(_fasta("pipe")), "data.fasta.gz"),
}


@pytest.mark.parametrize("loader", LOADERS)
def test_every_loader_path_gives_the_same_data(loader):
    data, name = LOADERS[loader]()
    ds = load_bytes(data, name, DataConfig())
    assert ds.task == "binary"
    assert ds.classes == ("0", "1")
    assert list(ds.ids) == [f"p{i}" for i in range(24)]
    assert list(ds.sequences) == SEQS
    assert ds.y.tolist() == LABELS
    assert ds.tokens.dtype == np.uint8 and ds.tokens.shape == (24, max(map(len, SEQS)))
    assert ds.lengths.tolist() == [len(s) for s in SEQS]


def test_fasta_with_separate_label_csv():
    fasta = "".join(f">sp|P{i:05d}|NAME_{i} Some protein OS=Homo sapiens OX=9606\n{s}\n"
                    for i, s in enumerate(SEQS)).encode()
    labels = csv_bytes(["accession", "solubility"], [[f"P{i:05d}", 0.1 * i] for i in range(24)][::-1])
    ds = load_bytes(fasta, "x.fasta", DataConfig(), label_data=labels, label_filename="labels.csv")
    assert ds.task == "regression"
    np.testing.assert_allclose(ds.y, [0.1 * i for i in range(24)], rtol=1e-6)


def test_label_csv_missing_ids_are_listed():
    fasta = "".join(f">p{i}\n{s}\n" for i, s in enumerate(SEQS)).encode()
    labels = csv_bytes(["id", "label"], [[f"p{i}", i % 2] for i in range(20)])
    with pytest.raises(ProtScopeError, match=r"4 of 24 sequence records have no row in the label file.*p20, p21, p22"):
        load_bytes(fasta, "x.fasta", DataConfig(), label_data=labels)


def test_load_from_path(tmp_path):
    path = tmp_path / "mine.csv"
    path.write_bytes(_csv())
    ds = load_data(DataConfig(path=str(path)))
    assert ds.name == "mine.csv" and len(ds) == 24


def test_column_overrides_and_detection():
    data = csv_bytes(["name", "aa", "target", "other"],
                     [[f"p{i}", s, y, 0.5 + i] for i, (s, y) in enumerate(zip(SEQS, LABELS))])
    columns, detected = read_columns(data, "x.csv")
    assert columns == ["name", "aa", "target", "other"]
    assert (detected.id, detected.sequence, detected.label) == ("name", "aa", "target")
    ds = load_bytes(data, "x.csv", DataConfig(label_col="other", task="regression"))
    assert ds.task == "regression" and ds.y.tolist() == [0.5 + i for i in range(24)]


def test_headerless_csv_gets_named_columns_and_a_note():
    data = "\n".join(f"{s},{y}" for s, y in zip(SEQS, LABELS)).encode()
    table = read_bytes(data, "x.csv")
    assert table.columns == ["column_1", "column_2"]
    assert "looks like data" in table.notes[0]
    ds = load_bytes(data, "x.csv", DataConfig())
    assert len(ds) == 24 and any("looks like data" in w for w in ds.warnings)


def test_latin1_ids_load_with_a_warning():
    data = _csv().replace(b"p1,", "pé1,".encode("latin-1"), 1)
    ds = load_bytes(data, "x.csv", DataConfig())
    assert ds.ids[1] == "pé1"
    assert any("Latin-1" in w for w in ds.warnings)


def test_ragged_row_names_its_line():
    data = _csv().replace(f"p3,{SEQS[3]},1".encode(), f"p3,{SEQS[3]},1,extra".encode())
    with pytest.raises(ProtScopeError, match="line 5.*4 fields but the header has 3"):
        load_bytes(data, "x.csv", DataConfig())


def test_row_limit():
    with pytest.raises(ProtScopeError, match="limit is 10"):
        load_bytes(_csv(), "x.csv", DataConfig(max_rows=10))
