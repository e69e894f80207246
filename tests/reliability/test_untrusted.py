"""Untrusted files and text: crafted checkpoints, formula cells, upload names, eval/exec, server exposure."""
import ast
import json
import tomllib
from pathlib import Path

import pytest
import torch

from protscope.errors import ProtScopeError
from protscope.serialise import csv_text
from protscope.train.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


class Payload:
    """Unpickling this object calls Path.write_text(marker, ...): code running from a data file."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "the payload ran"))


def crafted_checkpoint(tmp_path: Path) -> tuple[Path, Path]:
    marker = tmp_path / "payload-ran.txt"
    path = tmp_path / "checkpoint.pt"
    torch.save({"format": "protscope-checkpoint-1", "state_dict": Payload(marker)}, path)
    assert not marker.exists()
    return path, marker


def test_a_checkpoint_that_runs_code_on_unpickling_is_refused_without_running_it(tmp_path):
    path, marker = crafted_checkpoint(tmp_path)
    with pytest.raises(ProtScopeError, match="not a checkpoint ProtScope can load safely"):
        load_checkpoint(path)
    assert not marker.exists()
    # the payload is real: an unsafe load does run it (so the test above can fail)
    torch.load(path, weights_only=False)
    assert marker.read_text() == "the payload ran"


def test_the_command_line_refuses_it_too(tmp_path, capsys):
    from protscope.cli import main as cli

    path, marker = crafted_checkpoint(tmp_path)
    seqs = tmp_path / "seqs.fasta"
    seqs.write_text(">a\nMKTAYIAKQR\n")
    assert cli.main(["predict", "--checkpoint", str(path), "--data", str(seqs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "refused" in err and "Traceback" not in err
    assert not marker.exists()


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"])
def test_exported_csv_cells_cannot_run_as_formulas(cell):
    text = csv_text([{"id": cell, "prediction": 0.5, "sequence": "MKT"}])
    row = text.splitlines()[1]
    assert row.startswith("'" + cell[0]) or row.startswith("\"'" + cell[0])
    assert csv_text([{"id": "plain", "value": -1.5}]).splitlines()[1] == "plain,-1.5"  # numbers stay numbers


def test_predictions_written_by_the_command_line_are_neutralised(tiny, tmp_path):
    from protscope.cli import main as cli
    from protscope.train.trainer import Trainer
    from tests.test_engine import config

    data, split = tiny["binary"]
    run = Trainer(config(epochs=1, model="mlp", encoding="aac"), data, split, run_dir=tmp_path / "run").run()
    checkpoint = run.checkpoint
    seqs = tmp_path / "seqs.csv"
    seqs.write_text("id,sequence\n=cmd|' /C calc'!A0,MKTAYIAKQRQISFVKSHFSRQ\n")
    out = tmp_path / "predictions.csv"
    assert cli.main(["predict", "--checkpoint", checkpoint, "--data", str(seqs), "--output", str(out)]) == 0
    assert out.read_text().splitlines()[1].startswith("'=cmd")


def python_files():
    return sorted([*ROOT.glob("protscope/**/*.py"), *ROOT.glob("dashboard/**/*.py")])


def calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            yield node, f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


@pytest.mark.parametrize("path", python_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_eval_exec_or_unsafe_loading_of_user_data(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node, name in calls(tree):
        where = f"{path.relative_to(ROOT)}:{node.lineno}"
        builtin = isinstance(node.func, ast.Name)  # model.eval() and re.compile() are not the builtins
        assert not builtin or name not in ("eval", "exec", "compile", "__import__"), f"{name}() at {where}"
        assert name not in ("loads", "load") or not _is_pickle(node), f"pickle at {where}"
        if name == "load" and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") == "torch":
            safe = [k for k in node.keywords if k.arg == "weights_only" and getattr(k.value, "value", None) is True]
            assert safe, f"torch.load without weights_only=True at {where}"


def _is_pickle(node: ast.Call) -> bool:
    return isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") in ("pickle", "dill")


def test_upload_names_are_only_labels_never_paths(tmp_path, monkeypatch):
    """An upload named like a path is read from memory; nothing is written where its name points."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import csv_bytes, random_sequences

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    target = tmp_path / "escaped.csv"
    name = "../" * 8 + str(target).lstrip("/")
    content = csv_bytes(["sequence", "label"], [[s, i % 2] for i, s in enumerate(random_sequences(40))])
    at = AppTest.from_file(str(ROOT / "dashboard" / "app.py"), default_timeout=60).run()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, content, "text/csv"))
    at.run()
    assert not at.exception
    assert not target.exists() and not any(p.name.endswith(".csv") for p in tmp_path.rglob("*"))
    assert at.session_state["ws"].upload.name == name  # kept as a label for messages, stored by content hash


def test_the_server_listens_on_localhost_with_xsrf_protection():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert config["address"] == "localhost"
    assert config["enableXsrfProtection"] is True and config["enableCORS"] is True
    makefile = (ROOT / "Makefile").read_text()
    assert "--server.address localhost" in makefile


def test_no_checkpoint_or_config_is_parsed_with_code(tmp_path):
    """A saved config is JSON: a value that looks like code stays a string and is refused as a value."""
    from protscope.config.run_config import RunConfig

    text = json.dumps({"optimizer": {"lr": "__import__('os').system('touch pwned')"}})
    with pytest.raises(ProtScopeError, match="optimizer.lr must be float"):
        RunConfig.from_json(text)
    assert not (Path.cwd() / "pwned").exists()
