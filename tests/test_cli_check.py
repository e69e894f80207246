"""`python -m protscope check lr|overfit|init`: settings as for `train`, a verdict, and exit codes."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from protscope.checks.sanity import CHECKS
from protscope.cli.check import KINDS
from protscope.cli.main import main
from tests.conftest import csv_bytes, random_sequences

ROOT = Path(__file__).resolve().parent.parent
SMALL_MLP = ("--model", "mlp", "--encoding", "dpc", "--hidden", "64", "--batch-size", "16")


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory) -> str:
    """60 proteins; the soluble ones (label 1) are lysine-rich, so there is something to learn."""
    rng = np.random.default_rng(4)
    rows = []
    for i, seq in enumerate(random_sequences(60, seed=5, low=30, high=80)):
        seq = list(seq)
        if i % 2:
            for j in rng.choice(len(seq), size=len(seq) // 4, replace=False):
                seq[j] = "K"
        rows.append([f"p{i}", "".join(seq), i % 2])
    path = tmp_path_factory.mktemp("check") / "proteins.csv"
    path.write_bytes(csv_bytes(["id", "sequence", "label"], rows))
    return str(path)


def run(capsys, *args) -> tuple[int, str, str]:
    try:
        code = main(["check", *args])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_the_command_line_offers_every_registered_check():
    assert set(KINDS) == set(CHECKS)


@pytest.mark.parametrize("kind", ["init", "overfit", "lr"])
def test_each_check_prints_one_json_object(capsys, csv_path, kind):
    code, out, err = run(capsys, kind, "--data", csv_path, *SMALL_MLP, "--lr", "0.01", "--json")
    summary = last_json(out)
    assert summary["check"] == kind and summary["title"] == CHECKS[kind].title
    assert code == (0 if summary["passed"] else 1), err
    assert summary["message"] and summary["verdict"]
    if kind == "lr":
        assert len(summary["lrs"]) == len(summary["losses"]) == len(summary["raw"])
        assert summary["verdict"] == "suggested" and summary["suggestion"] > summary["lrs"][0]
    else:
        assert summary["passed"] is True, summary["message"]


def test_plain_output_gives_the_verdict_message_and_numbers(capsys, csv_path):
    code, out, _ = run(capsys, "overfit", "--data", csv_path, *SMALL_MLP, "--lr", "0.01")
    lines = out.strip().splitlines()
    assert code == 0
    assert lines[0] == "Overfit one batch: passed" and lines[1].startswith("It can learn")
    assert "initial_loss" in lines[2] and "batch_accuracy 1" in lines[2]


def test_a_failed_check_exits_1_and_names_the_learning_rate(capsys, csv_path):
    code, out, _ = run(capsys, "overfit", "--data", csv_path, *SMALL_MLP, "--lr", "1e-7", "--steps", "30")
    assert code == 1
    assert out.startswith("Overfit one batch: too_slow") and "at lr 1e-07" in out


def test_steps_sets_the_number_of_batches(capsys, csv_path):
    code, out, _ = run(capsys, "init", "--data", csv_path, "--model", "mlp", "--encoding", "aac",
                       "--batch-size", "8", "--steps", "2", "--json")
    assert code == 0 and last_json(out)["batches"] == 2 and len(last_json(out)["losses"]) == 2


@pytest.mark.parametrize("args, message", [
    (("lr", "--steps", "0"), "steps is 0"),
    (("overfit", "--lr", "fast"), "optimizer.lr must be float"),
    (("init", "--model", "nope"), "choose one of: linear, mlp"),
])
def test_bad_input_exits_2_with_one_line(capsys, csv_path, args, message):
    code, _, err = run(capsys, *args[:1], "--data", csv_path, *args[1:])
    assert code == 2 and err.startswith("error: ") and message in err, err
    assert "Traceback" not in err


def test_missing_data_and_unknown_checks_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "init", "--epochs", "2")
    assert code == 2 and "no data given" in err
    code, _, err = run(capsys, "init", "--data", str(tmp_path / "absent.csv"))
    assert code == 2 and err.startswith("error: ")
    code, _, err = run(capsys, "speed", "--data", str(tmp_path / "absent.csv"))
    assert code == 2 and "invalid choice" in err


def test_the_real_command(csv_path):
    done = subprocess.run([sys.executable, "-m", "protscope", "check", "init", "--data", csv_path, "--model", "mlp",
                           "--encoding", "aac", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert last_json(done.stdout)["verdict"] == "passed"
