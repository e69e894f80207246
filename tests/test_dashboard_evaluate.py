"""The Evaluate page: its pure helpers on hand-made arrays, and the page itself (AppTest, no browser)
on real tiny runs of every task."""
from __future__ import annotations

import base64
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import dashboard.state
from dashboard.logic import evaluation as ev
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.splits import make_split
from protscope.evaluation.metrics import metrics_at_threshold
from protscope.runs.jobs import JobManager
from protscope.runs.store import RunStore
from protscope.serialise import csv_text
from protscope.train.inference import Predictions
from tests.conftest import tiny_dataset

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGE = "app_pages/evaluate.py"
NAN = float("nan")


# --- pure helpers ---------------------------------------------------------------------------

def test_binary_prediction_rows_follow_the_threshold():
    preds = Predictions("test", rows=np.array([2, 0]), outputs=np.array([[0.3, 0.7], [0.8, 0.2]]),
                        y_true=np.array([1, 1]))
    ids, sequences = np.array(["a", "b", "c"], dtype=object), ("MKV", "GG", "WYF")
    rows = ev.prediction_rows("binary", preds, ids, sequences, ("neg", "pos"))
    assert rows == [{"id": "c", "sequence": "WYF", "true": "pos", "predicted": "pos", "p_neg": 0.3, "p_pos": 0.7},
                    {"id": "a", "sequence": "MKV", "true": "pos", "predicted": "neg", "p_neg": 0.8, "p_pos": 0.2}]
    strict = ev.prediction_rows("binary", preds, ids, sequences, ("neg", "pos"), threshold=0.75)
    assert [r["predicted"] for r in strict] == ["neg", "neg"]
    assert [r["predicted"] for r in ev.prediction_rows("binary", preds, ids, sequences, ("neg", "pos"), 0.1)] == \
        ["pos", "pos"]


def test_multiclass_and_regression_prediction_rows():
    preds = Predictions("val", rows=np.array([1, 0]), outputs=np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]),
                        y_true=np.array([2, 1]))
    rows = ev.prediction_rows("multiclass", preds, np.array(["x", "y"]), ("AC", "DE"), ("E", "K", "W"), 0.99)
    assert [(r["id"], r["true"], r["predicted"]) for r in rows] == [("y", "W", "W"), ("x", "K", "E")]
    assert rows[0]["p_W"] == 0.7 and set(rows[0]) == {"id", "sequence", "true", "predicted", "p_E", "p_K", "p_W"}
    values = Predictions("test", rows=np.array([0, 1]), outputs=np.array([1.5, -2.0]), y_true=np.array([1.0, -1.0]))
    rows = ev.prediction_rows("regression", values, np.array(["x", "y"]), ("AC", "DE"), ())
    assert rows == [{"id": "x", "sequence": "AC", "true": 1.0, "predicted": 1.5, "residual": 0.5},
                    {"id": "y", "sequence": "DE", "true": -1.0, "predicted": -2.0, "residual": -1.0}]


def residue_predictions() -> Predictions:
    """Two proteins (dataset rows 3 and 1); protein 0 has positions 1 and 3 unscored."""
    proba = np.eye(3)[[0, 1, 2, 2, 0, 1]] * 0.8 + 0.2 / 3
    return Predictions("test", rows=np.array([3, 1]), outputs=proba, y_true=np.array([0, 1, 1, 2, 0, 0]),
                       protein=np.array([0, 0, 0, 1, 1, 1]), position=np.array([0, 2, 4, 0, 1, 2]))


def test_residue_track_strings_mark_unscored_positions():
    preds = residue_predictions()
    assert ev.residue_track_strings(preds, 0, 5, ("H", "E", "C")) == ("H-E-E", "H-E-C")
    assert ev.residue_track_strings(preds, 1, 4, ("H", "E", "C")) == ("CHH-", "CHE-")


def test_residue_prediction_rows_are_per_scored_residue():
    sequences = ("", "MKT", "", "ACDEF")
    rows = ev.prediction_rows("residue", residue_predictions(), np.array(["p0", "p1", "p2", "p3"]), sequences,
                              ("H", "E", "C"))
    assert len(rows) == 6
    assert rows[:2] == [{"id": "p3", "position": 1, "residue": "A", "true": "H", "predicted": "H"},
                        {"id": "p3", "position": 3, "residue": "D", "true": "E", "predicted": "E"}]
    assert rows[2] == {"id": "p3", "position": 5, "residue": "F", "true": "E", "predicted": "C"}
    assert [(r["id"], r["residue"]) for r in rows[3:]] == [("p1", "M"), ("p1", "K"), ("p1", "T")]


