"""Each registry entry declares the config fields its builder reads, and that declaration is the truth.

Every choice is built through its real builder with a config section that records which fields are
read; the set read must equal the declared set, and `relevant_fields` (what the dashboard shows) must
show exactly those. The cases come from the registries themselves, so a new entry is tested as soon
as it is added. The script export is checked over every registry value too: it exports, or it refuses
with a ProtScopeError naming the value.
"""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from protscope.alphabet import VOCAB_SIZE
from protscope.config.relevance import (
    DEFAULTS,
    EVERY_MODEL,
    SWITCHES,
    applies,
    ignored_settings,
    matters,
    relevant_fields,
)
from protscope.config.run_config import SECTIONS, RunConfig
from protscope.config.sections import TASKS, EncodingConfig, LossConfig, ModelConfig, OptimizerConfig, SchedulerConfig
from protscope.errors import ProtScopeError
from protscope.evaluation.metrics import CLASSIFICATION_KEYS, REGRESSION_KEYS
from protscope.modeling.encodings import ENCODINGS, encode
from protscope.modeling.init import INITIALISERS, apply_init
from protscope.modeling.losses import AUTO, LOSSES, make_loss, output_size
from protscope.modeling.models import MODELS, ModelDims, build_model
from protscope.modeling.optim import OPTIMIZERS, SCHEDULERS, make_optimizer, make_scheduler
from protscope.script_export.script import DRY_RUN_VARIABLE, pytorch_script
from protscope.train.prepare import Prepared, model_dims
from tests.conftest import csv_bytes, random_sequences

ROOT = Path(__file__).resolve().parent.parent


def section_fields(section: str) -> set[str]:
    return {f.name for f in dataclasses.fields(SECTIONS[section])} - {"name"}


class Recording:
    """A config section that records which of its fields are read; `name` (the choice itself) is not counted."""

    def __init__(self, section):
        self.__dict__.update(_section=section, _fields={f.name for f in dataclasses.fields(section)} - {"name"},
                             read=set())

    def __getattr__(self, name):
        if name in self._fields:
            self.read.add(name)
        return getattr(self._section, name)


# Valid values that differ from the defaults where that makes a builder take more branches
# (two same-size hidden layers for the residual, an LSTM, Nesterov with momentum...), and small sizes.
MODEL = ModelConfig(hidden=(6, 6), activation="gelu", dropout=0.1, norm="batch", residual=True, embedding_dim=4,
                    channels=4, kernel_size=3, layers=2, dilation=2, pooling="max", rnn_cell="lstm", rnn_hidden=3,
                    d_model=8, heads=2, ff_dim=8)
ENCODING = EncodingConfig(window=2, k=2, standardize=True)
LOSS = LossConfig(class_weights="balanced", label_smoothing=0.1, huber_delta=0.5, focal_gamma=1.5, focal_alpha=0.3,
                  pos_weight="balanced")
OPTIMIZER = OptimizerConfig(lr=0.01, weight_decay=0.01, momentum=0.5, nesterov=True, beta1=0.8, beta2=0.99,
                            eps=1e-6, alpha=0.9)
SCHEDULER = SchedulerConfig(step_size=1, milestones=(1, 2), warmup_epochs=0.5, cycle_epochs=0.5)
N_CLASSES = {"binary": 2, "multiclass": 3, "multilabel": 3, "residue": 3, "regression": 1}


def multi_hot(n: int, labels: int) -> np.ndarray:
    """(n, labels) 0/1 targets in which every label has positives and negatives."""
    return (np.arange(n)[:, None] % (np.arange(labels) + 2) == 0).astype(np.float32)


def encoding_of(model: str, level: str) -> str:
    """An encoding of this level that the model reads."""
    return next(name for name in MODELS[model].encoding_names() if ENCODINGS[name].level == level)


def model_cases() -> list[tuple[str, str, bool]]:
    """(model, encoding level, per residue) for every level each model reads and every kind of task it allows."""
    cases = []
    for name, spec in MODELS.items():
        for level in sorted({ENCODINGS[e].level for e in spec.encoding_names()}):
            cases += [(name, level, per_residue) for per_residue in (False, True)
                      if (spec.per_residue(level) if per_residue else not spec.residue_only)]
    return cases


