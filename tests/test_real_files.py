"""Files written by other projects (tests/data/real; where each came from is in its SOURCES file),
through the three ways in: the API, the command line and the dashboard's upload path.

TRUTH.toml says what each file holds, worked out with Biopython, zcat and pandas, never with
ProtScope. EXPECTED.toml says, where ProtScope deliberately does otherwise, what it does and why.
A file either loads with the right rows, first id and first residues, or is refused with a
message that names the real problem: its format, its nucleotides, its missing protein column.
"""
from __future__ import annotations

import bz2
import gzip
import io
import json
import re
import subprocess
import sys
import tomllib
from contextlib import redirect_stderr, redirect_stdout
from functools import cache
from pathlib import Path

import pytest
from Bio import SeqIO, bgzf

from dashboard.logic.workspace import Workspace, new_upload
from dashboard.state import current_data
from dashboard.uploads import file_columns
from protscope.cli import main as cli
from protscope.config.sections import DataConfig
from protscope.data.builtin import combined, load_bytes
from protscope.data.fasta import accession_of
from protscope.data.readers import read_bytes
from protscope.errors import ProtScopeError
from protscope.train.predict import read_sequences

ROOT = Path(__file__).parent / "data" / "real"
TRUTH = tomllib.loads((ROOT / "TRUTH.toml").read_text())
EXPECTED = tomllib.loads((ROOT / "EXPECTED.toml").read_text())
FILES = sorted(TRUTH)
# What a refusal must say, by what TRUTH.toml says the file is.
REFUSAL = {"dna": r"nucleotide|DNA|RNA", "rna": r"nucleotide|DNA|RNA", "fastq": r"FASTQ",
           "sam": r"SAM file", "binary": r"BAM file|not a text file", "blast-tab": r"tabular output",
           "blast-xml": r"BLAST XML", "fasta-m10": r"FASTA search output", "hmmer": r"HMMER", "gff": r"GFF",
           "newick": r"Newick", "json": r"JSON", "html": r"web page", "table": r"no column looks like protein"}
# Labels for two corpus FASTA files, keyed by their ids as written (made for these tests).
LABEL_FILES = {"biopython/GenBank/NC_000932.faa": "made/NC_000932_labels.csv",
               "biopython/GenBank/NC_000932.gb.bgz": "made/NC_000932_labels.csv",
               "af_unmasked/H1137.fasta": "made/H1137_labels.csv"}


def _expected(name: str) -> tuple[int, list[str]]:
    """(rows that load, phrases the error or a warning must hold)."""
    truth, overlay = TRUTH[name], EXPECTED.get(name, {})
    rows = overlay.get("rows", truth.get("protein_rows", truth.get("rows")))
    message = overlay.get("message", [])
    phrases = [message] if isinstance(message, str) else list(message)
    if rows == 0 and not phrases:
        kind = "table" if "columns" in truth else truth["format"]
        phrases = [REFUSAL.get(kind) or REFUSAL[truth["molecule"]]]
    return rows, phrases


def _says(text: str, phrases: list[str]) -> None:
    for phrase in phrases:
        assert re.search(phrase, text, flags=re.IGNORECASE), f"expected {phrase!r} in: {text}"


def _loaded_as_truth(name: str, data) -> None:
    truth = TRUTH[name]
    if truth.get("first_id") and EXPECTED.get(name, {}).get("rows", 1):
        if any("CDS features' /translation" in w for w in data.warnings):
            # a nucleotide record's proteins are named by their CDS's /protein_id, not the record's id
            assert f'/protein_id="{data.ids[0]}"' in _text(name)
        else:
            assert data.ids[0] == truth["first_id"], (data.ids[0], truth["first_id"])
        assert data.sequences[0].startswith(truth["first_sequence_start"].upper())


