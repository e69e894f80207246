"""Per-residue attribution with Captum: Integrated Gradients and saliency, for any trained model and sequence.

Inputs. A model on a learned embedding (encoding `tokens`) is attributed at the embedding layer
(LayerIntegratedGradients), each position's score the sum over the embedding dimension. Every other model
is attributed at a one-hot (L, 21) rebuilt into its encoding differentiably (protscope.explain.onehot);
each position's score is read at its own residue's channel (with a zero baseline every other channel's
Integrated Gradients is exactly zero).

Baseline. All zeros: a one-hot with no residue anywhere, or for an embedding the padding token's vector,
which is zero (init.py keeps it so and it never gets a gradient). The sequence's length and the model's
mask stay as they are, so the baseline is "this many positions, no residue in any", and a score says how
much that residue, rather than nothing, moved the target.

Completeness. Integrated Gradients' scores add up to f(x) - f(baseline) for the function attributed (the
target's log-odds or value, protscope.explain.target). The gap is Captum's convergence delta; steps double
(64 up to 1,024) until it is within 5 % of f(x) - f(baseline), and the result says so when it never is.
Saliency is gradient x input (on a one-hot: the gradient at the residue's own channel), the one-step
approximation of the same integral; it need not add up to anything.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch

from protscope.errors import ProtScopeError, list_some
from protscope.explain.onehot import one_hot
from protscope.explain.subject import Explainable, as_explainable, sequence_for
from protscope.explain.target import Target, choose_target, prediction

METHODS = {
    "ig": "Integrated Gradients: the gradient averaged along the straight path from an all-zero input to the "
          "sequence, times the input; the scores add up to f(sequence) - f(baseline).",
    "saliency": "Saliency (gradient x input): how fast the target changes with each residue's own input, at the "
                "sequence itself. Quick, but local: it need not add up to the prediction.",
}
STEPS = 64  # Integrated Gradients' first number of steps (Gauss-Legendre points); doubled until complete
MAX_STEPS = 1024
TOLERANCE = 0.05  # completeness: |sum of scores - (f(x) - f(baseline))| within 5 % of f(x) - f(baseline)
STEP_RESIDUES = 16_384  # residues per forward pass of the path: L = 300 takes 54 path points at once


@dataclass(frozen=True)
class Attribution:
    """Per-residue scores for one sequence, in the target's units (log-odds or value)."""

    method: str  # "ig" or "saliency"
    sequence: str
    scores: np.ndarray  # (L,): each residue's share of f(x) - f(baseline) (IG), or gradient x input
    target: Target
    prediction: dict  # {"label", "probabilities"} or {"value"}
    score: float  # f(x): the target at the sequence
    baseline_score: float  # f(baseline): the target at the all-zero input
    delta: float  # Integrated Gradients' convergence delta, sum(scores) - (f(x) - f(baseline)); nan for saliency
    steps: int  # the path's steps (0 for saliency)
    notes: tuple[str, ...] = ()

    @property
    def relative_error(self) -> float:
        """|delta| as a share of |f(x) - f(baseline)| (nan for saliency)."""
        return abs(self.delta) / max(abs(self.score - self.baseline_score), 1e-12)

    def top(self, n: int = 10) -> list[tuple[int, str, float]]:
        """The n residues with the largest |score|: (1-based position, residue, score)."""
        order = np.argsort(-np.abs(self.scores), kind="stable")[:n]
        return [(int(i) + 1, self.sequence[i], float(self.scores[i])) for i in order]

    def to_dict(self) -> dict:
        return {"method": self.method, "sequence": self.sequence, "target": self.target.to_dict(),
                "prediction": self.prediction, "score": self.score, "baseline_score": self.baseline_score,
                "delta": self.delta, "steps": self.steps, "scores": self.scores.tolist(), "notes": list(self.notes)}


