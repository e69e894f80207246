"""The dashboard with multi-label data: the pure builders of the Evaluate page's multi-label view, the
Data page (choosing the 0/1 label columns of an upload, the built-in dataset), the Evaluate page on a real
run (AppTest, no browser) and the run list."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import dashboard.state
from dashboard.live import run_table
from dashboard.logic import comparison as cmp
from dashboard.logic import evaluation as ev
from dashboard.logic import multilabel as ml
from dashboard.logic.workspace import Workspace, new_upload
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.data.splits import make_split
from protscope.runs.jobs import JobManager
from protscope.runs.repository import RunRepository
from protscope.runs.store import RunStore
from protscope.serialise import csv_text
from protscope.train.inference import Predictions
from tests.conftest import MULTILABELS, csv_bytes, multilabel_csv, multilabel_rows
from tests.test_dashboard_evaluate import array, charts, finished, metrics

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
LABELS = ("a", "b", "c")
Y = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 0]])
PROBA = np.array([[0.9, 0.2, 0.1], [0.7, 0.6, 0.3], [0.2, 0.4, 0.2], [0.1, 0.1, 0.4]])


# --- pure builders ------------------------------------------------------------------------------------

def test_label_table_says_why_a_score_is_undefined():
    rows = ml.label_table(Y, PROBA, LABELS)
    assert [(r["label"], r["support"], r["predicted"]) for r in rows] == [("a", 2, 2), ("b", 2, 1), ("c", 0, 0)]
    assert rows[0]["note"] == "" and math.isnan(rows[2]["roc_auc"]) and math.isnan(rows[2]["f1"])
    assert rows[2]["note"] == ("no protein in this split carries it: ROC AUC and AP are undefined, and so is F1 "
                               "(never predicted either)")
    assert ml.never_predicted(PROBA, LABELS) == ["c"] and ml.empty_share(PROBA) == 0.5


def test_curves_are_one_per_label_that_has_both_outcomes():
    roc, pr = ml.curves(Y, PROBA, LABELS)
    assert list(roc) == list(pr) == ["a", "b"]  # 'c' has no positives here: no curve
    assert roc["a"]["auc"] == 1.0 and pr["b"]["ap"] == 1.0 and roc["b"]["auc"] == 1.0
    assert ml.base_rates(Y, LABELS) == {"a": 0.5, "b": 0.5, "c": 0.0}


def test_cooccurrence_figure_counts_pairs_and_colours_shares():
    fig = ml.cooccurrence_figure(Y, LABELS, "True labels")
    heat = fig.data[0]
    assert [list(row) for row in heat.text] == [["2", "1", "0"], ["1", "2", "0"], ["0", "0", "0"]]
    assert np.asarray(heat.z)[0].tolist() == [1.0, 0.5, 0.0] and fig.layout.title.text == "True labels"
    assert "a and b: 1 proteins" in heat.customdata[0][1]


def test_predictions_csv_has_label_sets_and_probabilities():
    preds = Predictions("test", rows=np.array([3, 0]), outputs=PROBA[:2], y_true=Y[:2])
    rows = ev.prediction_rows("multilabel", preds, np.array(["w", "x", "y", "z"]), ("M", "K", "T", "W"), LABELS)
    assert rows[0] == {"id": "z", "sequence": "W", "true": "a", "predicted": "a", "p_a": 0.9, "p_b": 0.2, "p_c": 0.1}
    assert rows[1]["true"] == "a;b" and rows[1]["predicted"] == "a;b"
    assert csv_text(rows).splitlines()[0] == "id,sequence,true,predicted,p_a,p_b,p_c"
    assert (ev.metric_label("macro_roc_auc", "multilabel", 3), ev.metric_label("micro_f1", "multilabel", 3)) == \
        ("macro ROC AUC", "micro F1")


def test_a_new_upload_keeps_label_columns_it_has(tmp_path):
    ws = Workspace("a" * 32)
    ws.choose_upload(new_upload("one.csv", b"x", tmp_path), ["sequence", "a", "b"])
    ws.set("label_cols", "a,b")
    assert ws.choose_upload(new_upload("two.csv", b"y", tmp_path), ["sequence", "a", "b", "c"]) == []
    assert ws.settings["label_cols"] == "a,b"
    assert ws.choose_upload(new_upload("three.csv", b"z", tmp_path), ["sequence", "a"]) == ["label_cols"]


# --- the Data page ------------------------------------------------------------------------------------

@pytest.mark.usefixtures("fresh_dashboard")
def test_choosing_label_columns_of_an_upload_makes_a_multilabel_task():
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value(("proteins.csv", multilabel_csv(), "text/csv"))
    at.run()
    assert not at.exception and [m.value for m in at.metric][1] == "binary"
    assert any("set label_cols lysine,tryptophan,acidic" in w.value for w in at.warning)
    at.multiselect(key="label_cols_pick").set_value(list(MULTILABELS)).run()
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][1:3] == ["multilabel", "3"] and at.metric[2].label == "Labels"
    assert at.session_state["ws"].settings["label_cols"] == "lysine,tryptophan,acidic"
    assert "labels" in at.dataframe[0].value.columns  # the preview shows each protein's label set
    assert list(at.dataframe[-1].value.columns)[-3:] == list(MULTILABELS)  # proteins per label in each split


@pytest.mark.usefixtures("fresh_dashboard")
def test_the_builtin_multilabel_dataset_on_the_data_page():
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.selectbox(key="dataset").set_value("structure-content").run()
    assert not at.exception
    assert [m.value for m in at.metric][:3] == ["11,156", "multilabel", "3"]
    assert "DERIVED" in at.caption[0].value
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    options = at.selectbox(key="loss").options  # shown by title: no softmax loss is offered
    assert len(options) == 2 and options[0].startswith("auto") and options[1].startswith("Binary cross-entropy")
    at.text_input(key="pos_weight__text").set_value("balanced").run()
    assert not at.exception and at.session_state["ws"].settings["pos_weight"] == "balanced"


# --- the Evaluate page on a real run --------------------------------------------------------------------

@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One finished multi-label run whose test split holds no 'acidic' protein."""
    folder = tmp_path_factory.mktemp("runs")
    store = RunStore(folder / "protscope.db")
    manager = JobManager(folder, max_concurrent=1, store=store)
    rows = multilabel_rows(120, seed=3)
    splits = ["train"] * 80 + ["val"] * 20 + ["test"] * 20
    for row in rows[100:]:
        row[4] = 0
    content = csv_bytes(["id", "sequence", *MULTILABELS, "split"], [r + [s] for r, s in zip(rows, splits)])
    data = load_bytes(content, "ml.csv", DataConfig(label_cols=",".join(MULTILABELS)))
    config = RunConfig().with_values(epochs=3, batch_size=16, model="mlp", encoding="aac", lr=0.01)
    job = finished(manager.submit(config, data, make_split(data, config.data), label="multilabel"))
    return manager, job, store


