"""What a model has learned, recorded at the end of every epoch: its first layer's weights (a CNN's
filters, the window network's hidden units) and the features its output layer reads for a fixed set of
validation proteins (the "learned space").

    learned = LearnedRecorder(prepared, data)   # chooses the proteins (or residues) once
    with learned.watching():                    # a hook on the output layer's input, for this pass only
        val = predict(..., after_batch=learned.seen)   # the epoch's own validation pass: no extra forward
    event = learned.record(epoch)               # a LearnedRecord

The proteins are at most MAX_PROTEINS of the validation split, evenly spaced through it; for per-residue
tasks the points are their scored residues, at most MAX_RESIDUES, evenly spaced; fewer when the output
layer reads so many features that they would pass FEATURE_VALUES per epoch. Arrays are float16.
Recording reads tensors the validation pass computes anyway and draws no random numbers, so a run trains
exactly the same with or without it (tested). The channel keeps at most MAX_LEARNED_EPOCHS epochs
(protscope.train.events.keep_evenly); docs/INTERNALS.md describes the stored artifact.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from protscope.alphabet import ALPHABET
from protscope.modeling.encodings import ENCODINGS
from protscope.modeling.models import MLP
from protscope.train.events import LearnedRecord

MAX_PROTEINS = 500
MAX_RESIDUES = 5000
FEATURE_VALUES = 1 << 18  # points x features per epoch at most (512 kB of float16): a wide model keeps fewer points
WINDOW_LETTERS = ALPHABET + "-"  # the window encoding's 21 channels: 20 amino acids, then the spacer


@dataclass(frozen=True)
class LearnedSeries:
    """A run's recorded epochs, as stored (protscope.runs.outputs.load_learned)."""

    epochs: np.ndarray  # (E,) 1-based epochs, ascending
    features: np.ndarray | None  # (E, P, D) float16: what the output layer reads, per point
    filters: np.ndarray | None  # conv: (E, F, in, k); window: (E, H, 2w+1, 21); float16
    letters: np.ndarray | None  # conv: (E, 20, in) float16, each amino acid's input vector (one-hot or embedding)
    kind: str  # "conv", "window" or "" (no first layer to show)
    ids: np.ndarray  # (P,) str: the protein of each point
    position: np.ndarray | None  # per-residue tasks: (P,) 0-based position of each point
    residues: np.ndarray | None  # per-residue tasks: (P,) str, the amino acid at each point
    labels: np.ndarray | None  # (P,) class index or value; (P, L) 0/1 for multi-label; None without labels

    def filters_per_letter(self, epoch_index: int) -> np.ndarray | None:
        """conv: (F, 20, k) float32, each filter's weight on each amino acid at each of its positions."""
        if self.kind != "conv" or self.filters is None:
            return None
        return per_letter(self.filters[epoch_index].astype(np.float32), self.letters[epoch_index].astype(np.float32))


def per_letter(weight: np.ndarray, letters: np.ndarray) -> np.ndarray:
    """(F, in, k) conv weights read through (20, in) amino-acid input vectors: (F, 20, k)."""
    return np.einsum("fik,ai->fak", weight, letters)


def letter_inputs(model: nn.Module, encoding_cfg) -> torch.Tensor:
    """(20, in): what the first convolution sees for each standard amino acid (ALPHABET order): the
    embedding's row for token inputs, else the encoding of that residue alone (the identity for one-hot)."""
    embed = getattr(model, "embed", None)
    if isinstance(embed, nn.Embedding):
        return embed.weight.detach()[1:len(ALPHABET) + 1]
    device = next(model.parameters()).device
    tokens = torch.arange(1, len(ALPHABET) + 1, dtype=torch.uint8, device=device).unsqueeze(1)  # (20, 1)
    return ENCODINGS[encoding_cfg.name].fn(tokens, torch.ones(len(ALPHABET), device=device), encoding_cfg)[:, 0]


def first_layer(model: nn.Module, encoding_cfg) -> tuple[str, torch.Tensor | None, torch.Tensor | None]:
    """(kind, weights, letters): a CNN's first convolution (F, in, k) with `letter_inputs`; a window network's
    first layer (H, 2w+1, 21), its hidden units (or its output units when it has none); else ("", None, None)."""
    convs = getattr(model, "convs", None)
    if isinstance(convs, nn.ModuleList) and len(convs) and isinstance(convs[0], nn.Conv1d):
        return "conv", convs[0].weight.detach(), letter_inputs(model, encoding_cfg)
    if isinstance(model, MLP) and encoding_cfg.name == "window" and model.dims.per_residue:
        layer = model.blocks[0].linear if len(model.blocks) else model.head
        return "window", layer.weight.detach().reshape(layer.weight.shape[0], -1, len(WINDOW_LETTERS)), None
    return "", None, None


