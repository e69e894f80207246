"""Malformed and tricky uploads: each loads (possibly with a warning) or fails with a ProtScopeError
that names the problem, says where it is and how to fix it. Never any other exception.

The corpus lives in tests/data/bad/ (made by make_corpus.py); what each file must do is written in
tests/data/bad/EXPECTED.toml. Huge inputs are built here at run time instead of being committed.
"""
from __future__ import annotations

import gzip
import importlib.util
import random
import re
import signal
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from protscope import alphabet
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes, load_data
from protscope.data.readers import read_bytes
from protscope.errors import ProtScopeError

BAD = Path(__file__).resolve().parent / "data" / "bad"
EXPECTED_FILE = BAD / "EXPECTED.toml"
NOT_CASES = {"make_corpus.py", "EXPECTED.toml"}
EXPECTED: dict[str, dict] = tomllib.loads(EXPECTED_FILE.read_text(encoding="utf-8"))
KEYS = {"outcome", "message", "where", "cfg", "label_file", "n_rows", "task", "ids_include", "no_warning"}
AA = "ACDEFGHIKLMNPQRSTVWY"


def _messages(entry: dict) -> list[str]:
    message = entry.get("message", [])
    return [message] if isinstance(message, str) else list(message)


def _load(name: str, entry: dict, via: str = "bytes"):
    """Load a corpus file as an upload (load_bytes) or from its path (load_data)."""
    path = BAD / name
    label_file = entry.get("label_file")
    if via == "path":
        label_path = str(BAD / label_file) if label_file else ""
        return load_data(DataConfig(path=str(path), label_path=label_path, **entry.get("cfg", {})))
    cfg = DataConfig(**entry.get("cfg", {}))
    if label_file:
        return load_bytes(path.read_bytes(), name, cfg, label_data=(BAD / label_file).read_bytes(),
                          label_filename=label_file)
    return load_bytes(path.read_bytes(), name, cfg)


def assert_helpful(err: ProtScopeError) -> str:
    """Every rejection says what is wrong and how to fix it."""
    text = str(err)
    assert "Fix:" in text, f"the message has no 'Fix:' part: {text!r}"
    assert err.problem.strip(), f"the error has no problem text: {text!r}"
    assert err.fix.strip(), f"the error has no fix text: {text!r}"
    return text


def assert_sane(data) -> None:
    """A loaded dataset is non-empty, tokenised as uint8 and decodes back to its sequences."""
    n = len(data)
    assert n > 0
    assert data.tokens.dtype == np.uint8
    assert data.tokens.shape == (n, data.width)
    assert data.lengths.shape == (n,) and (data.lengths > 0).all()
    assert int(data.tokens.max()) < alphabet.VOCAB_SIZE
    assert len(data.sequences) == len(data.ids) == n
    assert all(isinstance(w, str) and w for w in data.warnings)
    mapped = str.maketrans({c: "X" for c in alphabet.NONSTANDARD})
    for i, seq in enumerate(data.sequences):
        assert re.fullmatch(r"[A-Z*.\-]+", seq), f"row {i}: sequence not normalised: {seq[:40]!r}"
        assert alphabet.decode(data.tokens[i], int(data.lengths[i])) == seq.translate(mapped), f"row {i}"
    if data.y is not None:
        assert data.y.shape == (n,)
        if data.task != "regression":
            assert data.y.min() >= 0 and data.y.max() < len(data.classes)
        else:
            assert np.isfinite(data.y).all(), "regression labels must be finite"
    if data.residue_y is not None:
        assert data.residue_y.shape == data.tokens.shape


# --- the corpus ------------------------------------------------------------------------------------

