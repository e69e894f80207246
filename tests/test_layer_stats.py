"""Layer statistics recorded while training, checked against answers known in advance."""
import json

import pytest
import torch
from torch import nn

from protscope.config.run_config import RunConfig
from protscope.config.sections import TrainingConfig
from protscope.evaluation.layer_health import layer_warnings
from protscope.modeling.models import MODELS
from protscope.runs.outputs import load_internals
from protscope.runs.recorder import record
from protscope.runs.repository import RunRepository
from protscope.runs.store import RunStore
from protscope.train.events import MAX_LAYER_RECORDS, decimate
from protscope.train.layer_stats import LayerStats, distribution, layer_modules
from protscope.train.trainer import Trainer
from tests.test_cli_train import cli
from tests.test_engine import ENCODING_FOR
from tests.test_engine import config as engine_config


def one_step(model, x, lr=0.1, stats=None, frozen=()):
    """A forward, backward and SGD step of a plain torch model, recorded by `stats`."""
    stats = stats or LayerStats(model, every=1)
    for p in frozen:
        p.requires_grad_(False)
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr)
    stats.due(1)
    with stats.watching():
        loss = model(x).pow(2).mean()
    loss.backward()
    stats.read_gradients()
    optimizer.step()
    return stats.finish(1, 1.0, lr)["layers"], stats


def test_a_frozen_layer_has_update_ratio_zero():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    layers, _ = one_step(model, torch.randn(32, 8), frozen=model[0].parameters())
    assert layers["0"]["ratio"] == 0.0
    assert layers["0"]["g_norm"] is None  # no gradient was computed for it
    assert layers["2"]["ratio"] > 0


def test_a_relu_layer_with_a_large_negative_bias_is_all_dead():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        model[0].bias.fill_(-100.0)
    layers, stats = one_step(model, torch.randn(64, 8))
    assert layers["0"]["dead"] == 1.0
    assert stats.layers()[0]["activation"] == "relu"
    healthy, _ = one_step(nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 1)), torch.randn(64, 8))
    assert healthy["0"]["dead"] < 0.25


def test_a_tanh_layer_fed_large_inputs_is_saturated():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1))
    layers, _ = one_step(model, 100 * torch.randn(64, 8))
    assert layers["0"]["saturated"] > 0.9
    assert layers["0"]["dead"] is None
    calm, _ = one_step(nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1)), 0.1 * torch.randn(64, 8))
    assert calm["0"]["saturated"] < 0.05


def test_padding_is_left_out_of_convolution_activations():
    """A dead unit stays dead although padding positions (where the conv only sees its bias) are positive."""
    conv = nn.Conv1d(4, 2, 3, padding=1)
    with torch.no_grad():
        conv.weight.zero_()
        conv.weight[0] = -1.0  # unit 0: -(sum of inputs) + bias, negative on real residues
        conv.bias.copy_(torch.tensor([0.5, 0.5]))
    model = nn.Sequential(conv, nn.ReLU())
    stats = LayerStats(model, every=1)
    x = torch.zeros(2, 4, 10)
    x[:, :, :6] = 1.0  # 6 real residues, 4 of padding
    mask = torch.zeros(2, 10, dtype=torch.bool)
    mask[:, :6] = True
    stats.due(1)
    with stats.watching(mask):
        model(x).sum().backward()
    stats.read_gradients()
    assert stats.finish(1, 1.0, 0.1)["layers"]["0"]["dead"] == 0.5  # unit 0 of 2


def sigmoid_mlp_internals(tiny, activation="sigmoid", init="default", epochs=2):
    data, split = tiny["binary"]
    cfg = RunConfig(training=TrainingConfig(epochs=epochs, batch_size=16, layer_stats_every=1)).with_values(
        encoding="aac", model="mlp", hidden=(32,) * 6, activation=activation, init=init, optimizer="sgd", lr=0.1)
    trainer = Trainer(cfg, data, split)
    trainer.run()
    return trainer.snapshot().internals()


def test_a_deep_sigmoid_mlp_shows_vanishing_gradients(tiny):
    internals = sigmoid_mlp_internals(tiny)
    last = internals["records"][-1]["layers"]
    names = [layer["name"] for layer in internals["layers"]]
    assert names[0] == "blocks.0.linear" and names[-1] == "head"
    hidden = [last[f"blocks.{i}.linear"]["g_norm"] for i in range(6)]
    assert all(a < b for a, b in zip(hidden, hidden[1:])), hidden  # shrinking layer by layer toward the input
    assert hidden[0] < 1e-2 * hidden[-1]
    warnings = layer_warnings(internals)
    vanishing = [w for w in warnings if w.rule == "vanishing"]
    assert vanishing and "blocks.0.linear" in vanishing[0].layers
    assert "sigmoid activations at depth 6" in vanishing[0].message
    healthy = sigmoid_mlp_internals(tiny, activation="relu", init="kaiming_normal")
    assert not [w for w in layer_warnings(healthy) if w.rule == "vanishing"]


def test_zeros_init_raises_the_symmetry_warning(tiny):
    internals = sigmoid_mlp_internals(tiny, activation="relu", init="zeros", epochs=1)
    symmetric = [w for w in layer_warnings(internals) if w.rule == "symmetry"]
    assert len(symmetric) == 1 and "blocks.1.linear" in symmetric[0].layers and "head" not in symmetric[0].layers
    assert not [w for w in layer_warnings(internals) if w.rule == "dead_units"]  # the symmetry explains it