def evenly(n: int, most: int) -> np.ndarray:
    """At most `most` of the indices 0..n-1, evenly spaced (first and last included)."""
    return np.unique(np.linspace(0, n - 1, most).round().astype(np.int64)) if n > most else np.arange(n)


class LearnedRecorder:
    """Records one run's first layer and learned space at each epoch's end."""

    def __init__(self, prepared, data):
        self.p = prepared
        most = max(1, FEATURE_VALUES // prepared.model.head.weight.shape[-1])  # the output layer reads (., D)
        val = np.sort(prepared.rows["val"])
        self.rows = val[evenly(len(val), min(MAX_PROTEINS, most))]  # (Q,) dataset rows of the chosen proteins
        self.per_residue = data.task == "residue"
        if self.per_residue:  # the scored residues of those proteins, in row-major order, thinned
            protein, position = np.nonzero(data.residue_mask[self.rows])
            keep = evenly(len(protein), min(MAX_RESIDUES, most))
            self.point_protein, self.position = protein[keep], position[keep]
        else:
            self.point_protein, self.position = np.arange(len(self.rows)), None
        self.points = self._points(data)
        self._out: torch.Tensor | None = None  # (P, D) float16 on the device, filled batch by batch
        self._latest: torch.Tensor | None = None  # the output layer's input in the forward pass just run

    def _points(self, data) -> dict:
        """What each point is: {"ids", "labels"} and, per residue, {"position", "residues"}."""
        rows = self.rows[self.point_protein]
        points = {"ids": np.asarray([str(data.ids[r]) for r in rows], dtype=str)}
        if self.per_residue:
            points["position"] = self.position.astype(np.int32)
            points["residues"] = np.asarray([data.sequences[r][i] for r, i in zip(rows, self.position)], dtype=str)
            points["labels"] = data.residue_y[rows, self.position].astype(np.int64)
        elif data.y is not None:
            points["labels"] = np.asarray(data.y)[rows]
        return points

    def record(self, epoch: int) -> LearnedRecord:
        """This epoch's record: the features caught by `seen` since `watching` began, and the first layer."""
        kind, weights, letters = first_layer(self.p.model, self.p.config.encoding)
        features = None if self._out is None else self._out.cpu().numpy()
        record = {"epoch": epoch, "kind": kind, "features": features}
        if weights is not None:
            record["filters"] = weights.float().cpu().numpy().astype(np.float16)
        if letters is not None:
            record["letters"] = letters.float().cpu().numpy().astype(np.float16)
        return LearnedRecord(self.points, record)

    @contextlib.contextmanager
    def watching(self):
        """A hook on the output layer's input while the block runs; `seen` keeps the chosen points' rows."""
        self._out, self._latest = None, None
        hook = self.p.model.head.register_forward_pre_hook(self._catch)
        try:
            yield self
        finally:
            hook.remove()
            self._latest = None

    def _catch(self, _layer, args) -> None:
        self._latest = args[0]  # (B, D) per protein; per residue (B, L, D), or (real residues, D) from an MLP

    def seen(self, index: np.ndarray, batch) -> None:
        """After a forward pass over dataset rows `index`: write its chosen points into the (P, D) buffer."""
        h, self._latest = self._latest, None
        chosen = np.isin(index, self.rows)
        if h is None or not chosen.any():
            return
        h = h.detach()
        if self._out is None:
            self._out = torch.zeros(len(self.point_protein), h.shape[-1], dtype=torch.float16, device=h.device)
        on = lambda a: torch.as_tensor(a, device=h.device)  # noqa: E731
        slot = np.searchsorted(self.rows, index[chosen])  # those proteins among the chosen ones (rows are sorted)
        if not self.per_residue:
            self._out[on(slot)] = h[on(np.nonzero(chosen)[0])].to(torch.float16)
            return
        if h.dim() == 2:  # an MLP's real residues, in mask order: back to (B, L, D)
            full = h.new_zeros(*batch.mask.shape, h.shape[-1])
            full[batch.mask] = h
            h = full
        in_batch = np.full(len(self.rows), -1)
        in_batch[slot] = np.nonzero(chosen)[0]
        where = in_batch[self.point_protein]  # (P,) batch position of each point's protein, -1 elsewhere
        points = np.nonzero(where >= 0)[0]
        self._out[on(points)] = h[on(where[points]), on(self.position[points])].to(torch.float16)