# --- models ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, level, per_residue", model_cases(),
                         ids=[f"{m}-{lv}-{'residue' if r else 'protein'}" for m, lv, r in model_cases()])
def test_a_model_reads_what_its_spec_declares(name, level, per_residue):
    spec, cfg = MODELS[name], Recording(MODEL.replace(name=name))
    width = VOCAB_SIZE if level == "tokens" else 5
    dims = ModelDims(width, 3, level, per_residue, seq_len=7, standardize=level == "sequence")
    model = build_model(cfg, dims, torch.Generator()).eval()
    mask = torch.arange(7) < torch.tensor([[7], [4]])  # (2, 7): the second protein is padded
    x = {"sequence": torch.randn(2, width), "residue": torch.randn(2, 7, width),
         "tokens": torch.randint(1, VOCAB_SIZE, (2, 7)) * mask}[level]
    with torch.no_grad():
        out = model(x, mask)
    assert out.shape == ((2, 7, 3) if per_residue else (2, 3))
    assert cfg.read == set(spec.reads(level, per_residue))
    task = "residue" if per_residue else "binary"
    shown = relevant_fields({"model": name, "encoding": encoding_of(name, level)}, task)
    assert shown & section_fields("model") == set(spec.reads(level, per_residue)) | set(EVERY_MODEL)


def test_sequence_models_read_the_embedding_with_tokens_only_and_pool_per_protein_only():
    cnn = MODELS["cnn"]
    assert "embedding_dim" in cnn.reads("tokens", False) and "embedding_dim" not in cnn.reads("residue", False)
    assert "pooling" in cnn.reads("residue", False) and "pooling" not in cnn.reads("residue", True)
    assert applies("norm", {"model": "window_mlp", "encoding": "window"}, "residue")
    assert applies("residual", {"model": "window_mlp", "encoding": "window"}, "residue")
    assert not applies("embedding_dim", {"model": "rnn", "encoding": "onehot"}, "binary")
    assert not applies("pooling", {"model": "transformer"}, "residue")


# --- encodings -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(ENCODINGS))
def test_an_encoding_reads_what_its_spec_declares(name):
    enc, cfg = ENCODINGS[name], Recording(ENCODING.replace(name=name))
    tokens = torch.tensor([[1, 5, 21, 3, 7], [2, 4, 0, 0, 0]], dtype=torch.uint8)
    lengths = torch.tensor([5, 2])
    x = encode(tokens, lengths, cfg)
    assert x.shape[-1] == enc.width(cfg) or enc.level == "tokens"
    # protscope.train.prepare.model_dims decides whether per-protein features are standardised
    model_dims(SimpleNamespace(encoding=cfg, loss=LossConfig()), SimpleNamespace(classes=("0", "1"), task="binary",
                                                                                 width=5))
    assert cfg.read == set(enc.params)
    model = next(m for m, spec in MODELS.items() if spec.accepts(enc))
    shown = relevant_fields({"encoding": name, "model": model}, "residue" if MODELS[model].residue_only else "binary")
    assert shown & section_fields("encoding") == set(enc.params)


# --- losses ----------------------------------------------------------------------------------------

LOSS_CASES = [(name, task) for name, spec in LOSSES.items() for task in spec.tasks] + [("auto", t) for t in TASKS]


@pytest.mark.parametrize("name, task", LOSS_CASES, ids=[f"{n}-{t}" for n, t in LOSS_CASES])
def test_a_loss_reads_what_its_spec_declares(name, task):
    cfg = Recording(LOSS.replace(name=name))
    n = N_CLASSES[task]
    labels = None if task == "regression" else multi_hot(10, n) if task == "multilabel" else np.arange(10) % n
    loss_fn = make_loss(cfg, task, n, labels, "cpu")
    out = output_size(LOSS.replace(name=name), task, n)
    logits = torch.randn(6, out)
    y = torch.randn(6).abs() if task == "regression" else torch.arange(6) % n  # MSLE takes labels of 0 or more
    if task == "multilabel":
        y = torch.as_tensor(multi_hot(6, n))
    assert torch.isfinite(loss_fn(logits, y))
    spec = LOSSES[AUTO[task] if name == "auto" else name]
    if spec.head is not None:  # the output layer the loss brings (harmonic) reads fields of its own
        assert torch.isfinite(spec.head(cfg, torch.nn.Linear(4, out))(torch.randn(6, 4))).all()
    declared = set(spec.reads(task))
    assert cfg.read == declared
    assert relevant_fields({"loss": name}, task) & section_fields("loss") == declared


