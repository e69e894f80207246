"""Weight initialisation (ModelConfig.init): every initialiser is deterministic for a seed and draws what
its formula says, the run applies it, the command line and the export pass it on, and the three lesson
presets show what their descriptions say (dead ReLUs, identical units, vanishing gradients)."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from protscope.cli import main as cli
from protscope.cli.train import build_config
from protscope.config.presets import PRESETS
from protscope.config.relevance import ignored_settings
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes, load_data
from protscope.data.splits import make_split
from protscope.modeling.init import INITIALISERS, apply_init
from protscope.runs.sweeps import expand, preset_sweep
from protscope.script_export.script import DRY_RUN_VARIABLE, pytorch_script
from protscope.train.batches import make_batch, select, to_device
from protscope.train.checkpoint import load_checkpoint
from protscope.train.prepare import prepare
from protscope.train.trainer import Trainer
from tests.conftest import csv_bytes, random_sequences


class EveryKind(nn.Module):
    """One layer of each kind an initialiser touches, and the normalisation layers it leaves alone."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(22, 8, padding_idx=0)
        self.conv = nn.Conv1d(8, 8, 3)
        self.gru = nn.GRU(8, 4, batch_first=True, bidirectional=True)
        self.lstm = nn.LSTM(8, 4, batch_first=True)
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.linear = nn.Linear(8, 3)
        self.layer_norm, self.batch_norm = nn.LayerNorm(8), nn.BatchNorm1d(8)
        with torch.no_grad():  # not their defaults, to see that no initialiser resets them
            for norm in (self.layer_norm, self.batch_norm):
                norm.weight.fill_(2.0), norm.bias.fill_(0.5)


def initialised(name: str, seed: int, std: float = 0.1) -> dict[str, torch.Tensor]:
    torch.manual_seed(123)  # the same PyTorch defaults underneath every time
    model = apply_init(EveryKind(), name, std, "relu", torch.Generator().manual_seed(seed))
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def is_weight(key: str) -> bool:
    return "weight" in key and "norm" not in key


@pytest.mark.parametrize("name", INITIALISERS)
def test_an_initialiser_is_deterministic_for_a_seed_and_leaves_norms_alone(name):
    first, again, other = initialised(name, 0), initialised(name, 0), initialised(name, 1)
    assert first.keys() == again.keys() and all(torch.equal(first[k], again[k]) for k in first)
    weights = [k for k in first if is_weight(k)]
    assert {"embed.weight", "conv.weight", "gru.weight_hh_l0_reverse", "lstm.weight_ih_l0",
            "attention.in_proj_weight", "attention.out_proj.weight", "linear.weight"} <= set(weights)
    draws = name not in ("default", "zeros")  # default keeps PyTorch's own weights; zeros draws nothing
    assert any(not torch.equal(first[k], other[k]) for k in weights) == draws
    for norm in ("layer_norm", "batch_norm"):
        assert (first[f"{norm}.weight"] == 2.0).all() and (first[f"{norm}.bias"] == 0.5).all()
    biases = [k for k in first if "bias" in k and "norm" not in k]
    assert all((first[k] == 0).all() for k in biases) == (name != "default")
    assert (first["embed.weight"][0] == 0).all()  # the padding token's vector
    if name == "zeros":
        assert all((first[k] == 0).all() for k in weights)


def test_default_keeps_pytorchs_weights_and_draws_nothing():
    model = EveryKind()
    state = {k: v.clone() for k, v in model.state_dict().items()}
    generator = torch.Generator().manual_seed(0)
    apply_init(model, "default", 0.1, "relu", generator)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert torch.equal(generator.get_state(), torch.Generator().manual_seed(0).get_state())


FAN_IN, FAN_OUT = 400, 600
STDS = {  # the sd each one should draw for a Linear(400, 600) followed by the activation
    ("xavier_uniform", "relu"): math.sqrt(2 / (FAN_IN + FAN_OUT)),
    ("xavier_normal", "tanh"): math.sqrt(2 / (FAN_IN + FAN_OUT)),
    ("kaiming_normal", "relu"): math.sqrt(2 / FAN_IN),
    ("kaiming_uniform", "relu"): math.sqrt(2 / FAN_IN),
    ("kaiming_normal", "tanh"): 5 / 3 / math.sqrt(FAN_IN),
    ("kaiming_normal", "sigmoid"): 1 / math.sqrt(FAN_IN),
    ("kaiming_normal", "gelu"): math.sqrt(2 / FAN_IN),  # no gain of its own in torch: counted as relu
    ("kaiming_normal", "leaky_relu"): math.sqrt(2 / (1 + 0.01**2) / FAN_IN),
    ("normal", "relu"): 0.05,
}


