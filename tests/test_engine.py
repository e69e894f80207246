"""The training engine on tiny data: every registry entry trains, and the run lifecycle behaves."""
import math
import time

import numpy as np
import pytest
import torch

from protscope.config.run_config import RunConfig
from protscope.config.sections import TrainingConfig
from protscope.modeling.losses import LOSSES
from protscope.modeling.models import MODELS
from protscope.modeling.optim import OPTIMIZERS, SCHEDULERS, lr_schedule
from protscope.train.events import BatchProgress, EpochEnd, RunFinished, RunStarted, StatusChanged
from protscope.train.trainer import Trainer

TASKS = ("binary", "multiclass", "regression", "residue")
# The encoding each model is tested with, per task kind.
ENCODING_FOR = {"linear": "aac", "mlp": "aac", "window_mlp": "window", "cnn": "tokens", "rnn": "onehot",
                "transformer": "tokens"}
SMALL = dict(hidden=(16,), channels=8, layers=1, rnn_hidden=8, d_model=16, heads=2, ff_dim=16, embedding_dim=8,
             window=2)


def config(**values) -> RunConfig:
    base = RunConfig(training=TrainingConfig(epochs=1, batch_size=16))
    return base.with_values(**{**SMALL, **values})


def train(tiny, task, **values):
    data, split = tiny[task]
    return Trainer(config(**values), data, split).run()


def model_task_pairs():
    for name, spec in MODELS.items():
        for task in TASKS:
            if spec.residue_only and task != "residue":
                continue
            yield name, task


@pytest.mark.parametrize("model, task", list(model_task_pairs()))
def test_every_model_trains_on_every_task_it_supports(tiny, model, task):
    encoding = ENCODING_FOR[model]
    if task == "residue" and encoding == "aac":
        encoding = "onehot"  # per-residue linear/MLP read each residue's features
    result = train(tiny, task, model=model, encoding=encoding)
    assert result.status == "completed", result.message
    assert len(result.history) == 1 and math.isfinite(result.history[0]["train_loss"])
    assert set(result.metrics) == {"val", "test"}


@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss(tiny, loss):
    task = {"mse": "regression", "l1": "regression", "huber": "regression", "msle": "regression",
            "bce": "binary"}.get(loss, "multiclass")
    result = train(tiny, task, loss=loss, encoding="aac", class_weights="balanced" if task != "regression" else "none")
    assert result.status == "completed", result.message
    assert math.isfinite(result.history[0]["train_loss"])


@pytest.mark.parametrize("loss", ["ce", "focal"])
def test_per_residue_losses_ignore_padding_and_unscored(tiny, loss):
    result = train(tiny, "residue", loss=loss, encoding="onehot", model="cnn")
    assert result.status == "completed"


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_reduces_the_loss(tiny, optimizer):
    lr = {"adadelta": 1.0, "sgd": 0.5, "asgd": 0.5, "adagrad": 0.05}.get(optimizer, 1e-2)
    result = train(tiny, "multiclass", optimizer=optimizer, lr=lr, weight_decay=1e-4, epochs=4, model="mlp",
                   encoding="aac")
    losses = [row["train_loss"] for row in result.history]
    assert result.status == "completed", result.message
    assert losses[-1] < losses[0], losses


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_every_scheduler_drives_the_lr_as_previewed(tiny, scheduler):
    values = dict(scheduler=scheduler, lr=0.01, epochs=3, step_size=1, milestones=(1, 2), max_lr=0.05,
                  warmup_epochs=1.0, encoding="aac")
    result = train(tiny, "binary", **values)
    assert result.status == "completed", result.message
    data, split = tiny["binary"]
    batches = math.ceil(len(split.index("train")) / 16)
    epochs, preview = lr_schedule(config(**values), batches)
    for row in result.history:  # the lr at the end of each epoch is the preview's next value
        at = int(round(row["epoch"] * batches)) - 1
        expected = preview[at + 1] if at + 1 < len(preview) else None
        if expected is not None and scheduler != "plateau":
            assert row["lr"] == pytest.approx(expected, rel=1e-6), (scheduler, row["epoch"])


def test_event_order(tiny):
    data, split = tiny["binary"]
    trainer = Trainer(config(epochs=2, encoding="aac"), data, split)
    trainer.events.progress_interval = 0  # publish every batch
    trainer.run()
    events, _ = trainer.events.since(0)
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["RunStarted", "EpochEnd", "EpochEnd", "RunFinished"]
    assert isinstance(events[0], RunStarted) and events[0].n_train == len(split.index("train"))
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2]
    assert isinstance(trainer.snapshot().progress, BatchProgress)
    final = events[-1]
    assert isinstance(final, RunFinished) and final.reason == "completed"
    row = events[1].row()
    assert {"epoch", "train_loss", "val_loss", "lr", "grad_norm", "seconds", "val_accuracy", "train_mcc"} <= set(row)


