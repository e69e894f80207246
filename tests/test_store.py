"""The run store: schema, recording real runs epoch by epoch, recovery, concurrency, management, CLI."""
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from protscope.cli.main import main
from protscope.config.run_config import RunConfig
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.runs.recorder import record, record_in_background
from protscope.runs.store import INTERRUPTED_MESSAGE, SCHEMA_VERSION, RunStore, open_store
from protscope.train.events import EpochEnd
from protscope.train.trainer import Trainer
from tests.conftest import csv_bytes, random_sequences, tiny_dataset

CONFIG = RunConfig().with_values(epochs=2, batch_size=16, model="mlp", encoding="aac")


@pytest.fixture(scope="module")
def data():
    return tiny_dataset("binary")


def trainer_for(data, tmp_path: Path, epochs: int = 2) -> Trainer:
    config = CONFIG.with_values(epochs=epochs)
    return Trainer(config, data, make_split(data, config.data), run_dir=tmp_path / "runs" / f"run{epochs}")


def add_run(store: RunStore, run_id: str, **values) -> None:
    fields = {"name": "", "config": {"model": {"name": "mlp"}}, "dataset": "esol", "fingerprint": "f", "task": "binary",
              "run_dir": None, **values}
    store.create_run(run_id, **fields)


def until(condition, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return value


def test_schema_is_versioned_migrations_run_once_and_wal_is_on(tmp_path):
    path = tmp_path / "runs.db"
    RunStore(path)
    store = RunStore(path)  # opening again must not re-run migration 1 (its CREATE TABLEs would fail)
    assert store.schema_version() == SCHEMA_VERSION >= 1
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "epochs", "tags", "artifacts"} <= tables