def test_label_smoothing_shows_only_where_cross_entropy_reads_it():
    assert not applies("label_smoothing", {"loss": "auto"}, "binary")  # auto is BCE there
    assert applies("label_smoothing", {"loss": "auto"}, "multiclass")
    assert not applies("class_weights", {"loss": "focal"}, "binary") and applies("focal_alpha", {"loss": "focal"},
                                                                                  "binary")
    assert applies("class_weights", {"loss": "focal"}, "multiclass") and not applies("focal_alpha", {"loss": "focal"},
                                                                                      "multiclass")


# --- optimizers and schedulers ---------------------------------------------------------------------

@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_an_optimizer_reads_what_its_spec_declares(name):
    spec, cfg = OPTIMIZERS[name], Recording(OPTIMIZER.replace(name=name))
    model = build_model(ModelConfig(hidden=(4,)), ModelDims(5, 2, "sequence", False, 1))  # a hidden matrix, a head
    optimizer = make_optimizer(model, cfg)
    model(torch.randn(3, 5), torch.ones(3, 1, dtype=torch.bool)).sum().backward()
    optimizer.step()
    assert cfg.read == set(spec.params)
    # Without weight decay of its own (Rprop), the trainer adds weight_decay to the loss as an L2 term.
    l2 = Prepared.l2_in_loss.fget(SimpleNamespace(config=SimpleNamespace(optimizer=cfg)))
    assert l2 == (0.0 if spec.native_weight_decay else OPTIMIZER.weight_decay)
    assert spec.native_weight_decay or "weight_decay" not in spec.params
    assert cfg.read == set(spec.reads())
    assert relevant_fields({"optimizer": name}, "binary") & section_fields("optimizer") == set(spec.reads())


def test_muon_shows_the_eps_of_its_adamw_half():
    assert applies("eps", {"optimizer": "muon"}, "binary") and not applies("eps", {"optimizer": "sgd"}, "binary")
    assert applies("weight_decay", {"optimizer": "rprop"}, "binary")


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_a_scheduler_reads_what_its_spec_declares(name):
    spec, cfg = SCHEDULERS[name], Recording(SCHEDULER.replace(name=name))
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = make_scheduler(optimizer, cfg, 0.1, 3, 2)
    for _ in range(5 * (scheduler is not None and not spec.per_epoch)):  # within one-cycle's 3 x 2 steps
        optimizer.step()
        scheduler.step()
    assert cfg.read == set(spec.params)
    assert relevant_fields({"scheduler": name}, "binary") & section_fields("scheduler") == set(spec.params)


# --- initialisers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(INITIALISERS))
def test_an_initialiser_reads_what_its_spec_declares(name):
    """init shows for every model; init_std exactly where the initialiser takes an sd (its `reads`)."""
    spec = INITIALISERS[name]
    model = build_model(ModelConfig(name="transformer", d_model=8, heads=2, ff_dim=8, layers=1),
                        ModelDims(VOCAB_SIZE, 2, "tokens", False, 7))
    apply_init(model, name, 0.5, "relu", torch.Generator().manual_seed(0))
    assert all(torch.isfinite(w).all() for w in model.parameters())
    assert set(spec.reads) <= {"std", "nonlinearity"}
    for model_name in MODELS:
        assert applies("init", {"model": model_name, "init": name}, "residue")
    assert applies("init_std", {"init": name}, "binary") == ("std" in spec.reads)
    assert ModelConfig(init=name).init == name


# --- the rest: data and training fields, and the whole ---------------------------------------------

SWITCHED_ON = {"early_stopping": True, "grad_clip": 1.0, "split": "homology", "init": "normal",
               "layer_stats": True}
SWITCHED_OFF = {"layer_stats": False}  # switches that are on by default, turned off


@pytest.mark.parametrize("key", list(SWITCHES))
def test_switched_fields_show_only_when_switched_on(key):
    switch, is_on, _ = SWITCHES[key]
    assert is_on(SWITCHED_ON[switch])
    off = SWITCHED_OFF.get(switch, DEFAULTS[switch])
    assert not is_on(off)
    assert applies(key, {}, "binary") == is_on(DEFAULTS[switch])
    assert not applies(key, {switch: off}, "binary") and applies(key, {switch: SWITCHED_ON[switch]}, "binary")


