"""The plain PyTorch script export: the scripts run, and train what ProtScope would train.

Most scripts run in this process (importing torch in a fresh interpreter takes seconds): as a dry run
(PROTSCOPE_EXPORT_DRY=1: load the data, build the model, loss, optimizer and scheduler, then stop),
whose objects are compared with ProtScope's own, or whole, some against a ProtScope run of the same
config. One runs in a subprocess, exactly as a student would run it.
"""
from __future__ import annotations

import ast
import math
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.data.builtin import load_bytes
from protscope.errors import ProtScopeError
from protscope.modeling.encodings import encode, encode_all
from protscope.modeling.layers import count_parameters
from protscope.modeling.losses import make_loss, with_loss_head
from protscope.modeling.models import build_model
from protscope.modeling.optim import SCHEDULERS, lr_schedule, make_optimizer
from protscope.script_export.script import DRY_RUN_VARIABLE, pytorch_script
from protscope.train.prepare import model_dims
from protscope.train.trainer import Trainer
from tests.conftest import csv_bytes, random_sequences

COLUMNS = {"sequence": "sequence", "label": "label"}
STDLIB_AND_DEPENDENCIES = {"copy", "math", "os", "numpy", "pandas", "torch"}


def _tables() -> dict[str, tuple[bytes, str, tuple[str, ...]]]:
    """name -> (CSV bytes, task, classes): 40 proteins of 20-60 residues each."""
    seqs = random_sequences(40, seed=5, low=20, high=60)
    k_share = [round(s.count("K") / len(s) * 10, 4) for s in seqs]
    parts = ["train"] * 28 + ["val"] * 6 + ["test"] * 6
    return {
        "binary": (csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)]),
                   "binary", ("0", "1")),
        "regression": (csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, k] for i, (s, k) in
                                                               enumerate(zip(seqs, k_share))]), "regression", ()),
        "multiclass": (csv_bytes(["id", "sequence", "label", "split"],
                                 [[f"p{i}", s, "abc"[i % 3], parts[i]] for i, s in enumerate(seqs)]),
                       "multiclass", ("a", "b", "c")),
    }


TABLES = _tables()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, str]:
    """name -> path of each table written as a CSV file."""
    folder = tmp_path_factory.mktemp("export")
    for name, (content, _, _) in TABLES.items():
        (folder / f"{name}.csv").write_bytes(content)
    return {name: str(folder / f"{name}.csv") for name in TABLES}


def export(files, table: str, **values) -> tuple[RunConfig, str]:
    config = RunConfig().with_values(**values)
    columns = {**COLUMNS, "split": "split"} if table == "multiclass" else COLUMNS
    _, task, classes = TABLES[table]
    return config, pytorch_script(config, files[table], columns, task, classes)


def dry_run(source: str, monkeypatch) -> dict:
    """Run the script in this process up to its dry-run exit; returns its global variables."""
    monkeypatch.setenv(DRY_RUN_VARIABLE, "1")
    namespace = {"__name__": "__main__"}
    with pytest.raises(SystemExit) as stop:
        exec(compile(source, "exported.py", "exec"), namespace)
    assert stop.value.code == 0
    return namespace


def protscope_model(config: RunConfig, table: str) -> torch.nn.Module:
    data = load_bytes(TABLES[table][0], f"{table}.csv", DataConfig())
    model = build_model(config.model, model_dims(config.resolve(data.task), data))
    return with_loss_head(model, config.loss, data.task)  # the harmonic loss's distance layer


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            modules.add((node.module or "").split(".")[0])
    return modules


# --- the model: same parameters, same function ----------------------------------------------------

