"""Training options do what they say: clipping, accumulation, L1, precision fallback, summaries."""
import math

import numpy as np
import pytest
import torch

from protscope.modeling.layers import count_parameters, summary_text
from protscope.modeling.models import ModelDims, build_model
from protscope.train.trainer import Trainer
from tests.test_engine import config


def run(tiny, task="multiclass", **values):
    data, split = tiny[task]
    trainer = Trainer(config(**values), data, split)
    return trainer, trainer.run()


def test_gradient_clipping_by_norm_and_value_train(tiny):
    # SGD, because Adam's step hardly depends on the gradient's scale, so clipping barely shows there.
    _, free = run(tiny, lr=0.5, epochs=2, encoding="aac", optimizer="sgd")
    for mode in ("norm", "value"):
        _, clipped = run(tiny, lr=0.5, epochs=2, encoding="aac", optimizer="sgd", grad_clip=1e-3, clip_mode=mode)
        assert clipped.status == "completed"
        # Tiny clipped steps barely move the weights, so the loss falls far less than unclipped.
        drop = lambda r: r.history[0]["train_loss"] - r.history[-1]["train_loss"]  # noqa: E731
        assert drop(clipped) < 0.2 * drop(free), mode
        assert math.isfinite(clipped.history[-1]["grad_norm"])  # reported before clipping


def test_gradient_accumulation_makes_fewer_updates(tiny):
    data, split = tiny["multiclass"]
    n_batches = math.ceil(len(split.index("train")) / 4)
    for accumulation in (1, 3):
        trainer, result = run(tiny, batch_size=4, accumulation=accumulation, scheduler="step", step_size=1,
                              gamma=0.5, epochs=1, encoding="aac")
        updates = math.ceil(n_batches / accumulation)
        # StepLR with step_size=1 epoch halves the lr after `updates` scheduler steps = one epoch.
        assert result.history[0]["lr"] == config().optimizer.lr * 0.5, accumulation
        assert updates >= 1


def test_accumulated_small_batches_train_exactly_like_one_big_batch(tiny):
    """The course's exercise: 4 batches of 4, accumulated, are one batch of 16, including an epoch's last, smaller
    group (each batch weighs by its share of its group's proteins)."""
    data, split = tiny["binary"]
    assert len(split.index("train")) % 16  # the last group is a partial one
    same = dict(encoding="aac", model="mlp", hidden=(8,), dropout=0.0, length_bucketing=False, l1=1e-3, epochs=3,
                optimizer="sgd", lr=0.1)
    big = Trainer(config(batch_size=16, **same), data, split).run()
    small = Trainer(config(batch_size=4, accumulation=4, **same), data, split).run()
    for key in ("train_loss", "val_loss"):
        assert [h[key] for h in small.history] == pytest.approx([h[key] for h in big.history], rel=1e-5), key


def test_l1_penalty_shrinks_weights(tiny, tmp_path):
    from protscope.train.checkpoint import load_checkpoint

    data, split = tiny["multiclass"]

    def weight_l1(l1):
        values = dict(l1=l1, epochs=5, lr=0.01, encoding="dpc", model="linear", restore_best=False)
        result = Trainer(config(**values), data, split, run_dir=tmp_path / str(l1)).run()
        model, _, _ = load_checkpoint(result.checkpoint)
        return float(model.head.weight.abs().sum())

    assert weight_l1(0.05) < 0.8 * weight_l1(0.0)


def test_mixed_precision_on_cpu_is_bf16_where_native_and_fp32_with_a_note_elsewhere(tiny, monkeypatch):
    def notes(**values):
        trainer, result = run(tiny, **{"encoding": "aac", "device": "cpu", **values})
        assert result.status == "completed"
        return " ".join(trainer.events.since(0)[0][0].notes)

    monkeypatch.setenv("PROTSCOPE_CPU_BF16", "0")
    assert "needs a CPU with native bf16" in notes(precision="bf16")
    assert "precision auto: fp32, as this CPU has no native bf16" in notes(precision="auto")
    assert "needs CUDA" in notes(precision="fp16")
    monkeypatch.setenv("PROTSCOPE_CPU_BF16", "1")
    assert "bf16 autocast on this CPU" in notes(precision="auto", model="cnn", encoding="tokens")
    assert "measured slower than fp32 for this kind of model" in notes(precision="auto")  # an MLP
    assert "bf16 autocast on this CPU" in notes(precision="bf16")  # asked for: done


def test_bf16_is_detected_from_the_cpu_flags(monkeypatch):
    from protscope.device import cpu_has_bf16

    monkeypatch.delenv("PROTSCOPE_CPU_BF16", raising=False)
    assert cpu_has_bf16("processor : 0\nflags : fpu sse2 avx2 avx512f avx512_bf16\n")
    assert cpu_has_bf16("flags\t\t: fpu amx_bf16 amx_tile\n")
    assert not cpu_has_bf16("flags : fpu sse2 avx2 avx512f\n") and not cpu_has_bf16("")


