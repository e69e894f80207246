"""In-silico saturation mutagenesis: every single substitution to the 20 standard amino acids, predicted.

For a sequence of L residues that is 20 x L mutants (the 20 at each position include the wild type, whose
change is 0 by definition). Each mutant is the sequence with one token changed; batches of mutants go
through the model as trained (the registry's encoding, no gradients), and each gets the same target as the
wild type (protscope.explain.target: a class's log-odds or the value), so every cell of the (20, L) matrix
is "how much this one substitution moves the prediction", in the target's units. Direct, with no
approximation: the matrix is what the model predicts for those sequences (tests/test_explain.py compares it
with the Predict path).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from protscope.alphabet import ALPHABET
from protscope.errors import ProtScopeError
from protscope.explain.subject import Explainable, as_explainable, sequence_for
from protscope.explain.target import Target, choose_target, prediction

N_AA = len(ALPHABET)
MAX_RESIDUES = 1_000  # 20,000 mutants; at the eval batches' 65,536 residues, 306 forward passes
BATCH_RESIDUES = 65_536  # mutants per forward pass x L at most (the evaluation batches' budget)
MAX_BATCH = 4_096


@dataclass(frozen=True)
class Mutagenesis:
    """The change of one target for every single substitution of one sequence."""

    sequence: str
    effects: np.ndarray  # (20, L): target(mutant) - target(wild type); row a is ALPHABET[a]; 0 at the wild type
    target: Target
    wild_type_score: float  # the target at the wild type
    prediction: dict  # the wild type's prediction: {"label", "probabilities"} or {"value"}
    notes: tuple[str, ...] = ()

    def mutation(self, row: int, column: int) -> str:
        """'K45A': the wild-type residue, its 1-based position, the substitute."""
        return f"{self.sequence[column]}{column + 1}{ALPHABET[row]}"

    def per_residue(self) -> np.ndarray:
        """(L,) mean change over the substitutions at each position (19, or 20 at X), for a residue-level view."""
        residues = np.frombuffer(self.sequence.encode("ascii"), dtype=np.uint8)  # (L,)
        real = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)[:, None] != residues  # (20, L): substitutions
        return (self.effects * real).sum(0) / np.maximum(real.sum(0), 1)

    def strongest(self, n: int = 10) -> list[tuple[str, float]]:
        """The n substitutions that change the target most, either way: ('K45A', change)."""
        flat = np.argsort(-np.abs(self.effects), axis=None, kind="stable")[:n]
        rows, columns = np.unravel_index(flat, self.effects.shape)
        return [(self.mutation(r, c), float(self.effects[r, c])) for r, c in zip(rows, columns)]

    def to_dict(self) -> dict:
        return {"method": "ism", "sequence": self.sequence, "target": self.target.to_dict(),
                "prediction": self.prediction, "wild_type_score": self.wild_type_score, "amino_acids": ALPHABET,
                "matrix": self.effects.tolist(), "scores": self.per_residue().tolist(), "notes": list(self.notes)}


def saturation_mutagenesis(model: Explainable | str, sequence: str, target: str | None = None,
                           position: int | None = None, batch_size: int | None = None, device: str = "cpu",
                           progress: Callable[[float], None] | None = None,
                           should_stop: Callable[[], bool] | None = None, sites=None) -> Mutagenesis:
    """Predict all 20 x L single substitutions of `sequence`; `model` is an Explainable or a checkpoint.
    `sites` (0-based positions) limits the scan to them: the other columns of the matrix are nan."""
    model = as_explainable(model, device)
    seq = sequence_for(model, sequence)
    length = len(seq)
    if length > MAX_RESIDUES:
        raise ProtScopeError(f"saturation mutagenesis of {length:,} residues would predict {N_AA * length:,} mutants; "
                             f"ProtScope does at most {MAX_RESIDUES:,} residues", where="the sequence",
                             fix=f"explain a stretch of at most {MAX_RESIDUES:,} residues, or use Integrated Gradients")
    batch = _batch_size(batch_size, length)
    wild = model.logits(seq.tokens)
    chosen = choose_target(model.task, model.classes, wild, length, target, position)
    wild_score = chosen.score(wild)  # (1,)
    scanned = torch.arange(length, device=model.device) if sites is None else torch.as_tensor(
        np.asarray(sites, dtype=np.int64), device=model.device)  # (S,) positions mutated
    total = N_AA * scanned.numel()
    effects = torch.empty(total, device=model.device)  # mutant k: position scanned[k // 20], amino acid k % 20
    for start in range(0, total, batch):
        if should_stop is not None and should_stop():
            raise ProtScopeError("saturation mutagenesis was stopped before it finished", fix="start it again")
        k = torch.arange(start, min(start + batch, total), device=model.device)
        mutants = seq.tokens.expand(k.numel(), length).clone()  # (B, L)
        mutants[torch.arange(k.numel(), device=model.device), scanned[k // N_AA]] = (k % N_AA + 1).to(mutants.dtype)
        effects[k] = chosen.score(model.logits(mutants)) - wild_score
        if progress is not None:
            progress(float(k[-1] + 1) / total)
    matrix = np.full((N_AA, length), np.nan)  # (20, L)
    matrix[:, scanned.cpu().numpy()] = effects.reshape(-1, N_AA).T.cpu().double().numpy()
    wild_type = seq.tokens[0].long().cpu().numpy() - 1  # (L,): row of each wild-type residue (20 for X: none)
    standard = (wild_type < N_AA) & ~np.isnan(matrix[0])  # scanned positions of a standard residue
    matrix[wild_type[standard], np.flatnonzero(standard)] = 0.0  # the same sequence: no change, exactly
    return Mutagenesis(seq.text, matrix, chosen, float(wild_score[0]),
                       prediction(model.task, model.classes, wild, chosen.position), seq.notes)


def _batch_size(batch_size: int | None, length: int) -> int:
    if batch_size is None:
        return int(np.clip(BATCH_RESIDUES // length, 1, MAX_BATCH))
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH:
        raise ProtScopeError(f"batch size {batch_size!r} is not a number of mutants per forward pass ProtScope runs",
                             where="batch_size", fix=f"give a whole number from 1 to {MAX_BATCH:,}, or leave it out")
    return batch_size