@pytest.mark.parametrize("name, activation", STDS, ids=[f"{n}-{a}" for n, a in STDS])
def test_weights_have_the_sd_of_their_formula(name, activation):
    layer = apply_init(nn.Linear(FAN_IN, FAN_OUT), name, 0.05, activation, torch.Generator().manual_seed(0))
    w = layer.weight.detach()
    assert float(w.std()) == pytest.approx(STDS[name, activation], rel=0.1)
    assert abs(float(w.mean())) < 0.1 * STDS[name, activation]


def test_orthogonal_weights_are_a_rotation():
    layer = apply_init(nn.Linear(128, 64), "orthogonal", 0.0, "relu", torch.Generator().manual_seed(0))
    w = layer.weight.detach()  # (64, 128): orthonormal rows
    torch.testing.assert_close(w @ w.T, torch.eye(64), atol=1e-5, rtol=0)


# --- in a run -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def esol():
    config = build_config("dying-relu", None, {})
    data = load_data(config.data)
    return data, make_split(data, config.data)


def first_weight(config: RunConfig, esol) -> torch.Tensor:
    return prepare(config, *esol).model.blocks[0].linear.weight.detach().clone()


def test_a_run_starts_from_its_initialisation_and_seed(esol):
    base = RunConfig().with_values(dataset="esol", encoding="aac_length", hidden=(256,), init="kaiming_normal")
    w = first_weight(base, esol)
    assert float(w.std()) == pytest.approx(math.sqrt(2 / 21), rel=0.1)  # 20 amino acids and the log length
    assert torch.equal(w, first_weight(base, esol)) and not torch.equal(w, first_weight(base.with_values(seed=1), esol))
    plain = RunConfig().with_values(dataset="esol", encoding="aac_length", hidden=(256,))
    assert torch.equal(first_weight(base.with_values(init="default"), esol), first_weight(plain, esol))
    normal = first_weight(base.with_values(init="normal", init_std=0.3), esol)
    assert float(normal.std()) == pytest.approx(0.3, rel=0.1)


def hidden_outputs(model: nn.Module, data, rows: np.ndarray, config: RunConfig) -> list[torch.Tensor]:
    """Each hidden layer's activations (proteins, units) for these proteins, read with forward hooks."""
    batch = make_batch(to_device(data, torch.device("cpu"), config.encoding), rows, config.encoding)
    outputs = []
    hooks = [block.activation.register_forward_hook(lambda module, args, out: outputs.append(out))
             for block in model.blocks]
    with torch.no_grad():
        model(batch.x, batch.mask)
    for hook in hooks:
        hook.remove()
    return outputs


def dead_share(config: RunConfig, esol, tmp_path) -> float:
    """The share of hidden ReLUs that output 0 for every validation protein after training `config`."""
    data, split = esol
    result = Trainer(config, data, split, run_dir=tmp_path).run()
    assert result.status == "completed", result.message
    assert all(math.isfinite(row["train_loss"]) for row in result.history)
    model, saved, _ = load_checkpoint(result.checkpoint)
    dead = torch.cat([(out == 0).all(0) for out in hidden_outputs(model, data, split.index("val"), saved)])
    return float(dead.float().mean())


def test_the_dying_relu_preset_kills_most_units_and_a_normal_lr_does_not(esol, tmp_path):
    config = build_config("dying-relu", None, {})
    assert (config.model.activation, config.optimizer.name, config.optimizer.lr) == ("relu", "sgd", 3.0)
    assert dead_share(config, esol, tmp_path / "high") > 0.4
    assert dead_share(config.with_values(lr=0.1), esol, tmp_path / "normal") < 0.1


def test_zeros_init_never_breaks_the_symmetry(esol, tmp_path):
    config = build_config("zeros-init", None, {"epochs": 3, "max_batches": 20})
    data, split = esol
    result = Trainer(config, data, split, run_dir=tmp_path).run()
    assert result.status == "completed", result.message
    model, _, _ = load_checkpoint(result.checkpoint)
    for block in model.blocks:
        w, b = block.linear.weight.detach(), block.linear.bias.detach()
        assert float(w.abs().max()) > 0  # the weights moved...
        assert torch.equal(w, w[:1].expand_as(w)) and torch.equal(b, b[:1].expand_as(b))  # ...all rows together
    for out in hidden_outputs(model, data, split.index("val"), config):
        assert torch.equal(out, out[:, :1].expand_as(out))  # every unit of a layer says the same


