"""A CNN's first-layer filters read as motifs: where each one fires, and how much the predictions need it.

    scan = scan_filters(model, dd, rows, encoding_cfg)            # activation-aligned PWMs (DeepBind, Basset)
    change = filter_influence(model, dd, val_rows, encoding_cfg, task, scan.mean)

The recipe (Alipanahi et al. 2015; Kelley et al. 2016): a filter's threshold is half its largest activation
over the proteins scanned; every window of residues where its activation passes the threshold is one site,
and counting each amino acid at each position of the sites gives the filter's position weight matrix.
A filter's influence is the change in the model's predictions when its output is replaced by its mean
activation (over the proteins scanned) at every real residue: the mean absolute change of a value, the
total variation of class probabilities, the mean change of each label's probability.

The forward pass is split at the first convolution (`first_activations`, then `rest_of_network`), which
reproduce protscope.modeling.models.CNN.forward exactly (tested).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from protscope.alphabet import ALPHABET
from protscope.modeling.losses import to_outputs
from protscope.train.batches import DeviceData, eval_batches, make_batch
from protscope.train.inference import EVAL_BATCH, EVAL_RESIDUES

THRESHOLD_SHARE = 0.5  # a site: activation above this share of the filter's largest
GROUP_FLOATS = 1 << 25  # filters nulled at once: their copies of the first layer's output stay within this


@dataclass(frozen=True)
class FilterScan:
    """The first-layer filters over a set of proteins."""

    counts: np.ndarray  # (F, k, 20): amino acids at each position of each filter's sites
    sites: np.ndarray  # (F,) windows above the threshold
    threshold: np.ndarray  # (F,) THRESHOLD_SHARE of the largest activation (nan: it never rose above 0)
    mean: np.ndarray  # (F,) mean activation over real residues
    background: np.ndarray  # (20,) amino-acid frequencies of the proteins scanned
    proteins: int

    def pwm(self) -> np.ndarray:
        """(F, k, 20) letter frequencies at each site position; rows of NaN where no site has a letter there."""
        totals = self.counts.sum(-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(totals > 0, self.counts / totals, np.nan)


def first_activations(model, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, F, L) the first convolution's outputs after its activation, zero at padding."""
    h = model.inputs(x).transpose(1, 2)  # (B, C, L)
    return model.activation(model.convs[0](h)) * mask.unsqueeze(1).to(h.dtype)


def rest_of_network(model, a: torch.Tensor, mask: torch.Tensor, start: int = 1) -> torch.Tensor:
    """The model's logits from the activations `a` (B, C, L) of convolution `start - 1`: CNN.forward from there."""
    keep = mask.unsqueeze(1).to(a.dtype)
    for conv in model.convs[start:]:
        a = model.activation(conv(a)) * keep
    return model.outputs(a.transpose(1, 2), mask)


def nulled_logits(model, a: torch.Tensor, mask: torch.Tensor, chosen: torch.Tensor, means: torch.Tensor,
                  second: torch.Tensor | None = None) -> torch.Tensor:
    """(g * B, ...) logits with filter chosen[j] of the first layer set to means[chosen[j]] at every real residue,
    copy j after copy j; `second` is the second convolution's output (B, L, C) before its activation. That
    convolution is linear in its input, so its output changes only by the one channel's change convolved
    with that channel's kernel: a (k x C) matrix product per filter instead of a whole convolution."""
    g, (b, _, length) = len(chosen), a.shape
    keep = mask.to(a.dtype)  # (B, L)
    delta = means[chosen].view(g, 1, 1) * keep - a[:, chosen].transpose(0, 1)  # (g, B, L)
    if len(model.convs) == 1:
        nulled = a.unsqueeze(0).repeat(g, 1, 1, 1)  # (g, B, F, L)
        nulled[torch.arange(g, device=a.device), :, chosen] += delta
        return model.outputs(nulled.flatten(0, 1).transpose(1, 2), mask.repeat(g, 1))
    conv = model.convs[1]
    k, dilation, pad = conv.kernel_size[0], conv.dilation[0], conv.padding[0]
    windows = F.pad(delta, (pad, pad)).unfold(2, dilation * (k - 1) + 1, 1)[..., ::dilation]  # (g, B, L, k)
    change = windows.reshape(g, b * length, k) @ conv.weight[:, chosen].permute(1, 2, 0)  # (g, B*L, k) @ (g, k, C)
    h = model.activation(second.unsqueeze(0) + change.view(g, b, length, -1)) * keep[None, :, :, None]  # (g, B, L, C)
    if len(model.convs) == 2:
        return model.outputs(h.flatten(0, 1), mask.repeat(g, 1))
    return rest_of_network(model, h.flatten(0, 1).transpose(1, 2), mask.repeat(g, 1), start=2)


def _one_hot(tokens: torch.Tensor) -> torch.Tensor:
    """(..., 20) float one-hot of the standard amino acids; padding (0) and X (21) are rows of zeros."""
    table = torch.eye(len(ALPHABET) + 2, device=tokens.device)[:, 1:len(ALPHABET) + 1]  # (22, 20)
    return F.embedding(tokens.long(), table)