def test_expectations_are_well_formed():
    for name, entry in EXPECTED.items():
        assert set(entry) <= KEYS, f"{name}: unknown keys {set(entry) - KEYS}"
        assert entry.get("outcome") in ("ok", "error"), name
        if entry["outcome"] == "error":
            assert _messages(entry), f"{name}: an error case must say which message to expect"
            assert not set(entry) & {"n_rows", "task", "ids_include", "no_warning"}, name
        else:
            assert "where" not in entry, name
        if "label_file" in entry:
            assert (BAD / entry["label_file"]).is_file(), name


def test_every_file_has_an_entry_and_every_entry_a_file():
    files = {p.name for p in BAD.iterdir() if p.is_file() and p.name not in NOT_CASES}
    assert not files - set(EXPECTED), f"files with no entry in EXPECTED.toml: {sorted(files - set(EXPECTED))}"
    assert not set(EXPECTED) - files, f"entries with no file: {sorted(set(EXPECTED) - files)}"
    assert len(EXPECTED) >= 32


def test_corpus_matches_its_generator():
    """The committed files are exactly what make_corpus.py makes, and the corpus stays small."""
    spec = importlib.util.spec_from_file_location("make_corpus", BAD / "make_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    built = module.build()
    assert built == module.build(), "make_corpus.py is not deterministic"
    stale = [name for name, data in built.items() if (BAD / name).read_bytes() != data]
    assert not stale, f"out of date; run tests/data/bad/make_corpus.py: {stale}"
    assert set(built) == {p.name for p in BAD.iterdir() if p.name not in NOT_CASES}
    assert sum(len(d) for d in built.values()) < 2 * 2**20


@pytest.mark.parametrize("via", ["bytes", "path"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file(name, via):
    entry = EXPECTED[name]
    messages = [m.lower() for m in _messages(entry)]
    if entry["outcome"] == "error":
        with pytest.raises(ProtScopeError) as info:
            _load(name, entry, via)
        text = assert_helpful(info.value)
        for message in messages:
            assert message in text.lower(), f"expected {message!r} in the error: {text!r}"
        if "where" in entry:
            assert entry["where"] in text, f"expected {entry['where']!r} in the error: {text!r}"
        return
    data = _load(name, entry, via)
    assert_sane(data)
    warnings = [w.lower() for w in data.warnings]
    for message in messages:
        assert any(message in w for w in warnings), f"expected a warning with {message!r}: {data.warnings}"
    if "no_warning" in entry:
        unwanted = entry["no_warning"].lower()
        assert not any(unwanted in w for w in warnings), f"unexpected warning: {data.warnings}"
    if "n_rows" in entry:
        assert len(data) == entry["n_rows"], f"{len(data)} rows loaded, expected {entry['n_rows']}"
    if "task" in entry:
        assert data.task == entry["task"]
    for record_id in entry.get("ids_include", []):
        assert record_id in set(data.ids.tolist()), f"id {record_id!r} not among {list(data.ids[:8])}"


def test_lowercase_spaces_are_normalised():
    data = _load("lowercase_spaces.csv", EXPECTED["lowercase_spaces.csv"])
    raw = (BAD / "lowercase_spaces.csv").read_text().splitlines()[1:]
    expected = ["".join(line.split(",")[1].split()).upper() for line in raw]
    assert list(data.sequences) == expected


def test_stop_codon_is_dropped():
    data = _load("stop_codon.csv", EXPECTED["stop_codon.csv"])
    raw = (BAD / "stop_codon.csv").read_text().splitlines()[1:]
    assert list(data.sequences) == [line.split(",")[1].rstrip("*") for line in raw]


def test_fasta_labels_joined_by_id():
    """The label CSV is in reverse order: labels must follow the ids, not the row order."""
    data = _load("fasta_nolabels.fasta", EXPECTED["fasta_nolabels.fasta"])
    truth = dict(line.split(",") for line in (BAD / "fasta_nolabels_labels.csv").read_text().splitlines()[1:])
    assert [data.classes[k] for k in data.y] == [truth[i] for i in data.ids]


# --- huge inputs, built at run time ----------------------------------------------------------------

@contextmanager
def time_limit(seconds: float, what: str):
    """Fail (instead of hanging the suite) when `what` takes longer than `seconds`."""
    def expire(signum, frame):
        raise TimeoutError(what)

    # pytest-timeout (pytest.ini) may have its own SIGALRM timer running: put it back afterwards.
    previous = signal.signal(signal.SIGALRM, expire)
    outer, _ = signal.setitimer(signal.ITIMER_REAL, seconds)
    start = time.perf_counter()
    try:
        yield
    except TimeoutError:
        pytest.fail(f"{what} took more than {seconds:g} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.perf_counter() - start), 0.01))
    assert time.perf_counter() - start < seconds


def _rows(n: int, seed: int) -> list[tuple[str, str, str]]:
    rng = random.Random(seed)
    return [(f"p{i}", "".join(rng.choice(AA) for _ in range(rng.randint(30, 300))), str(i % 2))
            for i in range(n)]


def _csv(rows) -> bytes:
    return ("id,sequence,label\n" + "".join(f"{a},{b},{c}\n" for a, b, c in rows)).encode()


@pytest.mark.parametrize("name, data, limit", [
    ("letters.csv", b"M" * 100_000_000, 20),  # 100 MB, one line, no delimiter
    ("letters.fasta", b">x\n" + b"M" * 100_000_000, 20),  # a 100 MB sequence with no label
    ("commas.csv", b"id,sequence,label" + b"," * 10_000_000, 5),  # a 10 MB header of empty columns
], ids=["100MB-letters", "100MB-fasta-sequence", "10MB-commas"])
def test_one_huge_line_is_rejected_quickly(name, data, limit):
    with time_limit(limit, f"rejecting {len(data) / 1e6:,.0f} MB on one line ({name})"):
        with pytest.raises(ProtScopeError) as info:
            load_bytes(data, name, DataConfig())
    assert_helpful(info.value)


def test_very_long_sequence_is_truncated():
    rows = _rows(25, 1)
    rng = random.Random(2)
    rows.insert(10, ("giant", "".join(rng.choice(AA) for _ in range(200_000)), "1"))
    data = load_bytes(_csv(rows), "giant.csv", DataConfig())
    assert_sane(data)
    assert len(data) == 26 and data.width == 2000
    assert data.sequences[10] == rows[10][1][:2000]
    assert any("truncated" in w for w in data.warnings), data.warnings


def test_very_long_sequence_dropped_or_rejected():
    rows = _rows(25, 3)
    rows.insert(10, ("giant", "M" + "ACDEFGHIKL" * 20_000, "1"))
    data = load_bytes(_csv(rows), "giant.csv", DataConfig(long_sequences="drop"))
    assert len(data) == 25 and "giant" not in set(data.ids.tolist())
    assert any("dropped" in w for w in data.warnings), data.warnings
    with pytest.raises(ProtScopeError) as info:
        load_bytes(_csv(rows), "giant.csv", DataConfig(long_sequences="reject"))
    text = assert_helpful(info.value)
    assert "longer than" in text and "line 12" in text and "giant" in text


def test_file_over_the_size_limit():
    with pytest.raises(ProtScopeError) as info:
        read_bytes(_csv(_rows(30, 4)), "big.csv", max_bytes=1000)
    assert "limit" in assert_helpful(info.value)


def test_gzip_bomb_stops_at_the_limit():
    bomb = gzip.compress(b"A" * 5_000_000, mtime=0)
    assert len(bomb) < 10_000
    with time_limit(5, "inflating a gzip bomb"), pytest.raises(ProtScopeError) as info:
        read_bytes(bomb, "bomb.csv.gz", max_bytes=100_000)
    assert "unpacks to more than" in assert_helpful(info.value)


def test_too_many_rows():
    with pytest.raises(ProtScopeError) as info:
        load_bytes(_csv(_rows(30, 5)), "many.csv", DataConfig(max_rows=25))
    assert "limit" in assert_helpful(info.value)
