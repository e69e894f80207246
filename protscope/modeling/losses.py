"""Losses: a registry of what the model minimises, with `auto` choosing one from the task.

A loss takes logits (N, out) and targets (N,) for the N predictions of a batch: proteins, or
for per-residue tasks only the scored residues (the trainer drops padding and unresolved ones
first). Binary tasks use one output with BCE or focal loss, and two with cross-entropy or the harmonic
loss; multi-label tasks one output per label, with BCE on (N, L) multi-hot float targets. Each LossSpec
builds its loss and declares the LossConfig fields that builder reads; a loss may also bring its own
output layer (`head`: the harmonic loss's distance layer, which `with_loss_head` puts in place of the
model's linear one) and refuse targets it cannot take (`check_targets`: MSLE's negative
labels), before training.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from protscope.errors import ProtScopeError
from protscope.modeling.harmonic import harmonic_head

AUTO = {"regression": "mse", "binary": "bce", "multiclass": "ce", "multilabel": "bce", "residue": "ce"}


@dataclass(frozen=True)
class LossInputs:
    """What a loss is built for, besides its settings."""

    task: str
    n_classes: int
    train_labels: np.ndarray | None  # the training targets, for 'balanced' weights; None: no class weights
    device: object


@dataclass(frozen=True)
class LossSpec:
    name: str
    title: str
    help: str
    tasks: tuple[str, ...]
    build: Callable[[object, LossInputs], Callable]  # build(cfg, inputs) -> loss(logits, y)
    params: tuple[str, ...] = ()  # LossConfig fields the builder reads
    binary_params: tuple[str, ...] | None = None  # what it reads on binary tasks instead, where that differs
    head: Callable[[object, torch.nn.Linear], torch.nn.Module] | None = None  # head(cfg, linear head) -> output layer
    head_params: tuple[str, ...] = ()  # LossConfig fields `head` reads
    check_targets: Callable[[np.ndarray], None] | None = None  # raises ProtScopeError for targets it cannot take
    multilabel_params: tuple[str, ...] | None = None  # what it reads on multi-label tasks instead

    def reads(self, task: str) -> tuple[str, ...]:
        """The LossConfig fields its builder (and its output layer) read for this task."""
        own = self.binary_params if task == "binary" and self.binary_params is not None else self.params
        if task == "multilabel" and self.multilabel_params is not None:
            own = self.multilabel_params
        return (*own, *self.head_params)


def class_weights(cfg, labels: np.ndarray, n_classes: int) -> np.ndarray | None:
    """(n_classes,) weights: 'balanced' is n / (k * count), as in scikit-learn."""
    if cfg.class_weights == "none":
        return None
    if cfg.class_weights == "balanced":
        counts = np.bincount(labels, minlength=n_classes).astype(np.float64)
        return labels.size / (n_classes * np.maximum(counts, 1))
    weights = np.array([float(w) for w in cfg.class_weights.split(",")])
    if weights.size != n_classes:
        raise ProtScopeError(f"loss.class_weights has {weights.size} numbers for {n_classes} classes",
                             fix=f"give one weight per class ({n_classes}), or use balanced")
    return weights


def label_pos_weight(cfg, labels: np.ndarray | None, n_labels: int) -> np.ndarray | None:
    """(L,) weight of each label's positives in multi-label BCE; `labels` are the (N, L) training targets.

    'balanced' is negatives / positives of each label, torch's own suggestion for BCEWithLogits' pos_weight:
    a rare label's few positives then weigh as much in the loss as its many negatives."""
    if cfg.pos_weight == "none":
        return None
    if cfg.pos_weight == "balanced":
        positives = np.asarray(labels, dtype=np.float64).sum(axis=0)
        return (len(labels) - positives) / np.maximum(positives, 1)
    weights = np.array([float(w) for w in cfg.pos_weight.split(",")])
    if weights.size != n_labels:
        raise ProtScopeError(f"loss.pos_weight has {weights.size} numbers for {n_labels} labels",
                             fix=f"give one weight per label ({n_labels}, in the order of the labels), or use "
                                 "balanced")
    return weights


