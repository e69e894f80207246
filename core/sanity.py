"""The course's two sanity checks, run on the configured model, loss and optimizer.

- Overfit one batch: a model that can learn should drive the loss near zero on a single batch.
  If it cannot, something is wrong before any question of generalisation: the learning rate, the
  labels, or a model too small.
- LR range test (Smith 2017): raise the learning rate exponentially, batch by batch, and watch
  the loss. It falls, flattens, then explodes; a good learning rate sits where it falls fastest.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.batches import batch_indices, make_batch, select
from core.dataset import ProteinData
from core.prepare import prepare
from core.run_config import RunConfig
from core.splits import Split


@dataclass(frozen=True)
class OverfitResult:
    losses: tuple[float, ...]
    passed: bool
    message: str


@dataclass(frozen=True)
class LRTestResult:
    lrs: tuple[float, ...]
    losses: tuple[float, ...]  # smoothed (bias-corrected exponential moving average)
    suggestion: float
    message: str


def _train_step(p, batch) -> float:
    chosen, target = select(p.model(batch.x, batch.mask), batch)
    loss = p.loss_fn(chosen, target)
    loss.backward()
    p.optimizer.step()
    p.optimizer.zero_grad(set_to_none=True)
    return float(loss.detach())


def overfit_one_batch(config: RunConfig, data: ProteinData, split: Split, steps: int = 100,
                      should_stop=lambda: False) -> OverfitResult:
    p = prepare(config, data, split)
    rows = batch_indices(data.lengths, p.rows["train"], config.training.batch_size, p.rng, False)[0]
    batch = make_batch(p.dd, rows, p.config.encoding)
    p.model.train()
    losses = []
    for _ in range(steps):
        if should_stop():
            break
        losses.append(_train_step(p, batch))
        if not np.isfinite(losses[-1]):
            break
    first, last = losses[0], losses[-1]
    passed = bool(np.isfinite(last) and (last <= 0.1 * first or last < 0.01))
    if passed:
        message = (f"It can learn: the loss fell from {first:.3g} to {last:.3g} on one batch of {len(rows)} "
                   f"proteins in {len(losses)} steps.")
    elif not np.isfinite(last):
        message = f"The loss became {last} while fitting one batch: the learning rate is too high."
    else:
        message = (f"It could not fit one batch: the loss only went from {first:.3g} to {last:.3g} in "
                   f"{len(losses)} steps. Try a higher learning rate, less dropout or a bigger model, and "
                   "check that the labels belong to the sequences.")
    return OverfitResult(tuple(losses), passed, message)


def lr_range_test(config: RunConfig, data: ProteinData, split: Split, start: float = 1e-6, end: float = 1.0,
                  steps: int = 100, should_stop=lambda: False) -> LRTestResult:
    p = prepare(config, data, split)
    order = batch_indices(data.lengths, p.rows["train"], config.training.batch_size, p.rng, True)
    lrs = start * (end / start) ** (np.arange(steps) / max(steps - 1, 1))
    p.model.train()
    smoothed, tried, average, best = [], [], 0.0, float("inf")
    for i, lr in enumerate(lrs):
        if should_stop():
            break
        for group in p.optimizer.param_groups:
            group["lr"] = float(lr)
        loss = _train_step(p, make_batch(p.dd, order[i % len(order)], p.config.encoding))
        if not np.isfinite(loss):
            break
        average = 0.98 * average + 0.02 * loss
        value = average / (1 - 0.98 ** (i + 1))  # bias-corrected
        tried.append(float(lr))
        smoothed.append(value)
        best = min(best, value)
        if value > 4 * best and i > 10:
            break  # exploded: the rest says nothing new
    suggestion = suggest(np.array(tried), np.array(smoothed))
    message = (f"The loss fell fastest around lr = {suggestion:.2g}; start near there (or a little lower)."
               if np.isfinite(suggestion) else "The loss never fell: check the data, the model and the loss.")
    return LRTestResult(tuple(tried), tuple(smoothed), suggestion, message)


def suggest(lrs: np.ndarray, losses: np.ndarray) -> float:
    """The learning rate where the smoothed loss falls fastest (steepest negative slope in log lr),
    looking only before the loss's minimum."""
    if lrs.size < 5:
        return float("nan")
    stop = int(np.argmin(losses)) + 1
    if stop < 3:
        return float("nan")
    slopes = np.gradient(losses[:stop], np.log10(lrs[:stop]))
    return float(lrs[int(np.argmin(slopes))])