def attribute(model: Explainable | str, sequence: str, method: str = "ig", target: str | None = None,
              position: int | None = None, steps: int = STEPS, device: str = "cpu") -> Attribution:
    """Attribute the model's target for `sequence` to its residues; `model` is an Explainable or a checkpoint."""
    if method not in METHODS:
        raise ProtScopeError(f"there is no attribution method '{method}'", where="method",
                             fix=f"choose one of: {list_some(METHODS)}")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_STEPS:
        raise ProtScopeError(f"steps is {steps!r}", where="steps", fix=f"give a whole number from 2 to {MAX_STEPS}")
    model = as_explainable(model, device)
    seq = sequence_for(model, sequence)
    wild = model.logits(seq.tokens)
    chosen = choose_target(model.task, model.classes, wild, len(seq), target, position)
    run = _through_embedding if model.learned_embedding else _through_onehot
    with _gradients(model.device):
        scores, delta, used, baseline = run(model, seq.tokens, chosen, method, steps)
    score = float(chosen.score(wild)[0])
    notes = [*seq.notes, *_baseline_notes(model)]
    if method == "ig" and abs(delta) > TOLERANCE * abs(score - baseline) + 1e-6:
        notes.append(f"Integrated Gradients did not converge in {used:,} steps: the scores add up to "
                     f"{scores.sum():.4g}, not f(sequence) - f(baseline) = {score - baseline:.4g}; read them "
                     "as approximate")
    return Attribution(method, seq.text, scores, chosen, prediction(model.task, model.classes, wild, chosen.position),
                       score, baseline, delta, used, tuple(notes))


def _baseline_notes(model: Explainable) -> list[str]:
    embed = getattr(model.model, "embed", None) if model.learned_embedding else None
    if isinstance(embed, torch.nn.Embedding) and bool(embed.weight.detach()[0].any()):
        return ["the padding token's embedding is not zero in this model, so the baseline is that vector at "
                "every position rather than zeros"]
    return []


@contextlib.contextmanager
def _gradients(device: torch.device):
    # cuDNN's RNN backward runs only in training mode; the models are explained in eval mode (no dropout)
    with torch.enable_grad(), torch.backends.cudnn.flags(enabled=device.type != "cuda"):
        yield


def _through_onehot(model: Explainable, tokens: torch.Tensor, target: Target, method: str, steps: int):
    from captum.attr import IntegratedGradients, Saliency

    x = one_hot(tokens).requires_grad_()  # (1, L, 21)
    forward = lambda onehot: target.score(model.logits_of_onehot(onehot))  # noqa: E731
    baseline = torch.zeros_like(x)
    f_baseline = _value(forward, baseline)
    if method == "saliency":
        grads = Saliency(forward).attribute(x, abs=False)  # (1, L, 21)
        return _numpy((grads * x).sum(-1)), float("nan"), 0, f_baseline
    ig = IntegratedGradients(forward)
    return _integrate(lambda n: ig.attribute(x, baselines=baseline, n_steps=n, return_convergence_delta=True,
                                             internal_batch_size=_path_batch(x)),
                      lambda attributions: (attributions * x).sum(-1), steps) + (f_baseline,)


def _through_embedding(model: Explainable, tokens: torch.Tensor, target: Target, method: str, steps: int):
    from captum.attr import LayerGradientXActivation, LayerIntegratedGradients

    embed = getattr(model.model, "embed", None)
    if not isinstance(embed, torch.nn.Embedding):
        raise ProtScopeError(f"the '{model.config.model.name}' model reads tokens but has no embedding layer "
                             "to attribute at", where=model.source, fix="explain a model with another encoding")
    tokens = tokens.long()
    forward = lambda batch: target.score(model.logits_of_tokens(batch))  # noqa: E731
    baseline = torch.zeros_like(tokens)  # the padding token: its embedding row is zero
    f_baseline = _value(forward, baseline)
    if method == "saliency":
        return _numpy(LayerGradientXActivation(forward, embed).attribute(tokens).sum(-1)), float("nan"), 0, f_baseline
    ig = LayerIntegratedGradients(forward, embed)
    return _integrate(lambda n: ig.attribute(tokens, baselines=baseline, n_steps=n, return_convergence_delta=True,
                                             internal_batch_size=_path_batch(tokens)),
                      lambda attributions: attributions.sum(-1), steps) + (f_baseline,)


def _integrate(run, per_residue, steps: int) -> tuple[np.ndarray, float, int]:
    """(scores (L,), delta, steps used): steps doubled until the scores are complete, or MAX_STEPS."""
    while True:
        attributions, delta = run(steps)
        scores = _numpy(per_residue(attributions))
        delta = float(delta[0])
        total = float(scores.sum())
        if abs(delta) <= TOLERANCE * abs(total - delta) + 1e-6 or steps * 2 > MAX_STEPS:
            return scores, delta, steps
        steps *= 2


def _value(forward, x: torch.Tensor) -> float:
    with torch.no_grad():
        return float(forward(x)[0])


def _path_batch(x: torch.Tensor) -> int:
    return max(1, STEP_RESIDUES // x.shape[1])


def _numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach()[0].cpu().double().numpy()  # (L,)
