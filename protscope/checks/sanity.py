"""The course's sanity checks, run on exactly the configured model, loss and optimizer, and a way
to run any of them in the background with progress.

- Loss at initialisation (protscope/checks/init_check.py): before training, the model should score what a
  blind guess scores (ln k for k classes); far more means its outputs start confidently wrong.
- Overfit one batch: a model that can learn should fit a single batch almost perfectly. If it
  cannot, something is wrong before any question of generalisation: the learning rate, the
  labels, or a model too small.
- LR range test (protscope/checks/lr_finder.py): where the loss falls fastest as the learning rate rises.

Each check returns a frozen result with a verdict and a plain-words message; `start_check` runs
one in a daemon thread that the caller polls (`progress`, `done`, `result`, `error`).
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import torch

from protscope.background import Background, in_background
from protscope.checks.init_check import InitResult, init_loss_check
from protscope.checks.lr_finder import LRTestResult, lr_range_test
from protscope.checks.tools import (
    Progress,
    chance_loss,
    check_steps,
    fit_of,
    floor_loss,
    grad_scaler,
    loss_of,
    outputs_of,
    report,
    smooth,
    smoothing_beta,
    train_step,
    typical_batch,
)
from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split
from protscope.serialise import clean_json
from protscope.train.prepare import prepare

__all__ = ["CHECKS", "CheckTask", "InitResult", "LRTestResult", "OverfitResult", "init_loss_check",
           "lr_range_test", "overfit_one_batch", "start_check"]

OVERFIT_STEPS = 100
PASS_SHARE = 0.8  # a fit closes 80% of the gap from a blind guess to a perfect fit (loss <= 0.2 x chance),
PASS_ACCURACY = 0.95  # and gets 95% of the batch right (31 of 32 proteins),
PASS_R2 = 0.9  # or, for regression, explains 90% of the batch's variance
MOVED = 0.1  # less than 10% of the way from the starting loss to a perfect fit: the loss barely moved
STILL_FALLING = 0.15  # a quarter of the steps made more than 15% of the fall: not finished
SMALL_CHANGE = 0.01  # weights that changed by under 1% in all the steps were hardly updated
ROSE = 2.0  # a smoothed loss above twice its start: the updates overshoot


@dataclass(frozen=True)
class OverfitResult:
    losses: tuple[float, ...]  # raw training-mode loss of each step (dropout on)
    smoothed: tuple[float, ...]
    passed: bool
    verdict: str  # passed, too_slow, stuck, diverged, plateau or stopped
    message: str
    lr: float
    steps: int
    proteins: int
    initial_loss: float  # on the batch, eval mode (dropout off), before training
    final_loss: float  # the same after training
    chance_loss: float  # a blind guess on the batch (ln k; the batch variance for MSE)
    floor_loss: float  # a perfect fit (0 unless label smoothing)
    batch_accuracy: float  # nan for regression
    batch_r2: float  # nan for classification
    weight_change: float  # |w_end - w_start| / |w_start|

    def to_dict(self) -> dict:
        return clean_json(asdict(self))


# --- overfit one batch --------------------------------------------------------------------------

def overfit_one_batch(config: RunConfig, data: ProteinData, split: Split, *, steps: int = OVERFIT_STEPS,
                      progress: Progress = None, should_stop: Callable[[], bool] = lambda: False) -> OverfitResult:
    """Train on one fixed training batch for `steps` steps at the configured rate, then judge the fit
    in eval mode (dropout off) against the loss at the start, a blind guess and a perfect fit."""
    check_steps(steps)
    p = prepare(config, data, split)
    batch = typical_batch(p, data)
    outputs, target = outputs_of(p, batch)
    chance, floor = chance_loss(p, outputs, target), floor_loss(p, outputs, target)
    initial = loss_of(p, outputs, target)
    before = torch.cat([w.detach().flatten() for w in p.params]).clone()
    scaler, losses = grad_scaler(p), []
    p.model.train()
    for step in range(steps):
        if should_stop():
            break
        losses.append(train_step(p, batch, scaler))
        if not math.isfinite(losses[-1]):
            break
        report(progress, (step + 1) / steps)
    outputs, target = outputs_of(p, batch)
    after = torch.cat([w.detach().flatten() for w in p.params])
    fit = fit_of(p.config.data.task, outputs, target)
    regression = p.config.data.task == "regression"
    facts = dict(losses=tuple(losses), smoothed=tuple(map(float, smooth(losses, smoothing_beta(steps)))),
                 lr=p.config.optimizer.lr, steps=len(losses), proteins=batch.size, initial_loss=initial,
                 final_loss=loss_of(p, outputs, target), chance_loss=chance, floor_loss=floor,
                 batch_accuracy=float("nan") if regression else fit, batch_r2=fit if regression else float("nan"),
                 weight_change=float((after - before).norm() / before.norm().clamp_min(1e-12)))
    verdict = "stopped" if len(losses) < steps and should_stop() else _overfit_verdict(facts, fit, regression)
    report(progress, 1.0)
    return OverfitResult(passed=verdict == "passed", verdict=verdict,
                         message=_overfit_message(verdict, facts, p.config), **facts)


def _overfit_verdict(f: dict, fit: float, regression: bool) -> str:
    smoothed, initial, final = f["smoothed"], f["initial_loss"], f["final_loss"]
    if not all(map(math.isfinite, f["losses"])) or not math.isfinite(final):
        return "diverged"
    if _rose(f) or final > initial * (1 + MOVED):  # even if it fits in the end, real training would be unsteady
        return "diverged"
    if _fitted(f, fit, regression):
        return "passed"
    late = smoothed[3 * len(smoothed) // 4] - smoothed[-1]
    still_falling = late > STILL_FALLING * (smoothed[0] - smoothed[-1])
    if initial - final < MOVED * max(initial - f["floor_loss"], 1e-12):
        return "too_slow" if f["weight_change"] < SMALL_CHANGE or still_falling else "stuck"
    return "too_slow" if still_falling else "plateau"


def _rose(f: dict) -> bool:
    return max(f["smoothed"]) > ROSE * max(f["smoothed"][0], f["initial_loss"])


def _fitted(f: dict, fit: float, regression: bool) -> bool:
    learned = (f["chance_loss"] - f["final_loss"]) / max(f["chance_loss"] - f["floor_loss"], 1e-12)
    return learned >= PASS_SHARE and fit >= (PASS_R2 if regression else PASS_ACCURACY)


def _overfit_message(verdict: str, f: dict, config: RunConfig) -> str:
    lr, n, steps = f["lr"], f["proteins"], f["steps"]
    went = f"the loss went from {f['initial_loss']:.3g} to {f['final_loss']:.3g}"
    score = (f"R² {f['batch_r2']:.2f} on the batch" if math.isnan(f["batch_accuracy"])
             else f"{f['batch_accuracy']:.0%} of the batch's protein-label decisions right"
             if config.data.task == "multilabel" else f"{f['batch_accuracy']:.0%} of the batch right")
    if verdict == "stopped":
        return f"Stopped after {steps} steps, before the check could finish."
    if verdict == "passed":
        return (f"It can learn: on one batch of {n} proteins {went} in {steps} steps (a blind guess scores "
                f"{f['chance_loss']:.3g}), and the model now gets {score}.")
    if verdict == "diverged":
        finite = [x for x in f["losses"] if math.isfinite(x)]
        rose = (f"the loss became {'NaN' if math.isnan(f['losses'][-1]) else 'infinite'} at step {steps}"
                if len(finite) < len(f["losses"]) else f"the loss jumped to {max(finite):.3g}")
        anyway = (f" It ended up fitting the batch ({score}), but training on all the data at this rate would "
                  "be unsteady." if len(finite) == len(f["losses"]) and f["final_loss"] < f["initial_loss"] else "")
        return (f"Training blew up at lr {lr:g}: while fitting one batch {rose} (from {f['initial_loss']:.3g})."
                f"{anyway} The learning rate is too high for this model: try 10 times lower ({lr / 10:g}), or add "
                "gradient clipping (grad_clip 1.0).")
    if verdict == "too_slow" and f["weight_change"] < SMALL_CHANGE:
        return (f"It barely learned: at lr {lr:g} {went} in {steps} steps on one batch, and the weights changed "
                f"by only {f['weight_change']:.2%}. The learning rate is too low for this model: try 10 to 100 "
                "times higher, or run Find learning rate.")
    if verdict == "too_slow":
        return (f"Not there yet: at lr {lr:g} {went} in {steps} steps and was still falling at the end "
                f"({score}). The learning rate is probably too low: try a higher one, or run the check with "
                "more steps.")
    if verdict == "stuck":
        return (f"The loss hardly moved ({went}) although the weights changed by {f['weight_change']:.0%}: the "
                f"updates are too big to settle (lr {lr:g} may be too high: try 10 times lower), or the "
                "model's output does not depend on its input.")
    m = config.model
    return (f"It fitted only part of one batch: {went}, then stopped improving well above a perfect fit "
            f"({score}; a blind guess scores {f['chance_loss']:.3g}). A model that can learn should memorise "
            f"{n} proteins. It may be too small or too regularised (dropout {m.dropout:g}, weight decay "
            f"{config.optimizer.weight_decay:g}), or the labels may be inconsistent (similar or identical "
            "sequences with different labels).")


# --- background runs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class CheckSpec:
    title: str
    help: str
    fn: Callable


CHECKS: dict[str, CheckSpec] = {
    "lr": CheckSpec("Find learning rate", "Raise the learning rate from 1e-7 to 10, one new batch per step, and "
                    "suggest the rate where the loss falls fastest.", lr_range_test),
    "overfit": CheckSpec("Overfit one batch", "Train on one batch only: a model that can learn should fit it "
                         "almost perfectly at its own learning rate.", overfit_one_batch),
    "init": CheckSpec("Loss at initialisation", "Compare the untrained model's loss with a blind guess's: they "
                      "should match before training starts.", init_loss_check),
}


class CheckTask(Background):
    """One check running in a daemon thread (protscope/background.py): `progress`, `done`, `result` and `error`
    from any thread; `stop()` asks the check to end early. Nothing is ever raised into the caller."""

    def __init__(self, kind: str):
        super().__init__(failed="the check failed")
        self.kind = kind


def start_check(kind: str, config: RunConfig, data: ProteinData, split: Split, **options) -> CheckTask:
    """Start check `kind` (a key of CHECKS) in a daemon thread and return at once."""
    task = CheckTask(kind)
    if kind not in CHECKS:
        task.fail(f"there is no check '{kind}'. Fix: choose one of: {', '.join(CHECKS)}")
        return task
    return in_background(CHECKS[kind].fn, config, data, split, task=task, name=f"check-{kind}",
                         should_stop=task.stop_requested, **options)