def test_metric_rows_one_per_split_and_metric_with_nan_left_empty():
    rows = ev.metric_rows({"val": {"loss": 0.5, "mcc": NAN}, "test": {"loss": 0.25}})
    assert rows == [{"split": "val", "metric": "loss", "value": 0.5}, {"split": "val", "metric": "mcc", "value": None},
                    {"split": "test", "metric": "loss", "value": 0.25}]
    assert csv_text(rows).splitlines() == ["split,metric,value", "val,loss,0.5", "val,mcc,", "test,loss,0.25"]


def test_shown_metrics_recompute_threshold_dependent_ones():
    y_true, proba = np.array([0, 1, 1, 0]), np.array([0.2, 0.6, 0.9, 0.4])
    run = {"accuracy": 1.0, "mcc": 1.0, "roc_auc": 1.0, "f1": 1.0, "loss": 0.3, "log_loss": 0.3}
    assert ev.shown_metrics("binary", run, y_true, proba, 0.5) == {"accuracy": 1.0, "mcc": 1.0, "roc_auc": 1.0,
                                                                   "f1": 1.0, "loss": 0.3}
    strict = ev.shown_metrics("binary", run, y_true, proba, 0.7)  # calls only the 0.9 protein positive
    assert strict["accuracy"] == 0.75 and strict["f1"] == pytest.approx(2 / 3) and strict["roc_auc"] == 1.0
    assert strict["mcc"] == pytest.approx(1 / math.sqrt(3))
    regression = ev.shown_metrics("regression", {"r2": 0.5, "loss": 2.0}, y_true, proba)
    assert list(regression) == ["r2", "spearman", "rmse", "loss"] and math.isnan(regression["spearman"])


def test_small_helpers():
    assert ev.predicted_classes(np.array([[0.4, 0.6], [0.9, 0.1]])).tolist() == [1, 0]
    assert ev.predicted_classes(np.array([[0.4, 0.6], [0.9, 0.1]]), 0.65).tolist() == [0, 0]
    assert ev.predicted_classes(np.array([[0.2, 0.3, 0.5]]), 0.1).tolist() == [2]
    assert ev.base_rates(np.array([1, 0, 1, 1]), ("0", "1")) == {"1": 0.75}
    assert ev.base_rates(np.array([2, 0, 2, 1]), "HEC") == {"H": 0.25, "E": 0.25, "C": 0.5}
    from protscope.evaluation.diagnosis import chance_loss

    assert chance_loss("multiclass", "abc") == pytest.approx(math.log(3))
    assert chance_loss("binary", ("0", "1")) == pytest.approx(math.log(2))
    assert chance_loss("regression", ()) is None
    rows = [{"epoch": 1}, {"epoch": 2}, {"epoch": 3}]
    assert ev.stop_epoch("early_stopped", rows) == 3 and ev.stop_epoch("completed", rows) == 0
    assert (ev.metric_label("accuracy", "residue", 3), ev.metric_label("accuracy", "binary", 2)) == ("Q3", "accuracy")
    assert (ev.number(NAN), ev.number(0.12345)) == ("undefined", "0.123")
    assert (ev.percent(0.256), ev.percent(NAN)) == ("26%", "–")
    assert ev.run_title("r1", "mlp · aac", "esol") == "r1 · mlp · aac · esol"


def test_calibration_of_multiclass_reads_top_class_confidence():
    proba = np.array([[0.9, 0.05, 0.05], [0.15, 0.8, 0.05], [0.05, 0.15, 0.8], [0.2, 0.3, 0.5]])
    cal, label = ev.calibration_data(np.array([0, 0, 2, 2]), proba)
    assert label == "fraction predicted correctly"
    assert cal["mean_predicted"].tolist() == pytest.approx([0.5, 0.8, 0.9])
    assert cal["observed_fraction"].tolist() == [1.0, 0.5, 1.0]
    cal, label = ev.calibration_data(np.array([1, 0]), np.array([[0.1, 0.9], [0.8, 0.2]]))
    assert label == "observed fraction positive" and cal["observed_fraction"].tolist() == [0.0, 1.0]


