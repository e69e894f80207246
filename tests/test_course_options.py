"""Three course options: the MSLE loss, one activation per MLP hidden layer, and the plain linear warm-up of
the learning rate; each from the config through training, the relevance rules, the checks and the export."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.metrics import mean_squared_log_error
from torch import nn

from protscope.config.relevance import applies, ignored_settings
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig, LossConfig, ModelConfig, SchedulerConfig
from protscope.data.builtin import load_bytes
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from protscope.modeling.init import apply_init, init_activation
from protscope.modeling.losses import make_loss, msle
from protscope.modeling.models import ModelDims, build_model
from protscope.modeling.optim import lr_schedule
from protscope.script_export.script import DRY_RUN_VARIABLE, pytorch_script
from protscope.train.prepare import prepare
from protscope.train.trainer import Trainer
from tests.conftest import csv_bytes, random_sequences

# --- MSLE ------------------------------------------------------------------------------------------


def test_msle_matches_a_hand_computed_value():
    """pred 0.5 vs y 1: (ln 1.5 - ln 2)^2 = 0.0827610; pred 2 vs y 0: (ln 3)^2 = 1.2069490; pred -0.3 counts
    as 0, vs y 3: (ln 1 - ln 4)^2 = 1.9218121. The mean is 1.0705073."""
    loss_fn = make_loss(LossConfig(name="msle"), "regression", 1, None, "cpu")
    logits = torch.tensor([[0.5], [2.0], [-0.3]])  # (N, 1): one output per protein
    assert loss_fn(logits, torch.tensor([1.0, 0.0, 3.0])).item() == pytest.approx(1.0705073, rel=1e-6)


def test_msle_matches_scikit_learn_and_gives_no_gradient_below_zero():
    rng = np.random.default_rng(0)
    y, pred = rng.gamma(2.0, 3.0, 200), rng.gamma(2.0, 3.0, 200)
    ours = msle(torch.tensor(pred, dtype=torch.float64), torch.tensor(y, dtype=torch.float64)).item()
    assert ours == pytest.approx(mean_squared_log_error(y, pred), rel=1e-5)
    below = torch.tensor([-0.5, -2.0, 1.0], requires_grad=True)  # -2: log1p is undefined there without the clamp
    loss = msle(below, torch.tensor([1.0, 1.0, 1.0]))
    loss.backward()
    assert torch.isfinite(loss) and below.grad.tolist()[:2] == [0.0, 0.0] and below.grad[2] == 0.0  # 1 vs 1
    assert loss.item() == pytest.approx(2 * math.log(2) ** 2 / 3, rel=1e-6)


def regression_data(labels):
    seqs = random_sequences(len(labels), seed=3, low=20, high=40)
    rows = [[f"p{i}", s, y] for i, (s, y) in enumerate(zip(seqs, labels, strict=True))]
    data = load_bytes(csv_bytes(["id", "sequence", "label"], rows), "values.csv", DataConfig())
    return data, make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))


def test_msle_refuses_negative_labels_before_training_and_trains_on_counts(tmp_path):
    config = RunConfig().with_values(loss="msle", encoding="aac", hidden=(8,), epochs=3, lr=0.01)
    data, split = regression_data([round(float(v), 3) for v in np.linspace(-2, 8, 40)])
    with pytest.raises(ProtScopeError, match=r"every label must be 0 or more, but 8 of 40 labels are negative "
                                             r"\(the lowest is -2\)") as refused:
        Trainer(config, data, split)
    assert "use mse, l1 or huber" in str(refused.value)
    with pytest.raises(ProtScopeError, match="labels are negative"):  # the sanity checks build runs through here
        prepare(config, data, split)
    data, split = regression_data([i % 7 for i in range(40)])
    result = Trainer(config, data, split, run_dir=tmp_path).run()
    losses = [row["train_loss"] for row in result.history]
    assert result.status == "completed" and losses[-1] < losses[0], losses
    with pytest.raises(ProtScopeError, match="'msle' is for regression"):
        RunConfig().with_values(loss="msle").resolve("binary")


# --- one activation per hidden layer ----------------------------------------------------------------

DIMS = ModelDims(400, 2, "sequence", False, 1)


def activations_of(model) -> list[str]:
    return [type(block.activation).__name__ for block in model.blocks]


def test_each_hidden_layer_gets_its_own_activation():
    cfg = ModelConfig(hidden=(8, 8, 8), activations=("relu", "tanh", "sigmoid"))
    assert activations_of(build_model(cfg, DIMS)) == ["ReLU", "Tanh", "Sigmoid"]
    assert activations_of(build_model(cfg.replace(activations=("tanh",)), DIMS)) == ["Tanh"] * 3  # one for all
    assert activations_of(build_model(cfg.replace(activations=()), DIMS)) == ["ReLU"] * 3  # empty: activation
    flags = RunConfig().with_values(hidden="8,8", activations="gelu,elu")  # as the command line and JSON give it
    assert flags.model.activations == ("gelu", "elu") and RunConfig.from_json(flags.to_json()) == flags


def test_a_length_mismatch_or_an_unknown_name_is_refused_with_what_to_change():
    with pytest.raises(ProtScopeError, match=r"3 activations for 2 hidden layers \(hidden 64,32\)") as refused:
        RunConfig().with_values(hidden=(64, 32), activations=("relu", "tanh", "sigmoid"))
    assert "one activation per hidden layer (2)" in str(refused.value)
    with pytest.raises(ProtScopeError, match="model.activations has 'swish'"):
        ModelConfig(activations=("relu", "swish"))
    RunConfig().with_values(model="cnn", hidden=(64, 32), activations=("relu", "tanh", "sigmoid"))  # unused there


def test_activations_show_for_mlps_only_and_take_the_place_of_activation():
    assert applies("activations", {"model": "mlp"}, "binary") and applies("activation", {"model": "mlp"}, "binary")
    assert applies("activations", {"model": "window_mlp", "encoding": "window"}, "residue")
    assert not applies("activations", {"model": "cnn"}, "binary")
    assert not applies("activation", {"model": "mlp", "activations": ("relu", "tanh")}, "binary")
    assert applies("activation", {"model": "cnn", "activations": ("relu", "tanh")}, "binary")
    config = RunConfig().with_values(hidden=(8, 8), activations=("relu", "tanh"), activation="sigmoid")
    assert ignored_settings(config, "binary") == ["activation sigmoid is ignored: activations names each hidden "
                                                  "layer's own"]


def test_he_initialisation_uses_each_layers_own_gain():
    cfg = ModelConfig(hidden=(400, 400, 400), activations=("relu", "tanh", "sigmoid"), init="kaiming_normal")
    model = build_model(cfg, DIMS)
    apply_init(model, cfg.init, cfg.init_std, init_activation(cfg), torch.Generator().manual_seed(0))
    gains = [math.sqrt(2), 5 / 3, 1.0]  # torch.nn.init.calculate_gain of relu, tanh, sigmoid
    for block, gain in zip(model.blocks, gains, strict=True):
        assert float(block.linear.weight.detach().std()) == pytest.approx(gain / math.sqrt(400), rel=0.03)
    assert init_activation(cfg) == "sigmoid"  # the output layer reads the last hidden layer's outputs
    assert init_activation(cfg.replace(activations=())) == "relu"


def test_layer_statistics_judge_each_layer_by_its_own_activation(tiny, tmp_path):
    data, split = tiny["binary"]
    config = RunConfig().with_values(encoding="aac", hidden=(16, 16), activations=("relu", "tanh"), epochs=1,
                                     layer_stats_every=1)
    trainer = Trainer(config, data, split, run_dir=tmp_path)
    assert trainer.run().status == "completed"
    internals = trainer.snapshot().internals()
    assert [(row["name"], row["activation"]) for row in internals["layers"]][:2] == [("blocks.0.linear", "relu"),
                                                                                     ("blocks.1.linear", "tanh")]
    record = internals["records"][-1]["layers"]
    assert record["blocks.0.linear"]["dead"] is not None and record["blocks.0.linear"]["saturated"] is None
    assert record["blocks.1.linear"]["saturated"] is not None and record["blocks.1.linear"]["dead"] is None


def test_the_export_writes_each_layers_activation_and_gain(tmp_path, monkeypatch):
    seqs = random_sequences(40, seed=5, low=20, high=60)
    content = csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)])
    (tmp_path / "data.csv").write_bytes(content)
    config = RunConfig().with_values(encoding="aac", hidden=(64, 32), activations=("leaky_relu", "tanh"),
                                     init="kaiming_normal", device="cpu")
    source = pytorch_script(config, str(tmp_path / "data.csv"), {"sequence": "sequence", "label": "label"},
                            "binary", ("0", "1"))
    assert "for size, activation in zip((64, 32), (nn.LeakyReLU, nn.Tanh,)):" in source
    assert max(map(len, source.splitlines())) <= 120
    monkeypatch.setenv(DRY_RUN_VARIABLE, "1")
    script = {"__name__": "__main__"}
    with pytest.raises(SystemExit):
        exec(compile(source, "exported.py", "exec"), script)
    assert [type(layer[1]) for layer in script["model"].hidden] == [nn.LeakyReLU, nn.Tanh]
    data = load_bytes(content, "data.csv", DataConfig())
    ours = prepare(config, data, make_split(data, config.data)).model
    for exported, protscope in zip(script["model"].parameters(), ours.parameters(), strict=True):
        assert torch.equal(exported, protscope)  # the same draws with the same per-layer gains


# --- the plain linear warm-up -------------------------------------------------------------------------

def test_warmup_rises_in_a_straight_line_then_stays():
    assert (SchedulerConfig().warmup_steps, SchedulerConfig().warmup_start_lr) == (1000, 1e-7)  # the exercise's
    config = RunConfig().with_values(scheduler="warmup", warmup_steps=10, warmup_start_lr=1e-7, lr=1e-3, epochs=2)
    epochs, rates = lr_schedule(config, 8)
    assert len(rates) == 16 and epochs[10] == 10 / 8
    assert rates[0] == pytest.approx(1e-7) and rates[5] == pytest.approx(1e-7 + (1e-3 - 1e-7) / 2)
    assert rates[10] == pytest.approx(1e-3) and rates[15] == pytest.approx(1e-3)
    assert np.all(np.diff(rates[:11]) > 0)


def test_a_long_run_previews_the_warmup_at_its_true_length():
    """20 epochs of 1,000 updates: the preview simulates 100 per epoch, and the 1,000-update warm-up still
    ends after the first epoch."""
    config = RunConfig().with_values(scheduler="warmup", lr=1e-3, epochs=20)
    epochs, rates = lr_schedule(config, 1000)
    assert len(rates) == 2000
    assert epochs[int(np.argmax(rates >= 1e-3 * (1 - 1e-9)))] == pytest.approx(1.0)


def test_warmup_settings_show_only_for_it_and_a_start_above_lr_is_refused():
    assert applies("warmup_steps", {"scheduler": "warmup"}, "binary")
    assert applies("warmup_start_lr", {"scheduler": "warmup"}, "binary")
    assert not applies("warmup_steps", {"scheduler": "warmup_cosine"}, "binary")
    with pytest.raises(ProtScopeError, match="warmup_start_lr 0.01, above the learning rate lr 0.001") as refused:
        RunConfig().with_values(scheduler="warmup", warmup_start_lr=0.01, lr=1e-3).resolve("binary")
    assert "set warmup_start_lr below lr" in str(refused.value)
    RunConfig().with_values(scheduler="cosine", warmup_start_lr=0.01, lr=1e-3).resolve("binary")  # unused there


@pytest.mark.usefixtures("fresh_dashboard")
def test_the_train_page_shows_the_new_settings_only_when_they_matter():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).parent.parent / "dashboard" / "app.py"), default_timeout=90).run()
    at.switch_page("app_pages/train.py").run()
    keys = lambda: {w.key for w in [*at.number_input, *at.text_input, *at.selectbox]}  # noqa: E731
    assert "activations__text" in keys() and not {"harmonic_exponent", "warmup_steps", "warmup_start_lr"} & keys()
    at.selectbox(key="loss").set_value("harmonic").run()
    at.selectbox(key="scheduler").set_value("warmup").run()
    assert not at.exception and {"harmonic_exponent", "warmup_steps", "warmup_start_lr"} <= keys()
    at.text_input(key="activations__text").set_value("relu,tanh,sigmoid").run()
    assert any("3 activations for 1 hidden layer (hidden 128)" in e.value for e in at.error)