def _text(name: str) -> str:
    raw = (ROOT / name).read_bytes()
    return (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("latin-1")


def test_the_corpus_is_large_and_every_file_has_a_source_and_a_truth():
    sources = {line.split("\t")[0] for line in (ROOT / "SOURCES").read_text().splitlines()
               if line and not line.startswith("#")}
    on_disk = {str(p.relative_to(ROOT)) for p in ROOT.rglob("*")
               if p.is_file() and p.name not in ("SOURCES", "TRUTH.toml", "EXPECTED.toml", "gather.py", "README.md")}
    assert len(on_disk) >= 100
    assert on_disk == set(TRUTH) == sources, on_disk ^ set(TRUTH)
    assert set(EXPECTED) <= set(TRUTH)
    assert all("reason" in entry for entry in EXPECTED.values() if "rows" in entry)


@pytest.mark.parametrize("name", FILES)
def test_api(name):
    rows, phrases = _expected(name)
    content = (ROOT / name).read_bytes()
    if rows == 0:
        with pytest.raises(ProtScopeError) as err:
            load_bytes(content, Path(name).name, DataConfig(), require_labels=False)
        _says(str(err.value), phrases)
        assert "Fix:" in str(err.value)
        return
    data = load_bytes(content, Path(name).name, DataConfig(), require_labels=False)
    assert len(data) == rows
    _loaded_as_truth(name, data)
    _says("\n".join(data.warnings), phrases)


def _inspect(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["inspect", *argv, "--json"])
    return code, out.getvalue(), err.getvalue()


@cache
def _needs_labels(name: str) -> bool:
    """A file that loads without labels: training (and so `inspect` and the dashboard) need them."""
    try:
        data = load_bytes((ROOT / name).read_bytes(), Path(name).name, DataConfig(), require_labels=False)
    except ProtScopeError:
        return False
    return not data.task


@pytest.mark.parametrize("name", FILES)
def test_command_line(name):
    rows, phrases = _expected(name)
    code, out, err = _inspect([str(ROOT / name)])
    if rows == 0:
        assert code == 2 and err.startswith("error: "), (code, err)
        _says(err, phrases)
    elif _needs_labels(name):
        assert code == 2
        _says(err, [r"label"])
    elif rows < 20:
        assert code == 2
        _says(err, [r"at least 20"])
    else:
        assert code == 0, err
        assert json.loads(out)["rows"] == rows


def _upload(tmp_path, name: str, labels: str = "") -> tuple[object, str]:
    """The Data page's path: keep the upload, detect its columns, then load it as the pages do."""
    ws = Workspace("a" * 32)
    stored = new_upload(Path(name).name, (ROOT / name).read_bytes(), tmp_path)
    try:
        columns = file_columns(stored.stored, stored.name)[0]
    except ProtScopeError:
        columns = []
    ws.choose_upload(stored, columns)
    if labels:
        ws.set_labels(new_upload(Path(labels).name, (ROOT / labels).read_bytes(), tmp_path))
    return current_data(ws)


@pytest.mark.parametrize("name", FILES)
def test_dashboard_upload(name, tmp_path):
    rows, phrases = _expected(name)
    data, message = _upload(tmp_path, name)
    if rows == 0:
        assert data is None
        _says(message, phrases)
    elif _needs_labels(name):
        assert data is None
        _says(message, [r"label"])
    elif rows < 20:
        assert data is None
        _says(message, [r"at least 20"])
    else:
        assert message == "" and len(data) == rows
        _loaded_as_truth(name, data)


# --- label files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(LABEL_FILES))
def test_a_label_file_joins_on_the_ids_as_written(name):
    fasta = read_bytes((ROOT / name).read_bytes(), Path(name).name)
    labels = read_bytes((ROOT / LABEL_FILES[name]).read_bytes(), "labels.csv")
    table = combined(fasta, labels)
    key = lambda i: accession_of(i) or i  # noqa: E731 ('gi|7525080|ref|NP_051037.1|' and NP_051037.1 are one)
    expected = {key(i): label for i, label in zip(labels.values["id"], labels.values["label"])}
    assert table.values["id"] == fasta.values["id"]  # kept whole: 'H1137,subunit1|_0', 'gi|...|ref|NP_...|'
    assert table.values["label"] == [expected[key(i)] for i in fasta.values["id"]]


def test_label_file_through_all_three_paths(tmp_path):
    name, labels = "biopython/GenBank/NC_000932.faa", "made/NC_000932_labels.csv"
    data = load_bytes((ROOT / name).read_bytes(), "NC_000932.faa", DataConfig(),
                      label_data=(ROOT / labels).read_bytes())
    code, out, err = _inspect([str(ROOT / name), "--label-path", str(ROOT / labels)])
    shown, message = _upload(tmp_path, name, labels)
    assert code == 0, err
    assert len(data) == json.loads(out)["rows"] == len(shown) == 85 and message == ""
    assert data.task == shown.task == "binary"


def test_alphafold_copy_indices_are_not_labels_and_the_label_file_wins():
    fasta = read_bytes((ROOT / "af_unmasked/H1137.fasta").read_bytes(), "H1137.fasta")
    assert not fasta.with_header_labels().header_labels  # '|_0', '|_1' are copy indices
    code, _, err = _inspect([str(ROOT / "af_unmasked/H1137.fasta"),
                             "--label-path", str(ROOT / "made/H1137_labels.csv")])
    assert code == 2 and "only 10 usable rows" in err  # joined, then too few to train: said so


# --- compression against zcat and Biopython -----------------------------------------------------

GZIPPED = [n for n in FILES if TRUTH[n]["compression"] in ("gzip", "gzip-multi", "bgzf") and TRUTH[n]["protein_rows"]]


@pytest.mark.parametrize("name", GZIPPED)
def test_every_gzip_member_and_bgzf_block_is_read(name):
    raw = (ROOT / name).read_bytes()
    zcat = subprocess.run(["zcat"], input=raw, capture_output=True, check=True).stdout
    table = read_bytes(raw, Path(name).name)
    if zcat.lstrip().startswith(b">"):
        assert len(table) == len(re.findall(rb"^>", zcat, flags=re.MULTILINE))
        assert table.values["sequence"][-1] == "".join(zcat.rsplit(b">", 1)[1].decode().split("\n")[1:]).replace(
            "\r", "").upper()
    if TRUTH[name]["compression"] == "bgzf":
        with bgzf.BgzfReader(fileobj=io.BytesIO(raw)) as handle:
            text = handle.read(100_000_000)
        assert text.encode() == zcat
        if text.startswith(">"):
            records = list(SeqIO.parse(io.StringIO(text), "fasta"))
            assert len(table) == len(records)
            assert table.values["sequence"][-1] == str(records[-1].seq).upper()  # not cut at a block edge


def test_bz2_and_xz_and_zip_read_whole():
    plain = read_bytes((ROOT / "biopython/GenBank/NC_005816.faa").read_bytes(), "NC_005816.faa")
    for packed in ("made/NC_005816.faa.bz2", "made/NC_005816.faa.xz", "made/NC_005816.faa.zip"):
        table = read_bytes((ROOT / packed).read_bytes(), Path(packed).name)
        assert table.values["sequence"] == plain.values["sequence"], packed
    assert bz2.decompress((ROOT / "made/NC_005816.faa.bz2").read_bytes()).count(b">") == len(plain)


def test_decompressed_size_limit_gives_a_message():
    raw = (ROOT / "made/two_members.fasta.gz").read_bytes()
    with pytest.raises(ProtScopeError, match=r"unpacks to more than"):
        read_bytes(raw, "two_members.fasta.gz", max_bytes=len(raw) + 10)


# --- a few through a separate process, as a user types them ---------------------------------------

@pytest.mark.parametrize("name, code", [("biopython/GenBank/NC_000932.gb", 2), ("csvkit/iris.csv", 2),
                                        ("made/two_members.fasta.gz", 2)])
def test_command_line_subprocess(name, code):
    done = subprocess.run([sys.executable, "-m", "protscope", "inspect", str(ROOT / name)], capture_output=True,
                          text=True, timeout=120, cwd=Path(__file__).parents[1])
    assert done.returncode == code and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ")


@pytest.mark.parametrize("name", ["biopython/GenBank/NC_005816.gb", "biopython/SwissProt/multi_ex.xml",
                                  "biopython/Clustalw/protein.aln", "made/two_members.fasta.gz"])
def test_the_predict_page_reads_the_same_proteins(name):
    ids, sequences = read_sequences((ROOT / name).read_bytes(), Path(name).name)
    data = load_bytes((ROOT / name).read_bytes(), Path(name).name, DataConfig(), require_labels=False)
    assert len(ids) == len(sequences) == TRUTH[name]["protein_rows"]
    assert ids[0] == data.ids[0] and sequences[0].upper().startswith(data.sequences[0][:50])
