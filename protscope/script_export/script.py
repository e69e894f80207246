"""Export a run as a short, standalone PyTorch script ("Copy as a plain PyTorch script").

`pytorch_script(config, data_path, columns, task, classes)` returns the source of a script that
imports only torch, numpy, pandas and the standard library and trains the same model with the same
settings, for a student to read and run by hand. It is put together from small templates, one per
choice, so it holds only what this config needs. In a template, `$name` is the Python literal of the
config field `name` (field names are unique across sections) or a value given to `fill`. Per-residue
and multi-label tasks and choices the script cannot express raise ProtScopeError, never a script that trains something
else. With PROTSCOPE_EXPORT_DRY=1 set, a script builds everything, then stops before training.
"""
from __future__ import annotations

import json
import re
import textwrap

from protscope.config.relevance import relevant_fields
from protscope.config.run_config import SECTIONS, RunConfig
from protscope.data.columns import SPLIT_VALUES
from protscope.errors import ProtScopeError
from protscope.modeling.layers import ACTIVATION_LAYERS
from protscope.modeling.losses import AUTO, loss_name, output_size
from protscope.modeling.optim import OPTIMIZERS, keyword_args
from protscope.script_export.model_code import MODELS, NORMS, model_part
from protscope.script_export.templates import (
    COMPOSITION,
    DATA,
    EVALUATE,
    FILE_SPLIT,
    LOOP,
    LOSSES,
    PER_RESIDUE,
    POOL,
    RANDOM_SPLIT,
    STANDARDIZE,
    fill,
    literal,
)

DRY_RUN_VARIABLE = "PROTSCOPE_EXPORT_DRY"  # set: the script builds everything, prints the model size, stops
KMER_LENGTH = {"aac": 1, "aac_length": 1, "dpc": 2}  # composition encodings: the length of the runs they count
LOG_LENGTH = ("lengths = torch.tensor([float(len(t)) for t in tokens])\n"
              "features = torch.cat([features, lengths.log().unsqueeze(1)], 1)  # and the log of each length")
RNN_CELLS = ("gru", "lstm")  # written as nn.GRU and nn.LSTM
SCHEDULERS = {  # as in protscope.modeling.optim: periods in epochs times `steps`, the optimizer updates per epoch
    "step": "scheduler = lr_scheduler.StepLR(optimizer, step_size=$step_size * steps, gamma=$gamma)",
    "multistep": "scheduler = lr_scheduler.MultiStepLR(optimizer, [m * steps for m in $milestones], gamma=$gamma)",
    "exponential": "scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=$exp_gamma ** (1 / steps))",
    "cosine": "scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS * steps, eta_min=$min_lr)",
    "warmup_cosine": """
        warmup = min(round($warmup_epochs * steps), EPOCHS * steps - 1)  # linear warm-up, then a cosine
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=max(EPOCHS * steps - warmup, 1), eta_min=$min_lr)
        if warmup > 0:
            scheduler = lr_scheduler.SequentialLR(optimizer, [lr_scheduler.LinearLR(
                optimizer, start_factor=1e-3, total_iters=warmup), scheduler], milestones=[warmup])""",
    "warmup": "scheduler = lr_scheduler.LambdaLR(optimizer, lambda update: ($warmup_start_lr + ($lr - $warmup_start_lr)"
              "\n    * min(update, $warmup_steps) / $warmup_steps) / $lr)  # a straight line up to lr, then lr",
    "onecycle": "scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=$max_lr, total_steps=EPOCHS * steps,\n"
                "                                    pct_start=$pct_start, cycle_momentum=False)",
    "cyclic": "scheduler = lr_scheduler.CyclicLR(optimizer, base_lr=$lr, max_lr=$max_lr, cycle_momentum=False,\n"
              "                                  step_size_up=max(1, round($cycle_epochs * steps)))",
    "plateau": "scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, mode=$mode, factor=$plateau_factor, "
               "patience=$plateau_patience)",
}
MONITORS = {"val_loss": ("val_loss", "min"), "val_accuracy": ("val_score", "max"), "val_r2": ("val_score", "max")}


