"""Property-based tests of the upload path: whatever the bytes, ProtScope answers with data or a
ProtScopeError (never a crash), and well-formed data survives the trip to tokens unchanged.

Runs are reproducible (derandomize=True): the same examples every time, no example database.
"""
from __future__ import annotations

import gzip
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protscope import alphabet
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.data.dataset import MIN_ROWS
from protscope.data.readers import read_bytes
from protscope.errors import ProtScopeError

AA = "ACDEFGHIKLMNPQRSTVWY"
NOT_NUCLEOTIDE = "DEFHIKLMPQRSVWY"  # one of these keeps a random sequence from looking like DNA
NAMES = ["data.csv", "data.tsv", "data.fasta", "data.txt", "data.csv.gz", "data.fasta.gz"]
CSV_NAMES = ["data.csv"] * 3 + ["data.tsv", "data.txt", "data.csv.gz", "data.fasta"]
FASTA_NAMES = ["data.fasta"] * 3 + ["data.fa", "data.txt", "data.fasta.gz", "data.csv"]
ROW_COUNTS = [0, 1, 5, 20, 24, 30, 30, 40, 45]

FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
ROUND_TRIP = settings(FUZZ, max_examples=200)

def _config(task, binarize_at, **rest):
    # binarize_at only goes with task auto or binary (DataConfig refuses the rest).
    if binarize_at is not None and task not in ("auto", "binary"):
        binarize_at = None
    return DataConfig(task=task, binarize_at=binarize_at, **rest)


configs = st.builds(
    _config,
    task=st.sampled_from(["auto"] * 5 + ["binary", "multiclass", "regression", "residue"]),
    binarize_at=st.sampled_from([None] * 4 + [0.5]),
    unknown_residues=st.sampled_from(["map", "map", "reject"]),
    max_length=st.sampled_from([2000, 2000, 50, 5]),
    long_sequences=st.sampled_from(["truncate", "truncate", "drop", "reject"]),
)


def outcome(data: bytes, name: str, cfg: DataConfig = DataConfig(), label_data: bytes | None = None):
    """Read and load; only ProtScopeError may escape, and it must say how to fix the problem."""
    try:
        read_bytes(data, name)
    except ProtScopeError as exc:
        assert "Fix:" in str(exc), str(exc)
    try:
        loaded = load_bytes(data, name, cfg, label_data=label_data)
    except ProtScopeError as exc:
        assert "Fix:" in str(exc), str(exc)
        return None
    n = len(loaded)
    assert n >= MIN_ROWS
    assert loaded.tokens.dtype == np.uint8 and loaded.tokens.shape == (n, loaded.width)
    assert (loaded.lengths > 0).all() and int(loaded.lengths.max()) <= loaded.width <= cfg.max_length
    assert int(loaded.tokens.max()) < alphabet.VOCAB_SIZE
    assert (loaded.tokens[~loaded.mask] == 0).all() and (loaded.tokens[loaded.mask] > 0).all()
    assert loaded.y is not None or loaded.residue_y is not None
    if loaded.y is not None and loaded.task == "regression":
        assert np.isfinite(loaded.y).all(), "regression labels must be finite"
    return loaded


def _maybe_gzip(data: bytes, name: str, compress: bool) -> bytes:
    return gzip.compress(data, mtime=0) if compress and name.endswith(".gz") else data


# --- arbitrary bytes -----------------------------------------------------------------------------

PREFIXES = [b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x1f\x8b",
            b"PK\x03\x04", b">", b"id,sequence,label\n", b"\x89PNG\r\n\x1a\n"]


@FUZZ
@given(prefix=st.sampled_from(PREFIXES), body=st.binary(max_size=2000), name=st.sampled_from(NAMES),
       compress=st.booleans())
def test_arbitrary_bytes(prefix, body, name, compress):
    outcome(_maybe_gzip(prefix + body, name, compress), name)


@FUZZ
@given(text=st.text(alphabet=st.sampled_from(list(",;\t|\"'\n\r >=*-.#0123456789 ACDEFGHIKLMNPQRSTVWYacgtXBZ"
                                                  "\x00\x07\ufeffé∆")), max_size=600),
       name=st.sampled_from(NAMES), encoding=st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]),
       compress=st.booleans())
def test_arbitrary_text(text, name, encoding, compress):
    outcome(_maybe_gzip(text.encode(encoding, errors="replace"), name, compress), name)


# --- structured but mangled ----------------------------------------------------------------------

COLUMN_NAMES = ["id", "sequence", "label", "value", "split", "ss3", "eval_mask", "note", "", "Sequence",
                "label", "class", "y"]
