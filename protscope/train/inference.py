"""Prediction and evaluation with a trained model: batched, no gradients, in eval mode.

Predictions for per-residue tasks are flattened over residues, with the protein and position
each one belongs to, so metrics count only scored residues and plots can rebuild one protein.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from protscope.evaluation.metrics import compute_metrics
from protscope.modeling.losses import to_outputs
from protscope.train.batches import DeviceData, eval_batches, make_batch

EVAL_BATCH = 256  # proteins per evaluation batch at most,
EVAL_RESIDUES = 65_536  # and at most this many padded residues (a CNN of 128 channels: 32 MB per activation)


@dataclass
class Predictions:
    """Model outputs for one split: class probabilities (N, k) or values (N,), with the truth."""

    split: str
    rows: np.ndarray  # (P,) dataset rows, in the order predicted
    outputs: np.ndarray  # (N, k) probabilities or (N,) values; N = P, or residues when per-residue
    y_true: np.ndarray | None  # (N,); multi-label: (N, L) 0/1, with `outputs` (N, L) each label's probability
    protein: np.ndarray | None = None  # per-residue: (N,) index into `rows`
    position: np.ndarray | None = None  # per-residue: (N,) 0-based residue position
    loss: float = float("nan")

    def to_dict(self) -> dict:
        return {k: v for k, v in vars(self).items()}


def autocast(device: torch.device, dtype: torch.dtype | None):
    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@torch.no_grad()
def predict(model, dd: DeviceData, rows: np.ndarray, encoding_cfg, task: str, *, split: str = "",
            loss_fn=None, amp_dtype=None, batch_size: int = EVAL_BATCH, max_residues: int = EVAL_RESIDUES,
            scored_only: bool = True, after_batch=None, tokens_only: bool = False) -> Predictions:
    """Run `model` over dataset `rows`. Per-residue tasks keep scored residues (or all real residues
    when `scored_only` is False, e.g. for new sequences without labels). `after_batch(index, batch)`, if
    given, is called after each batch's forward pass (the learned-space recorder reads its hook there).
    `tokens_only`: batches carry tokens, for a model that encodes them itself (make_batch)."""
    was_training = model.training
    model.eval()
    device = dd.tokens.device
    lengths = dd.lengths.cpu().numpy()
    outputs, truths, proteins, positions, order = [], [], [], [], []
    loss_sum, count = 0.0, 0
    offset = 0
    for index in eval_batches(lengths, rows, batch_size, max_residues):
        batch = make_batch(dd, index, encoding_cfg, tokens_only)
        with autocast(device, amp_dtype):
            logits = model(batch.x, batch.mask)
        if after_batch is not None:
            after_batch(index, batch)
        if task == "residue":
            keep = batch.scored if (scored_only and batch.scored is not None) else batch.mask
            where = keep.nonzero()  # (M, 2): batch row, position
            proteins.append(where[:, 0] + offset)
            positions.append(where[:, 1])
            logits_sel = logits[keep]
            target = batch.target[keep] if batch.target is not None else None
        else:
            logits_sel, target = logits, batch.target
        if loss_fn is not None and target is not None and target.numel():
            loss_sum += float(loss_fn(logits_sel, target)) * target.numel()
            count += target.numel()
        outputs.append(to_outputs(logits_sel, task))
        if target is not None:
            truths.append(target)
        order.append(index)
        offset += len(index)
    model.train(was_training)
    cat = lambda parts: torch.cat(parts).cpu().numpy() if parts else None  # noqa: E731
    return Predictions(split=split, rows=np.concatenate(order) if order else np.array([], dtype=np.int64),
                       outputs=cat(outputs) if outputs else np.zeros(0), y_true=cat(truths),
                       protein=cat(proteins), position=cat(positions),
                       loss=loss_sum / count if count else float("nan"))


def metrics_of(predictions: Predictions, task: str, classes) -> dict:
    if predictions.y_true is None or predictions.y_true.size == 0:
        return {}
    return compute_metrics(task, predictions.y_true, predictions.outputs, classes)