def unsupported(what: str, fix: str) -> ProtScopeError:
    return ProtScopeError(f"the PyTorch script export does not support {what}", fix=fix)


def pytorch_script(config: RunConfig, data_path: str, columns: dict, task: str, classes: tuple[str, ...]) -> str:
    """The source of a standalone script that trains what `config` describes on the CSV at `data_path`.

    `columns` maps "sequence", "label" and optionally "split" to column names; `classes` are the
    class names in index order (classification). Raises ProtScopeError for what it cannot express.
    """
    check(config, task, bool(columns.get("split")), data_path)
    if task not in ("binary", "multiclass", "regression"):
        raise unsupported(f"the '{task}' task, only per-protein tasks with one label (binary, multiclass, "
                          "regression)", f"train {'multi-label' if task == 'multilabel' else 'per-residue'} models "
                                         "in ProtScope itself")
    if not columns.get("sequence") or not columns.get("label"):
        raise ProtScopeError("the export needs the sequence and label columns", fix="name both in `columns`")
    if task != "regression" and len(classes) < 2:
        raise ProtScopeError(f"a {task} task needs its class names, got {list(classes)}",
                             fix="pass the dataset's classes")
    config = config.resolve(task)
    m, out = config.model, output_size(config.loss, task, len(classes))
    v = {name: literal(value) for section in SECTIONS for name, value in getattr(config, section).to_dict().items()}
    v.update(hidden=repr(tuple(m.hidden)), milestones=repr(tuple(config.scheduler.milestones)), dry=DRY_RUN_VARIABLE,
             act=f"nn.{ACTIVATION_LAYERS[m.activation].__name__}()", encoding=config.encoding.name,
             metric="R²" if task == "regression" else "accuracy")
    parts = [settings(config, data_path, columns, task, classes), data_part(config, data_path, columns, task,
                                                                            classes, v), encoding_part(config, v)]
    parts += model_part(config, out, v) + [loss_part(config, task, len(classes), out, v), optimizer_part(config, v)]
    score_doc, score = ("R²: 1 - squared error / variance of the targets.",
                        "return (1 - ((y - logits.squeeze(-1)) ** 2).sum() / ((y - y.mean()) ** 2).sum()).item()")
    if task != "regression":
        predicted = "(logits.squeeze(-1) > 0).long()" if out == 1 else "logits.argmax(-1)"
        score_doc, score = "Accuracy: the share of proteins predicted right.", \
            f"return ({predicted} == y).float().mean().item()"
    parts += [fill(EVALUATE, v, score_doc=score_doc, score=score), loop_part(config, v)]
    body = "\n\n\n".join(part.strip("\n") for part in parts) + "\n"
    body = re.sub(r"^# --- (.*?) -*$", lambda h: f"# --- {h[1]} ".ljust(100, "-"), body, flags=re.MULTILINE)
    imports = ["import copy" * ("copy." in body), "import math" * ("math." in body), "import os\n",
               "import numpy as np", "import pandas as pd", "import torch", "import torch.nn.functional as F",
               "from torch import nn", "from torch.optim import lr_scheduler" * ("lr_scheduler." in body)]
    return header(config) + "\n".join(line for line in imports if line) + "\n\n" + body


def check(config: RunConfig, task: str, has_split: bool, data_path: str) -> None:
    """Refuse what the script cannot express, naming it: each choice it uses that has no template here."""
    m, t, shown = config.model, config.training, relevant_fields(config.flat(), task)
    loss = loss_name(config.loss, task) if task in AUTO else config.loss.name
    written = [  # (setting, its value, the values the script can write)
        ("model", m.name, tuple(MODELS)),
        ("encoding", config.encoding.name, ("onehot", "tokens", "kmer", *KMER_LENGTH)),
        ("optimizer", config.optimizer.name, tuple(n for n, spec in OPTIMIZERS.items() if spec.torch_class)),
        ("loss", loss, tuple(n for n in LOSSES if n != "focal1")),  # focal1: the focal loss on one logit
        ("scheduler", config.scheduler.name, ("none", *SCHEDULERS)),
        ("activation", m.activation, tuple(ACTIVATION_LAYERS)), ("norm", m.norm, tuple(NORMS)),
        ("pooling", m.pooling, tuple(POOL)), ("rnn_cell", m.rnn_cell, RNN_CELLS)]
    for key, value, known in written:
        if key in shown and value not in known:
            raise unsupported(f"the '{value}' {key.replace('_', ' ')}", f"use one of: {', '.join(known)}")
    score = "val_r2" if task == "regression" else "val_accuracy"  # the one metric the script computes
    if (t.restore_best or t.early_stopping or config.scheduler.name == "plateau") and t.monitor not in (
            "val_loss", score):
        raise unsupported(f"monitoring '{t.monitor}'", f"monitor val_loss or {score}")
    if config.data.split == "homology" or (config.data.split == "file" and not has_split):
        raise unsupported(f"the '{config.data.split}' split", "use a random split or the file's split column")
    if re.search(r"\.(fasta|fa|faa)(\.gz)?$", data_path.lower()):
        raise unsupported("FASTA files", "export a CSV with sequence and label columns")