def check_weights(cfg, task: str, n_classes: int) -> None:
    """Refuse, before training, explicit weights that do not give one number per class (or label)."""
    name = "pos_weight" if task == "multilabel" else "class_weights"
    text = getattr(cfg, name)
    if task == "regression" or text in ("none", "balanced") or name not in LOSSES[loss_name(cfg, task)].reads(task):
        return
    if task == "multilabel":
        label_pos_weight(cfg, None, n_classes)
    else:
        class_weights(cfg, np.zeros(0, dtype=np.int64), n_classes)


def _train_weights(cfg, inputs: LossInputs) -> np.ndarray | None:
    return None if inputs.train_labels is None else class_weights(cfg, inputs.train_labels, inputs.n_classes)


def _weight_tensor(cfg, inputs: LossInputs) -> torch.Tensor | None:
    weights = _train_weights(cfg, inputs)
    return None if weights is None else torch.tensor(weights, dtype=torch.float32, device=inputs.device)


def _regression(fn):
    """A loss on one output per example that reads no settings (MSE, L1)."""
    return lambda *_: lambda logits, y: fn(logits.squeeze(-1), y)


def msle(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared logarithmic error, mean((log(1 + pred) - log(1 + y))^2), on values (N,).

    Predictions below 0 count as 0, as in Keras, so the logarithm is always defined (log1p of a value at or
    below -1 is not); they get no gradient from the loss until the shared weights lift them. Targets below
    0 are refused before training (`_non_negative`).
    """
    return F.mse_loss(torch.log1p(pred.float().clamp(min=0)), torch.log1p(y.float()))


def _non_negative(targets: np.ndarray) -> None:
    negative = targets < 0
    if negative.any():
        raise ProtScopeError(f"the MSLE loss compares log(1 + value), so every label must be 0 or more, but "
                             f"{int(negative.sum())} of {targets.size} labels are negative (the lowest is "
                             f"{float(targets.min()):g})",
                             fix="use mse, l1 or huber, or shift the labels so that none is below 0")


def _huber(cfg, _inputs):
    delta = cfg.huber_delta
    return lambda logits, y: F.huber_loss(logits.squeeze(-1), y, delta=delta)


def _bce(cfg, inputs):
    if inputs.task == "multilabel":  # one logit per label (N, L) against multi-hot float targets (N, L)
        weights = label_pos_weight(cfg, inputs.train_labels, inputs.n_classes)
        pos_weight = None if weights is None else torch.tensor(weights, dtype=torch.float32, device=inputs.device)
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits.float(), y.float(), pos_weight=pos_weight)
    weights = _train_weights(cfg, inputs)
    pos_weight = None if weights is None else torch.tensor(weights[1] / weights[0], device=inputs.device)
    return lambda logits, y: F.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float(), pos_weight=pos_weight)


def _ce(cfg, inputs):
    weight, smoothing = _weight_tensor(cfg, inputs), cfg.label_smoothing
    return lambda logits, y: F.cross_entropy(logits.float(), y, weight=weight, label_smoothing=smoothing)


def _focal(cfg, inputs):
    gamma = cfg.focal_gamma
    if inputs.task == "binary":  # one logit (see output_size): alpha weighs the classes, not class_weights
        alpha = cfg.focal_alpha
        return lambda logits, y: binary_focal(logits.squeeze(-1), y, gamma, alpha)
    weight = _weight_tensor(cfg, inputs)
    return lambda logits, y: multiclass_focal(logits, y, gamma, weight)


LOSSES: dict[str, LossSpec] = {
    s.name: s for s in [
        LossSpec("mse", "Mean squared error", "Average squared difference; punishes big misses most.",
                 ("regression",), _regression(F.mse_loss)),
        LossSpec("l1", "Mean absolute error (L1)", "Average absolute difference; robust to outliers.",
                 ("regression",), _regression(F.l1_loss)),
        LossSpec("huber", "Huber (smooth L1)", "Squared for small errors, absolute for large ones.",
                 ("regression",), _huber, ("huber_delta",)),
        LossSpec("msle", "Mean squared logarithmic error (MSLE)", "Squared difference of log(1 + value): relative "
                 "errors count, for labels of 0 or more such as counts; predictions below 0 count as 0.",
                 ("regression",), _regression(msle), check_targets=_non_negative),
        LossSpec("bce", "Binary cross-entropy (with logits)", "Sigmoid + log loss for two classes, or for each "
                 "label of a multi-label task.", ("binary", "multilabel"), _bce, ("class_weights",),
                 multilabel_params=("pos_weight",)),
        LossSpec("ce", "Cross-entropy", "Softmax + log loss over the classes.",
                 ("binary", "multiclass", "residue"), _ce, ("class_weights", "label_smoothing")),
        LossSpec("focal", "Focal loss", "Cross-entropy that down-weights easy examples (Lin et al. 2017).",
                 ("binary", "multiclass", "residue"), _focal, ("focal_gamma", "class_weights"),
                 binary_params=("focal_gamma", "focal_alpha")),
        LossSpec("harmonic", "Harmonic loss (distances to class centres)", "The output layer holds one centre per "
                 "class and P(class) follows distance^-n (Baek et al. 2025); then log loss. Evaluate shows the "
                 "centres.", ("binary", "multiclass", "residue"), _ce, ("class_weights", "label_smoothing"),
                 head=harmonic_head, head_params=("harmonic_exponent",)),
    ]
}


def loss_name(cfg, task: str) -> str:
    return AUTO[task] if cfg.name == "auto" else cfg.name


def output_size(cfg, task: str, n_classes: int) -> int:
    """Logits per prediction: 1 for regression and for binary BCE/focal, else one per class."""
    name = loss_name(cfg, task)
    if task == "regression" or (task == "binary" and name in ("bce", "focal")):
        return 1
    return n_classes


def make_loss(cfg, task: str, n_classes: int, train_labels: np.ndarray | None, device) -> Callable:
    """The loss function for this config and task; `train_labels` feed 'balanced' weights."""
    return LOSSES[loss_name(cfg, task)].build(cfg, LossInputs(task, n_classes, train_labels, device))


def with_loss_head(model: torch.nn.Module, cfg, task: str) -> torch.nn.Module:
    """`model` with the output layer its loss needs (the harmonic loss's distance layer in place of
    `model.head`); built again from the saved config when a checkpoint is loaded."""
    spec = LOSSES[loss_name(cfg, task)]
    if spec.head is not None:
        model.head = spec.head(cfg, model.head)
    return model


def check_targets(cfg, task: str, targets: np.ndarray | None) -> None:
    """Refuse, before training, targets this loss cannot take (MSLE: labels below 0)."""
    spec = LOSSES[loss_name(cfg, task)]
    if spec.check_targets is not None and targets is not None:
        spec.check_targets(np.asarray(targets))


def binary_focal(logits, y, gamma: float, alpha: float | None) -> torch.Tensor:
    """Focal loss on one logit per example: BCE scaled by (1 - p_t)^gamma."""
    y = y.float()
    ce = F.binary_cross_entropy_with_logits(logits.float(), y, reduction="none")
    p = torch.sigmoid(logits.float())
    p_t = p * y + (1 - p) * (1 - y)
    loss = ce * (1 - p_t) ** gamma
    if alpha is not None:
        loss = loss * (alpha * y + (1 - alpha) * (1 - y))
    return loss.mean()


def multiclass_focal(logits, y, gamma: float, weight: torch.Tensor | None) -> torch.Tensor:
    """Focal loss over softmax outputs: cross-entropy scaled by (1 - p_true)^gamma."""
    log_p = F.log_softmax(logits.float(), dim=-1)
    log_p_true = log_p.gather(1, y.unsqueeze(1)).squeeze(1)
    loss = -((1 - log_p_true.exp()) ** gamma) * log_p_true
    if weight is not None:
        w = weight[y]
        return (loss * w).sum() / w.sum()
    return loss.mean()


def to_outputs(logits: torch.Tensor, task: str) -> torch.Tensor:
    """Logits -> predictions: values (N,) for regression, each label's probability (N, L) for multi-label
    (a sigmoid per label: they need not sum to 1), else class probabilities (N, k)."""
    if task == "regression":
        return logits.squeeze(-1).float()
    if task == "multilabel":
        return torch.sigmoid(logits.float())
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits.squeeze(-1).float())
        return torch.stack([1 - p, p], dim=-1)
    return torch.softmax(logits.float(), dim=-1)
