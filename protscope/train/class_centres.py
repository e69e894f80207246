"""The class centres of a model trained with the harmonic loss, and where proteins sit among them.

    view = class_centres("runs/<id>/checkpoint.pt", sequences)   # e.g. the validation proteins'
    view.centres     # (k, D): row i is class i's centre, the output layer's weight
    view.features    # (N, D): what the output layer reads, per protein (or per residue), in input order
    view.distances() # (k, k): how far apart the centres are

Under the harmonic loss the output layer is a distance layer (protscope.modeling.harmonic): its
weights are points in the same space as the features it reads, one centre per class, which training
pulls the proteins of that class towards. The Evaluate page projects both onto a plane.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from protscope.device import resolve_device
from protscope.errors import ProtScopeError
from protscope.modeling.harmonic import HarmonicHead
from protscope.train.batches import eval_batches, make_batch, to_device
from protscope.train.checkpoint import load_checkpoint
from protscope.train.inference import EVAL_BATCH, EVAL_RESIDUES
from protscope.train.predict import to_data


@dataclass(frozen=True)
class ClassCentres:
    """A harmonic model's centres and the features of the sequences it was shown."""

    centres: np.ndarray  # (k, D) float32
    features: np.ndarray  # (N, D) float32: N sequences, or for per-residue tasks N residues
    protein: np.ndarray | None  # per-residue: (N,) index into the sequences given
    position: np.ndarray | None  # per-residue: (N,) 0-based residue position
    classes: tuple[str, ...]
    exponent: float  # the n of p_i = d_i^-n / sum_j d_j^-n

    def distances(self) -> np.ndarray:
        """(k, k) Euclidean distances between the centres."""
        c = self.centres.astype(np.float64)
        return np.sqrt(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1))


def class_centres(checkpoint: str | Path, sequences, device: str = "cpu") -> ClassCentres:
    """The centres of the harmonic model saved in `checkpoint`, and the features its output layer reads for
    each of `sequences` (cut to the model's training width, as for prediction)."""
    torch_device = resolve_device(device)
    model, config, payload = load_checkpoint(checkpoint, torch_device)
    if not isinstance(model.head, HarmonicHead):
        raise ProtScopeError(f"this run was trained with the '{config.loss.name}' loss: its output layer has no "
                             "class centres", where=str(checkpoint), fix="train with the harmonic loss (loss "
                             "harmonic) to see where its class centres lie")
    data, problems, _ = to_data([str(i) for i in range(len(sequences))], list(sequences), payload["dims"]["seq_len"])
    if problems:
        raise ProtScopeError(f"sequence {problems[0].row} cannot be read: {problems[0].message}",
                             fix="give protein sequences of amino-acid letters")
    per_residue = bool(payload["dims"]["per_residue"])
    features, proteins, positions, order = _head_inputs(model, data, torch_device, config.encoding, per_residue)
    if not per_residue:  # batches ran sorted by length: back to input order
        features = features[np.argsort(np.concatenate(order))]
    return ClassCentres(centres=model.head.weight.detach().float().cpu().numpy(), features=features,
                        protein=np.concatenate(proteins) if per_residue else None,
                        position=np.concatenate(positions) if per_residue else None,
                        classes=tuple(payload["classes"]), exponent=float(model.head.n))


@torch.no_grad()
def _head_inputs(model, data, device, encoding_cfg, per_residue: bool):
    """What the output layer reads for every protein (or real residue), caught by a hook on its input."""
    dd = to_device(data, device, encoding_cfg)
    caught: list[torch.Tensor] = []
    hook = model.head.register_forward_pre_hook(lambda _layer, args: caught.append(args[0]))
    features, proteins, positions, order = [], [], [], []
    try:
        for index in eval_batches(dd.lengths.cpu().numpy(), np.arange(len(data)), EVAL_BATCH, EVAL_RESIDUES):
            batch = make_batch(dd, index, encoding_cfg)
            caught.clear()
            model(batch.x, batch.mask)
            h = caught[0]  # (B, D) per protein; per residue (B, L, D), or (real residues, D) from an MLP
            if h.dim() == 3:
                h = h[batch.mask]  # real residues, row by row: the order of mask.nonzero()
            if per_residue:
                where = batch.mask.nonzero().cpu().numpy()  # (real residues, 2): batch row, position
                proteins.append(index[where[:, 0]])
                positions.append(where[:, 1])
            features.append(h.float().cpu())
            order.append(index)
    finally:
        hook.remove()
    return torch.cat(features).numpy(), proteins, positions, order