def header(config: RunConfig) -> str:
    notes = ["batches are not grouped by length"] if config.training.length_bucketing else []
    if config.model.dropout:
        notes.append("dropout draws other random numbers")
    if config.data.split != "file":
        notes.append("the random split is not stratified")
    if config.training.precision != "fp32":
        notes.append(f"it trains in fp32, not {config.training.precision}")
    lines = ["Exported from ProtScope: plain PyTorch that trains the same model with the same settings.",
             *textwrap.wrap(f"Results will be close, not identical: {'; '.join(notes)}.", 110) * bool(notes),
             f"{DRY_RUN_VARIABLE}=1 builds everything and stops before training. The ProtScope run config (JSON):"]
    for i, (name, values) in enumerate(config.to_dict().items()):
        entry = "{" if i == 0 else " "
        entry += f"{json.dumps(name)}: {json.dumps(values)}" + ("}" if i == len(SECTIONS) - 1 else ",")
        lines += textwrap.wrap(entry, 110, subsequent_indent="   ", break_on_hyphens=False, break_long_words=False)
    return "".join(f"# {line}".rstrip() + "\n" for line in lines) + "\n"


def settings(config: RunConfig, data_path: str, columns: dict, task: str, classes) -> str:
    t = config.training
    device = '"cuda" if torch.cuda.is_available() else "cpu"' if t.device == "auto" else literal(t.device)
    lines = [f"DATA = {literal(data_path)}", f"SEQUENCE, LABEL = {literal(columns['sequence'])}, "
             f"{literal(columns['label'])}",
             f"EPOCHS, BATCH_SIZE, SEED = {t.epochs}, {t.batch_size}, {t.seed}",
             f"DEVICE = torch.device({device})", "torch.manual_seed(SEED)"]
    if task != "regression":
        lines.insert(2, f"CLASSES = {literal(list(classes))}  # class i is CLASSES[i]")
    return "\n".join(lines)


