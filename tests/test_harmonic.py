"""The harmonic loss (Baek et al. 2025): the distance layer against numbers worked out by hand, its gradients,
training with it, checkpoints that rebuild it, its class centres (engine, figure and the Evaluate page)
and the script export."""
from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from streamlit.testing.v1 import AppTest

import dashboard.state
from dashboard.logic import centre_charts as cc
from protscope.config.relevance import applies, ignored_settings
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig, LossConfig
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.modeling.harmonic import EPS, HarmonicHead, harmonic_head
from protscope.modeling.losses import make_loss, output_size, with_loss_head
from protscope.modeling.models import ModelDims, build_model
from protscope.runs.jobs import JobManager
from protscope.runs.store import RunStore
from protscope.script_export.script import DRY_RUN_VARIABLE, pytorch_script
from protscope.train.batches import to_device
from protscope.train.checkpoint import load_checkpoint
from protscope.train.class_centres import class_centres
from protscope.train.inference import predict
from protscope.train.predict import predict_sequences
from protscope.train.trainer import Trainer
from tests.conftest import csv_bytes, random_sequences, tiny_dataset


def head_with(centres, n: float) -> HarmonicHead:
    head = HarmonicHead(len(centres[0]), len(centres), n)
    with torch.no_grad():
        head.weight.copy_(torch.tensor(centres, dtype=torch.float32))
    return head


# --- the distance layer and the loss ----------------------------------------------------------------

def test_the_loss_matches_a_hand_computed_example():
    """Centres w0 = (1, 0), w1 = (0, 2); exponent n = 2.
    x = (0, 0), true class 0: d = (1, 2), p0 = 1^-2 / (1^-2 + 2^-2) = 1 / 1.25 = 0.8, loss -ln 0.8 = 0.2231436.
    x = (3, 0), true class 1: d = (2, sqrt 13), p1 = (1/13) / (1/4 + 1/13) = 4/17, loss -ln(4/17) = 1.4469190.
    The batch's loss is their mean, 0.8350313."""
    head = head_with([[1.0, 0.0], [0.0, 2.0]], n=2.0)
    loss_fn = make_loss(LossConfig(name="harmonic", harmonic_exponent=2.0), "multiclass", 2, None, "cpu")
    logits = head(torch.tensor([[0.0, 0.0], [3.0, 0.0]]))
    assert torch.softmax(logits, -1)[0, 0].item() == pytest.approx(0.8, rel=1e-6)
    assert torch.softmax(logits, -1)[1, 1].item() == pytest.approx(4 / 17, rel=1e-6)
    assert loss_fn(logits, torch.tensor([0, 1])).item() == pytest.approx(0.8350313, rel=1e-6)
    assert logits[1].tolist() == pytest.approx([-2 * math.log(2), -2 * math.log(math.sqrt(13))], rel=1e-6)


def test_softmax_of_the_logits_is_harmonicmax_for_any_exponent_and_scale():
    generator = torch.Generator().manual_seed(0)
    x, w = torch.randn(50, 6, generator=generator), torch.randn(4, 6, generator=generator)
    for n in (1.0, 2.45, 8.0):
        head = head_with(w.tolist(), n)
        d = torch.cdist(x.double(), w.double())
        expected = d**-n / (d**-n).sum(-1, keepdim=True)
        torch.testing.assert_close(torch.softmax(head(x), -1).double(), expected, rtol=1e-4, atol=1e-6)
        # scale invariance: features and centres 10x larger give the same probabilities
        torch.testing.assert_close(torch.softmax(head_with((10 * w).tolist(), n)(10 * x), -1),
                                   torch.softmax(head(x), -1), rtol=1e-4, atol=1e-6)


