"""Batches: the dataset's tokens on the training device, cut into padded, encoded batches.

Tokens (uint8) go to the device once. Each batch is padded only to its own longest sequence (rounded
up to a multiple of WIDTH_STEP), and length bucketing groups proteins of similar length so little
padding is computed at all (the models are padding-invariant, so results do not change).
Per-protein encodings (AAC, DPC, k-mers) are computed once for the whole dataset when they fit in
memory.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from protscope.modeling.encodings import ENCODINGS, as_tensor

BUCKET_BATCHES = 50  # batches per length bucket: sorted within a bucket, shuffled across buckets
# Batch widths are rounded up to a multiple of this. With every width from 30 to 1,367 each batch's
# activations had a size of their own, and glibc could not reuse the freed chunks: a CNN run on eSOL
# held 200-290 MB in use but 1.0-1.3 GB free, and its RSS crept up for minutes. With a few dozen sizes
# it holds about 250 MB free, RSS stays near 0.8 GB, and it trains no slower (the models ignore padding).
WIDTH_STEP = 64
PRECOMPUTE_LIMIT = 512 * 2**20  # bytes of per-protein features worth keeping for the whole run


@dataclass
class DeviceData:
    """A dataset's arrays as tensors on one device."""

    tokens: torch.Tensor  # (N, L) uint8
    lengths: torch.Tensor  # (N,) int64
    y: torch.Tensor | None  # (N,) int64 classes or float32 values; (N, labels) float32 0/1 for multi-label
    residue_y: torch.Tensor | None  # (N, L) uint8
    residue_mask: torch.Tensor | None  # (N, L) bool
    features: torch.Tensor | None = None  # (N, F) precomputed per-protein encoding


@dataclass
class Batch:
    x: torch.Tensor  # encoded input: (B, F), (B, L, C) or (B, L) tokens
    mask: torch.Tensor | None  # (B, L) bool: real residues (None for per-protein features)
    target: torch.Tensor | None  # (B,) per protein, (B, labels) multi-hot, or (B, L) per residue
    scored: torch.Tensor | None  # (B, L) bool: residues in the loss (per-residue tasks)
    index: torch.Tensor  # (B,) rows of the dataset

    @property
    def size(self) -> int:
        return self.index.numel()


def to_device(data, device: torch.device, encoding_cfg) -> DeviceData:
    on = lambda a: None if a is None else as_tensor(a).to(device)  # noqa: E731
    dd = DeviceData(tokens=on(data.tokens), lengths=on(data.lengths).long(), y=on(data.y),
                    residue_y=on(data.residue_y), residue_mask=on(data.residue_mask))
    enc = ENCODINGS[encoding_cfg.name]
    if enc.level == "sequence" and len(data) * enc.width(encoding_cfg) * 4 <= PRECOMPUTE_LIMIT:
        dd.features = _per_protein_features(dd, enc, encoding_cfg)
    return dd


def _per_protein_features(dd: DeviceData, enc, encoding_cfg, chunk: int = 512) -> torch.Tensor:
    """(N, F) features of every protein, in chunks of similar length cut to their longest protein."""
    order = torch.argsort(dd.lengths)
    features = torch.empty(dd.lengths.numel(), enc.width(encoding_cfg), device=dd.tokens.device)
    for start in range(0, order.numel(), chunk):
        rows = order[start:start + chunk]
        width = int(dd.lengths[rows].max())
        features[rows] = enc.fn(dd.tokens[rows, :width], dd.lengths[rows], encoding_cfg)
    return features


def batch_indices(lengths: np.ndarray, rows: np.ndarray, batch_size: int, rng: np.random.Generator | None,
                  bucketing: bool) -> list[np.ndarray]:
    """Split `rows` into batches. With an rng they are shuffled (training); with bucketing, batches
    hold proteins of similar length. Without an rng (evaluation) rows are sorted by length."""
    if rng is None:
        order = rows[np.argsort(lengths[rows], kind="stable")]
        return [order[i:i + batch_size] for i in range(0, order.size, batch_size)]
    order = rng.permutation(rows)
    if not bucketing:
        return [order[i:i + batch_size] for i in range(0, order.size, batch_size)]
    span = batch_size * BUCKET_BATCHES
    batches = []
    for start in range(0, order.size, span):
        bucket = order[start:start + span]
        bucket = bucket[np.argsort(lengths[bucket], kind="stable")]
        batches += [bucket[i:i + batch_size] for i in range(0, bucket.size, batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def eval_batches(lengths: np.ndarray, rows: np.ndarray, max_proteins: int, max_residues: int) -> list[np.ndarray]:
    """Rows sorted by length, cut into batches of at most `max_proteins` proteins whose padded size
    (proteins x longest length) stays within `max_residues`, so long proteins come fewer at a time.

    A fixed 256 proteins of up to 1,367 residues made the CNN's activations ~700 MB at once: the
    memory of a long run swung by a gigabyte at every validation.
    """
    order = rows[np.argsort(lengths[rows], kind="stable")]
    widths = np.maximum(lengths[order].astype(np.int64), 1)
    batches, start = [], 0
    while start < order.size:
        stop = min(start + max_proteins, order.size)
        # k proteins from `start` pad to widths[start + k - 1]; widths rise, so the ones that fit are a prefix
        fits = np.arange(1, stop - start + 1) * widths[start:stop] <= max_residues
        take = max(1, int(fits.sum()))
        batches.append(order[start:start + take])
        start += take
    return batches


def make_batch(dd: DeviceData, rows: np.ndarray, encoding_cfg, tokens_only: bool = False) -> Batch:
    """The batch of dataset `rows`, encoded; `tokens_only`: x is the (B, L) tokens, for a model that encodes them
    itself (a window network's WindowLinear)."""
    index = torch.as_tensor(rows, device=dd.tokens.device)
    if dd.features is not None:  # per-protein features: no tokens or mask needed
        return Batch(dd.features[index], None, None if dd.y is None else dd.y[index], None, index)
    lengths = dd.lengths[index]
    width = min(-(-int(lengths.max()) // WIDTH_STEP) * WIDTH_STEP, dd.tokens.shape[1])
    tokens = dd.tokens[index, :width]  # (B, width): padded only to this batch's longest protein, rounded up
    mask = torch.arange(width, device=tokens.device) < lengths.unsqueeze(1)
    x = tokens.long() if tokens_only else ENCODINGS[encoding_cfg.name].fn(tokens, lengths, encoding_cfg)
    if dd.residue_y is not None:
        return Batch(x, mask, dd.residue_y[index, :width].long(), dd.residue_mask[index, :width], index)
    return Batch(x, mask, None if dd.y is None else dd.y[index], None, index)


def select(logits: torch.Tensor, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and targets of the predictions that count: (N, out) and (N,), or (N, labels) multi-hot targets.

    Per protein that is every row; per residue, only scored residues (no padding, no unresolved).
    """
    if batch.scored is not None:
        return logits[batch.scored], batch.target[batch.scored]
    return logits, batch.target
