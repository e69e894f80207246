"""Reading finished lesson runs: the numbers every lesson's paragraph is made of (pure functions).

Runs that did not finish are left out of the numbers and named in the paragraph, never dropped silently.
A difference between settings is called one only when it is larger than the seeds' own spread.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from protscope.lessons.lesson import LessonRun

FINISHED = ("completed", "early_stopped")
SETTLED = 0.05  # "settled": the first epoch within 5 % of the run's best validation loss
FALLING = 0.01  # "still falling": validation loss fell by more than 1 % over the last epochs
RECENT = 3  # ... over this many epochs


def usable(runs: Iterable[LessonRun]) -> list[LessonRun]:
    return [r for r in runs if r.status in FINISHED and r.history]


def left_out(runs: list[LessonRun]) -> str:
    """A sentence naming the runs that did not finish ("" when all did)."""
    bad = [r for r in runs if r not in usable(runs)]
    if not bad:
        return ""
    named = "; ".join(f"{r.label or 'the run'}: {r.status}" for r in bad[:4]) + ("; …" if len(bad) > 4 else "")
    return f"{len(bad)} of {len(runs)} runs did not finish ({named}), so the numbers below leave them out. "


def grouped(runs: list[LessonRun], key: str) -> dict:
    """{value of `key`: its usable runs}, in the order the values first appear."""
    out: dict = {}
    for run in usable(runs):
        out.setdefault(run.values.get(key), []).append(run)
    return out


def curve(run: LessonRun, key: str = "val_loss") -> list[float]:
    """`key` per epoch (nan where missing or not finite)."""
    return [_number(row.get(key)) for row in run.history]


def best(run: LessonRun, key: str = "val_loss", higher: bool = False) -> tuple[float, int]:
    """(best finite value of `key`, its epoch); (nan, 0) if none."""
    values = [(v, row.get("epoch", i + 1)) for i, (v, row) in enumerate(zip(curve(run, key), run.history))
              if math.isfinite(v)]
    if not values:
        return math.nan, 0
    return (max if higher else min)(values, key=lambda p: p[0])


def last(run: LessonRun, key: str) -> float:
    finite = [v for v in curve(run, key) if math.isfinite(v)]
    return finite[-1] if finite else math.nan


def metric(run: LessonRun, name: str, split: str = "val") -> float:
    return _number((run.metrics.get(split) or {}).get(name))


def settled_epoch(run: LessonRun, key: str = "val_loss") -> int:
    """The first epoch whose `key` is within SETTLED of the run's best: how fast it got there."""
    lowest, _ = best(run, key)
    for value, row in zip(curve(run, key), run.history):
        if math.isfinite(value) and value <= lowest + SETTLED * abs(lowest):
            return int(row.get("epoch", 0))
    return 0


def still_falling(run: LessonRun, key: str = "val_loss") -> bool:
    values = [v for v in curve(run, key) if math.isfinite(v)]
    if len(values) <= RECENT:
        return False
    before, now = values[-1 - RECENT], values[-1]
    return before - now > FALLING * abs(before)


def mean_sd(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return math.nan, math.nan
    return float(np.mean(finite)), float(np.std(finite, ddof=1)) if len(finite) > 1 else math.nan


def spread(values: list[float], digits: int = 3) -> str:
    """"0.580 ± 0.010 over 3 seeds", or "0.580" for one value."""
    mean, sd = mean_sd(values)
    if not math.isfinite(mean):
        return "undefined"
    n = sum(1 for v in values if math.isfinite(v))
    missing = len(values) - n  # e.g. MCC of a run that predicted one class
    return (f"{mean:.{digits}f}" + (f" ± {sd:.{digits}f} over {n} seeds" if math.isfinite(sd) else "")
            + (f" ({missing} undefined)" if missing else ""))


def separated(a: list[float], b: list[float]) -> bool:
    """Are two settings' values further apart than their seeds' spread (means differ by more than the summed sd)?
    With one run each, any difference counts, and the paragraph says there was one seed."""
    (ma, sa), (mb, sb) = mean_sd(a), mean_sd(b)
    noise = (sa if math.isfinite(sa) else 0.0) + (sb if math.isfinite(sb) else 0.0)
    return abs(ma - mb) > noise


def name_of(value, key: str = "") -> str:
    """A setting's value as a paragraph names it: an optimizer's or loss's title, hidden sizes as 256x64."""
    if key in ("optimizer", "loss"):
        from protscope.modeling.losses import LOSSES
        from protscope.modeling.optim import OPTIMIZERS

        spec = (OPTIMIZERS if key == "optimizer" else LOSSES).get(value)
        return spec.title if spec is not None else str(value)
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def sentence(text: str) -> str:
    """The text with its first letter capitalised (str.capitalize would lower the rest: MCC, ReLU)."""
    return text[:1].upper() + text[1:]


def percent(share: float) -> str:
    return f"{100 * share:.0f} %" if math.isfinite(share) else "undefined"


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
