"""A training process killed with SIGKILL mid-run: its epochs so far survive, and the next opener
of the store marks the run "interrupted" (not lost, not forever "running")."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from protscope.runs.store import INTERRUPTED_MESSAGE, open_store

ROOT = Path(__file__).resolve().parent.parent


def test_killed_training_process_leaves_an_interrupted_run_with_its_epochs(tmp_path, binary_csv):
    data = tmp_path / "tiny.csv"
    data.write_bytes(binary_csv)
    db = tmp_path / "runs" / "protscope.db"
    env = {**os.environ, "PROTSCOPE_RUNS": str(tmp_path / "runs")}
    proc = subprocess.Popen([sys.executable, "-m", "protscope", "train", "--data", str(data), "--model", "mlp",
                             "--encoding", "aac", "--epochs", "5000", "--batch-size", "4", "--db", str(db),
                             "--name", "doomed"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        epochs = 0
        while time.monotonic() < deadline and epochs < 3:
            time.sleep(0.2)
            if db.exists():
                with sqlite3.connect(db) as conn:
                    try:
                        epochs = conn.execute("SELECT COUNT(*) FROM epochs").fetchone()[0]
                    except sqlite3.OperationalError:  # the schema is not there yet
                        epochs = 0
        assert epochs >= 3, "the run never got going"
        assert open_store(db, recover=False).list_runs()[0]["status"] == "running"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

    store = open_store(db)  # what the dashboard or the CLI does at start
    run = store.list_runs()[0]
    assert run["name"] == "doomed" and run["status"] == "interrupted"
    assert run["message"] == INTERRUPTED_MESSAGE
    history = store.history(run["id"])
    assert len(history) >= epochs and [h["epoch"] for h in history] == list(range(1, len(history) + 1))
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
