"""The run repository: one record per run whatever started it, with its owner, class names and stored
predictions, so any stored run can be evaluated after a restart."""
import json

import numpy as np
import pytest

from protscope.cli.main import main
from protscope.config.run_config import RunConfig
from protscope.data.splits import make_split
from protscope.owners import Owner
from protscope.runs.jobs import JobManager
from protscope.runs.outputs import predictions_bytes, predictions_from_bytes
from protscope.runs.repository import RunRepository
from protscope.runs.store import RunStore
from tests.conftest import csv_bytes, random_sequences, tiny_dataset

CONFIG = RunConfig().with_values(epochs=2, batch_size=16, model="mlp", encoding="aac")


def test_a_dashboard_job_is_recorded_with_its_owner_classes_and_predictions(tmp_path):
    store = RunStore(tmp_path / "runs" / "protscope.db")
    jobs = JobManager(tmp_path / "runs", max_concurrent=1, store=store)
    data = tiny_dataset("multiclass")
    job = jobs.submit(CONFIG, data, make_split(data, CONFIG.data), owner=Owner("a" * 32, "Ada", "dashboard"))
    assert store.get_run(job.run_id)["owner"] == "a" * 32  # listed (queued) at once, already owned
    job.trainer.wait(60)
    assert job.finished_recording.wait(60)
    repo = RunRepository(store, jobs)
    record = repo.run(job.run_id)
    assert (record.owner, record.owner_name, record.origin, record.status) == ("a" * 32, "Ada", "dashboard",
                                                                             "completed")
    assert record.classes == data.classes and record.live
    assert [r.id for r in repo.runs(owner="a" * 32)] == [job.run_id] and repo.runs(owner="b" * 32) == []
    for split in ("val", "test"):
        stored = repo.predictions(job.run_id, split)
        live = job.result.predictions[split]
        assert np.allclose(stored.predictions.outputs, live.outputs, atol=1e-6)
        assert stored.predictions.y_true.tolist() == live.y_true.tolist()
        assert list(stored.ids) == [str(data.ids[r]) for r in live.rows]
        assert stored.sequences == tuple(data.sequences[r] for r in live.rows)
    curves = repo.curves(job.run_id)
    assert curves["batch_losses"] and RunRepository(store).curves(job.run_id)["batch_losses"]


def test_per_residue_predictions_round_trip(tiny):
    from protscope.train.trainer import Trainer

    data, split = tiny["residue"]
    result = Trainer(RunConfig().with_values(epochs=1, batch_size=8, model="cnn", encoding="onehot", channels=8),
                     data, split).run()
    preds = result.predictions["test"]
    back = predictions_from_bytes(predictions_bytes(preds, data.ids, data.sequences), "test")
    assert back.predictions.protein.tolist() == preds.protein.tolist()
    assert back.predictions.position.tolist() == preds.position.tolist()
    assert back.predictions.loss == pytest.approx(preds.loss)


def test_a_run_trained_on_the_command_line_can_be_evaluated_from_the_store(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    rows = [[f"p{i}", s, i % 2] for i, s in enumerate(random_sequences(40, seed=5))]
    (tmp_path / "mine.csv").write_bytes(csv_bytes(["id", "sequence", "label"], rows))
    db = tmp_path / "runs" / "protscope.db"
    status = main(["train", "--data", str(tmp_path / "mine.csv"), "--model", "mlp", "--encoding", "aac",
                   "--epochs", "2", "--json", "--db", str(db)])
    assert status == 0
    run_id = json.loads(capsys.readouterr().out.strip().splitlines()[-1])["run_id"]
    record = RunRepository(RunStore(db)).run(run_id)  # a fresh process: no job in memory
    assert record.origin == "cli" and record.owner.startswith("cli:") and "(command line)" in record.owner_name
    assert not record.live and record.classes == ("0", "1")
    test = RunRepository(RunStore(db)).predictions(run_id, "test")
    assert test is not None and len(test.ids) == len(test.predictions.y_true) > 0
