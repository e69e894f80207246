"""Multi-label runs end to end: the API (train, checkpoint, predict), the sanity checks, what is refused
before training, the command line (with a user CSV and the built-in dataset, --json) and the export."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from protscope.checks.init_check import init_loss_check
from protscope.checks.sanity import overfit_one_batch
from protscope.config.relevance import ignored_settings, relevant_fields
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.evaluation.multilabel import MULTILABEL_KEYS
from protscope.script_export.script import pytorch_script
from protscope.train.predict import predict_sequences
from protscope.train.trainer import Trainer
from tests.conftest import MULTILABELS, multilabel_csv, multilabel_rows

ROOT = Path(__file__).resolve().parent.parent
CONFIG = RunConfig().with_values(model="mlp", encoding="aac", hidden=(32,), epochs=4, batch_size=16, lr=0.01)


@pytest.fixture(scope="module")
def data():
    data = load_bytes(multilabel_csv(120, seed=1), "m.csv", DataConfig(label_cols=",".join(MULTILABELS)))
    return data, make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))


@pytest.fixture(scope="module")
def run(data, tmp_path_factory):
    proteins, split = data
    return Trainer(CONFIG, proteins, split, run_dir=tmp_path_factory.mktemp("run")).run()


def test_a_run_trains_and_reports_the_multilabel_metrics(run, data):
    proteins, split = data
    assert run.status == "completed", run.message
    assert run.config.loss.name == "auto" and run.config.data.task == "multilabel"
    test = run.metrics["test"]
    assert set(MULTILABEL_KEYS) <= set(test) and {f"f1_{n}" for n in MULTILABELS} <= set(test)
    assert test["macro_roc_auc"] > 0.7  # the labels are written into the composition
    assert {"val_micro_f1", "train_macro_f1", "val_hamming_loss"} <= set(run.history[-1])
    preds = run.predictions["test"]
    assert preds.outputs.shape == preds.y_true.shape == (len(split.index("test")), 3)
    assert ((preds.outputs >= 0) & (preds.outputs <= 1)).all()
    assert not np.allclose(preds.outputs.sum(axis=1), 1)  # a sigmoid per label, not a softmax
    np.testing.assert_array_equal(preds.y_true, proteins.y[preds.rows])


def test_the_checkpoint_predicts_label_sets_and_probabilities(run, data):
    proteins, _ = data
    rows, problems, notes = predict_sequences(run.checkpoint, ["a", "b", "bad"],
                                              [proteins.sequences[0], proteins.sequences[1], "MK?L"])
    assert [p.id for p in problems] == ["bad"] and not notes
    assert set(rows[0]) == {"id", "sequence", "prediction", *(f"p_{n}" for n in MULTILABELS)}
    for row in rows:
        carried = [n for n in MULTILABELS if row[f"p_{n}"] >= 0.5]
        assert row["prediction"] == (";".join(carried) or "none")


def test_the_sanity_checks_expect_ln2_per_label(data):
    proteins, split = data
    init = init_loss_check(CONFIG, proteins, split)
    assert init.passed and init.expected_loss == pytest.approx(math.log(2), abs=1e-6)
    assert "a 50 % guess for every label" in init.message
    fitted = overfit_one_batch(CONFIG, proteins, split, steps=60)
    assert fitted.chance_loss == pytest.approx(math.log(2), abs=1e-6) and fitted.floor_loss < 1e-6
    assert fitted.batch_accuracy > 0.9 and "protein-label decisions right" in fitted.message


def test_impossible_settings_are_refused_before_training(data):
    proteins, split = data
    for loss in ("ce", "focal"):
        with pytest.raises(ProtScopeError, match=f"loss '{loss}' does not fit a multi-label task.*softmax.*use bce"):
            Trainer(CONFIG.with_values(loss=loss), proteins, split)
    with pytest.raises(ProtScopeError, match="loss 'mse' does not fit a multi-label task: it is for regression"):
        Trainer(CONFIG.with_values(loss="mse"), proteins, split)
    with pytest.raises(ProtScopeError, match="pos_weight has 2 numbers for 3 labels"):
        Trainer(CONFIG.with_values(pos_weight="1,2"), proteins, split)
    with pytest.raises(ProtScopeError, match="BCE is for binary tasks"):
        CONFIG.with_values(loss="bce").resolve("multiclass")


def test_pos_weight_is_the_setting_that_matters():
    shown = relevant_fields({}, "multilabel")
    assert "pos_weight" in shown and "class_weights" not in shown and "pos_weight" not in relevant_fields({}, "binary")
    notes = ignored_settings(RunConfig().with_values(class_weights="balanced", pos_weight="balanced"), "multilabel")
    assert notes == ["class_weights balanced is ignored: auto picks the bce loss for a multilabel task, which does "
                     "not use it"]


def test_the_script_export_refuses_multilabel_by_name(tmp_path):
    with pytest.raises(ProtScopeError, match="does not support the 'multilabel' task.*multi-label models"):
        pytorch_script(CONFIG, str(tmp_path / "m.csv"), {"sequence": "sequence", "label": ""}, "multilabel",
                       MULTILABELS)


# --- the command line -------------------------------------------------------------------------------

def protscope(*args, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PROTSCOPE_RUNS": str(tmp_path / "runs"), "PROTSCOPE_DB": str(tmp_path / "runs.db")}
    return subprocess.run([sys.executable, "-m", "protscope", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, env=env)


def test_train_and_predict_from_the_command_line_with_a_csv(tmp_path):
    path = tmp_path / "proteins.csv"
    path.write_bytes(multilabel_csv(100, seed=4))
    done = protscope("train", "--data", str(path), "--label-cols", ",".join(MULTILABELS), "--encoding", "aac",
                     "--epochs", "2", "--batch-size", "16", "--pos-weight", "balanced", "--json", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "val_micro_f1" in done.stdout.splitlines()[0]  # the progress lines show the multi-label metrics
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["config"]["data"]["task"] == "multilabel" and summary["config"]["loss"]["pos_weight"] == "balanced"
    assert set(MULTILABEL_KEYS) <= set(summary["metrics"]["test"])
    assert "ap_lysine" in summary["metrics"]["test"] and "val_macro_f1" in summary["history"][0]
    fasta = tmp_path / "new.fasta"
    fasta.write_text("".join(f">{r[0]}\n{r[1]}\n" for r in multilabel_rows(3, seed=9)))
    out = tmp_path / "predictions.csv"
    done = protscope("predict", "--checkpoint", summary["checkpoint"], "--data", str(fasta), "--output", str(out),
                     tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.read_text().splitlines()[0] == "id,sequence,prediction,p_lysine,p_tryptophan,p_acidic"


def test_train_the_builtin_dataset_from_the_command_line(tmp_path):
    done = protscope("train", "--dataset", "structure-content", "--encoding", "aac", "--epochs", "1",
                     "--max-batches", "3", "--json", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])
    assert summary["config"]["data"]["label_cols"] == "helix,strand,unresolved"
    assert {"micro_f1", "macro_f1", "macro_roc_auc", "macro_ap", "subset_accuracy", "hamming_loss",
            "roc_auc_unresolved"} <= set(summary["metrics"]["test"])
    done = protscope("train", "--dataset", "structure-content", "--loss", "focal", "--epochs", "1",
                     tmp_path=tmp_path)
    assert done.returncode == 2 and "loss 'focal' does not fit a multi-label task" in done.stderr
