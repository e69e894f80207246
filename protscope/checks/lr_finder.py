"""The learning-rate range test (Smith 2017; fastai's `lr_find`), run on the configured model.

The learning rate rises exponentially, one training step per new batch, while the loss is recorded
raw and smoothed. The loss stays flat while the rate is too small to matter, falls, then blows up.
The suggestion is the rate where the smoothed loss falls fastest per decade, looking only after
the smoothing's warm-up and before the lowest point (fastai's `steep`). When there is no descent
that stands out from the batch-to-batch noise, the test says so instead of suggesting a value.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np
import torch

from protscope.checks.tools import (
    Progress,
    chance_loss,
    check_steps,
    ema_delay,
    grad_scaler,
    new_batches,
    noise_sd,
    report,
    smooth,
    smoothing_beta,
    train_step,
)
from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split
from protscope.errors import ProtScopeError
from protscope.serialise import clean_json
from protscope.train.prepare import Prepared, prepare, train_labels

START, END, STEPS = 1e-7, 10.0, 100
DIVERGED = 4.0  # stop once the smoothed loss exceeds this many times its lowest value (fastai's rule)
# A descent counts when the lowest smoothed loss sits below the starting level by more than both:
NOISE_SDS = 4.0  # this many SDs of the (smoothed-curve) noise, calibrated on pure-noise curves, and
CHANCE_SHARE = 0.05  # this share of the loss of a blind guess (0.035 for two classes)


@dataclass(frozen=True)
class Reading:
    """What a range-test curve says: a suggestion, or why there is none."""

    suggestion: float  # nan when inconclusive
    why: str  # "" when a value is suggested; else too_short, no_descent or falling_at_start
    start_loss: float  # mean raw loss over the smoothing's warm-up
    min_loss: float  # lowest smoothed loss after the warm-up
    min_lr: float  # the learning rate at that lowest point
    noise: float  # SD of the raw batch losses about their trend
    needed_drop: float  # how far below start_loss the lowest point had to be


@dataclass(frozen=True)
class LRTestResult:
    lrs: tuple[float, ...]
    losses: tuple[float, ...]  # smoothed: bias-corrected EMA of `raw`
    raw: tuple[float, ...]  # the loss of each step's batch, before its update
    suggestion: float  # nan when inconclusive
    inconclusive: bool
    verdict: str  # suggested, inconclusive or stopped
    message: str
    beta: float
    start_loss: float
    min_loss: float
    min_lr: float
    noise: float
    needed_drop: float
    chance_loss: float
    diverged_at: float  # the learning rate at which the loss blew up (nan if it never did)
    steps_planned: int

    @property
    def passed(self) -> bool:
        return not self.inconclusive

    @property
    def smoothed(self) -> tuple[float, ...]:
        return self.losses

    def to_dict(self) -> dict:
        return clean_json({**asdict(self), "passed": self.passed})


def warmup_steps(beta: float) -> int:
    """Steps before the bias-corrected EMA averages as many batches as it will (two time constants)."""
    return 2 * round(1 / (1 - beta))


def read_curve(lrs, raw, beta: float | None = None, chance: float | None = None) -> Reading:
    """Read a range-test curve: `raw` losses at rising `lrs`. `chance` is a blind guess's loss."""
    lrs, raw = np.asarray(lrs, dtype=float), np.asarray(raw, dtype=float)
    beta = smoothing_beta(len(raw)) if beta is None else beta
    warm, nan = warmup_steps(beta), float("nan")
    if len(raw) < warm + 3:
        start = float(raw.mean()) if len(raw) else nan
        return Reading(nan, "too_short", start, nan, nan, noise_sd(raw), nan)
    smoothed = smooth(raw, beta)
    start = float(raw[:warm].mean())
    lowest = warm + int(np.argmin(smoothed[warm:]))
    noise = noise_sd(raw[:lowest + 1])  # the noise where the descent is judged, not the blow-up's
    # The smoothed curve's own noise, plus the uncertainty of the starting level.
    needed = NOISE_SDS * noise * math.sqrt((1 - beta) / (1 + beta)) + 2 * noise / math.sqrt(warm)
    needed = max(needed, CHANCE_SHARE * chance if chance and math.isfinite(chance) else 0.0)
    facts = dict(start_loss=start, min_loss=float(smoothed[lowest]), min_lr=float(lrs[lowest]), noise=noise,
                 needed_drop=needed)
    if not start - smoothed[lowest] > needed or lowest < warm + 2:
        return Reading(nan, "no_descent", **facts)
    slopes = np.gradient(smoothed, np.log10(lrs))
    steepest = warm + int(np.argmin(slopes[warm:lowest + 1]))
    if steepest <= warm + 1:
        return Reading(nan, "falling_at_start", **facts)
    # The EMA at step i mostly reflects batches ema_delay steps earlier: read the rate there.
    return Reading(float(lrs[max(steepest - ema_delay(beta), 1)]), "", **facts)


def suggest(lrs, raw, beta: float | None = None, chance: float | None = None) -> float:
    """The suggested learning rate of a curve, or nan when it shows no clear descent."""
    return read_curve(lrs, raw, beta, chance).suggestion