@pytest.mark.parametrize("task", TASKS)
def test_data_and_training_fields_show_unless_switched_off(task):
    shown = relevant_fields({}, task)
    assert (section_fields("data") | section_fields("training")) - set(SWITCHES) <= shown
    assert section_fields("data") | section_fields("training") <= relevant_fields(SWITCHED_ON, task)


def test_every_field_of_a_choice_is_read_by_some_choice():
    read = set()
    for name, level, per_residue in model_cases():
        read |= set(MODELS[name].reads(level, per_residue))
    read |= {f for enc in ENCODINGS.values() for f in enc.params}
    read |= {f for spec in LOSSES.values() for task in spec.tasks for f in spec.reads(task)}
    read |= {f for spec in OPTIMIZERS.values() for f in spec.reads()}
    read |= {f for spec in SCHEDULERS.values() for f in spec.params}
    read |= {*EVERY_MODEL, *SWITCHES}  # the initialisation (init_std is switched on by init normal)
    for section in ("model", "encoding", "loss", "optimizer", "scheduler"):
        assert section_fields(section) <= read, section_fields(section) - read


def test_section_relevant_uses_the_same_source():
    model = RunConfig().model.replace(name="cnn")
    assert matters(model, "kernel_size") and not matters(model, "rnn_hidden") and matters(model, "dropout")
    assert matters(model, "pooling", "binary") and not matters(model, "pooling", "residue")
    assert not matters(model, "embedding_dim") and matters(model, "embedding_dim", encoding="tokens")
    assert not matters(RunConfig().training, "patience")
    assert matters(RunConfig().training.replace(early_stopping=True), "patience")


def test_unknown_task_shows_what_matters_for_some_task():
    assert applies("label_smoothing", {}, "auto") and applies("pooling", {"model": "cnn"}, "auto")
    assert not applies("label_smoothing", {"task": "binary"}, "auto")
    with pytest.raises(ProtScopeError, match="did you mean 'momentum'"):
        applies("momentun", {}, "binary")
    with pytest.raises(ProtScopeError, match="model 'mpl' is not one of the choices"):
        relevant_fields({"model": "mpl"}, "binary")


# --- settings that are ignored ---------------------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_the_defaults_ignore_nothing(task):
    assert ignored_settings(RunConfig(), task) == []


def test_ignored_settings_say_why_in_words():
    config = RunConfig().with_values(momentum=0.5, lr=0.01, patience=3, model="cnn", pooling="max", embedding_dim=8,
                                     label_smoothing=0.1)
    notes = ignored_settings(config, "residue")
    assert "momentum 0.5 is ignored: the Adam optimizer does not use it" in notes
    assert "patience 3 is ignored: early_stopping is off" in notes
    assert "pooling max is ignored: per-residue predictions are not pooled" in notes
    assert any(note.startswith("embedding_dim 8 is ignored:") and "tokens" in note for note in notes)
    assert len(notes) == 4  # lr is used, and the residue task's cross-entropy reads label_smoothing
    binary = ignored_settings(config, "binary")
    assert "label_smoothing 0.1 is ignored: auto picks the bce loss for a binary task, which does not use it" in binary
    focal = ignored_settings(RunConfig().with_values(loss="focal", class_weights="1,3"), "binary")
    assert focal == ["class_weights 1,3 is ignored: the focal loss does not use it on a binary task"]


