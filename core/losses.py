"""Losses: a registry of what the model minimises, with `auto` choosing one from the task.

A loss takes logits (N, out) and targets (N,) for the N predictions of a batch: proteins, or
for per-residue tasks only the scored residues (the trainer drops padding and unresolved ones
first). Binary tasks use one output with BCE or focal loss, and two with cross-entropy.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from core.errors import ProtScopeError

AUTO = {"regression": "mse", "binary": "bce", "multiclass": "ce", "residue": "ce"}


@dataclass(frozen=True)
class LossSpec:
    name: str
    title: str
    help: str
    tasks: tuple[str, ...]


LOSSES: dict[str, LossSpec] = {
    s.name: s for s in [
        LossSpec("mse", "Mean squared error", "Average squared difference; punishes big misses most.",
                 ("regression",)),
        LossSpec("l1", "Mean absolute error (L1)", "Average absolute difference; robust to outliers.",
                 ("regression",)),
        LossSpec("huber", "Huber (smooth L1)", "Squared for small errors, absolute for large ones.",
                 ("regression",)),
        LossSpec("bce", "Binary cross-entropy (with logits)", "Sigmoid + log loss for two classes.", ("binary",)),
        LossSpec("ce", "Cross-entropy", "Softmax + log loss over the classes.",
                 ("binary", "multiclass", "residue")),
        LossSpec("focal", "Focal loss", "Cross-entropy that down-weights easy examples (Lin et al. 2017).",
                 ("binary", "multiclass", "residue")),
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


def make_loss(cfg, task: str, n_classes: int, train_labels: np.ndarray | None, device) -> Callable:
    """The loss function for this config and task; `train_labels` feed 'balanced' weights."""
    name = loss_name(cfg, task)
    weights = None
    if task != "regression" and train_labels is not None:
        weights = class_weights(cfg, train_labels, n_classes)
    if name == "mse":
        return lambda logits, y: F.mse_loss(logits.squeeze(-1), y)
    if name == "l1":
        return lambda logits, y: F.l1_loss(logits.squeeze(-1), y)
    if name == "huber":
        return lambda logits, y: F.huber_loss(logits.squeeze(-1), y, delta=cfg.huber_delta)
    if name == "bce":
        pos_weight = None if weights is None else torch.tensor(weights[1] / weights[0], device=device)
        return lambda logits, y: F.binary_cross_entropy_with_logits(logits.squeeze(-1), y.float(),
                                                                    pos_weight=pos_weight)
    weight = None if weights is None else torch.tensor(weights, dtype=torch.float32, device=device)
    if name == "ce":
        return lambda logits, y: F.cross_entropy(logits.float(), y, weight=weight,
                                                 label_smoothing=cfg.label_smoothing)
    if output_size(cfg, task, n_classes) == 1:
        return lambda logits, y: binary_focal(logits.squeeze(-1), y, cfg.focal_gamma, cfg.focal_alpha)
    return lambda logits, y: multiclass_focal(logits, y, cfg.focal_gamma, weight)


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