def test_a_newer_schema_is_refused_with_a_fix(tmp_path):
    path = tmp_path / "runs.db"
    RunStore(path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(ProtScopeError, match="newer.*Fix: update ProtScope"):
        RunStore(path)


def test_a_real_run_is_recorded(data, tmp_path):
    store = RunStore(tmp_path / "runs" / "protscope.db")
    trainer = trainer_for(data, tmp_path).start()
    record(trainer, store, name="baseline", tags=("tiny", "mlp"))
    run = store.get_run(trainer.run_id)
    assert (run["status"], run["name"], run["tags"], run["epochs"]) == ("completed", "baseline", ["mlp", "tiny"], 2)
    assert run["config"]["model"]["name"] == "mlp" and run["config"]["training"]["epochs"] == 2
    assert (run["dataset"], run["task"], run["fingerprint"]) == (data.name, "binary", data.fingerprint())
    assert run["device"] and run["parameters"] > 0 and run["started"] <= run["ended"]
    assert set(run["metrics"]) == {"val", "test"} and "accuracy" in run["metrics"]["test"]
    assert Path(run["checkpoint"]).is_file() and run["best_epoch"] in (1, 2)
    rows = store.history(trainer.run_id)
    assert [r["epoch"] for r in rows] == [1, 2] and rows == json.loads(json.dumps(rows))
    assert rows[0]["train_loss"] == trainer.wait().history[0]["train_loss"]  # record() may return first


def test_each_epoch_is_committed_when_it_ends(data, tmp_path):
    path = tmp_path / "runs" / "protscope.db"
    trainer = trainer_for(data, tmp_path, epochs=3)
    publish = trainer.events.publish

    def pause_after_epoch_1(event):  # pauses in the training thread itself, so epoch 2 cannot slip in first
        publish(event)
        if isinstance(event, EpochEnd) and event.epoch == 1:
            trainer.pause()

    trainer.events.publish = pause_after_epoch_1
    recorder = record_in_background(trainer, RunStore(path))
    trainer.start()
    reader = RunStore(path)  # its own connection, as the dashboard's would be
    until(lambda: trainer.run_id in {r["id"] for r in reader.list_runs()} and reader.history(trainer.run_id))
    assert until(lambda: reader.get_run(trainer.run_id)["status"] == "paused")
    assert [r["epoch"] for r in reader.history(trainer.run_id)] == [1]
    trainer.resume()
    recorder.join(timeout=60)
    assert recorder.error is None
    assert reader.get_run(trainer.run_id)["status"] == "completed" and len(reader.history(trainer.run_id)) == 3


def test_a_run_left_running_is_marked_interrupted_with_its_epochs(tmp_path):
    path = tmp_path / "protscope.db"
    store = RunStore(path)
    add_run(store, "left")
    for epoch in (1, 2):
        store.add_epoch("left", {"epoch": epoch, "train_loss": 0.5, "val_loss": float("nan")})
    add_run(store, "elsewhere")  # recorded by another process that is still alive
    store._connection().execute("UPDATE runs SET owner_pid = ? WHERE id = 'elsewhere'", (os.getppid(),))
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    add_run(store, "dead-owner")
    store._connection().execute("UPDATE runs SET owner_pid = ? WHERE id = 'dead-owner'", (int(done.stdout),))
    assert RunStore(path).mark_interrupted() == 2
    run = store.get_run("left")
    assert (run["status"], run["message"]) == ("interrupted", INTERRUPTED_MESSAGE)
    assert [r["epoch"] for r in store.history("left")] == [1, 2] and store.history("left")[0]["val_loss"] is None
    assert store.get_run("dead-owner")["status"] == "interrupted"
    assert store.get_run("elsewhere")["status"] == "running"
    assert open_store(path).mark_interrupted() == 0


def test_many_threads_write_at_once_without_locking_errors(tmp_path):
    store, errors = RunStore(tmp_path / "protscope.db"), []

    def write(n: int):
        try:
            own = RunStore(tmp_path / "protscope.db") if n % 2 else store  # shared and separate instances alike
            add_run(own, f"run{n}")
            for epoch in range(1, 31):
                own.add_epoch(f"run{n}", {"epoch": epoch, "train_loss": 1 / epoch})
                own.list_runs()
            own.finish_run(f"run{n}", "completed", "done", 30, {"test": {"accuracy": 0.5}})
        except Exception as exc:  # noqa: BLE001 - any error at all fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(store.history(f"run{n}")) == 30 for n in range(8))
    assert len(store.list_runs(status="completed")) == 8


def test_filters_names_and_tags(tmp_path):
    store = RunStore(tmp_path / "protscope.db")
    add_run(store, "a", name="CNN baseline", started=1.0, tags=("esol",))
    add_run(store, "b", name="mlp", dataset="deeploc", started=2.0)
    add_run(store, "c", started=3.0)
    store.finish_run("a", "completed", "trained all 2 epochs")
    assert [r["id"] for r in store.list_runs()] == ["c", "b", "a"]  # newest first
    assert [r["id"] for r in store.list_runs(status="completed")] == ["a"]
    assert [r["id"] for r in store.list_runs(name_contains="cnn")] == ["a"]
    assert [r["id"] for r in store.list_runs(dataset="deeploc")] == ["b"]
    store.rename("b", "  wide mlp ")
    store.tag("b", "esol")
    store.tag("b", "esol")  # tagging twice keeps one tag
    assert [(r["id"], r["name"]) for r in store.list_runs(tag="esol")] == [("b", "wide mlp"), ("a", "CNN baseline")]
    store.untag("a", "esol")
    assert store.get_run("a")["tags"] == [] and store.get_run("b")["tags"] == ["esol"]
    for action in (lambda: store.rename("nope", "x"), lambda: store.tag("nope", "x"),
                   lambda: store.add_epoch("nope", {"epoch": 1}), lambda: store.history("nope")):
        with pytest.raises(ProtScopeError, match="no run 'nope'.*Fix: see the recorded runs"):
            action()
    with pytest.raises(ProtScopeError, match="empty tag"):
        store.tag("a", " ")


def test_histories_read_several_runs_at_once_with_the_rows_as_stored(tmp_path):
    store = RunStore(tmp_path / "protscope.db")
    ids = ["a", "it's \"b\"", "c", "empty"]  # quotes: the ids reach SQLite as one JSON parameter
    for i, run_id in enumerate(ids):
        add_run(store, run_id)
        for epoch in (3, 1, 2)[: 0 if run_id == "empty" else 3 - i % 2]:  # out of order, and of two lengths
            store.add_epoch(run_id, {"epoch": epoch, "val_loss": epoch / 7 + i, "note": f"run {run_id}",
                                     "val_mcc": float("nan") if epoch == 2 else 0.1 * epoch, "lr": 1e-3})
    conn = sqlite3.connect(tmp_path / "protscope.db")
    stored = {run_id: [json.loads(row) for (row,) in conn.execute(
        "SELECT row FROM epochs WHERE run_id = ? ORDER BY epoch", (run_id,))] for run_id in ids}
    conn.close()
    wanted = ["c", "empty", "a", "it's \"b\""]
    read = store.histories(wanted)
    assert list(read) == wanted and read == {run_id: stored[run_id] for run_id in wanted}
    assert [h["epoch"] for h in read["a"]] == [1, 2, 3] and read["a"][1]["val_mcc"] is None and read["empty"] == []
    assert [store.history(run_id) for run_id in ids] == [stored[run_id] for run_id in ids]
    assert store.histories([]) == {}
    with pytest.raises(ProtScopeError, match="no run 'nope'"):
        store.histories(["a", "nope"])


def test_artifacts_keep_json_and_bytes(tmp_path):
    store = RunStore(tmp_path / "protscope.db")
    add_run(store, "a")
    store.save_artifact("a", "test", "confusion", [[3, 1], [0, 4]])
    store.save_artifact("a", "test", "roc", {"fpr": [0.0, 1.0], "auc": float("nan")})
    store.save_artifact("a", "val", "predictions", b"\x00csv")
    assert store.artifact("a", "test", "confusion") == [[3, 1], [0, 4]]
    assert store.artifact("a", "test", "roc")["auc"] is None and store.artifact("a", "val", "roc") is None
    assert [(a["split"], a["kind"]) for a in store.artifacts("a")] == [("test", "confusion"), ("test", "roc"),
                                                                         ("val", "predictions")]
    assert store.artifact("a", "val", "predictions") == b"\x00csv"


def test_delete_removes_rows_and_only_folders_inside_the_runs_folder(tmp_path):
    root = tmp_path / "runs"
    store = RunStore(root / "protscope.db")
    inside, outside = root / "a", tmp_path / "elsewhere"
    for folder in (inside, outside):
        folder.mkdir(parents=True)
        (folder / "checkpoint.pt").write_bytes(b"x")
    (root / "link").symlink_to(outside)
    add_run(store, "a", run_dir=inside)
    add_run(store, "b", run_dir=outside)
    add_run(store, "c", run_dir=root / "link")
    add_run(store, "d", run_dir=root)
    store.add_epoch("a", {"epoch": 1})
    store.save_artifact("a", "test", "roc", {})
    assert store.delete("a") is True and not inside.exists()
    assert [store.delete(run_id) for run_id in ("b", "c", "d")] == [False, False, False]
    assert (outside / "checkpoint.pt").is_file() and (root / "protscope.db").is_file()
    assert store.list_runs() == []
    with sqlite3.connect(root / "protscope.db") as conn:
        assert [conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("epochs", "artifacts")] == [0, 0]
    with pytest.raises(ProtScopeError, match="no run 'a'"):
        store.delete("a")


def test_cli_lists_renames_tags_and_deletes(tmp_path, capsys):
    db = tmp_path / "protscope.db"
    store = RunStore(db)
    add_run(store, "r1", name="first", config={"model": {"name": "cnn"}})
    store.finish_run("r1", "completed", "trained all 2 epochs", 2, {"test": {"accuracy": 0.75}})
    assert main(["runs", "rename", "r1", "renamed", "--db", str(db)]) == 0
    assert main(["runs", "tag", "r1", "keep", "--db", str(db)]) == 0
    capsys.readouterr()
    assert main(["runs", "list", "--json", "--db", str(db)]) == 0
    (run,) = json.loads(capsys.readouterr().out)
    assert (run["id"], run["name"], run["status"], run["reason"]) == ("r1", "renamed", "completed",
                                                                      "trained all 2 epochs")
    assert run["config"] == {"model": {"name": "cnn"}} and run["metrics"]["test"]["accuracy"] == 0.75
    assert run["tags"] == ["keep"] and {"started", "ended"} <= set(run)
    assert main(["runs", "list", "--tag", "keep", "--db", str(db)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["id", "name", "status"] and "accuracy 0.75" in table[1]
    assert main(["runs", "delete", "r1", "--db", str(db)]) == 0
    assert main(["runs", "delete", "r1", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.splitlines()) == 1
    assert main(["runs", "list", "--db", str(tmp_path / "typo.db")]) == 2
    assert "no run database here" in capsys.readouterr().err and not (tmp_path / "typo.db").exists()


def test_train_records_the_run_with_its_name_and_tags(tmp_path, monkeypatch, capsys):
    path = tmp_path / "small.csv"
    path.write_bytes(csv_bytes(["id", "sequence", "label"],
                               [[f"p{i}", s, i % 2] for i, s in enumerate(random_sequences(60, seed=5))]))
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    db = tmp_path / "store.db"
    assert main(["train", "--data", str(path), "--model", "mlp", "--encoding", "aac", "--epochs", "2",
                 "--max-batches", "2", "--name", "X", "--tag", "t", "--tag", "u", "--db", str(db), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    run = RunStore(db).get_run(summary["run_id"])
    assert (run["name"], run["tags"], run["status"], run["epochs"]) == ("X", ["t", "u"], "completed", 2)
    assert run["metrics"] == json.loads(json.dumps(summary["metrics"]))
    assert Path(run["run_dir"]) == (tmp_path / "runs" / summary["run_id"]).resolve()