def test_vanishing_gradients_preset_and_its_relu_he_partner(esol):
    preset = PRESETS["vanishing-gradients"]
    runs = expand(preset_sweep(preset), build_config(preset.name, None, {}))
    assert [(r.config.model.activation, r.config.model.init) for r in runs] == [("sigmoid", "default"),
                                                                                 ("relu", "kaiming_normal")]
    ratios = []
    for run in runs:
        p = prepare(run.config, *esol)
        batch = make_batch(p.dd, p.rows["train"][:256], p.config.encoding)
        p.loss_fn(*select(p.model(batch.x, batch.mask), batch)).backward()
        assert len(p.model.blocks) == 6
        ratios.append(float(p.model.blocks[0].linear.weight.grad.norm() / p.model.head.weight.grad.norm()))
    assert ratios[0] < 1e-3 < 0.1 < ratios[1]  # sigmoid: the first layer hardly learns; ReLU + He: it does


# --- settings, the command line and the export ----------------------------------------------------

def test_init_round_trips_and_old_configs_load():
    config = RunConfig().with_values(init="normal", init_std=0.5)
    assert RunConfig.from_json(config.to_json()) == config and config.to_dict()["model"]["init"] == "normal"
    old = json.loads(RunConfig().to_json())
    del old["model"]["init"], old["model"]["init_std"]
    assert RunConfig.from_dict(old).model.init == "default"
    assert ignored_settings(RunConfig().with_values(init_std=0.5), "binary") == [
        "init_std 0.5 is ignored: only the normal initialisation (init normal) uses it"]
    assert ignored_settings(config, "binary") == []


def test_the_command_line_takes_init(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "--init INIT" in capsys.readouterr().out
    status = cli.main(["train", "--dataset", "esol", "--encoding", "aac", "--init", "orthogonal", "--epochs", "1",
                       "--max-batches", "2", "--json", "--db", str(tmp_path / "runs.db")])
    out = capsys.readouterr()
    assert status == 0, out.err
    summary = json.loads(out.out.strip().splitlines()[-1])
    assert summary["config"]["model"]["init"] == "orthogonal" and summary["stopped_reason"] == "completed"
    assert cli.main(["train", "--dataset", "esol", "--init", "he", "--epochs", "1"]) != 0
    assert "kaiming_normal" in capsys.readouterr().err  # the choices are named


def test_the_exported_script_initialises_as_protscope_does(tmp_path, monkeypatch, capsys):
    seqs = random_sequences(40, seed=5, low=20, high=60)
    content = csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)])
    (tmp_path / "data.csv").write_bytes(content)
    config = RunConfig().with_values(model="mlp", encoding="aac", hidden=(512, 16), init="kaiming_normal", epochs=1,
                                     device="cpu")
    source = pytorch_script(config, str(tmp_path / "data.csv"), {"sequence": "sequence", "label": "label"},
                            "binary", ("0", "1"))
    assert "nn.init.kaiming_normal_(w, a=0, nonlinearity=nonlinearity, generator=generator)" in source
    assert max(map(len, source.splitlines())) <= 120
    monkeypatch.setenv(DRY_RUN_VARIABLE, "1")
    script = {"__name__": "__main__"}
    with pytest.raises(SystemExit):
        exec(compile(source, "exported.py", "exec"), script)
    first = script["model"].hidden[0][0].weight.detach()
    assert float(first.std()) == pytest.approx(math.sqrt(2 / 20), rel=0.1)  # He: sqrt(2 / fan_in), 20 inputs
    data = load_bytes(content, "data.csv", DataConfig())
    ours = prepare(config, data, make_split(data, config.data)).model
    for exported, protscope in zip(script["model"].parameters(), ours.parameters(), strict=True):
        assert torch.equal(exported, protscope)  # the same draws from the same seed, in the same order (on a CPU)
    monkeypatch.delenv(DRY_RUN_VARIABLE)
    exec(compile(source, "exported.py", "exec"), {"__name__": "__main__"})
    assert "test loss" in capsys.readouterr().out
    default = pytorch_script(config.with_values(init="default"), str(tmp_path / "data.csv"),
                             {"sequence": "sequence", "label": "label"}, "binary", ("0", "1"))
    assert "def initialise" not in default


@pytest.mark.usefixtures("fresh_dashboard")
def test_the_train_page_offers_init_and_shows_init_std_only_for_normal():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).parent.parent / "dashboard" / "app.py"), default_timeout=90).run()
    at.switch_page("app_pages/train.py").run()
    box = at.selectbox(key="init")
    assert box.options == [spec.title for spec in INITIALISERS.values()] and box.value == "default"
    assert not [w for w in at.number_input if w.key == "init_std"]
    box.set_value("normal").run()
    assert not at.exception and at.session_state["ws"].settings["init"] == "normal"
    at.number_input(key="init_std").set_value(0.1).run()
    assert at.session_state["ws"].settings["init_std"] == 0.1
    assert any(INITIALISERS["normal"].help in c.value for c in at.caption)