@pytest.fixture
def job(runs, monkeypatch):
    monkeypatch.setattr(dashboard.state, "job_manager", lambda: runs[0])
    monkeypatch.setattr(dashboard.state, "run_store", lambda: runs[2])
    return runs[1]


def test_evaluate_page_shows_per_label_scores_curves_and_cooccurrence(job):
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/evaluate.py").run()
    at.toggle(key="eval_everyone").set_value(True).run()
    assert not at.exception
    test = job.result.metrics["test"]
    assert list(metrics(at))[:6] == ["micro F1", "macro F1", "macro ROC AUC", "macro AP", "subset accuracy", "loss"]
    assert metrics(at)["macro F1"] == f"{test['macro_f1']:.3f}"
    table = at.dataframe[0].value
    assert list(table["label"]) == list(MULTILABELS) and table["support"].iloc[2] == 0
    assert "no protein in this split carries it" in table["note"].iloc[2]
    assert any("No test protein carries acidic" in w.value for w in at.warning)
    shown = charts(at)
    assert {"eval_ml_roc", "eval_ml_pr", "eval_ml_true", "eval_ml_predicted", "eval_loss"} <= set(shown)
    assert "eval_confusion" not in shown and "eval_calibration" not in shown
    assert [t["name"].split(" ")[0] for t in shown["eval_ml_roc"]["data"][1:]] == ["lysine", "tryptophan"]
    truth = job.result.predictions["test"].y_true
    diagonal = [int(v.replace(",", "")) for v in np.diag(np.asarray(shown["eval_ml_true"]["data"][0]["text"]))]
    assert diagonal == truth.sum(axis=0).astype(int).tolist()
    assert array(shown["eval_ml_predicted"]["data"][0]["z"]).shape == (3, 3)
    at.radio(key="eval_split").set_value("val").run()
    assert not at.exception and metrics(at)["loss"] == f"{job.result.metrics['val']['loss']:.3f}"


def test_run_list_shows_micro_and_macro_f1(job, runs):
    record = RunRepository(runs[2], runs[0]).run(job.run_id)
    row = run_table([record], "")[0]
    test = job.result.metrics["test"]
    assert row["test micro f1"] == round(test["micro_f1"], 4) and row["test macro f1"] == round(test["macro_f1"], 4)
    assert json.dumps(row)  # plain values for st.dataframe
    compared = cmp.run_rows([runs[2].get_run(job.run_id)])[0]  # the Compare page's table
    assert {"test_micro_f1", "test_macro_f1", "test_macro_roc_auc", "test_macro_ap", "test_subset_accuracy",
            "test_hamming_loss", "val_micro_f1"} <= set(compared)
