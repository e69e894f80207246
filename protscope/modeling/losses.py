"""Losses: a registry of what the model minimises, with `auto` choosing one from the task.

A loss takes logits (N, out) and targets (N,) for the N predictions of a batch: proteins, or
for per-residue tasks only the scored residues (the trainer drops padding and unresolved ones
first). Binary tasks use one output with BCE or focal loss, and two with cross-entropy. Each LossSpec
builds its loss and declares the LossConfig fields that builder reads.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from protscope.errors import ProtScopeError

AUTO = {"regression": "mse", "binary": "bce", "multiclass": "ce", "residue": "ce"}


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

    def reads(self, task: str) -> tuple[str, ...]:
        """The LossConfig fields its builder reads for this task."""
        return self.binary_params if task == "binary" and self.binary_params is not None else self.params


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


def _train_weights(cfg, inputs: LossInputs) -> np.ndarray | None:
    return None if inputs.train_labels is None else class_weights(cfg, inputs.train_labels, inputs.n_classes)


def _weight_tensor(cfg, inputs: LossInputs) -> torch.Tensor | None:
    weights = _train_weights(cfg, inputs)
    return None if weights is None else torch.tensor(weights, dtype=torch.float32, device=inputs.device)


def _regression(fn):
    """A loss on one output per example that reads no settings (MSE, L1)."""
    return lambda *_: lambda logits, y: fn(logits.squeeze(-1), y)


def _huber(cfg, _inputs):
    delta = cfg.huber_delta
    return lambda logits, y: F.huber_loss(logits.squeeze(-1), y, delta=delta)


def _bce(cfg, inputs):
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
        LossSpec("bce", "Binary cross-entropy (with logits)", "Sigmoid + log loss for two classes.", ("binary",),
                 _bce, ("class_weights",)),
        LossSpec("ce", "Cross-entropy", "Softmax + log loss over the classes.",
                 ("binary", "multiclass", "residue"), _ce, ("class_weights", "label_smoothing")),
        LossSpec("focal", "Focal loss", "Cross-entropy that down-weights easy examples (Lin et al. 2017).",
                 ("binary", "multiclass", "residue"), _focal, ("focal_gamma", "class_weights"),
                 binary_params=("focal_gamma", "focal_alpha")),
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
    """Logits -> predictions: values (N,) for regression, else class probabilities (N, k)."""
    if task == "regression":
        return logits.squeeze(-1).float()
    if logits.shape[-1] == 1:
        p = torch.sigmoid(logits.squeeze(-1).float())
        return torch.stack([1 - p, p], dim=-1)
    return torch.softmax(logits.float(), dim=-1)