# --- the page, on real runs --------------------------------------------------------------------

SETTINGS = {"binary": dict(model="mlp", encoding="aac"), "multiclass": dict(model="mlp", encoding="aac"),
            "regression": dict(model="mlp", encoding="aac"),
            "residue": dict(model="cnn", encoding="onehot", channels=8, layers=1)}


def finished(job, timeout: float = 60):
    job.trainer.wait(timeout)
    deadline = time.monotonic() + 10
    while job.result is None and time.monotonic() < deadline:  # the result lands just after the last event
        time.sleep(0.01)
    assert job.result is not None and job.finished_recording.wait(timeout)  # its predictions are stored
    return job


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A job manager and its run store holding one finished 2-epoch run per task, and one failed run."""
    folder = tmp_path_factory.mktemp("runs")
    store = RunStore(folder / "protscope.db")
    manager = JobManager(folder, max_concurrent=1, store=store)
    jobs = {}
    for task, settings in SETTINGS.items():
        data = tiny_dataset(task)
        split = make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))
        config = RunConfig().with_values(epochs=2, batch_size=16, **settings)
        jobs[task] = finished(manager.submit(config, data, split, label=task))
    bad = RunConfig().with_values(epochs=2, batch_size=16, model="mlp", encoding="aac", monitor="val_nonsense")
    jobs["failed"] = finished(manager.submit(bad, tiny_dataset("binary"), label="failed"))
    return manager, jobs, store


@pytest.fixture
def manager(runs, monkeypatch):
    """The page reads this manager and store instead of the process-wide ones, so other tests see no extra runs."""
    monkeypatch.setattr(dashboard.state, "job_manager", lambda: runs[0])
    monkeypatch.setattr(dashboard.state, "run_store", lambda: runs[2])
    return runs[1]


HEADERS = {"binary": "id,sequence,true,predicted,p_0,p_1", "multiclass": "id,sequence,true,predicted,p_E,p_K,p_W",
           "regression": "id,sequence,true,predicted,residual", "residue": "id,position,residue,true,predicted"}


def test_predictions_csv_of_real_runs_matches_the_data(runs):
    for task, header in HEADERS.items():
        job = runs[1][task]
        data, preds = job.data, job.result.predictions["test"]
        rows = ev.prediction_rows(task, preds, data.ids, data.sequences, data.classes)
        assert len(rows) == len(preds.y_true) and csv_text(rows).splitlines()[0] == header
        row_of = {str(name): i for i, name in enumerate(data.ids)}
        for row in rows[:50]:
            i = row_of[row["id"]]
            if task == "residue":
                assert row["residue"] == data.sequences[i][row["position"] - 1]
                assert row["true"] == data.classes[data.residue_y[i, row["position"] - 1]]
            elif task == "regression":
                assert row["true"] == pytest.approx(float(data.y[i])) and row["sequence"] == data.sequences[i]
            else:
                assert row["true"] == data.classes[data.y[i]] and row["sequence"] == data.sequences[i]


def evaluate(run_id: str | None = None) -> AppTest:
    """The page with everyone's runs shown: these runs were trained by the fixture, not by this session."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE).run()
    assert not at.exception
    at.toggle(key="eval_everyone").set_value(True).run()
    if run_id is not None:
        at.selectbox(key="eval_run").set_value(run_id).run()
        assert not at.exception
    return at


def charts(at: AppTest) -> dict[str, dict]:
    """Plotly specs by the chart's key."""
    return {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}