def wait_for(predicate, timeout=30.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_pause_resume_and_stop(tiny):
    data, split = tiny["residue"]
    trainer = Trainer(config(epochs=500, batch_size=4, model="cnn", encoding="onehot"), data, split).start()
    assert wait_for(lambda: trainer.snapshot().progress is not None)
    trainer.pause()
    assert wait_for(lambda: trainer.snapshot().status == "paused")
    time.sleep(0.3)
    frozen = trainer.snapshot()
    time.sleep(0.3)
    assert trainer.snapshot().progress == frozen.progress  # nothing moves while paused
    trainer.resume()
    assert wait_for(lambda: trainer.snapshot().status == "running")
    assert wait_for(lambda: trainer.snapshot().progress != frozen.progress)
    trainer.stop()
    result = trainer.wait(timeout=30)
    assert result.status == "stopped"
    assert "stopped by the user" in result.message
    kinds = [type(e) for e in trainer.events.since(0)[0]]
    assert StatusChanged in kinds and kinds[-1] is RunFinished


def test_early_stopping_restores_the_best_weights(tmp_path):
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_bytes
    from protscope.data.splits import make_split
    from tests.conftest import csv_bytes, random_sequences

    # Random labels: anything learned is memorisation, so validation loss soon rises.
    rng = np.random.default_rng(0)
    rows = [[s, int(rng.integers(2))] for s in random_sequences(80, seed=5)]
    data = load_bytes(csv_bytes(["sequence", "label"], rows), "noise.csv", DataConfig())
    split = make_split(data, DataConfig(val_fraction=0.25, test_fraction=0.2))
    cfg = config(epochs=60, lr=0.05, model="mlp", hidden=(64,), encoding="dpc", early_stopping=True, patience=3)
    result = Trainer(cfg, data, split, run_dir=tmp_path).run()
    assert result.status == "early_stopped"
    losses = [row["val_loss"] for row in result.history]
    best = int(np.argmin(losses)) + 1
    assert result.best_epoch == best and len(result.history) == best + 3
    assert result.metrics["val"]["loss"] == pytest.approx(losses[best - 1], rel=1e-5)


def test_the_best_epochs_validation_predictions_are_kept_not_recomputed(tiny, monkeypatch, tmp_path):
    """The run's final validation scores are the best epoch's, by the weights it restores: the same numbers as a
    fresh pass with those weights, without paying for that pass (a long validation set costs seconds)."""
    from protscope.train import inference, trainer
    from protscope.train.checkpoint import load_checkpoint
    from protscope.train.prepare import prepare

    passes = []
    monkeypatch.setattr(trainer, "predict", lambda *a, **k: passes.append(k["split"]) or inference.predict(*a, **k))
    data, split = tiny["residue"]
    cfg = config(epochs=4, lr=0.05, model="cnn", encoding="onehot", monitor="val_accuracy")
    result = Trainer(cfg, data, split, run_dir=tmp_path).run()
    assert passes == ["val"] * 4 + ["test"]
    p = prepare(cfg, data, split)
    p.model.load_state_dict(load_checkpoint(result.checkpoint)[0].state_dict())
    again = inference.predict(p.model, p.dd, p.rows["val"], p.config.encoding, "residue", split="val")
    np.testing.assert_allclose(result.predictions["val"].outputs, again.outputs, rtol=1e-5, atol=1e-6)
    assert result.metrics["val"]["accuracy"] == result.history[result.best_epoch - 1]["val_accuracy"]


def test_divergence_is_detected_with_advice(tiny):
    result = train(tiny, "regression", lr=10.0, optimizer="sgd", momentum=0.9, epochs=20, encoding="onehot",
                   model="mlp")
    assert result.status == "diverged"
    assert "learning rate (10) is probably too high" in result.message
    assert "epoch" in result.message


def test_same_seed_same_history(tiny):
    values = dict(epochs=2, model="cnn", encoding="tokens", dropout=0.3, seed=7)
    a, b = train(tiny, "multiclass", **values), train(tiny, "multiclass", **values)
    c = train(tiny, "multiclass", **{**values, "seed": 8})
    strip = lambda h: [{k: v for k, v in row.items() if k != "seconds"} for row in h]  # noqa: E731
    assert strip(a.history) == strip(b.history)
    assert strip(a.history) != strip(c.history)


def test_seeded_runs_agree_when_trained_concurrently(tiny):
    data, split = tiny["multiclass"]
    cfg = config(epochs=2, model="cnn", encoding="tokens", dropout=0.3, seed=3)
    alone = Trainer(cfg, data, split).run()
    pair = [Trainer(cfg, data, split).start() for _ in range(2)]
    results = [t.wait(timeout=120) for t in pair]
    strip = lambda h: [row["train_loss"] for row in h]  # noqa: E731
    assert strip(results[0].history) == strip(alone.history) == strip(results[1].history)


def test_failure_in_the_model_is_reported_not_lost(tiny, monkeypatch):
    from protscope.modeling import models

    def broken_forward(self, x, mask):
        raise RuntimeError("boom inside the model")

    monkeypatch.setattr(models.MLP, "forward", broken_forward)
    result = train(tiny, "binary", encoding="aac")
    assert result.status == "failed"
    assert "RuntimeError: boom inside the model" in result.message


def test_out_of_memory_is_explained(tiny, monkeypatch):
    from protscope.modeling import models

    def oom(self, x, mask):
        raise torch.OutOfMemoryError("CUDA out of memory")

    monkeypatch.setattr(models.MLP, "forward", oom)
    result = train(tiny, "binary", encoding="aac", batch_size=16)
    assert result.status == "failed" and "ran out of memory" in result.message and "batch size" in result.message


def test_best_epoch_skips_undefined_metrics():
    from protscope.train.outcome import BestEpoch

    model = torch.nn.Linear(1, 1)
    best = BestEpoch("max")
    for epoch, value in enumerate([float("nan"), 0.1, float("nan"), 0.3, 0.2], start=1):
        best.update(value, epoch, model)
    assert (best.epoch, best.value, best.waited) == (4, 0.3, 1)