def test_gradients_are_finite_even_on_a_centre():
    head = head_with([[1.0, 0.0], [0.0, 2.0], [-1.0, -1.0]], n=4.0)
    x = torch.tensor([[1.0, 0.0], [0.5, 0.5], [100.0, -50.0]], requires_grad=True)  # the first sits on a centre
    loss = F.cross_entropy(head(x), torch.tensor([0, 1, 2]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(x.grad).all() and torch.isfinite(head.weight.grad).all()
    assert head(x)[0, 0].item() == pytest.approx(-0.5 * 4.0 * math.log(EPS))  # -n log d with d^2 = EPS


def test_the_head_per_residue_and_the_default_exponent_sqrt_d():
    head = harmonic_head(LossConfig(name="harmonic"), torch.nn.Linear(16, 3))
    assert head.n == pytest.approx(4.0) and head.bias is None  # sqrt(16)
    assert head(torch.randn(2, 7, 16)).shape == (2, 7, 3)  # (B, L, D) -> (B, L, k)
    assert harmonic_head(LossConfig(name="harmonic", harmonic_exponent=1.5), torch.nn.Linear(16, 3)).n == 1.5


def test_a_binary_task_gets_two_centres_and_the_model_starts_from_the_same_weights():
    cfg = LossConfig(name="harmonic")
    assert output_size(cfg, "binary", 2) == 2 and output_size(cfg, "multiclass", 5) == 5
    dims = ModelDims(20, 2, "sequence", False, 1)
    torch.manual_seed(0)
    plain = build_model(RunConfig().model.replace(hidden=(8,)), dims)
    torch.manual_seed(0)
    harmonic = with_loss_head(build_model(RunConfig().model.replace(hidden=(8,)), dims), cfg, "binary")
    assert isinstance(harmonic.head, HarmonicHead) and torch.equal(harmonic.head.weight, plain.head.weight)
    assert not isinstance(with_loss_head(plain, LossConfig(name="ce"), "binary").head, HarmonicHead)


def test_settings_show_only_for_the_harmonic_loss_and_regression_is_refused():
    assert applies("harmonic_exponent", {"loss": "harmonic"}, "multiclass")
    assert applies("harmonic_exponent", {"loss": "harmonic"}, "residue")
    assert not applies("harmonic_exponent", {"loss": "ce"}, "binary")
    assert ignored_settings(RunConfig().with_values(harmonic_exponent=3.0), "multiclass") == [
        "harmonic_exponent 3.0 is ignored: auto picks the ce loss for a multiclass task, which does not use it"]
    with pytest.raises(ProtScopeError, match="'harmonic' is for classification"):
        RunConfig().with_values(loss="harmonic").resolve("regression")


# --- training, checkpoints and the class centres -------------------------------------------------------

def trained(tiny, tmp_path, task: str, **values):
    data, split = tiny[task]
    config = RunConfig().with_values(loss="harmonic", epochs=5, batch_size=16, lr=0.01, **values)
    result = Trainer(config, data, split, run_dir=tmp_path).run()
    assert result.status == "completed", result.message
    return data, result


@pytest.mark.parametrize("task, values", [("binary", dict(encoding="aac", hidden=(16,))),
                                          ("multiclass", dict(encoding="aac", hidden=(16,))),
                                          ("residue", dict(model="cnn", encoding="onehot", channels=8, layers=1))])
def test_training_reduces_the_harmonic_loss(tiny, tmp_path, task, values):
    _, result = trained(tiny, tmp_path, task, **values)
    losses = [row["train_loss"] for row in result.history]
    assert all(math.isfinite(v) for v in losses) and losses[-1] < 0.7 * losses[0], losses


def test_a_checkpoint_rebuilds_the_distance_layer_and_predicts_the_same(tiny, tmp_path):
    data, result = trained(tiny, tmp_path, "multiclass", encoding="aac", hidden=(16,), harmonic_exponent=3.0)
    model, config, payload = load_checkpoint(result.checkpoint)
    assert isinstance(model.head, HarmonicHead) and model.head.n == 3.0 and "head.bias" not in payload["state_dict"]
    test = result.predictions["test"]
    again = predict(model, to_device(data, torch.device("cpu"), config.encoding), test.rows, config.encoding,
                    "multiclass")
    np.testing.assert_allclose(again.outputs, test.outputs, rtol=1e-5, atol=1e-6)
    rows, problems, _ = predict_sequences(result.checkpoint, ["a", "b"], [data.sequences[0], "MKVLAAGIWE"])
    assert not problems and [r["prediction"] for r in rows][0] in data.classes
    assert sum(v for k, v in rows[0].items() if k.startswith("p_")) == pytest.approx(1.0, abs=1e-5)


def harmonic_outputs(features: np.ndarray, centres: np.ndarray, n: float) -> np.ndarray:
    """HarmonicMax of features (N, D) around centres (k, D), written out: the class centres explain the model."""
    squared = ((features[:, None, :].astype(np.float64) - centres[None]) ** 2).sum(-1) + EPS
    weights = squared ** (-n / 2)
    return weights / weights.sum(-1, keepdims=True)


def test_class_centres_and_features_reproduce_the_predictions(tiny, tmp_path):
    data, result = trained(tiny, tmp_path, "binary", encoding="aac", hidden=(16,))
    val = result.predictions["val"]
    view = class_centres(result.checkpoint, [data.sequences[r] for r in val.rows])
    assert view.centres.shape == (2, 16) and view.features.shape == (len(val.rows), 16)
    assert view.classes == data.classes and view.exponent == pytest.approx(4.0) and view.protein is None
    np.testing.assert_allclose(harmonic_outputs(view.features, view.centres, view.exponent), val.outputs,
                               rtol=1e-4, atol=1e-5)
    assert view.distances()[0, 1] == pytest.approx(float(np.linalg.norm(view.centres[0] - view.centres[1])),
                                                    rel=1e-6)
    assert view.distances()[0, 0] == 0


def test_per_residue_centres_line_up_with_the_stored_residues(tiny, tmp_path):
    data, result = trained(tiny, tmp_path, "residue", model="cnn", encoding="onehot", channels=8, layers=1)
    val = result.predictions["val"]
    view = class_centres(result.checkpoint, [data.sequences[r] for r in val.rows])
    assert len(view.features) == sum(len(data.sequences[r]) for r in val.rows)  # every real residue
    features, labels = cc.labelled_features(view.features, val.y_true, view.protein, view.position, val.protein,
                                            val.position)
    assert len(features) == len(val.y_true) and np.array_equal(labels, val.y_true)  # the scored ones, in order
    np.testing.assert_allclose(harmonic_outputs(features, view.centres, view.exponent), val.outputs,
                               rtol=1e-4, atol=1e-5)


def test_a_run_without_the_harmonic_loss_has_no_centres(tiny, tmp_path):
    data, split = tiny["binary"]
    result = Trainer(RunConfig().with_values(epochs=1, encoding="aac"), data, split, run_dir=tmp_path).run()
    with pytest.raises(ProtScopeError, match="'auto' loss: its output layer has no class centres"):
        class_centres(result.checkpoint, data.sequences[:3])


# --- the figure and table (pure) ------------------------------------------------------------------

def test_projection_keeps_the_two_directions_of_largest_spread():
    rng = np.random.default_rng(0)
    features = np.c_[rng.normal(0, 10, 300), rng.normal(0, 3, 300), rng.normal(0, 0.1, 300)]
    labels = (features[:, 0] > 0).astype(int)
    centres = np.array([[-10.0, 0.0, 0.0], [10.0, 0.0, 0.0]])
    plane = cc.project(features, labels, centres, max_points=100)
    assert plane.points.shape == (100, 2) and len(plane.labels) == 100
    assert plane.explained[0] > 0.85 and sum(plane.explained) > 0.99
    assert abs(plane.centres[1, 0] - plane.centres[0, 0]) == pytest.approx(20, rel=0.05)  # along PC1
    one_dimensional = cc.project(features[:, :1], labels, centres[:, :1])
    assert np.all(one_dimensional.points[:, 1] == 0) and one_dimensional.explained[1] == 0
    fig = cc.centre_figure(plane, ("soluble", "insoluble"))
    names = [t.name for t in fig.data]
    assert names == ["soluble", "insoluble", "centre of soluble", "centre of insoluble"]
    assert "PC1 (" in fig.layout.xaxis.title.text and fig.layout.yaxis.scaleanchor == "x"
    assert cc.distance_rows(np.array([[0, 5.0], [5.0, 0]]), ("a", "b")) == [{"centre": "a", "a": 0.0, "b": 5.0},
                                                                          {"centre": "b", "a": 5.0, "b": 0.0}]


# --- the script export --------------------------------------------------------------------------------

def test_the_exported_script_trains_with_the_same_distance_layer(tmp_path, monkeypatch, capsys):
    seqs = random_sequences(40, seed=5, low=20, high=60)
    content = csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, "abc"[i % 3]] for i, s in enumerate(seqs)])
    (tmp_path / "data.csv").write_bytes(content)
    config = RunConfig().with_values(loss="harmonic", encoding="aac", hidden=(8,), epochs=2, device="cpu")
    source = pytorch_script(config, str(tmp_path / "data.csv"), {"sequence": "sequence", "label": "label"},
                            "multiclass", ("a", "b", "c"))
    assert "class HarmonicHead(nn.Linear):" in source and "self.head = HarmonicHead(width, out_features)" in source
    assert "self.n = math.sqrt(in_features)" in source and max(map(len, source.splitlines())) <= 120
    monkeypatch.delenv(DRY_RUN_VARIABLE, raising=False)
    script = {"__name__": "__main__"}
    exec(compile(source, "exported.py", "exec"), script)
    assert "test loss" in capsys.readouterr().out
    assert script["model"].head.n == pytest.approx(math.sqrt(8))
    fixed = pytorch_script(config.with_values(harmonic_exponent=3.0), str(tmp_path / "data.csv"),
                           {"sequence": "sequence", "label": "label"}, "multiclass", ("a", "b", "c"))
    assert "self.n = 3.0" in fixed


