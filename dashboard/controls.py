"""The Train page's controls, grouped the way the course notes teach them, with live previews of
the model (parameter count and layers) and of the learning-rate schedule."""
from __future__ import annotations

import math

import streamlit as st
import torch

from dashboard.logic import charts
from dashboard.widgets import control
from protscope.config.relevance import relevant_fields
from protscope.config.run_config import RunConfig
from protscope.device import available_devices, cpu_has_bf16
from protscope.errors import ProtScopeError
from protscope.modeling.encodings import ENCODINGS
from protscope.modeling.init import INITIALISERS
from protscope.modeling.layers import count_parameters, summary_text
from protscope.modeling.losses import LOSSES, with_loss_head
from protscope.modeling.models import MODELS, build_model
from protscope.modeling.optim import OPTIMIZERS, SCHEDULERS, lr_schedule
from protscope.train.prepare import model_dims

# Every training setting appears in exactly one group (a test checks this).
GROUPS = {
    "Architecture": ("model", "hidden", "activation", "activations", "norm", "residual", "embedding_dim", "channels",
                     "kernel_size", "layers", "dilation", "pooling", "rnn_cell", "rnn_hidden", "d_model", "heads",
                     "ff_dim", "init", "init_std"),
    "Encoding": ("encoding", "window", "k", "standardize"),
    "Loss": ("loss", "huber_delta", "class_weights", "pos_weight", "focal_gamma", "focal_alpha",
             "harmonic_exponent"),
    "Optimizer": ("optimizer", "lr", "momentum", "nesterov", "beta1", "beta2", "eps", "alpha"),
    "Learning-rate schedule": ("scheduler", "step_size", "milestones", "gamma", "exp_gamma", "min_lr",
                               "warmup_epochs", "max_lr", "pct_start", "cycle_epochs", "plateau_factor",
                               "plateau_patience", "warmup_steps", "warmup_start_lr"),
    "Regularisation": ("weight_decay", "l1", "dropout", "grad_clip", "clip_mode", "label_smoothing"),
    "Training loop": ("epochs", "batch_size", "validate_every", "accumulation", "early_stopping", "patience",
                      "monitor", "restore_best", "seed", "device", "precision", "length_bucketing",
                      "max_batches", "layer_stats", "layer_stats_every", "learned"),
}
OPEN = ("Architecture", "Optimizer")
TITLES = {"encoding": lambda n: f"{n}: {ENCODINGS[n].title}", "model": lambda n: MODELS[n].title,
          "optimizer": lambda n: OPTIMIZERS[n].title, "scheduler": lambda n: SCHEDULERS[n].title,
          "loss": lambda n: LOSSES[n].title if n in LOSSES else "auto: chosen from the task",
          "init": lambda n: INITIALISERS[n].title}


def draw(settings: dict, task: str, disabled: bool = False) -> None:
    """All controls, in expanders; exactly the fields the chosen model, encoding, loss, optimizer and
    schedule read are shown (protscope/config/relevance.py)."""
    shown = relevant_fields(settings, task)
    for group, keys in GROUPS.items():
        with st.expander(group, expanded=group in OPEN):
            for key in keys:
                if key in shown:
                    draw_one(key, settings, task, disabled)


def draw_one(key: str, settings: dict, task: str, disabled: bool) -> None:
    options, fmt = None, str
    if key in TITLES:
        fmt = TITLES[key]
    if key == "device":
        options = ["auto", *available_devices()]
    if key == "precision" and "cuda" not in available_devices():
        if not cpu_has_bf16():
            st.caption("Mixed precision needs a CUDA GPU or a CPU with native bf16; this machine trains in fp32.")
            return
        options = ["fp32", "auto", "bf16"]  # fp16 is CUDA only
    if key == "monitor":
        options = monitor_choices(task)
    if key in ("model", "encoding", "loss"):
        options = choices_for(key, settings, task)
    control(key, disabled=disabled, options=options, format_func=fmt)
    if key == "init" and settings.get("init") in INITIALISERS:
        st.caption(INITIALISERS[settings["init"]].help)


def choices_for(key: str, settings: dict, task: str) -> list[str]:
    """Only the architectures, encodings and losses that can work for this task (and model)."""
    residue = task == "residue"
    if key == "model":
        return [n for n, m in MODELS.items() if residue or not m.residue_only]
    if key == "encoding":
        model = MODELS[settings.get("model", "mlp")]
        return [n for n in model.encoding_names() if not (residue and ENCODINGS[n].level == "sequence")]
    return ["auto", *(n for n, spec in LOSSES.items() if task in spec.tasks)]


def monitor_choices(task: str) -> list[str]:
    from protscope.evaluation.metrics import CLASSIFICATION_KEYS, REGRESSION_KEYS
    from protscope.evaluation.multilabel import MULTILABEL_KEYS

    keys = {"regression": REGRESSION_KEYS, "multilabel": MULTILABEL_KEYS}.get(task, CLASSIFICATION_KEYS)
    return ["val_loss", *(f"val_{k}" for k in keys)]


def model_preview(config: RunConfig, data) -> None:
    """Parameter count and layer table, built on the meta device: no memory, no compute, no waiting
    on (or slowing) a run that is training."""
    try:
        config = config.resolve(data.task)
        with torch.device("meta"):
            model = with_loss_head(build_model(config.model, model_dims(config, data)), config.loss, data.task)
    except ProtScopeError as exc:
        st.error(str(exc))
        return
    st.metric("Trainable parameters", f"{count_parameters(model):,}",
              help="Weights the optimizer updates. More parameters fit more, and overfit more easily.")
    with st.popover("Layer summary"):
        st.code(summary_text(model), language=None)


def schedule_preview(config: RunConfig, n_train: int) -> None:
    steps = max(1, math.ceil(n_train / config.training.batch_size))
    if config.training.max_batches:
        steps = min(steps, config.training.max_batches)
    try:
        epochs, lrs = lr_schedule(config, steps)
    except ProtScopeError as exc:
        st.error(str(exc))
        return
    note = " (reduce-on-plateau drops it only when validation stalls)" if config.scheduler.name == "plateau" else ""
    st.plotly_chart(charts.series_curve(epochs, lrs, f"Learning rate by epoch{note}", "learning rate",
                                        log_y=float(min(lrs)) > 0), key="lr_preview", width="stretch")