def test_recording_does_not_change_the_run(tiny):
    data, split = tiny["binary"]
    runs = {}
    for on in (True, False):
        cfg = RunConfig(training=TrainingConfig(epochs=2, batch_size=16, layer_stats=on, layer_stats_every=1))
        trainer = Trainer(cfg.with_values(encoding="tokens", model="cnn", channels=8, dropout=0.2), data, split)
        result = trainer.run()
        runs[on] = ([row["train_loss"] for row in result.history], len(trainer.snapshot().layer_records))
    assert runs[True][0] == runs[False][0]
    assert runs[True][1] > 0 and runs[False][1] == 0


def test_a_short_run_records_each_epoch_and_a_long_one_stays_bounded(tiny):
    data, split = tiny["binary"]
    cfg = RunConfig(training=TrainingConfig(epochs=3, batch_size=16)).with_values(encoding="aac", model="mlp")
    trainer = Trainer(cfg, data, split)
    trainer.run()
    epochs = {round(r["epoch"], 3) for r in trainer.snapshot().layer_records}
    assert {1.0, 2.0, 3.0} <= epochs  # automatic spacing never leaves an epoch without a record
    series = tuple(range(MAX_LAYER_RECORDS + 1))
    kept = decimate(series)
    assert len(kept) <= MAX_LAYER_RECORDS and kept[0] == 0 and kept[-1] == MAX_LAYER_RECORDS


def test_histograms_and_percentiles():
    values = torch.randn(100_000)
    d = distribution(values)
    assert sum(d["counts"]) == 100_000 and len(d["pct"]) == 9
    assert d["pct"][4] == pytest.approx(0.0, abs=0.03)  # the median
    assert d["pct"][2] == pytest.approx(-1.0, abs=0.05) and d["pct"][6] == pytest.approx(1.0, abs=0.05)  # 16/84 %
    constant = distribution(torch.zeros(10))
    assert constant["lo"] == constant["hi"] == 0.0 and sum(constant["counts"]) == 10


def test_stored_with_the_run_at_each_epoch(tiny, tmp_path):
    data, split = tiny["binary"]
    store = RunStore(tmp_path / "runs.db", runs_root=tmp_path)
    cfg = RunConfig(training=TrainingConfig(epochs=2, batch_size=16)).with_values(encoding="aac", model="mlp")
    trainer = Trainer(cfg, data, split, run_dir=tmp_path / "r")
    trainer.start()
    record(trainer, store)
    stored = load_internals(store, trainer.run_id)
    assert stored == json.loads(json.dumps(trainer.snapshot().internals()))
    assert RunRepository(store).internals(trainer.run_id)["records"]


def test_train_json_has_internals(tmp_path):
    done = cli("train", "--dataset", "esol", "--encoding", "aac", "--model", "mlp", "--hidden", "32,32",
               "--epochs", "2", "--max-batches", "5", "--json", runs=tmp_path)
    assert done.returncode == 0, done.stderr
    internals = json.loads(done.stdout.strip().splitlines()[-1])["internals"]
    assert [layer["name"] for layer in internals["layers"]] == ["blocks.0.linear", "blocks.1.linear", "head"]
    first = internals["records"][0]
    assert first["step"] == 1
    assert set(first["layers"][0]) == {"name", "w_std", "g_norm", "ratio", "dead", "saturated"}
    assert isinstance(internals["warnings"], list)


@pytest.mark.parametrize("model", list(MODELS))
def test_every_model_records_every_layer(tiny, model):
    task = "residue" if MODELS[model].residue_only else "binary"
    data, split = tiny[task]
    trainer = Trainer(engine_config(model=model, encoding=ENCODING_FOR[model], epochs=1), data, split)
    trainer.run()
    snap = trainer.snapshot()
    owners = set(layer_modules(trainer._layer_stats.model))
    assert {layer["name"] for layer in snap.layers} == owners
    for entry in snap.layer_records:
        assert set(entry["layers"]) == owners
        assert all(v["w_std"] is not None and v["ratio"] is not None for v in entry["layers"].values())
    assert snap.layers[-1]["name"] == "head"


def test_layer_modules_are_the_modules_owning_parameters():
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 1)))
    assert list(layer_modules(model)) == ["0", "2.0", "2.1"]


@pytest.fixture(scope="module")
def esol():
    from protscope.data.builtin import config_for, load_data
    from protscope.data.splits import make_split

    data = load_data(config_for("esol"))
    return data, make_split(data, config_for("esol"))


@pytest.mark.parametrize(("preset", "rule"), [("vanishing-gradients", "vanishing"), ("dying-relu", "dead_units"),
                                              ("zeros-init", "symmetry")])
def test_each_lesson_preset_raises_its_warning(esol, preset, rule):
    from protscope.config.presets import get_preset

    values = {k: v for k, v in get_preset(preset).values.items() if k != "dataset"}
    trainer = Trainer(RunConfig().with_values(**{**values, "epochs": 2, "max_batches": 20}), *esol)
    assert trainer.run().status == "completed"
    found = layer_warnings(trainer.snapshot().internals())
    assert rule in [w.rule for w in found], [w.message for w in found]