# --- the Evaluate page ----------------------------------------------------------------------------------

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def finished(job, timeout: float = 60):
    job.trainer.wait(timeout)
    deadline = time.monotonic() + 10
    while job.result is None and time.monotonic() < deadline:  # the result lands just after the last event
        time.sleep(0.01)
    assert job.result is not None and job.finished_recording.wait(timeout)
    return job


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A harmonic run and a cross-entropy run of the same multiclass data, stored like the dashboard's."""
    folder = tmp_path_factory.mktemp("runs")
    store = RunStore(folder / "protscope.db")
    manager = JobManager(folder, max_concurrent=1, store=store)
    data = tiny_dataset("multiclass")
    split = make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))
    jobs = {loss: finished(manager.submit(RunConfig().with_values(epochs=2, batch_size=16, encoding="aac",
                                                                   hidden=(16,), loss=loss), data, split, label=loss))
            for loss in ("harmonic", "ce")}
    return manager, jobs, store


@pytest.fixture
def manager(runs, monkeypatch):
    monkeypatch.setattr(dashboard.state, "job_manager", lambda: runs[0])
    monkeypatch.setattr(dashboard.state, "run_store", lambda: runs[2])
    return runs[1]


def evaluate(run_id: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/evaluate.py").run()
    at.toggle(key="eval_everyone").set_value(True).run()
    at.selectbox(key="eval_run").set_value(run_id).run()
    assert not at.exception
    return at


def test_evaluate_shows_the_class_centres_of_a_harmonic_run_only(manager):
    at = evaluate(manager["harmonic"].run_id)
    assert "Class centres (harmonic loss)" in [h.value for h in at.subheader]
    charts = {c.proto.id.rsplit("-", 1)[-1]: json.loads(c.proto.spec) for c in at.get("plotly_chart")}
    names = [t["name"] for t in charts["eval_centres"]["data"]]
    assert names == ["E", "K", "W", "centre of E", "centre of K", "centre of W"]
    distances = next(d.value for d in at.dataframe if "centre" in d.value.columns)
    assert list(distances["centre"]) == ["E", "K", "W"] and distances.loc[0, "E"] == 0 < distances.loc[0, "K"]
    assert any("distance^-n" in c.value for c in at.caption)
    plain = evaluate(manager["ce"].run_id)
    assert "Class centres (harmonic loss)" not in [h.value for h in plain.subheader]
    assert "eval_centres" not in {c.proto.id.rsplit("-", 1)[-1] for c in plain.get("plotly_chart")}