def data_part(config: RunConfig, data_path: str, columns: dict, task: str, classes, v: dict) -> str:
    d = config.data
    sep = ', sep="\\t"' if re.search(r"\.(tsv|tab)(\.gz)?$", data_path.lower()) else ""
    long = {"truncate": f"df[SEQUENCE] = df[SEQUENCE].str[:{d.max_length}]  # longer sequences are cut",
            "drop": f"df = df[df[SEQUENCE].str.len() <= {d.max_length}].reset_index(drop=True)  # longer ones dropped",
            "reject": f"assert (df[SEQUENCE].str.len() <= {d.max_length}).all(), 'a sequence is too long'"}
    index = "CLASS_INDEX = {name: i for i, name in enumerate(CLASSES)}\ny = "
    if task == "regression":
        labels = "y = df[LABEL].to_numpy(np.float32)"
    elif d.binarize_at is not None:
        labels = f"y = (df[LABEL].astype(float) >= {d.binarize_at!r}).to_numpy(np.int64)  # binarize_at"
    elif all(re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", c) for c in classes):
        labels = index + 'df[LABEL].astype(float).map("{:g}".format).map(CLASS_INDEX).to_numpy(np.int64)  # 1.0 is "1"'
    else:
        labels = index + "df[LABEL].astype(str).str.strip().map(CLASS_INDEX).to_numpy(np.int64)"
    text = fill(DATA, v, sep=sep, long=long[d.long_sequences], labels=labels)
    split = columns.get("split") if d.split in ("auto", "file") else None
    if split:
        names = textwrap.fill(json.dumps({k: n for k, n in SPLIT_VALUES.items() if n != "exclude"}), 110,
                              subsequent_indent="    ")
        text += "\n\n" + fill(FILE_SPLIT, v, names=names, split_col=literal(split))
    else:
        text += "\n\n" + fill(RANDOM_SPLIT, v)
    return text + '\nprint("proteins:", {name: len(r) for name, r in rows.items()})'


def encoding_part(config: RunConfig, v: dict) -> str:
    enc = config.encoding
    if enc.name not in ("onehot", "tokens"):
        return fill(COMPOSITION, v, k=KMER_LENGTH.get(enc.name, enc.k),
                    length=LOG_LENGTH if enc.name == "aac_length" else "",
                    standardize=fill(STANDARDIZE, v) if enc.standardize else "")
    if enc.name == "tokens":
        return fill(PER_RESIDUE, v, pad="", onehot="", in_features="IN_FEATURES = 22  # 20 amino acids, X, padding")
    onehot = "x = F.one_hot(x, 22)[..., 1:].float()  # 21 channels: the 20 amino acids and X; padding is all 0"
    if config.model.name in ("linear", "mlp"):  # one prediction from the one-hot of the whole (padded) protein
        return fill(PER_RESIDUE, v, onehot=onehot, pad="x = F.pad(x, (0, SEQ_LEN - x.shape[1]))  # all as long as "
                    "the longest", in_features="SEQ_LEN = max(map(len, tokens))\nIN_FEATURES = 21 * SEQ_LEN")
    return fill(PER_RESIDUE, v, pad="", onehot=onehot, in_features="IN_FEATURES = 21")


def loss_part(config: RunConfig, task: str, n_classes: int, out: int, v: dict) -> str:
    c, name = config.loss, loss_name(config.loss, task)
    key = "focal1" if name == "focal" and out == 1 else name  # as in ProtScope, binary focal takes no class weights
    weighted = task != "regression" and c.class_weights != "none" and key in ("bce", "ce", "focal", "harmonic")
    text = ""
    if weighted and c.class_weights == "balanced":
        text += ('counts = np.bincount(y[rows["train"]], minlength=len(CLASSES))  # balanced: n / (k * count)\n'
                 'class_weights = len(rows["train"]) / (len(CLASSES) * np.maximum(counts, 1))\n'
                 "class_weights = torch.tensor(class_weights, dtype=torch.float32).to(DEVICE)\n")
    elif weighted:
        weights = [float(w) for w in c.class_weights.split(",")]
        if len(weights) != n_classes:
            raise ProtScopeError(f"loss.class_weights has {len(weights)} numbers for {n_classes} classes",
                                 fix=f"give one weight per class ({n_classes}), or use balanced")
        text += f"class_weights = torch.tensor({weights!r}).to(DEVICE)\n"
    body = fill(LOSSES[key], v, pos_weight=", pos_weight=class_weights[1] / class_weights[0]" if weighted else "",
                weight=", weight=class_weights" if weighted else "",
                label_smoothing=f", label_smoothing={c.label_smoothing!r}" if c.label_smoothing else "",
                alpha=f"loss = loss * ({c.focal_alpha!r} * y + (1 - {c.focal_alpha!r}) * (1 - y))"
                if c.focal_alpha is not None else "",
                reduce="w = class_weights[y]\nreturn (loss * w).sum() / w.sum()" if weighted else "return loss.mean()")
    return ("# --- loss, optimizer and learning-rate schedule ---\n" + (text and text + "\n\n")
            + "def loss_fn(logits, y):\n" + textwrap.indent(body, "    "))


def optimizer_part(config: RunConfig, v: dict) -> str:
    o, s, t = config.optimizer, config.scheduler, config.training
    spec = OPTIMIZERS[o.name]
    args = ", ".join(f"{name}={value!r}" for name, value in keyword_args(spec, o).items())  # as optim builds it
    text = f"optimizer = torch.optim.{spec.torch_class.__name__}(model.parameters(), {args})"
    if s.name == "none":
        return text
    if re.search(r"\bsteps\b", SCHEDULERS[s.name]):  # its periods are in epochs
        steps = 'math.ceil(len(rows["train"]) / BATCH_SIZE)'
        steps = f"min({steps}, {t.max_batches})" if t.max_batches else steps
        steps = f"math.ceil({steps} / {t.accumulation})" if t.accumulation > 1 else steps
        text += f"\nsteps = {steps}  # optimizer updates per epoch"
    return text + "\n" + fill(SCHEDULERS[s.name], v, mode=literal(MONITORS.get(t.monitor, ("", "min"))[1]))


def loop_part(config: RunConfig, v: dict) -> str:
    t, o, s = config.training, config.optimizer, config.scheduler
    penalties, notes = [], []
    if t.l1:
        penalties, notes = [f"{t.l1!r} * sum(w.abs().sum() for w in weights)"], ["the L1 penalty"]
    spec = OPTIMIZERS[o.name]
    if not spec.native_weight_decay and o.weight_decay:  # no weight decay of its own: an L2 term in the loss
        penalties.append(f"0.5 * {o.weight_decay!r} * sum((w * w).sum() for w in weights)")
        notes.append(f"weight decay as an L2 term ({spec.title} has none of its own)")
    setup = ["weights = [w for w in model.parameters() if w.ndim > 1]  # penalised: weight matrices, not biases"
             ] if penalties else []
    step = [f"nn.utils.clip_grad_{t.clip_mode}_(model.parameters(), {t.grad_clip!r})"] * (t.grad_clip > 0)
    step += ["optimizer.step()", "optimizer.zero_grad()"] + ["scheduler.step()"] * (s.name not in ("none", "plateau"))
    update = [f"# {'; '.join(notes)}", f"penalty = {' + '.join(penalties)}"] if penalties else []
    total = "(loss + penalty)" if penalties else "loss"
    if t.accumulation > 1:
        step = [f"if i % {t.accumulation} == 0 or i == len(batches):", *("    " + line for line in step)]
        total = f"({total} * share)"
        update += [f"group = batches[(i - 1) // {t.accumulation} * {t.accumulation}:][:{t.accumulation}]  # this "
                   "update's batches (an epoch's last group may be smaller)",
                   "share = len(index) / sum(len(b) for b in group)  # so the group's gradient is one big batch's"]
    update += [f"{total}.backward()" + f"  # gradients add up over {t.accumulation} batches" * (t.accumulation > 1)]
    update += step
    monitor, mode = MONITORS.get(t.monitor, ("val_loss", "min"))
    after = [f"scheduler.step({monitor})  # a lower learning rate when {t.monitor} stalls"] * (s.name == "plateau")
    if t.restore_best or t.early_stopping:  # keep the best epoch by the monitored value
        kept = [("best", f"{'-' * (mode == 'max')}math.inf", monitor)]
        kept += [("best_state", "None", "copy.deepcopy(model.state_dict())")] * t.restore_best
        kept += [("waited", "0", "0")] * t.early_stopping
        names = ", ".join(name for name, _, _ in kept)
        setup.append(f"{names} = {', '.join(start for _, start, _ in kept)}  # the best {t.monitor}")
        after += [f"if {monitor} {'<' if mode == 'min' else '>'} best:",
                  f"    {names} = {', '.join(new for _, _, new in kept)}"]
    if t.early_stopping:
        after += ["else:", "    waited += 1", f"if waited >= {t.patience}:",
                  f'    print("early stopping: no better {t.monitor} for {t.patience} epochs")', "    break"]
    restore = ("if best_state is not None:  # restore_best: finish with the best epoch's weights\n"
               "    model.load_state_dict(best_state)") if t.restore_best else ""
    loop = "for i, index in enumerate(batches, start=1):" if t.accumulation > 1 else "for index in batches:"
    return fill(LOOP, v, setup="\n".join(setup), update="\n".join(update), after_epoch="\n".join(after),
                max_batches=f"[:{t.max_batches}]  # max_batches" if t.max_batches else "", restore=restore,
                batch_loop=loop)