MODEL_CASES = [
    ("binary", dict(model="linear", encoding="onehot")),
    ("regression", dict(model="linear", encoding="aac")),
    ("binary", dict(model="mlp", encoding="dpc", hidden=(16, 16), norm="batch", residual=True, dropout=0.1)),
    ("multiclass", dict(model="mlp", encoding="onehot", hidden=(8, 4), norm="layer", activation="gelu")),
    ("binary", dict(model="mlp", encoding="kmer", k=1, hidden=(8,), loss="ce", standardize=False)),
    ("binary", dict(model="cnn", encoding="tokens", embedding_dim=8, channels=6, kernel_size=3, layers=3,
                    dilation=2)),
    ("regression", dict(model="cnn", encoding="onehot", channels=5, pooling="max", activation="silu")),
    ("binary", dict(model="rnn", encoding="tokens", embedding_dim=6, rnn_hidden=5, layers=2)),
    ("multiclass", dict(model="rnn", encoding="onehot", rnn_cell="lstm", rnn_hidden=4, pooling="max")),
    ("binary", dict(model="transformer", encoding="tokens", embedding_dim=6, d_model=8, heads=2, ff_dim=12,
                    layers=2)),
    ("regression", dict(model="transformer", encoding="onehot", d_model=8, heads=4, ff_dim=8, layers=1,
                        activation="tanh", pooling="max")),
    ("multiclass", dict(model="mlp", encoding="aac", hidden=(8, 6), activations=("tanh", "leaky_relu"),
                        loss="harmonic")),
    ("binary", dict(model="cnn", encoding="onehot", channels=5, loss="harmonic", harmonic_exponent=2.5)),
    ("binary", dict(model="linear", encoding="aac", loss="harmonic")),
]


@pytest.mark.parametrize("table, values", MODEL_CASES,
                         ids=[f"{v['model']}-{v['encoding']}-{t}" for t, v in MODEL_CASES])
def test_model_matches_protscope(files, monkeypatch, table, values):
    config, source = export(files, table, **values)
    script = dry_run(source, monkeypatch)
    exported, protscope = script["model"], protscope_model(config, table)
    assert count_parameters(exported) == count_parameters(protscope)
    # Same weights in, same logits out: copy ProtScope's weights over (taking both heads last) and compare.
    heads_last = lambda model: sorted(model.named_parameters(), key=lambda item: item[0].startswith("head."))
    with torch.no_grad():
        for (name, to), (_, source_weights) in zip(heads_last(exported), heads_last(protscope), strict=True):
            assert to.shape == source_weights.shape, name
            to.copy_(source_weights)
        x, mask, _ = script["batch"](np.arange(10))
        raw = x
        if getattr(protscope, "scale", None) is not None:  # ProtScope standardises in the model, the script before
            sd = torch.where(script["sd"] > 1e-8, script["sd"], 1.0)
            protscope.scale.mean.copy_(script["mean"])
            protscope.scale.sd.copy_(sd)
            raw = x * sd + script["mean"]
        exported.eval(), protscope.eval()
        torch.testing.assert_close(exported(x, mask), protscope(raw, mask), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("values", [dict(encoding="onehot", model="cnn"), dict(encoding="tokens", model="cnn"),
                                    dict(encoding="aac"), dict(encoding="aac_length"), dict(encoding="dpc"),
                                    dict(encoding="kmer", k=3)],
                         ids=["onehot", "tokens", "aac", "aac_length", "dpc", "kmer3"])
def test_encoding_matches_protscope(files, monkeypatch, values):
    config, source = export(files, "binary", standardize=False, **values)
    script = dry_run(source, monkeypatch)
    data = load_bytes(TABLES["binary"][0], "binary.csv", DataConfig())
    if "features" in script:
        torch.testing.assert_close(script["features"], torch.as_tensor(encode_all(data, config.encoding)))
    else:
        x, mask, y = script["batch"](np.arange(10))
        width = int(data.lengths[:10].max())
        expected = encode(data.tokens[:10, :width], data.lengths[:10], config.encoding)
        torch.testing.assert_close(x, expected.to(x.dtype))
        assert torch.equal(mask, torch.tensor(data.mask[:10, :width]))
        assert torch.equal(y, torch.tensor(data.y[:10]))


# --- losses, optimizers and schedules -------------------------------------------------------------

@pytest.mark.parametrize("table, values", [
    ("regression", dict(loss="mse")), ("regression", dict(loss="l1")), ("regression", dict(loss="huber",
                                                                                           huber_delta=0.3)),
    ("binary", dict(loss="auto", class_weights="balanced")), ("binary", dict(loss="bce", class_weights="1,3")),
    ("binary", dict(loss="focal", focal_alpha=0.25, focal_gamma=1.5)),
    ("multiclass", dict(loss="ce", label_smoothing=0.1, class_weights="balanced")),
    ("multiclass", dict(loss="focal", class_weights="1,2,3")),
    ("regression", dict(loss="msle")), ("binary", dict(loss="harmonic", class_weights="balanced")),
    ("multiclass", dict(loss="harmonic", label_smoothing=0.1, class_weights="1,2,3")),
])
def test_loss_matches_protscope(files, monkeypatch, table, values):
    config, source = export(files, table, model="linear", encoding="aac", **values)
    script = dry_run(source, monkeypatch)
    _, task, classes = TABLES[table]
    train = script["y"][script["rows"]["train"]]
    protscope = make_loss(config.loss, task, len(classes), None if task == "regression" else train, "cpu")
    out = script["model"].out_features  # the linear model
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(12, out, generator=generator)
    y = torch.randn(12, generator=generator).abs() if task == "regression" else \
        torch.randint(len(classes), (12,), generator=generator)  # |y|: MSLE takes labels of 0 or more
    torch.testing.assert_close(script["loss_fn"](logits, y), protscope(logits, y).float())


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "radam", "nadam", "adamax", "adagrad", "rmsprop",
                                  "adadelta", "adafactor", "asgd", "rprop"])