LABELS = ["0", "1", "0", "1", "yes", "no", "2", "nan", "", "inf", "-inf", "1.5", "-3e2", "a", "NA", "1,5"]
SPLITS = ["train", "valid", "test", "val", "foo", "", "TEST", "exclude"]
ODD = "BZUOXJ*-.3# \t\"',;|é"
LAYOUTS = [("id", "sequence", "label"), ("sequence", "label"), ("id", "sequence", "ss3", "eval_mask"),
           ("id", "sequence", "ss3"), ("id", "sequence", "value", "split"), ("sequence",),
           ("id", "sequence", "label", "note"), ("id", "note", "value")]


def _protein(rng: random.Random, mangle: float, low: int = 1, high: int = 120) -> str:
    seq = [rng.choice(AA) for _ in range(rng.randint(low, high))]
    for i in range(len(seq)):
        if rng.random() < mangle:
            seq[i] = rng.choice(ODD + AA.lower())
    return "".join(seq)


def _cell(column: str, rng: random.Random, mangle: float, sequence: str) -> str:
    key = column.lower()
    if key == "sequence":
        return sequence
    if key in ("label", "value", "class", "y"):
        return rng.choice(LABELS[:4] if rng.random() > mangle * 5 else LABELS)
    if key == "split":
        return rng.choice(SPLITS[:3] if rng.random() > mangle * 5 else SPLITS)
    if key in ("ss3", "eval_mask"):
        letters = "HEC" if key == "ss3" else "01"
        n = len(sequence) + (rng.choice([-1, 1, 5]) if rng.random() < mangle * 5 else 0)
        out = "".join(rng.choice(letters) for _ in range(max(n, 0)))
        return out if rng.random() > mangle else out + rng.choice("2x ")
    if key == "id":
        return f"p{rng.randrange(10**6)}" if rng.random() > mangle else rng.choice(["", "=1+2", "p1", "é"])
    return rng.choice(["", "note", "a,b", 'say "hi"', "two\nlines", "1.0", "x" * 30])


def _quote(cell: str, delimiter: str, rng: random.Random, style: str) -> str:
    needs = any(c in cell for c in (delimiter, '"', "\n", "\r"))
    if style == "all" or (style == "minimal" and needs) or (style == "random" and rng.random() < 0.3):
        return '"' + cell.replace('"', '""') + '"'
    return cell  # style "none": left unquoted, so delimiters and quotes inside break the row


