"""One optimizer update, shared by the trainer and the sanity checks (protscope.checks), so both train
exactly alike: the penalties added to the loss, then unscale, read the layer statistics, clip, step and
clear; and the mean loss over an epoch's batches.
"""
from __future__ import annotations

import torch

from protscope.train.layer_stats import LayerStats
from protscope.train.prepare import Prepared


def apply_update(p: Prepared, scaler, measure: bool, stats: LayerStats | None = None) -> torch.Tensor | None:
    """Clip, step and clear gradients; returns the global gradient norm before clipping when
    `measure` is set or clipping computes it anyway. `stats` reads the gradients before clipping."""
    t = p.config.training
    if scaler is not None:
        scaler.unscale_(p.optimizer)
    if stats is not None:
        stats.read_gradients()
    norm = None
    if t.grad_clip > 0 and t.clip_mode == "norm":
        norm = torch.nn.utils.clip_grad_norm_(p.params, t.grad_clip)
    else:
        if measure:
            norm = torch.nn.utils.get_total_norm([w.grad for w in p.params if w.grad is not None])
        if t.grad_clip > 0:
            torch.nn.utils.clip_grad_value_(p.params, t.grad_clip)
    if scaler is not None:
        scaler.step(p.optimizer)
        scaler.update()
    else:
        p.optimizer.step()
    p.optimizer.zero_grad(set_to_none=True)
    return None if norm is None else norm.detach()


def mean_loss(losses: list[torch.Tensor], counts: list[int]) -> float:
    """The average loss over all predictions so far (batch means weighted by their size)."""
    if not losses:
        return float("nan")
    weights = torch.tensor(counts, dtype=torch.float32, device=losses[0].device)
    return float((torch.stack(losses).float() * weights).sum() / weights.sum())


def regularisation(weights, l1: float, l2: float):
    """The L1 penalty (and L2, for optimizers without built-in weight decay) on weight tensors."""
    if not l1 and not l2:
        return None
    total = 0.0
    if l1:
        total = total + l1 * sum(w.abs().sum() for w in weights)
    if l2:
        total = total + 0.5 * l2 * sum((w * w).sum() for w in weights)
    return total
