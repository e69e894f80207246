"""Which number an explanation explains: one scalar per sequence, computed from the model's logits.

Classes (binary, multi-class, per-residue) are explained through their log-odds, log(p / (1 - p)), not their
probability: a probability saturates near 0 and 1, where every residue would then seem to matter little, and
log-odds add up (Integrated Gradients' completeness holds for the function attributed, here the log-odds).
For a softmax over classes the log-odds of class c is z_c - logsumexp(z_j, j != c); for a binary model with
one output (BCE, focal) it is z for the positive class and -z for the other; for a multi-label model it is
the label's own logit (its sigmoid is its probability). A regression model's target is its predicted value.
By default the class explained is the predicted one (binary: the positive class, the second of the
classes); per-residue models explain one residue's prediction, chosen by its 1-based position.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from protscope.data.multilabel import label_text
from protscope.errors import ProtScopeError, list_some
from protscope.evaluation.multilabel import THRESHOLD
from protscope.modeling.losses import to_outputs


@dataclass(frozen=True)
class Target:
    """One explained number: class or label `index` (-1: the regression value), at `position` (per residue)."""

    task: str
    index: int
    name: str  # the class or label, or "" for regression
    position: int | None  # 1-based residue, per-residue tasks only

    @property
    def describe(self) -> str:
        """In words, e.g. "log-odds of 'soluble'", "log-odds of 'H' at residue 12", "predicted value"."""
        if self.index < 0:
            return "predicted value"
        where = f" at residue {self.position}" if self.position is not None else ""
        return f"log-odds of '{self.name}'{where}"

    @property
    def unit(self) -> str:
        return "value" if self.index < 0 else "log-odds"

    def score(self, logits: torch.Tensor) -> torch.Tensor:
        """Logits (B, out), or (B, L, out) per residue -> the target (B,), differentiably."""
        if self.position is not None:
            logits = logits[:, self.position - 1]  # (B, out)
        if self.index < 0:
            return logits[:, 0]
        if self.task == "multilabel":
            return logits[:, self.index]
        if logits.shape[-1] == 1:  # one logit for two classes: the positive class's log-odds
            return logits[:, 0] if self.index == 1 else -logits[:, 0]
        others = torch.ones(logits.shape[-1], dtype=torch.bool, device=logits.device)
        others[self.index] = False
        return logits[:, self.index] - torch.logsumexp(logits[:, others], dim=-1)

    def to_dict(self) -> dict:
        return {"class": self.name, "position": self.position, "explained": self.describe, "unit": self.unit}


def choose_target(task: str, classes: tuple[str, ...], logits: torch.Tensor, length: int,
                  target: str | None = None, position: int | None = None) -> Target:
    """The target asked for, or the default one, checked against the model; `logits` are the wild type's."""
    if task == "residue":
        position = _position(position, length)
        logits = logits[:, position - 1]
    elif position is not None:
        raise ProtScopeError(f"a position ({position}) was given, but this {task} model makes one prediction "
                             "per protein", where="position", fix="leave out the position")
    if task == "regression":
        if target not in (None, ""):
            raise ProtScopeError(f"a regression model has one output, not a class '{target}'", where="target",
                                 fix="leave out the target")
        return Target(task, -1, "", None)
    if target in (None, ""):
        index = _default_index(task, logits)
    elif str(target) in classes:
        index = classes.index(str(target))
    else:
        kind = "label" if task == "multilabel" else "class"
        raise ProtScopeError(f"this model has no {kind} '{target}'", where="target",
                             fix=f"choose one of: {list_some(classes, 12)}")
    return Target(task, index, classes[index], position)


def _position(position, length: int) -> int:
    if position is None:
        raise ProtScopeError("a per-residue model makes one prediction per residue, and none was chosen to explain",
                             where="position", fix=f"give the position of a residue, from 1 to {length}")
    if isinstance(position, bool) or not isinstance(position, int) or not 1 <= position <= length:
        raise ProtScopeError(f"position {position!r} is not a residue of this {length}-residue sequence",
                             where="position", fix=f"give a whole number from 1 to {length}")
    return position


def _default_index(task: str, logits: torch.Tensor) -> int:
    """Binary: the positive class; multi-label: the most probable label; else the predicted class."""
    if task == "binary":
        return 1
    return int(logits[0].argmax())  # the largest logit: the most probable class, or label (sigmoids rise with z)


def prediction(task: str, classes: tuple[str, ...], logits: torch.Tensor, position: int | None) -> dict:
    """The model's prediction for one sequence, as Predict shows it: {"label" or "value", "probabilities"}."""
    if position is not None:
        logits = logits[:, position - 1]
    outputs = to_outputs(logits, task)[0].detach().cpu().numpy()  # (k,) probabilities, or a value
    if task == "regression":
        return {"value": float(outputs)}
    probabilities = {c: float(p) for c, p in zip(classes, outputs)}
    if task == "multilabel":  # every label at P >= 0.5, written as Predict writes them
        return {"label": label_text(outputs[None] >= THRESHOLD, classes)[0], "probabilities": probabilities}
    return {"label": classes[int(outputs.argmax())], "probabilities": probabilities}


def prediction_text(found: dict) -> str:
    """'soluble (P = 0.83)', 'membrane;enzyme', or 'value 2.31'."""
    if "value" in found:
        return f"value {found['value']:.4g}"
    p = found["probabilities"].get(found["label"])
    return found["label"] if p is None else f"{found['label']} (P = {p:.2f})"
