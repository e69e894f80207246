"""The malformed-file corpus (tests/data/bad, expectations in EXPECTED.toml) through the two other
doors: the command line (`python -m protscope inspect`) and the dashboard's upload (AppTest). The core
API (bytes and path) is tests/test_bad_files.py. Each case loads or fails with its specific message,
never a traceback, and the app keeps working after every one.
"""
import json

import pytest
from streamlit.testing.v1 import AppTest

from protscope.cli import main as cli
from protscope.cli.flags import flag
from tests.test_bad_files import BAD, EXPECTED, _messages
from tests.test_dashboard import APP

CASES = sorted(EXPECTED)
# Cases the dashboard cannot be given, with why (and a check that it indeed cannot).
NOT_IN_THE_DASHBOARD = {"unknown_column_override.csv": "its column menus offer only the file's own columns"}


def test_the_corpus_is_large():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", CASES)
def test_bad_file_on_the_command_line(name, capsys):
    entry = EXPECTED[name]
    args = ["inspect", str(BAD / name), "--json"]
    for key, value in entry.get("cfg", {}).items():
        args += [flag(key), str(value)]
    if entry.get("label_file"):
        args += ["--label-path", str(BAD / entry["label_file"])]
    status = cli.main(args)
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    if entry["outcome"] == "error":
        assert status == 2, out.out
        assert out.err.startswith("error: ") and out.err.count("\n") == 1, out.err
        for message in _messages(entry):
            assert message.lower() in out.err.lower(), out.err
        assert entry.get("where", "") in out.err and "Fix:" in out.err
        return
    assert status == 0, out.err
    summary = json.loads(out.out)
    if "n_rows" in entry:
        assert summary["rows"] == entry["n_rows"]
    warnings = " ".join(summary.get("warnings", [])).lower()
    for message in _messages(entry):
        assert message.lower() in warnings, summary.get("warnings")


def test_every_bad_file_through_the_dashboard_upload(tmp_path, monkeypatch):
    """One app session takes the whole corpus in turn, as a user trying file after file would."""
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key="source").set_value("upload").run()
    problems = []
    for name in CASES:
        entry = EXPECTED[name]
        if name in NOT_IN_THE_DASHBOARD:
            at.file_uploader(key="upload_file").set_value((name, (BAD / name).read_bytes(), "text/csv"))
            at.run()
            assert entry["cfg"]["sequence_col"] not in at.selectbox(key="sequence_col").options
            continue
        for key, value in {"sequence_col": "", "unknown_residues": "map", "task": "auto",
                           **entry.get("cfg", {})}.items():
            at.session_state["ws"].set(key, value)  # as the Data page's widgets would
        at.file_uploader(key="upload_file").set_value((name, (BAD / name).read_bytes(), "text/csv"))
        label = entry.get("label_file")
        at.file_uploader(key="label_file").set_value(
            (label, (BAD / label).read_bytes(), "text/csv") if label else None)
        at.run()
        errors = " ".join(e.value for e in at.error).lower()
        warnings = " ".join(w.value for w in at.warning).lower()
        if at.exception:
            problems.append(f"{name}: exception {at.exception[0].value}")
        elif entry["outcome"] == "error":
            missing = [m for m in _messages(entry) if m.lower() not in errors]
            if not errors or missing or "fix:" not in errors:
                problems.append(f"{name}: expected an error with {missing or 'Fix:'}, got {errors[:200]!r}")
        elif errors:
            problems.append(f"{name}: expected it to load, got {errors[:200]!r}")
        elif [m for m in _messages(entry) if m.lower() not in warnings]:
            problems.append(f"{name}: expected warnings {_messages(entry)}, got {warnings[:200]!r}")
    assert not problems, "\n".join(problems)
    # the app still works: a built-in dataset loads and the Train page renders
    at.radio(key="source").set_value("builtin").run()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception and not at.error