def test_optimizer_matches_protscope(files, monkeypatch, name):
    config, source = export(files, "binary", model="linear", encoding="aac", optimizer=name, lr=0.02,
                            weight_decay=0.01, momentum=0.8, nesterov=True, beta1=0.8, beta2=0.99, eps=1e-6,
                            alpha=0.9)
    script = dry_run(source, monkeypatch)
    exported, protscope = script["optimizer"], make_optimizer(torch.nn.Linear(2, 2), config.optimizer)
    assert type(exported) is type(protscope)
    for key, value in protscope.defaults.items():
        if key not in ("fused", "foreach"):  # speed options
            assert exported.defaults[key] == value, key


@pytest.mark.parametrize("name", [n for n in SCHEDULERS if n not in ("none", "plateau")])
@pytest.mark.parametrize("accumulation", [1, 3])
def test_schedule_matches_protscope(files, monkeypatch, name, accumulation):
    config, source = export(files, "binary", model="linear", encoding="aac", scheduler=name, epochs=4,
                            batch_size=4, accumulation=accumulation, step_size=1, milestones=(1, 3),
                            warmup_epochs=0.5, cycle_epochs=0.5, warmup_steps=5)
    script = dry_run(source, monkeypatch)
    optimizer, scheduler = script["optimizer"], script["scheduler"]
    steps = math.ceil(math.ceil(len(script["rows"]["train"]) / 4) / accumulation)
    assert script.get("steps") == (None if name == "warmup" else steps)  # warmup counts updates, not epochs
    rates = []
    for _ in range(config.training.epochs * steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    np.testing.assert_allclose(rates, lr_schedule(config, steps)[1], rtol=1e-6)


# --- the same training: identical numbers where the split and the initial weights are the same ----------

@pytest.mark.parametrize("values", [
    dict(model="mlp", encoding="onehot", hidden=(8,), optimizer="sgd", lr=0.05, scheduler="cosine", l1=0.01,
         grad_clip=0.5, class_weights="balanced", label_smoothing=0.05),
    dict(model="linear", encoding="dpc", optimizer="adamw", lr=0.01, weight_decay=0.1, scheduler="warmup_cosine",
         warmup_epochs=2, loss="focal", class_weights="1,2,3", clip_mode="value", grad_clip=0.01,
         early_stopping=True, patience=1),
    dict(model="mlp", encoding="aac", hidden=(8, 8), norm="layer", residual=True, optimizer="rprop",
         weight_decay=0.05, scheduler="plateau", plateau_patience=0, monitor="val_accuracy", restore_best=False),
    dict(model="mlp", encoding="onehot", hidden=(6,), batch_size=8, accumulation=2,
         length_bucketing=False, max_batches=3, optimizer="nadam", scheduler="onecycle", l1=0.01),
], ids=["mlp-sgd-cosine", "linear-adamw-warmup", "mlp-rprop-plateau", "mlp-minibatches"])
def test_training_matches_protscope(files, monkeypatch, capsys, values):
    """With the file's split and no dropout, the script repeats ProtScope's run exactly: linear models and MLPs
    draw their initial weights in the same order, and the rest is deterministic. Batches are the same when there
    is one per epoch, or when ProtScope does not group them by length."""
    monkeypatch.delenv(DRY_RUN_VARIABLE, raising=False)
    config, source = export(files, "multiclass", **{"epochs": 4, "batch_size": 64, **values})
    script = {"__name__": "__main__"}
    exec(compile(source, "exported.py", "exec"), script)
    output = capsys.readouterr().out
    result = Trainer(config, load_bytes(TABLES["multiclass"][0], "multiclass.csv", DataConfig())).run()
    assert result.status in ("completed", "early_stopped"), result.message
    val_losses = [float(v) for v in re.findall(r"val loss ([\d.]+)", output)]
    assert val_losses == pytest.approx([round(h["val_loss"], 4) for h in result.history], abs=1.5e-4)
    assert script["test_loss"] == pytest.approx(result.metrics["test"]["loss"], rel=1e-5)


# --- whole scripts, run as a student would ------------------------------------------------------

RUNS = [
    ("binary", dict(model="cnn", encoding="tokens", embedding_dim=8, channels=8, epochs=2, batch_size=8,
                    optimizer="adamw", scheduler="warmup_cosine", early_stopping=True, patience=1, grad_clip=1.0,
                    l1=1e-5, accumulation=2, dropout=0.1)),
    ("regression", dict(model="mlp", encoding="aac", hidden=(16,), loss="huber", optimizer="sgd", nesterov=True,
                        scheduler="step", max_batches=2, clip_mode="value", grad_clip=0.5, monitor="val_r2")),
    ("multiclass", dict(model="rnn", encoding="onehot", rnn_cell="lstm", rnn_hidden=8, class_weights="balanced",
                        optimizer="rmsprop", scheduler="onecycle", pooling="max", epochs=2)),
    ("binary", dict(model="transformer", encoding="tokens", d_model=8, heads=2, ff_dim=8, embedding_dim=8,
                    loss="focal", focal_alpha=0.25, optimizer="rprop", weight_decay=0.01, scheduler="plateau",
                    monitor="val_accuracy", epochs=2)),
    ("binary", dict(model="linear", encoding="onehot", loss="ce", optimizer="radam", scheduler="cyclic",
                    restore_best=False, long_sequences="drop", max_length=50)),
]


def check_output(output: str, table: str) -> None:
    metric = "R²" if table == "regression" else "accuracy"
    assert re.search(rf"^epoch 1: train loss [\d.]+, val loss [\d.]+, val {metric} -?[\d.]+$", output, re.M), output
    assert re.search(rf"^test loss [\d.]+, test {metric} -?[\d.]+$", output, re.M), output


def test_script_runs_standalone(files, tmp_path):
    """One script in a fresh interpreter, as a student runs it (importing torch alone takes seconds)."""
    table, values = RUNS[0]
    config, source = export(files, table, **values)
    assert not imported_modules(source) - STDLIB_AND_DEPENDENCIES
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != DRY_RUN_VARIABLE}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env={**env, "PYTHONIOENCODING": "utf-8"})
    assert done.returncode == 0, done.stderr
    check_output(done.stdout, table)
    assert "epoch 2:" in done.stdout


