"""`python -m protscope train` and `predict`, run as a user would."""
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import csv_bytes, random_sequences

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, runs: Path):
    env = {**os.environ, "PROTSCOPE_RUNS": str(runs)}
    return subprocess.run([sys.executable, "-m", "protscope", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


@pytest.fixture(scope="module")
def esol_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    done = cli("train", "--dataset", "esol", "--encoding", "aac", "--model", "mlp", "--epochs", "3", "--json",
               runs=runs)
    return done, runs


def test_the_documented_train_command_works(esol_run):
    done, runs = esol_run
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[:2] for line in lines[:3]] == [["epoch", "1/3"], ["epoch", "2/3"], ["epoch", "3/3"]]
    summary = json.loads(lines[-1])
    assert {"run_id", "config", "history", "best_epoch", "stopped_reason", "metrics", "checkpoint"} <= set(summary)
    assert summary["stopped_reason"] == "completed" and len(summary["history"]) == 3
    row = summary["history"][0]
    assert {"epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds", "val_accuracy", "val_mcc"} <= set(row)
    for split in ("val", "test"):
        assert {"accuracy", "f1", "mcc", "roc_auc", "pr_auc"} <= set(summary["metrics"][split])
    assert summary["metrics"]["test"]["roc_auc"] > 0.6  # composition carries real signal on eSOL
    assert summary["config"]["model"]["name"] == "mlp" and summary["config"]["data"]["task"] == "binary"
    assert Path(summary["checkpoint"]).is_file() and Path(summary["checkpoint"]).parent.parent == runs
    assert summary["diagnosis"]["verdict"] in ("good_fit", "still_improving", "underfitting", "mild_overfitting")


def test_predict_new_sequences(esol_run, tmp_path):
    done, runs = esol_run
    checkpoint = json.loads(done.stdout.strip().splitlines()[-1])["checkpoint"]
    seqs = random_sequences(4, seed=3)
    path = tmp_path / "new.csv"
    path.write_bytes(csv_bytes(["id", "sequence"], [["=cmd", seqs[0]], ["b", seqs[1]], ["c", "MK9"], ["d", seqs[3]]]))
    out = cli("predict", "--checkpoint", checkpoint, "--data", str(path), runs=runs)
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["id"] for r in rows] == ["'=cmd", "b", "d"]  # formula cells escaped; the bad row skipped
    assert all(r["prediction"] in ("insoluble", "soluble") and abs(float(r["p_insoluble"]) + float(r["p_soluble"]) - 1)
               < 1e-5 for r in rows)  # eSOL's classes by their names
    assert "skipped row 3 (c): '9' at position 3" in out.stderr
    as_json = json.loads(cli("predict", "--checkpoint", checkpoint, "--data", str(path), "--json",
                             runs=runs).stdout.splitlines()[-1])
    assert len(as_json["predictions"]) == 3 and as_json["problems"][0]["row"] == 3


def test_saved_config_reproduces_the_run(esol_run):
    done, runs = esol_run
    first = json.loads(done.stdout.strip().splitlines()[-1])
    config_file = Path(first["checkpoint"]).parent / "config.json"
    again = cli("train", "--config", str(config_file), "--json", runs=runs)
    second = json.loads(again.stdout.strip().splitlines()[-1])
    assert [r["train_loss"] for r in second["history"]] == [r["train_loss"] for r in first["history"]]


def test_preset_with_overrides(tmp_path):
    done = cli("train", "--preset", "solubility-cnn", "--epochs", "1", "--max-batches", "3", "--json", runs=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    cfg = summary["config"]
    assert (cfg["model"]["name"], cfg["model"]["channels"], cfg["model"]["dropout"]) == ("cnn", 128, 0.3)
    assert (cfg["scheduler"]["name"], cfg["training"]["epochs"]) == ("plateau", 1)


@pytest.mark.parametrize("args, message", [
    (("--dataset", "esol", "--lr", "fast"), "optimizer.lr must be float"),
    (("--dataset", "esol", "--model", "nope"), "choose one of: linear, mlp"),
    (("--dataset", "ss3", "--loss", "bce"), "BCE is for binary"),
    (("--dataset", "esol", "--model", "window_mlp", "--encoding", "window"), "one label per residue"),
    (("--epochs", "2",), "no data given"),
    (("--preset", "nope", "--dataset", "esol"), "no preset 'nope'"),
])
def test_bad_train_flags_exit_2_with_one_line(tmp_path, monkeypatch, capsys, args, message):
    """In-process through the same main() as `python -m protscope` (other tests run the real command)."""
    from protscope.cli.main import main

    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path))
    try:
        code = main(["train", *args])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_a_config_naming_an_uploaded_file_finds_it_next_to_itself_or_says_which_file_it_needs(tmp_path, capsys):
    """What the dashboard's "Download config" gives for an upload: the file's name and content hash."""
    import hashlib

    from protscope.cli.main import main as run_cli
    from protscope.config.run_config import RunConfig
    from tests.conftest import csv_bytes, random_sequences

    content = csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in
                                                      enumerate(random_sequences(40, seed=8))])
    sha = hashlib.sha256(content).hexdigest()
    config = RunConfig().with_values(model="mlp", encoding="aac", epochs=1)
    config = config.replace(data=config.data.replace(path="mine.csv", sha256=sha))
    folder = tmp_path / "downloads"
    folder.mkdir()
    (folder / "protscope-config.json").write_text(config.to_json())
    train = ["train", "--config", str(folder / "protscope-config.json"), "--db", str(tmp_path / "runs.db")]
    assert run_cli(train) == 2
    err = capsys.readouterr().err
    assert "needs the file 'mine.csv'" in err and sha[:12] in err and "--data" in err
    (folder / "mine.csv").write_bytes(content.replace(b"p1,", b"q1,"))
    assert run_cli(train) == 2
    assert "not the file this config was made with" in capsys.readouterr().err
    (folder / "mine.csv").write_bytes(content)
    assert run_cli(train) == 0
    (folder / "other.csv").write_bytes(content.replace(b"p1,", b"q1,"))
    assert run_cli([*train, "--data", str(folder / "other.csv")]) == 0  # the user's own choice of file