def test_train_prints_a_note_for_each_ignored_setting(tmp_path):
    seqs = random_sequences(40, seed=1, low=20, high=60)
    path = tmp_path / "data.csv"
    path.write_bytes(csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)]))
    env = {**os.environ, "PROTSCOPE_RUNS": str(tmp_path / "runs"), "PROTSCOPE_DB": str(tmp_path / "runs.db")}
    done = subprocess.run([sys.executable, "-m", "protscope", "train", "--data", str(path), "--encoding", "aac",
                           "--epochs", "1", "--max-batches", "1", "--momentum", "0.5"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert "note: momentum 0.5 is ignored: the Adam optimizer does not use it" in done.stderr.splitlines()


# --- the script export: every registry value exports or is refused by name -------------------------

def choices(key: str) -> tuple:
    return next(d for d in ModelConfig.describe() if d["name"] == key)["choices"]


MONITORS = dict.fromkeys(["val_loss", *(f"val_{k}" for k in CLASSIFICATION_KEYS + REGRESSION_KEYS)])
EXPORT_CASES = ([("model", n) for n in MODELS] + [("encoding", n) for n in ENCODINGS]
                + [("loss", n) for n in ("auto", *LOSSES)] + [("optimizer", n) for n in OPTIMIZERS]
                + [("scheduler", n) for n in SCHEDULERS]
                + [(key, value) for key in ("activation", "norm", "pooling", "rnn_cell", "init")
                   for value in choices(key)]
                + [("monitor", m) for m in MONITORS])
PARTNERS = {"activation": {"model": "cnn"}, "norm": {"model": "mlp", "hidden": (8,)}, "pooling": {"model": "cnn"},
            "rnn_cell": {"model": "rnn"}, "init": {"model": "mlp", "hidden": (8,), "init_std": 0.1}}
# (a model that reads the setting, so the export writes it)


def export_case(key: str, value) -> tuple[dict, str]:
    """The settings and the task of a config that uses `value` for `key` and exports otherwise."""
    values = {key: value, **PARTNERS.get(key, {})}
    task = "binary"
    if key == "model":
        names = MODELS[value].encoding_names()
        values["encoding"] = next((n for n in names if n in ("onehot", "aac")), names[0])
    elif key == "encoding":
        values["model"] = next(m for m in ("cnn", "mlp", "linear") if MODELS[m].accepts(ENCODINGS[value]))
    elif key == "loss" and value != "auto":
        task = next(t for t in LOSSES[value].tasks if t != "residue")
    elif key == "monitor" and value[4:] in REGRESSION_KEYS and value[4:] not in CLASSIFICATION_KEYS:
        task = "regression"
    return values, task


@pytest.mark.parametrize("key, value", EXPORT_CASES, ids=[f"{k}-{v}" for k, v in EXPORT_CASES])
def test_every_registry_value_exports_or_is_refused_by_name(tmp_path, monkeypatch, key, value):
    values, task = export_case(key, value)
    seqs = random_sequences(24, seed=4, low=20, high=40)
    labels = [round(s.count("K") / len(s), 3) for s in seqs] if task == "regression" else [i % 2 for i in range(24)]
    path = tmp_path / "data.csv"
    path.write_bytes(csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, y] for i, (s, y) in
                                                             enumerate(zip(seqs, labels, strict=True))]))
    classes = () if task == "regression" else ("0", "1")
    try:
        source = pytorch_script(RunConfig().with_values(**values), str(path), {"sequence": "sequence",
                                                                             "label": "label"}, task, classes)
    except ProtScopeError as error:
        assert f"'{value}'" in str(error)
        return
    monkeypatch.setenv(DRY_RUN_VARIABLE, "1")
    script = {"__name__": "__main__"}
    with pytest.raises(SystemExit) as stop:
        exec(compile(source, "exported.py", "exec"), script)
    assert stop.value.code == 0 and isinstance(script["optimizer"], torch.optim.Optimizer)


def test_a_registry_entry_alone_adds_an_optimizer():
    """AMSGrad was added as one OptimizerSpec line in protscope/modeling/optim.py: the config accepts it, the
    built optimizer has the constant argument, the exported script writes it, and the relevance rules see
    the fields it reads."""
    from protscope.config.sections import OptimizerConfig
    from protscope.modeling.optim import keyword_args

    cfg = OptimizerConfig(name="amsgrad", lr=3e-3)
    optimizer = make_optimizer(torch.nn.Linear(4, 2), cfg)
    assert isinstance(optimizer, torch.optim.AdamW) and optimizer.defaults["amsgrad"] is True
    assert keyword_args(OPTIMIZERS["amsgrad"], cfg)["amsgrad"] is True
    assert relevant_fields({"optimizer": "amsgrad"}, "binary") >= {"lr", "beta1", "beta2", "eps", "weight_decay"}
    assert "momentum" not in relevant_fields({"optimizer": "amsgrad"}, "binary")