@pytest.mark.parametrize("table, values", RUNS[1:], ids=[f"{v['model']}-{t}" for t, v in RUNS[1:]])
def test_scripts_train(files, monkeypatch, capsys, table, values):
    """The other scripts run whole, in this process (torch is already imported)."""
    monkeypatch.delenv(DRY_RUN_VARIABLE, raising=False)
    config, source = export(files, table, **{"epochs": 1, **values})
    assert max(map(len, source.splitlines())) <= 120
    exec(compile(source, "exported.py", "exec"), {"__name__": "__main__"})
    output = capsys.readouterr().out
    check_output(output, table)
    if table == "multiclass":  # the file's own split column
        assert "proteins: {'train': 28, 'val': 6, 'test': 6}" in output


def test_script_is_short_plain_python_with_the_config(files):
    config, source = export(files, "binary", model="mlp", encoding="onehot")
    tree = ast.parse(source)
    assert not imported_modules(source) - STDLIB_AND_DEPENDENCIES
    assert "core" not in imported_modules(source)
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}
    assert classes == {"MLP"}  # only the chosen model
    assert "def composition" not in source and "lr_scheduler" not in source  # only the chosen pieces
    assert source.startswith("# Exported from ProtScope")
    lines = source.split("run config (JSON):\n")[1].split("\n\n")[0].splitlines()
    text = "".join(" " + line[5:] if line.startswith("#    ") else line[2:] for line in lines)
    assert RunConfig.from_json(text) == config.resolve("binary")
    assert len(source.splitlines()) < 160  # about 25 of them the header with the config


