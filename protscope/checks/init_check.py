"""Loss at initialisation (Karpathy's "verify loss @ init"), on exactly the configured model and loss.

Before any training the model knows nothing, so it should score about what a blind guess scores:
the configured loss of all-zero outputs (ln k for k classes with cross-entropy, ln 2 for BCE, also per
label of a multi-label task, less with focal loss; for regression, predicting 0). Far more means its
outputs start confidently wrong, and the first epochs go into undoing that instead of learning.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from protscope.checks.tools import (
    Progress,
    check_steps,
    loss_of,
    mean_outputs,
    new_batches,
    outputs_of,
    report,
    zero_outputs,
)
from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split
from protscope.serialise import clean_json
from protscope.train.prepare import Prepared, prepare

INIT_BATCHES = 4
# The tolerance is what random outputs of this size score with the configured loss: logits of RMS 2
# (two-class probabilities mostly between 0.12 and 0.88), or for regression values spread twice as
# widely as the targets. Every model in the registry, on every task and loss, and every preset
# starts with outputs of RMS 0.01-0.7 (0.8-1.8 times a blind guess's loss, the most with focal loss,
# which magnifies small logits); with its head scaled x100 each starts at RMS 4-70 and 2.4-600 times.
NOISE_SCALE = 2.0
FAR_TARGETS = 10.0  # predicting 0 scores 10x worse than predicting the mean: |mean| > 3 SD of the targets


@dataclass(frozen=True)
class InitResult:
    passed: bool
    verdict: str  # passed, too_high, too_low, targets_far or stopped
    message: str
    initial_loss: float  # the untrained model (eval mode, no gradients)
    expected_loss: float  # the configured loss of all-zero outputs (uniform guess; predicting 0)
    limit_loss: float  # the configured loss of random outputs of NOISE_SCALE: the most that passes
    tolerance: float  # limit_loss - expected_loss; initial_loss may differ from expected_loss by this
    mean_loss: float  # regression: predicting the targets' mean; nan for classification
    ratio: float  # initial_loss / expected_loss
    output_rms: float  # typical size of the initial outputs (root mean square; 0 is a blind guess)
    batches: int
    predictions: int
    losses: tuple[float, ...]  # per batch

    def to_dict(self) -> dict:
        return clean_json(asdict(self))


@torch.no_grad()
def init_loss_check(config: RunConfig, data: ProteinData, split: Split, *, steps: int = INIT_BATCHES,
                    progress: Progress = None, should_stop: Callable[[], bool] = lambda: False) -> InitResult:
    """The untrained model's loss on `steps` training batches, against a blind guess's."""
    check_steps(steps)
    p = prepare(config, data, split)
    batches, outputs, targets, losses = new_batches(p, data), [], [], []
    for i in range(steps):
        if should_stop():
            break
        out, target = outputs_of(p, next(batches))
        outputs.append(out)
        targets.append(target)
        losses.append(loss_of(p, out, target))
        report(progress, (i + 1) / steps)
    if len(outputs) < steps:
        nan = float("nan")
        return InitResult(False, "stopped", f"Stopped after {len(outputs)} of {steps} batches, before the check "
                          "could finish.", nan, nan, nan, nan, nan, nan, nan, len(outputs), 0, tuple(losses))
    out, target = torch.cat(outputs), torch.cat(targets)  # (N, out) and (N,) over all the batches
    regression = p.config.data.task == "regression"
    initial, expected = loss_of(p, out, target), loss_of(p, zero_outputs(out), target)
    limit = loss_of(p, random_outputs(out, target, regression), target)
    tolerance = max(limit - expected, 1e-6)
    mean = loss_of(p, mean_outputs(p, out, target), target) if regression else float("nan")
    verdict = ("targets_far" if regression and expected > FAR_TARGETS * mean
               else "too_high" if not initial <= expected + tolerance
               else "too_low" if initial < expected - tolerance else "passed")
    facts = dict(initial_loss=initial, expected_loss=expected, limit_loss=limit, tolerance=tolerance, mean_loss=mean,
                 ratio=initial / expected if expected > 0 else math.inf,
                 output_rms=float(out.square().mean().sqrt()), batches=len(outputs), predictions=len(target),
                 losses=tuple(losses))
    report(progress, 1.0)
    return InitResult(verdict == "passed", verdict, _message(verdict, facts, p, target), **facts)


def random_outputs(outputs: torch.Tensor, target: torch.Tensor, regression: bool) -> torch.Tensor:
    """Noise shaped like `outputs` (same seed every time): logits of RMS NOISE_SCALE, or values
    NOISE_SCALE times as spread as the targets."""
    generator = torch.Generator(device=outputs.device)
    generator.manual_seed(0)
    noise = torch.randn(outputs.shape, generator=generator, device=outputs.device)
    scale = float(target.float().std()) if regression and target.numel() > 1 else 1.0
    return noise * NOISE_SCALE * scale


def _message(verdict: str, f: dict, p: Prepared, target: torch.Tensor) -> str:
    regression = p.config.data.task == "regression"
    got = f"The untrained model's loss is {f['initial_loss']:.3g}"
    guess = ("predicting 0 for every protein" if regression else "a 50 % guess for every label (ln 2 per label; "
             "more with pos_weight)" if p.config.data.task == "multilabel" else "a uniform guess over the classes")
    expected = f"{guess} scores {f['expected_loss']:.3g}"
    y = target.float()
    if verdict == "passed":
        return (f"{got}, close to what {expected}, as it should be before training (anything up to "
                f"{f['limit_loss']:.3g} is fine). The model starts without strong opinions, so its first steps "
                "go into learning.")
    if verdict == "too_low":
        return (f"{got}, far below what {expected}. An untrained model should not beat a blind guess: check "
                "that it is really untrained, and that the labels cannot be read from the inputs.")
    if verdict == "targets_far":
        return (f"{got}; {expected}, while predicting their mean would score {f['mean_loss']:.3g}. The targets "
                f"(mean {float(y.mean()):.3g}, SD {float(y.std()):.3g}) are far from where the untrained model's "
                "outputs start (near 0), so the first part of training only shifts the outputs. Consider "
                "standardising the targets (subtract their mean, divide by their SD).")
    if regression:
        return (f"{got}, {f['ratio']:.1f} times what {expected} (up to {f['limit_loss']:.3g} would be fine). The "
                f"untrained outputs (RMS {f['output_rms']:.3g}) are far more spread than the targets (SD "
                f"{float(y.std()):.3g}): the targets are on a much smaller scale than the model's outputs. "
                "Consider standardising the targets, or check the output layer's initialisation.")
    return (f"{got}, {f['ratio']:.1f} times what {expected} (up to {f['limit_loss']:.3g} would be fine). The "
            f"outputs start far too confident: their logits have an RMS of {f['output_rms']:.3g}, where below 1 "
            "is normal. Check the output layer and the weight initialisation: a confidently wrong start wastes "
            "the first epochs undoing it.")
