"""`protscope inspect` and `datasets`: their output, exit codes and error lines. Most tests call the command's
`main` in this process (an interpreter start costs seconds); the last ones run `python -m protscope` in a
subprocess, exactly as a user would."""
import io
import json
import subprocess
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import pytest

from protscope.cli.main import main
from protscope.data.builtin import dataset_names
from tests.conftest import csv_bytes, random_sequences

ROOT = Path(__file__).resolve().parent.parent


def cli(*args):
    """The command's exit code, stdout and stderr, as a subprocess would report them."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def real_cli(*args):
    return subprocess.run([sys.executable, "-m", "protscope", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("name", dataset_names())
def test_inspect_every_builtin_dataset(name):
    done = cli("inspect", name, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["name"] == name and summary["rows"] > 1000
    assert set(summary["lengths"]) == {"min", "median", "mean", "max"}
    assert sum(summary["alphabet"].values()) > 0


def test_inspect_prints_a_readable_summary(tmp_path):
    path = tmp_path / "mine.csv"
    seqs = random_sequences(30, seed=9)
    path.write_bytes(csv_bytes(["sequence", "label"], [[s, "soluble" if i % 3 else "insoluble"]
                                                       for i, s in enumerate(seqs)]))
    done = cli("inspect", str(path))
    assert done.returncode == 0, done.stderr
    assert "mine.csv: 30 proteins, task binary" in done.stdout
    assert "insoluble: 10 (33.3%)   soluble: 20 (66.7%)" in done.stdout
    assert "lengths   min" in done.stdout


def test_overrides_use_config_field_names(tmp_path):
    path = tmp_path / "v.csv"
    seqs = random_sequences(30, seed=9)
    path.write_bytes(csv_bytes(["sequence", "a", "b"], [[s, i % 2, i * 0.5] for i, s in enumerate(seqs)]))
    done = cli("inspect", str(path), "--label-col", "b", "--json")
    assert json.loads(done.stdout)["task"] == "regression"
    done = cli("inspect", str(path), "--label-col", "b", "--binarize-at", "7", "--json")
    assert json.loads(done.stdout)["classes"][1]["count"] == 16


@pytest.mark.parametrize("args, message", [
    (("inspect", "/no/such/file.csv"), "file not found"),
    (("inspect", "esol", "--label-col", "nope"), "no column 'nope'"),
    (("inspect", "esol", "--max-length", "abc"), "max_length must be int"),
    (("inspect", "esol", "--val-fraction", "0.9"), "between 0.01 and 0.5"),
    (("inspect",), "no data given"),
])
def test_bad_input_exits_2_with_one_error_line(args, message):
    done = cli(*args)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1


def test_bad_file_through_the_cli(tmp_path):
    path = tmp_path / "dna.fasta"
    path.write_text("".join(f">s{i}\nACGTACGTTTGACGATCGATCGA\n" for i in range(25)))
    done = cli("inspect", str(path))
    assert done.returncode == 2 and "DNA" in done.stderr and "Traceback" not in done.stderr


def test_datasets_lists_the_manifest():
    done = real_cli("datasets", "--json")
    listed = json.loads(done.stdout)
    assert [d["name"] for d in listed] == dataset_names()
    assert all(d["citation"] for d in listed)
    assert "eSOL" in cli("datasets").stdout


def test_the_real_command_exits_2_with_one_error_line():
    done = real_cli("inspect", "esol", "--label-col", "nope")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and "no column 'nope'" in done.stderr and done.stderr.count("\n") == 1