def array(value) -> np.ndarray:
    """A figure's data array: Plotly writes numpy arrays as base64 typed arrays ({dtype, bdata, shape})."""
    if isinstance(value, dict):
        shape = tuple(int(n) for n in str(value.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape)
    return np.asarray(value)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_newest_run_is_chosen_and_runs_are_labelled(manager):
    at = evaluate()
    box = at.selectbox(key="eval_run")
    assert box.value == manager["failed"].run_id  # the newest
    assert f"{manager['binary'].run_id} · binary · tiny-binary.csv · unknown" in box.options  # unknown: no owner
    assert at.radio(key="eval_split").value == "test"


def test_binary_run_threshold_changes_confusion_and_metrics(manager):
    job = manager["binary"]
    preds = job.result.predictions["test"]
    at = evaluate(job.run_id)
    shown = charts(at)
    assert {"eval_confusion", "eval_roc", "eval_pr", "eval_calibration", "eval_loss"} <= set(shown)
    assert shown["eval_roc"]["data"][1]["name"].startswith("1 (AUC ")
    assert list(metrics(at))[:5] == ["accuracy", "MCC", "ROC AUC", "F1", "loss"]
    assert metrics(at)["ROC AUC"] == f"{job.result.metrics['test']['roc_auc']:.3f}"
    before = metrics(at)

    at.slider(key="threshold").set_value(0.01).run()
    assert not at.exception
    expected = metrics_at_threshold(preds.y_true, preds.outputs, 0.01)
    after = metrics(at)
    assert after["accuracy"] == f"{expected['accuracy']:.3f}" and after["F1"] == f"{expected['f1']:.3f}"
    assert after != before and after["ROC AUC"] == before["ROC AUC"]
    matrix = array(charts(at)["eval_confusion"]["data"][0]["z"])
    assert matrix.tolist() == [[expected["tn"], expected["fp"]], [expected["fn"], expected["tp"]]]

    at.toggle(key="eval_normalised").set_value(True).run()
    matrix = array(charts(at)["eval_confusion"]["data"][0]["z"])
    assert matrix.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert [b.label for b in at.get("download_button")] == ["Metrics (CSV)", "Predictions (CSV)", "Checkpoint (.pt)"]


def test_validation_split_shows_validation_metrics(manager):
    job = manager["multiclass"]
    at = evaluate(job.run_id)
    at.radio(key="eval_split").set_value("val").run()
    assert not at.exception
    assert metrics(at)["accuracy"] == f"{job.result.metrics['val']['accuracy']:.3f}"
    assert metrics(at)["loss"] == f"{job.result.metrics['val']['loss']:.3f}"


def test_multiclass_run_draws_one_curve_per_class(manager):
    at = evaluate(manager["multiclass"].run_id)
    shown = charts(at)
    assert [t["name"].split(" ")[0] for t in shown["eval_roc"]["data"][1:]] == ["E", "K", "W"]
    assert shown["eval_calibration"]["layout"]["yaxis"]["title"]["text"] == "fraction predicted correctly"
    assert [row for row in at.dataframe[0].value["class"]] == ["E", "K", "W"]


def test_regression_run_shows_parity_and_residuals(manager):
    job = manager["regression"]
    at = evaluate(job.run_id)
    shown = charts(at)
    assert set(shown) == {"eval_parity", "eval_residuals", "eval_loss"}
    r2 = job.result.metrics["test"]["r2"]
    assert f"R² {r2:.3f}" in shown["eval_parity"]["layout"]["title"]["text"]
    assert list(metrics(at))[:4] == ["R²", "spearman", "RMSE", "loss"]


def test_residue_run_shows_q3_and_the_protein_track(manager):
    job = manager["residue"]
    preds = job.result.predictions["test"]
    at = evaluate(job.run_id)
    assert metrics(at)["Q3"] == f"{job.result.metrics['test']['accuracy']:.3f}"
    shown = charts(at)
    assert {"eval_confusion", "eval_track", "eval_loss"} <= set(shown)
    ids = [str(job.data.ids[r]) for r in preds.rows]
    assert at.selectbox(key="eval_protein").options == ids
    at.selectbox(key="eval_protein").set_value(1).run()
    assert not at.exception
    length = len(job.data.sequences[preds.rows[1]])
    cells = sum(len(t["x"]) for t in charts(at)["eval_track"]["data"])
    assert cells == 2 * min(length, 120)  # every true and predicted residue is a cell: all scored here


def test_failed_run_shows_its_message(manager):
    at = evaluate(manager["failed"].run_id)
    assert "val_nonsense" in at.error[0].value and "failed" in at.error[0].value
    assert not at.get("plotly_chart")


def test_no_finished_runs_points_to_the_train_page(tmp_path, monkeypatch):
    empty = JobManager(tmp_path)
    monkeypatch.setattr(dashboard.state, "job_manager", lambda: empty)
    at = evaluate()
    assert "Train page" in at.info[0].value
    assert not at.get("plotly_chart") and not at.selectbox