@pytest.mark.parametrize("values, message", [
    (dict(encoding="window", model="mlp"), "'window' encoding"), (dict(encoding="blosum62", model="cnn"),
                                                                  "'blosum62' encoding"),
    (dict(optimizer="muon"), "'muon' optimizer"), (dict(monitor="val_mcc"), "monitoring 'val_mcc'"),
    (dict(split="homology"), "'homology' split"),
])
def test_unsupported_choices_are_refused(files, values, message):
    with pytest.raises(ProtScopeError, match="does not support") as error:
        export(files, "binary", **values)
    assert message in str(error.value) and "Fix:" in str(error.value)


def test_per_residue_tasks_and_bad_weights_are_refused(files):
    with pytest.raises(ProtScopeError, match="does not support the 'residue' task"):
        pytorch_script(RunConfig().with_values(model="cnn"), files["binary"], COLUMNS, "residue", ("H", "E", "C"))
    with pytest.raises(ProtScopeError, match="3 numbers for 2 classes"):
        export(files, "binary", loss="ce", class_weights="1,2,3")
    with pytest.raises(ProtScopeError, match="is for regression"):  # ProtScope's own combination checks
        export(files, "binary", loss="mse")


def test_tab_separated_file_thresholded_labels_and_cut_sequences(tmp_path, monkeypatch):
    content = TABLES["regression"][0].replace(b",", b"\t")
    (tmp_path / "values.tsv").write_bytes(content)
    config = RunConfig().with_values(model="linear", encoding="onehot", binarize_at=0.5, max_length=30)
    data = load_bytes(content, "values.tsv", config.data)
    source = pytorch_script(config, str(tmp_path / "values.tsv"), COLUMNS, data.task, data.classes)
    script = dry_run(source, monkeypatch)
    assert data.task == "binary" and np.array_equal(script["y"], data.y)
    assert script["SEQ_LEN"] == data.width == 30
    assert count_parameters(script["model"]) == count_parameters(build_model(config.model, model_dims(
        config.resolve(data.task), data)))
