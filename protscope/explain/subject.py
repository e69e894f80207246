"""What is explained: a trained model loaded from its checkpoint, and one sequence as its tokens.

The sequence goes through the Predict path's own cleaning (protscope.train.predict): whitespace and a final
'*' dropped, letters upper-cased, B/Z/J/U/O as X, DNA and foreign characters refused, a sequence longer than
the model's training width cut to it (and said so). Forward passes here are those of the model as trained:
the registry's encoding of the tokens, or (for gradients) its one-hot twin in protscope.explain.onehot.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from protscope.config.run_config import RunConfig
from protscope.device import resolve_device
from protscope.errors import ProtScopeError
from protscope.explain.onehot import DIFFERENTIABLE
from protscope.modeling.encodings import ENCODINGS
from protscope.train.checkpoint import load_checkpoint
from protscope.train.predict import clean_sequence, to_data


@dataclass(frozen=True)
class Explainable:
    """A trained model in eval mode, with what its checkpoint says about it."""

    model: torch.nn.Module
    config: RunConfig
    classes: tuple[str, ...]  # class names, label names (multi-label), or () for regression
    seq_len: int  # the training width: longer sequences are cut to it
    device: torch.device
    source: str  # the checkpoint's path

    @property
    def task(self) -> str:
        return self.config.data.task

    @property
    def learned_embedding(self) -> bool:
        return ENCODINGS[self.config.encoding.name].level == "tokens"

    def logits(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) uint8 tokens of equal length -> logits (B, out), or (B, L, out) per residue. No gradients."""
        lengths = torch.full((tokens.shape[0],), tokens.shape[1], device=self.device)
        with torch.inference_mode():
            x = ENCODINGS[self.config.encoding.name].fn(tokens, lengths, self.config.encoding)
            return self.model(x, self.full_mask(tokens))

    def logits_of_onehot(self, onehot: torch.Tensor) -> torch.Tensor:
        """(B, L, 21) one-hot, or any point between it and zero -> logits, differentiably."""
        if self.config.encoding.name not in DIFFERENTIABLE:
            raise ProtScopeError(f"ProtScope cannot yet attribute predictions to residues through the "
                                 f"'{self.config.encoding.name}' encoding", where=self.source,
                                 fix="use saturation mutagenesis (method ism), which needs no gradients")
        lengths = torch.full((onehot.shape[0],), onehot.shape[1], device=self.device)
        x = DIFFERENTIABLE[self.config.encoding.name](onehot, lengths, self.config.encoding)
        return self.model(x, self.full_mask(onehot))

    def logits_of_tokens(self, tokens: torch.Tensor) -> torch.Tensor:
        """(B, L) tokens -> logits, with gradients (Captum hooks the embedding layer)."""
        return self.model(tokens.long(), self.full_mask(tokens))

    def full_mask(self, batch: torch.Tensor) -> torch.Tensor:
        return torch.ones(batch.shape[:2], dtype=torch.bool, device=self.device)  # (B, L): one sequence, no padding


def load_explainable(checkpoint: str | Path, device: str = "cpu") -> Explainable:
    torch_device = resolve_device(device)
    model, config, payload = load_checkpoint(checkpoint, torch_device)
    return Explainable(model, config, tuple(payload["classes"]), int(payload["dims"]["seq_len"]), torch_device,
                       str(checkpoint))


def as_explainable(model: Explainable | str | Path, device: str = "cpu") -> Explainable:
    return model if isinstance(model, Explainable) else load_explainable(model, device)


@dataclass(frozen=True)
class Sequence:
    """One cleaned sequence and its tokens (1, L) on the model's device."""

    text: str
    tokens: torch.Tensor
    notes: tuple[str, ...]  # what was changed, in words (a cut)

    def __len__(self) -> int:
        return len(self.text)


def sequence_for(model: Explainable, raw: str) -> Sequence:
    """The sequence as the model predicts it; ProtScopeError for one it cannot read."""
    if not isinstance(raw, str):
        raise ProtScopeError(f"the sequence is {type(raw).__name__}, not text", where="the sequence",
                             fix="give the amino acids as one-letter codes, e.g. MKVLAAG")
    text, problem = clean_sequence(raw)
    if problem:
        raise ProtScopeError(problem, where="the sequence",
                             fix="give one protein sequence in one-letter amino-acid codes")
    notes = ()
    if len(text) > model.seq_len:
        notes = (f"the sequence has {len(text):,} residues, more than the {model.seq_len:,} the model was trained on: "
                 f"only the first {model.seq_len:,} are explained (Predict cuts them too)",)
    data, _, _ = to_data(["query"], [text], model.seq_len)
    text = data.sequences[0]
    return Sequence(text, torch.tensor(data.tokens, device=model.device), notes)  # (1, L) uint8