def lr_range_test(config: RunConfig, data: ProteinData, split: Split, *, start: float = START, end: float = END,
                  steps: int = STEPS, progress: Progress = None,
                  should_stop: Callable[[], bool] = lambda: False) -> LRTestResult:
    check_steps(steps, least=2)
    if not 0 < start < end:
        raise ProtScopeError(f"the learning rates run from {start:g} to {end:g}",
                             fix="give a start above 0 and below the end, e.g. 1e-7 to 10")
    p = prepare(config, data, split)
    lrs = np.geomspace(start, end, steps)
    beta, warm = smoothing_beta(steps), warmup_steps(smoothing_beta(steps))
    base = [(group, group["lr"] / p.config.optimizer.lr) for group in p.optimizer.param_groups]
    batches, scaler = new_batches(p, data), grad_scaler(p)
    raw, average, lowest, diverged_at, stopped = [], 0.0, math.inf, float("nan"), False
    p.model.train()
    for i, lr in enumerate(lrs):
        if should_stop():
            stopped = True
            break
        for group, ratio in base:
            group["lr"] = float(lr) * ratio
        loss = train_step(p, next(batches), scaler)
        if not math.isfinite(loss):
            diverged_at = float(lr)
            break
        raw.append(loss)
        average = beta * average + (1 - beta) * loss
        value = average / (1 - beta ** (i + 1))
        if i >= warm:  # earlier, the average holds too few batches to be a fair "lowest"
            lowest = min(lowest, value)
            if value > DIVERGED * lowest:
                diverged_at = float(lr)
                break
        report(progress, (i + 1) / steps)
    chance = training_chance(p, data)
    reading = read_curve(lrs[:len(raw)], raw, beta, chance)
    verdict = "stopped" if stopped else "suggested" if reading.why == "" else "inconclusive"
    message = _message(verdict, reading, len(raw), steps, diverged_at, chance, p.config.optimizer.lr, start)
    report(progress, 1.0)
    suggestion = reading.suggestion if verdict == "suggested" else float("nan")
    return LRTestResult(tuple(map(float, lrs[:len(raw)])), tuple(map(float, smooth(raw, beta))),
                        tuple(raw), suggestion, verdict != "suggested", verdict, message, beta,
                        reading.start_loss, reading.min_loss, reading.min_lr, reading.noise, reading.needed_drop,
                        chance, diverged_at, steps)


def training_chance(p: Prepared, data: ProteinData, limit: int = 100_000) -> float:
    """A blind guess's loss on (up to `limit` of) the training targets."""
    rows = p.rows["train"]
    labels = data.y[rows] if data.task != "residue" else train_labels(data, rows)
    labels = labels[::max(1, len(labels) // limit)]
    target = torch.as_tensor(np.ascontiguousarray(labels), device=p.device)
    outputs = torch.zeros(len(target), p.dims.out_features, device=p.device)
    return chance_loss(p, outputs, target)


def _message(verdict: str, r: Reading, done: int, steps: int, diverged_at: float, chance: float, lr: float,
             first_lr: float) -> str:
    blew_up = f"; it blew up at lr {diverged_at:.1e}" if math.isfinite(diverged_at) else ""
    if verdict == "stopped":
        return f"Stopped after {done} of {steps} steps, before the curve could be read."
    if verdict == "suggested":
        return (f"The loss fell fastest around lr = {r.suggestion:.1e} (smoothed loss {r.start_loss:.3g} at the "
                f"start, lowest {r.min_loss:.3g} at lr {r.min_lr:.1e}{blew_up}). Train near that rate, or up to "
                "3 times lower to be safe.")
    if r.why == "too_short":
        return (f"No suggestion: the loss blew up after only {done} steps (at lr {diverged_at:.1e}), before the "
                "curve could be read. Check the data and the loss, or add gradient clipping."
                if math.isfinite(diverged_at) else f"No suggestion: {done} steps are too few to read the curve; "
                "run the test with more steps.")
    if r.why == "falling_at_start":
        return (f"No suggestion: the loss was already falling fastest at the lowest rates tried (from "
                f"{first_lr:.0e}), so the best rate may be lower than the test went. Run it again from a lower "
                "starting rate.")
    fell = r.start_loss - r.min_loss
    bar = (f"the batch-to-batch noise (±{r.noise:.2g}) alone makes dips of {r.needed_drop:.2g}"
           if not math.isfinite(chance) or r.needed_drop > CHANCE_SHARE * chance else
           f"that is under {CHANCE_SHARE:.0%} of what a blind guess scores ({chance:.3g})")
    return (f"No clear learning rate: over {done} batches the smoothed loss went from {r.start_loss:.3g} to at "
            f"best {r.min_loss:.3g}, a fall of {max(fell, 0):.2g}, and {bar}{blew_up}. The model learned too little "
            f"in this many batches for the test to tell rates apart, which is common on hard tasks such as "
            f"solubility. Keep your learning rate ({lr:g}) and judge it from the training curves (more steps rarely "
            "help: on eSOL's CNN 300 were no clearer than 100). If the loss does not fall in training either, "
            "check that the labels belong to the sequences.")