@st.composite
def csv_like(draw):
    columns = list(draw(st.sampled_from(LAYOUTS)))
    columns += draw(st.lists(st.sampled_from(COLUMN_NAMES), max_size=2))
    if draw(st.booleans()):
        columns = draw(st.permutations(columns))
    delimiter = draw(st.sampled_from([",", "\t", ";", "|"]))
    style = draw(st.sampled_from(["minimal", "all", "random", "none"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    n_rows = draw(st.sampled_from(ROW_COUNTS))
    mangle = draw(st.sampled_from([0.0, 0.0, 0.002, 0.02, 0.2]))
    header = draw(st.sampled_from(["normal", "normal", "none", "blank"]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    lines = [] if header == "none" else [
        delimiter.join(_quote(c if header == "normal" else "", delimiter, rng, style) for c in columns)]
    for _ in range(n_rows):
        sequence = _protein(rng, mangle, 1 if mangle else 12)
        if mangle and rng.random() < mangle:
            sequence = sequence.lower() if rng.random() < 0.5 else ""
        cells = [_cell(c, rng, mangle, sequence) for c in columns]
        if mangle and rng.random() < mangle * 2:
            cells = cells[: rng.randrange(len(cells) + 1)] + ["extra"] * rng.randint(0, 2)
        lines.append(delimiter.join(_quote(c, delimiter, rng, style) for c in cells))
        if mangle and rng.random() < mangle:
            lines.append(rng.choice(["", "   ", delimiter * len(columns), "#comment", '"']))
    return newline.join(lines) + draw(st.sampled_from(["", newline, newline * 3]))


@FUZZ
@given(text=csv_like(), name=st.sampled_from(CSV_NAMES), encoding=st.sampled_from(["utf-8", "utf-8", "utf-16",
                                                                               "utf-8-sig", "latin-1"]),
       compress=st.booleans(), cfg=configs)
def test_mangled_csv(text, name, encoding, compress, cfg):
    outcome(_maybe_gzip(text.encode(encoding, errors="replace"), name, compress), name, cfg)


@st.composite
def fasta_like(draw):
    n = draw(st.sampled_from(ROW_COUNTS))
    mangle = draw(st.sampled_from([0.0, 0.0, 0.002, 0.02, 0.2]))
    style = draw(st.sampled_from(["eq", "pipe", "none", "uniprot", "mixed"]))
    width = draw(st.sampled_from([60, 80, 10, 10_000]))
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    out = []
    if mangle and rng.random() < mangle * 10:
        out.append(rng.choice(["; comment", "text before", "", "CLUSTAL W"]))
    for i in range(n):
        pid = f"p{i}" if rng.random() > mangle else rng.choice(["", "p1", "a b", "|", "x|y|z", "é"])
        label = rng.choice(LABELS[:2] if rng.random() > mangle * 5 else LABELS)
        if style == "mixed":
            head = rng.choice([f"{pid} label={label}", f"{pid}|{label}", pid, f"{pid} OS=Homo split=train"])
        else:
            head = {"eq": f"{pid} label={label} OS=Homo sapiens", "pipe": f"{pid}|{label}", "none": pid,
                    "uniprot": f"sp|Q{i:05d}|N{i}_HUMAN Protein OS=Homo sapiens"}[style]
        out.append(">" + head)
        seq = _protein(rng, mangle, 0 if mangle else 12, 300)
        out += [seq[j:j + width] for j in range(0, len(seq), width)]
        if mangle and rng.random() < mangle:
            out.append(rng.choice(["", "   ", ">", "*", "12 34"]))
    labels = None
    if style in ("none", "uniprot") and draw(st.booleans()):
        keys = [f"p{i}" if style == "none" else f"Q{i:05d}" for i in range(n)]
        keys = [k for k in keys if rng.random() > mangle]
        labels = ("id,label\n" + "".join(f"{k},{rng.choice(LABELS[:2])}\n" for k in keys)).encode()
    return "\n".join(out) + "\n", labels


@FUZZ
@given(doc=fasta_like(), name=st.sampled_from(FASTA_NAMES), compress=st.booleans(), cfg=configs)
def test_mangled_fasta(doc, name, compress, cfg):
    text, labels = doc
    outcome(_maybe_gzip(text.encode(), name, compress), name, cfg, label_data=labels)


# --- round trip ------------------------------------------------------------------------------------

sequences = st.tuples(
    st.text(alphabet=AA + AA.lower(), max_size=150),
    st.sampled_from(NOT_NUCLEOTIDE + NOT_NUCLEOTIDE.lower()),
    st.text(alphabet=AA + AA.lower(), max_size=150),
).map("".join)


@st.composite
def labelled_rows(draw):
    seqs = draw(st.lists(sequences, min_size=MIN_ROWS, max_size=60))
    labels = draw(st.lists(st.sampled_from("01"), min_size=len(seqs), max_size=len(seqs)))
    labels[:2] = ["0", "1"]  # both classes
    order = draw(st.permutations(range(len(seqs))))
    return [seqs[i] for i in order], [labels[i] for i in order]


@ROUND_TRIP
@given(rows=labelled_rows(), fmt=st.sampled_from(["csv", "tsv", "csv.gz", "fasta", "fasta.gz"]),
       crlf=st.booleans(), width=st.sampled_from([60, 7, 100_000]))
def test_round_trip(rows, fmt, crlf, width):
    seqs, labels = rows
    ids = [f"prot_{i}" for i in range(len(seqs))]
    if fmt.startswith("fasta"):
        parts = []
        for pid, seq, lab in zip(ids, seqs, labels):
            parts.append(f">{pid} label={lab}")
            parts += [seq[j:j + width] for j in range(0, len(seq), width)]
        text = "\n".join(parts) + "\n"
    else:
        sep = "\t" if fmt == "tsv" else ","
        text = f"id{sep}sequence{sep}label\n" + "".join(
            f"{pid}{sep}{seq}{sep}{lab}\n" for pid, seq, lab in zip(ids, seqs, labels))
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode()
    if fmt.endswith(".gz"):
        data = gzip.compress(data, mtime=0)
    loaded = load_bytes(data, f"round_trip.{fmt}", DataConfig())
    assert len(loaded) == len(seqs)
    assert loaded.task == "binary" and loaded.classes == ("0", "1")
    assert list(loaded.ids) == ids
    assert loaded.y.tolist() == [int(v) for v in labels]
    assert (loaded.lengths == [len(s) for s in seqs]).all()
    for i, seq in enumerate(seqs):
        assert alphabet.decode(loaded.tokens[i], int(loaded.lengths[i])) == seq.upper()
        assert loaded.sequences[i] == seq.upper()