def _windows(tokens: torch.Tensor, k: int) -> torch.Tensor:
    """(B, L, k, 20) one-hot of the k residues each output position of a same-padded convolution reads."""
    return _one_hot(F.pad(tokens.long(), (k // 2, k // 2)).unfold(1, k, 1))  # padding: 0 past either end


@torch.no_grad()
def scan_filters(model, dd: DeviceData, rows: np.ndarray, encoding_cfg) -> FilterScan:
    """Thresholds, means and activation-aligned counts of every first-layer filter over proteins `rows`.
    Two passes: the largest activation first (it sets the threshold), then the sites."""
    batches = eval_batches(dd.lengths.cpu().numpy(), rows, EVAL_BATCH, EVAL_RESIDUES)
    conv = model.convs[0]
    n_filters, k = conv.out_channels, conv.kernel_size[0]
    top = torch.full((n_filters,), -torch.inf)
    total, residues = torch.zeros(n_filters, dtype=torch.float64), 0
    for index in batches:
        batch = make_batch(dd, index, encoding_cfg)
        a = first_activations(model, batch.x, batch.mask).float()
        real = batch.mask.unsqueeze(1)
        top = torch.maximum(top, a.masked_fill(~real, -torch.inf).amax((0, 2)).cpu())
        total += a.sum((0, 2)).double().cpu()
        residues += int(batch.mask.sum())
    threshold = torch.where(top > 0, THRESHOLD_SHARE * top, torch.nan)
    counts, sites = torch.zeros(n_filters, k * len(ALPHABET)), torch.zeros(n_filters)
    letters = torch.zeros(len(ALPHABET))
    for index in batches:
        batch = make_batch(dd, index, encoding_cfg)
        a = first_activations(model, batch.x, batch.mask).float()
        tokens = dd.tokens[batch.index, :batch.mask.shape[1]]
        hits = (a > threshold.to(a.device)[None, :, None]) & batch.mask.unsqueeze(1)  # (B, F, L); NaN never passes
        windows = _windows(tokens, k).flatten(2)  # (B, L, k * 20)
        counts += torch.einsum("bfl,blc->fc", hits.float(), windows).cpu()
        sites += hits.sum((0, 2)).float().cpu()
        letters += _one_hot(tokens).sum((0, 1)).cpu()
    counts = counts.reshape(n_filters, k, len(ALPHABET))
    return FilterScan(counts=counts.numpy(), sites=sites.long().numpy(),
                      threshold=threshold.numpy(), mean=(total / max(residues, 1)).float().numpy(),
                      background=(letters / letters.sum().clamp(min=1)).numpy(), proteins=len(rows))


def prediction_change(new: torch.Tensor, base: torch.Tensor, task: str) -> torch.Tensor:
    """Per prediction (the last axis of class probabilities or labels dropped), how far `new` moved from `base`."""
    if task == "regression":
        return (new - base).abs()
    if task == "multilabel":
        return (new - base).abs().mean(-1)
    return 0.5 * (new - base).abs().sum(-1)  # total variation of the class probabilities


@torch.no_grad()
def filter_influence(model, dd: DeviceData, rows: np.ndarray, encoding_cfg, task: str, mean: np.ndarray,
                     progress: Callable[[float], None] | None = None) -> np.ndarray:
    """(F,) each filter's influence on the predictions for proteins `rows` (per residue for residue tasks):
    the mean change when its output is `mean[f]` at every real residue instead of what it computed."""
    n_filters, per_residue = model.convs[0].out_channels, task == "residue"
    batches = eval_batches(dd.lengths.cpu().numpy(), rows, EVAL_BATCH, EVAL_RESIDUES)
    change, predictions = torch.zeros(n_filters, dtype=torch.float64), 0
    means = torch.as_tensor(mean, dtype=torch.float32, device=dd.tokens.device)
    for done, index in enumerate(batches):
        batch = make_batch(dd, index, encoding_cfg)
        a = first_activations(model, batch.x, batch.mask).float()  # (B, F, L)
        keep = batch.mask.to(a.dtype)  # (B, L)
        base = to_outputs(rest_of_network(model, a, batch.mask), task)
        second = model.convs[1](a).transpose(1, 2) if len(model.convs) > 1 else None  # (B, L, C), once per batch
        group = max(1, GROUP_FLOATS // a.numel())
        for start in range(0, n_filters, group):
            chosen = torch.arange(start, min(start + group, n_filters), device=a.device)
            g = len(chosen)
            out = to_outputs(nulled_logits(model, a, batch.mask, chosen, means, second), task)
            moved = prediction_change(out.view(g, *base.shape), base.unsqueeze(0), task)  # (g, B) or (g, B, L)
            if per_residue:
                moved = moved * keep  # (g, B, L): real residues only
            change[start:start + g] += moved.flatten(1).sum(1).double().cpu()
        predictions += int(batch.mask.sum()) if per_residue else len(index)
        if progress is not None:
            progress((done + 1) / len(batches))
    return (change / max(predictions, 1)).float().numpy()