def test_every_model_reports_parameters_and_a_summary():
    from protscope.config.sections import ModelConfig

    dims = ModelDims(in_features=21, out_features=3, level="residue", per_residue=False, seq_len=50)
    for name in ("linear", "mlp", "cnn", "rnn", "transformer"):
        model = build_model(ModelConfig(name=name), dims)
        text = summary_text(model)
        assert f"total trainable parameters: {count_parameters(model):,}" in text
        assert "head" in text
        assert count_parameters(model) == sum(p.numel() for p in model.parameters())


def test_models_ignore_padding():
    """The same proteins give the same outputs whatever the batch is padded to."""
    from protscope.config.sections import ModelConfig

    torch.manual_seed(0)
    for name, level in (("cnn", "tokens"), ("rnn", "residue"), ("transformer", "tokens"), ("mlp", "residue")):
        dims = ModelDims(in_features=22 if level == "tokens" else 21, out_features=2, level=level,
                         per_residue=False, seq_len=40)
        model = build_model(ModelConfig(name=name, layers=2), dims).eval()
        tokens = torch.randint(1, 21, (3, 30))
        lengths = torch.tensor([30, 12, 7])
        mask = torch.arange(30) < lengths[:, None]
        tokens = tokens * mask
        x = tokens if level == "tokens" else torch.nn.functional.one_hot(tokens, 22)[..., 1:].float()
        short = model(x[:, :30], mask[:, :30])
        padded_x = torch.nn.functional.pad(x, (0, 0, 0, 10) if level != "tokens" else (0, 10))
        longer = model(padded_x, torch.nn.functional.pad(mask, (0, 10)))
        np.testing.assert_allclose(short.detach().numpy(), longer.detach().numpy(), atol=1e-5, err_msg=name)


def test_validate_every_publishes_midway_validations(tiny):
    data, split = tiny["binary"]
    trainer = Trainer(config(epochs=2, batch_size=4, validate_every=3), data, split)
    trainer.run()
    snap = trainer.snapshot()
    batches = snap.started.batches_per_epoch
    expected = 2 * len([i for i in range(1, batches + 1) if i % 3 == 0 and i < batches])
    assert len(snap.validations) == expected > 0
    positions = [v.position for v in snap.validations]
    assert positions == sorted(positions) and all(0 < x < 2 for x in positions)
    assert all(np.isfinite(v.val_loss) and "val_accuracy" in v.metrics for v in snap.validations)


def test_batch_loss_series_grows_per_report_and_is_bounded(tiny):
    from protscope.train.events import BatchProgress, EventChannel, thin

    data, split = tiny["binary"]
    trainer = Trainer(config(epochs=2, batch_size=4), data, split)
    trainer.events.progress_interval = 0.0  # report every batch
    trainer.run()
    snap = trainer.snapshot()
    assert len(snap.batch_losses) == 2 * snap.started.batches_per_epoch
    assert all(np.isfinite(loss) for _, loss in snap.batch_losses)
    channel = EventChannel("x", progress_interval=0.0)
    for i in range(1, 9001):
        channel.publish(BatchProgress(1, i, 9000, 1.0, 1.0, recent_loss=float(i)))
    points = channel.snapshot().batch_losses
    assert len(points) <= 4000 and points[-1] == (1.0, 9000.0)
    assert thin(((0, 1.0), (1, 3.0), (2, 5.0)), limit=2) == ((0.5, 2.0), (2, 5.0))


@pytest.mark.parametrize("model, encoding, task", [
    ("linear", "aac", "binary"), ("mlp", "onehot", "binary"), ("window_mlp", "window", "residue"),
    ("mlp", "blosum62", "residue"), ("cnn", "tokens", "binary"), ("cnn", "onehot", "residue"),
    ("rnn", "tokens", "regression"), ("transformer", "tokens", "multiclass")])
def test_every_model_family_trains_under_bf16_autocast_on_cpu(tiny, monkeypatch, model, encoding, task):
    monkeypatch.setenv("PROTSCOPE_CPU_BF16", "1")  # bf16 runs (emulated) on any CPU; only the speed needs it
    trainer, result = run(tiny, task, model=model, encoding=encoding, precision="bf16", epochs=2, device="cpu")
    assert result.status == "completed" and "bf16 autocast on this CPU" in " ".join(trainer.events.since(0)[0][0].notes)
    assert all(math.isfinite(row["train_loss"]) and math.isfinite(row["val_loss"]) for row in result.history)


def test_seeded_dropout_keeps_the_expected_share_scaled_and_repeats_for_its_seed():
    from protscope.modeling.layers import SeededDropout

    def drop(seed, dtype=torch.float32):
        layer = SeededDropout(0.2, torch.Generator().manual_seed(seed)).train()
        return layer(torch.ones(64, 50, 32, dtype=dtype))

    out = drop(0)
    kept = out != 0
    assert abs(kept.float().mean().item() - 0.8) < 0.01  # 102,400 draws: the share is 0.8 within 1 %
    assert torch.allclose(out[kept], torch.tensor(1 / 0.8))  # inverted dropout: the expected value stays 1
    assert torch.equal(out, drop(0)) and not torch.equal(out, drop(1))
    assert drop(0, torch.bfloat16).dtype == torch.bfloat16  # under autocast the activations stay bf16
    assert torch.equal(SeededDropout(0.2).eval()(out), out)
