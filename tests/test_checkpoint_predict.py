"""Checkpoints rebuild the model alone, load safely, and predict new sequences."""
import pickle

import numpy as np
import pytest
import torch

from protscope.errors import ProtScopeError
from protscope.train.checkpoint import load_checkpoint
from protscope.train.predict import predict_sequences
from protscope.train.trainer import Trainer
from tests.test_engine import config


@pytest.fixture(scope="module")
def trained(tiny, tmp_path_factory):
    out = {}
    for task, values in (("multiclass", dict(model="cnn", encoding="tokens")),
                         ("residue", dict(model="window_mlp", encoding="window")),
                         ("regression", dict(model="mlp", encoding="onehot")),
                         ("binary", dict(model="mlp", encoding="aac"))):
        data, split = tiny[task]
        run_dir = tmp_path_factory.mktemp(task)
        result = Trainer(config(epochs=2, **values), data, split, run_dir=run_dir).run()
        out[task] = (data, split, result)
    return out


@pytest.mark.parametrize("task", ["multiclass", "residue", "regression", "binary"])
def test_checkpoint_round_trip_reproduces_test_predictions(trained, task):
    data, split, result = trained[task]
    model, cfg, payload = load_checkpoint(result.checkpoint)
    assert cfg == result.config and payload["classes"] == list(data.classes)
    assert payload["metrics"]["test"] == pytest.approx(result.metrics["test"], nan_ok=True)
    rows = split.index("test")
    preds, problems, _ = predict_sequences(result.checkpoint, [str(i) for i in data.ids[rows]],
                                           [data.sequences[i] for i in rows])
    assert not problems and len(preds) == len(rows)
    if task == "binary":  # the training-set feature scaling travels in the checkpoint
        assert float(model.scale.sd.min()) > 0 and float(model.scale.mean.abs().sum()) > 0
    saved = result.predictions["test"]
    if task in ("multiclass", "binary"):
        by_row = {int(r): saved.outputs[k] for k, r in enumerate(saved.rows)}
        for p, row in zip(preds, rows):
            np.testing.assert_allclose([p[f"p_{c}"] for c in data.classes], by_row[int(row)], atol=1e-5)
    elif task == "regression":
        by_row = {int(r): float(saved.outputs[k]) for k, r in enumerate(saved.rows)}
        np.testing.assert_allclose([p["prediction"] for p in preds], [by_row[int(r)] for r in rows], atol=1e-5)
    else:
        assert all(len(p["prediction"]) == len(p["sequence"]) and set(p["prediction"]) <= set("HEC") for p in preds)


def test_bad_sequences_are_reported_per_row_and_the_rest_predicted(trained):
    _, _, result = trained["multiclass"]
    preds, problems, _ = predict_sequences(result.checkpoint, ["a", "b", "c", "d"],
                                           ["MKTAYIAKQR", "MK3TAY", "", "acgtacgtacgtacgt"])
    assert [p["id"] for p in preds] == ["a"]
    assert [(p.row, p.id) for p in problems] == [(2, "b"), (3, "c"), (4, "d")]
    assert "'3' at position 3" in problems[0].message and "DNA" in problems[2].message


def test_crafted_pickle_checkpoint_is_refused_without_running(tmp_path):
    marker = tmp_path / "executed"

    class Exploit:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    path = tmp_path / "evil.pt"
    with open(path, "wb") as f:
        pickle.dump({"format": "protscope-checkpoint-1", "payload": Exploit()}, f)
    with pytest.raises(ProtScopeError, match="not a checkpoint ProtScope can load safely"):
        load_checkpoint(path)
    assert not marker.exists()


def test_other_torch_files_are_refused(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(ProtScopeError, match="not a ProtScope checkpoint"):
        load_checkpoint(path)
