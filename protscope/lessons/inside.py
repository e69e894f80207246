"""The paragraphs of the lessons read from inside the network (layer statistics, docs/INTERNALS.md) and of
the two sanity-check lessons (the learning-rate finder, overfit one batch)."""
from __future__ import annotations

import math

from protscope.evaluation.layer_health import layer_warnings
from protscope.lessons.lesson import LessonRun
from protscope.lessons.reading import best, grouped, left_out, metric, name_of, percent, sentence
from protscope.lessons.summaries import NOTHING
from protscope.modeling.init import INITIALISERS

NOT_RECORDED = "its layer statistics were not recorded (training.layer_stats was off)"


def gradient_ratio(internals: dict | None) -> float:
    """How many times smaller the first layer's gradient (RMS per weight) is than the last layer's, at the latest
    record; nan when not recorded."""
    layers = (internals or {}).get("layers") or []
    records = (internals or {}).get("records") or []
    if len(layers) < 2 or not records:
        return math.nan
    rms = []
    for layer in (layers[0], layers[-1]):
        norm = records[-1]["layers"].get(layer["name"], {}).get("g_norm")
        rms.append(math.nan if norm is None else norm / math.sqrt(max(layer.get("parameters") or 1, 1)))
    return rms[1] / rms[0] if rms[0] > 0 else math.inf


def dead_shares(internals: dict | None) -> list[float]:
    """The dead share of each hidden layer with a ReLU-family activation, at the latest record."""
    records = (internals or {}).get("records") or []
    if not records:
        return []
    return [v["dead"] for v in records[-1]["layers"].values() if v.get("dead") is not None]


def vanishing(runs: list[LessonRun]) -> str:
    groups = grouped(runs, "activation")
    if not groups:
        return left_out(runs) + NOTHING
    parts = []
    for activation, group in groups.items():
        r = group[0]
        init = (r.config.get("model") or {}).get("init", "default")
        ratio = gradient_ratio(r.internals)
        grad = (NOT_RECORDED if math.isnan(ratio) else "its first layer's gradient was "
                + ("0" if math.isinf(ratio) else f"{ratio:,.0f}× smaller than the output layer's" if ratio >= 3 else
                   "about the size of the output layer's"))
        parts.append(f"with {activation} and {init} initialisation {grad}, and the best validation loss was "
                     f"{best(r)[0]:.3f} (MCC {_number(metric(r, 'mcc'))})")
    return left_out(runs) + (
        sentence("; ".join(parts)) + ". A blind guess scores a loss of 0.693 on two classes. The sigmoid's slope is "
        "at most 1/4, so every layer passes back at most a quarter of the gradient: six of them shrink it "
        "thousands of times, and the first layers barely learn. ReLU passes a gradient of 1 where it is active, "
        "and He initialisation keeps the signal's size from layer to layer.")


def dying_relu(runs: list[LessonRun]) -> str:
    groups = grouped(runs, "lr")
    if not groups:
        return left_out(runs) + NOTHING
    parts = []
    for lr, group in groups.items():
        r = group[0]
        dead = dead_shares(r.internals)
        deadness = (NOT_RECORDED if not dead else
                    f"{percent(sum(dead) / len(dead))} of the hidden units ended dead on average (the worst layer "
                    f"{percent(max(dead))})")
        parts.append(f"at learning rate {name_of(lr)}, {deadness}; best validation loss {best(r)[0]:.3f}")
    return left_out(runs) + (
        sentence("; ".join(parts)) + ". A dead ReLU outputs 0 for every protein, so no gradient reaches its "
        "weights and it never comes back: too large a first step pushes units there for good. Lower learning "
        "rates, leaky ReLU or He initialisation keep them alive (Layer health shows each layer's share).")


def zeros_init(runs: list[LessonRun]) -> str:
    groups = grouped(runs, "init")
    if not groups:
        return left_out(runs) + NOTHING
    parts = []
    for init, group in groups.items():
        r = group[0]
        if not (r.internals or {}).get("records"):
            same = NOT_RECORDED
        else:
            rules = {w.rule for w in layer_warnings(r.internals)}
            same = ("every hidden layer's units stayed identical to each other" if "symmetry" in rules else
                    "the units of each layer became different from one another")
        start = "all-zero weights" if init == "zeros" else f"{INITIALISERS[init].title} weights"
        parts.append(f"from {start} {same}; best validation loss {best(r)[0]:.3f}, MCC {_number(metric(r, 'mcc'))}")
    return left_out(runs) + (
        sentence("; ".join(parts)) + ". Units that start equal compute the same output and receive the same "
        "gradient, so they stay equal however long the network trains: a layer of 64 such units is worth one. "
        "Any random start breaks the symmetry.")


def lr_finder(result) -> str:
    """The learning-rate range test's reading, in a lesson's words."""
    if result.inconclusive:
        return f"The range test was inconclusive. {result.message}"
    blow = (f" and blew up at about {result.diverged_at:.1e}" if math.isfinite(result.diverged_at) else "")
    return (f"Raising the learning rate step by step from 1e-7, the smoothed loss fell fastest around "
            f"{result.suggestion:.1e} (the suggestion), was lowest at {result.min_lr:.1e}{blow}. Start a little "
            "below the steepest descent, not at the lowest point: there the loss is about to rise. "
            f"{result.message}")


def overfit(result) -> str:
    return (f"{result.message} A model that cannot fit 32 proteins it sees again and again has a bug or "
            "too low a learning rate; one that can is ready for the whole dataset.")


def _number(value: float) -> str:
    return "undefined" if not math.isfinite(value) else f"{value:.2f}"
