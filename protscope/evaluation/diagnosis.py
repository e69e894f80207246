"""Overfitting diagnosis: a pure function of the training history, in the course notes' vocabulary.

The notes (Preliminary Note 3, "What Overfitting Looks Like") teach four loss-curve patterns:
good (both curves decrease and stay close), mild overfitting (training loss keeps decreasing while
validation loss plateaus), severe overfitting (training loss keeps falling while validation loss
increases) and underfitting (both curves high and flat). `diagnose` adds three verdicts a dashboard
needs: still_improving (both still falling at the end: train longer), diverged (the loss became
nan/inf or training loss climbed back up) and too_short (fewer than 3 usable epochs).

Thresholds, checked in this order (the first that matches wins):
  diverged            a recorded train_loss or val_loss is nan/inf, training loss ends RISE (10%) above its
                      first epoch, or, after falling by FLAT_DROP or more, has given back
                      more than DIVERGED_REBOUND of its descent (end - min over epoch-1 - min).
  underfitting        when the chance-level loss is known (ln k for cross-entropy), training loss ends
                      above NEAR_CHANCE of it: no better than guessing, so nothing to overfit.
  severe_overfitting  val loss ends more than SEVERE_RISE (20%) above its minimum, and that minimum
                      is at least MIN_EPOCHS_AFTER_BEST epochs before the end (not a one-epoch blip).
  mild_overfitting    the same with a MILD_RISE (5%) to 20% rise.
  underfitting        training loss fell less than FLAT_DROP (10%) from epoch 1.
  still_improving     val loss ends within PLATEAU (1%) of its best, and both losses fell by more than
                      PLATEAU over the last RECENT_FRACTION of epochs (at least 3).
  mild_overfitting    val loss has plateaued (fell by at most 1% over that window) while training loss
                      keeps falling and validation loss exceeds training loss by more than LARGE_GAP (50%).
  good_fit            otherwise.
A noisy run (training loss rebounding more than NOISY_REBOUND, or the validation loss zig-zagging
by more than NOISY_JUMP on at least a third of epochs) adds advice to lower the learning rate.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from protscope.evaluation.metrics import higher_is_better

MIN_EPOCHS = 3
SEVERE_RISE = 0.20
MILD_RISE = 0.05
MIN_EPOCHS_AFTER_BEST = 2
FLAT_DROP = 0.10
NEAR_CHANCE = 0.9
PLATEAU = 0.01
RECENT_FRACTION = 0.2
LARGE_GAP = 0.5
DIVERGED_REBOUND = 0.5
RISE = 0.10  # diverged: training loss ends more than this share above its first epoch
NOISY_REBOUND = 0.1
NOISY_JUMP = 0.10
LOSS_KEYS = ("train_loss", "val_loss")

TITLES = {
    "good_fit": "Good fit",
    "still_improving": "Still improving",
    "mild_overfitting": "Mild overfitting",
    "severe_overfitting": "Severe overfitting",
    "underfitting": "Underfitting",
    "diverged": "Training diverged",
    "too_short": "Too few epochs to judge",
}
VERDICTS = tuple(TITLES)

MEANINGS = {
    "good_fit": "Both losses went down and stayed close together, so the model is learning patterns "
                "that generalise to proteins it has not seen.",
    "still_improving": "Both losses were still falling at the last epoch, so the model has not finished learning.",
    "mild_overfitting": "Training loss keeps decreasing while validation loss has stopped improving: the model "
                        "has learned what it can and is starting to memorise noise in the training proteins.",
    "severe_overfitting": "Training loss keeps falling but validation loss is rising: the model is memorising "
                          "the training proteins instead of learning patterns that carry over to new ones.",
    "underfitting": "Both losses are high and flat: the model is too simple, or learning too slowly, "
                    "to capture the patterns in the data.",
    "diverged": "Training became unstable: the weight updates grew too large, usually because the "
                "learning rate is too high.",
}
HIGHER_LR = "Try a higher learning rate (e.g. 3-10 times larger)."
# Layer-statistics rules (protscope.evaluation.layer_health) that rule out "the learning rate is too low" as the
# cause of flat curves: a too high one (dead units, exploding, NaN, thrashing), or a network that cannot pass its
# gradient back (vanishing, stalled, symmetry), which a larger step does not mend.
NOT_A_LOW_LR = frozenset({"not_finite", "exploding", "dead_units", "too_fast", "stalled", "vanishing", "symmetry"})
SUGGESTIONS = {
    "good_fit": ("Keep the weights from epoch {best} and evaluate them once on the test set.",
                 "To improve further, try a slightly bigger model or more data and check the curves stay close."),
    "still_improving": ("Train for more epochs: the validation loss is still going down.",
                        "Keep early stopping on, so extra epochs cannot make the saved model worse."),
    "mild_overfitting": ("Turn on early stopping (patience 5-10 epochs) so the epoch-{best} weights are kept.",
                         "Add a little more dropout or weight decay.",
                         "More training data or data augmentation would help the model generalise."),
    "severe_overfitting": ("Use early stopping: keep the weights from epoch {best} instead of the last epoch.",
                           "Add more dropout (e.g. 0.3-0.5).",
                           "Add weight decay (L2 regularisation, e.g. 1e-4 to 1e-2).",
                           "Try a smaller model (fewer layers or hidden units).",
                           "Get more training data or use data augmentation."),
    "underfitting": (HIGHER_LR,
                     "Train for more epochs.",
                     "Use a bigger model (more layers or hidden units) or a richer input encoding.",
                     "Reduce regularisation: less dropout and weight decay."),
    "diverged": ("Lower the learning rate (e.g. 10 times smaller).",
                 "Clip gradients (e.g. max norm 1.0).",
                 "Check the inputs and labels for extreme or missing values."),
    "too_short": ("Train for more epochs (at least 3, ideally 10 or more) so the curves show a trend.",),
}
NOISY_SUGGESTION = "Lower the learning rate or use a learning-rate scheduler: the loss jumps around between epochs."


@dataclass(frozen=True)
class Diagnosis:
    verdict: str
    title: str
    explanation: str
    best_epoch: int | None
    gap: float  # final val_loss - train_loss
    gap_ratio: float  # gap relative to the final training loss
    suggestions: tuple[str, ...]
    monitor: str = "val_loss"
    val_rise: float = float("nan")  # fraction val loss ends above its minimum
    inside: tuple[str, ...] = ()  # what the layer statistics show (protscope.evaluation.layer_health), worst first

    def to_dict(self) -> dict:
        out = dataclasses.asdict(self)
        out["suggestions"], out["inside"] = list(self.suggestions), list(self.inside)
        return out


def diagnose_run(history: list[dict], monitor: str = "val_loss", chance_loss: float | None = None,
                 internals: dict | None = None, grad_clip: float = 0.0) -> Diagnosis:
    """`diagnose` of the curves, with the layer statistics' warnings (if recorded) as `inside`."""
    from protscope.evaluation.layer_health import layer_warnings

    found = diagnose(history, monitor, chance_loss)
    if not internals or not internals.get("records"):
        return found
    warnings = layer_warnings(internals, grad_clip)
    rules = {w.rule for w in warnings}
    suggestions = found.suggestions
    if rules & NOT_A_LOW_LR:  # the layers name the cause, and a higher learning rate is not its cure
        suggestions = tuple(s for s in suggestions if s != HIGHER_LR)
    if "stalled" in rules:  # no weight can change: more epochs cannot help
        suggestions = tuple(s for s in suggestions if not s.startswith("Train for more epochs"))
    return dataclasses.replace(found, suggestions=suggestions, inside=tuple(w.message for w in warnings))


@dataclass(frozen=True)
class _Facts:
    """Numbers read off the usable epochs (finite train and val loss); indices are into those epochs."""
    epochs: np.ndarray
    train: np.ndarray
    val: np.ndarray
    best_epoch: int

    @property
    def val_best(self) -> int:
        return int(np.argmin(self.val))

    @property
    def best_index(self) -> int:
        """The monitor's best epoch among the usable ones, else the validation-loss minimum."""
        hits = np.flatnonzero(self.epochs == self.best_epoch)
        return int(hits[0]) if hits.size else self.val_best

    @property
    def gap(self) -> float:
        return float(self.val[-1] - self.train[-1])

    @property
    def gap_ratio(self) -> float:
        return self.gap / max(abs(float(self.train[-1])), 1e-12)

    @property
    def val_rise(self) -> float:
        return _relative(self.val[-1] - self.val.min(), self.val.min())

    @property
    def train_drop(self) -> float:
        return _relative(self.train[0] - self.train.min(), self.train[0])

    @property
    def train_rise(self) -> float:
        """How far training loss ends above where it began, relative to the start (0 when it ends lower)."""
        return max(_relative(self.train[-1] - self.train[0], self.train[0]), 0.0)

    @property
    def train_rebound(self) -> float:
        """How much of its descent training loss has given back by the end (0 = none, 1 = all)."""
        # A descent of at least 1% of the starting loss, so a flat curve's jitter is not a rebound.
        descent = max(self.train[0] - self.train.min(), 0.01 * abs(self.train[0]), 1e-12)
        return float((self.train[-1] - self.train.min()) / descent)

    def recent_drop(self, series: np.ndarray) -> float:
        window = min(len(series), max(MIN_EPOCHS, round(RECENT_FRACTION * len(series))))
        return _relative(series[-window] - series[-1], series[-window])

    @property
    def noisy(self) -> bool:
        step = np.diff(self.val)
        zigzag = (np.sign(step[1:]) != np.sign(step[:-1])) & (np.abs(step[1:]) > NOISY_JUMP * np.abs(self.val[1:-1]))
        return self.train_rebound > NOISY_REBOUND or zigzag.mean() >= 1 / 3


def chance_loss(task: str, classes) -> float | None:
    """Cross-entropy of a model that guesses uniformly (ln k): the loss that means "learned nothing".
    Multi-label BCE is averaged over the labels, each a yes/no guess: ln 2. Regression has no such reference."""
    if task == "multilabel":
        return math.log(2)
    return math.log(len(classes)) if task != "regression" and len(classes) > 1 else None


def diagnose(history: list[dict], monitor: str = "val_loss", chance_loss: float | None = None) -> Diagnosis:
    """Read the loss curves of `history` (one dict per epoch) and say what they show.

    `monitor` picks the best epoch (lowest loss or highest score, per `higher_is_better`); the
    patterns themselves are read from train_loss and val_loss. `chance_loss` is the loss of a
    model that guesses (ln k for k-class cross-entropy), used to spot high, flat curves.
    """
    epochs = np.array([int(row.get("epoch", i + 1)) for i, row in enumerate(history)], dtype=np.int64)
    train, val = (np.array([_number(row.get(key)) for row in history]) for key in LOSS_KEYS)
    blowup = _blowup_epoch(history, epochs)
    if blowup is not None:
        # Weights after the blow-up cannot be trusted, whatever their validation score.
        before = int(np.argmax(epochs == blowup))
        return _diverged(blowup, *_best_epoch(history[:before], epochs[:before], monitor))
    best_epoch, monitor = _best_epoch(history, epochs, monitor)
    usable = np.isfinite(train) & np.isfinite(val)
    if usable.sum() < MIN_EPOCHS:
        return _too_short(int(usable.sum()), train[usable], val[usable], best_epoch, monitor)
    facts = _Facts(epochs[usable], train[usable], val[usable], best_epoch)
    verdict = _verdict(facts, chance_loss)
    suggestions = [s.format(best=best_epoch) for s in SUGGESTIONS[verdict]]
    if facts.noisy and verdict != "diverged":
        # jumpy curves hint at too high a learning rate: never advise raising and lowering it at once
        suggestions = [s for s in suggestions if s != HIGHER_LR] + [NOISY_SUGGESTION]
    return Diagnosis(verdict, TITLES[verdict], _explain(verdict, facts, monitor), best_epoch, facts.gap,
                     facts.gap_ratio, tuple(suggestions), monitor, facts.val_rise)


def _verdict(facts: _Facts, chance_loss: float | None) -> str:
    epochs_after_best = len(facts.val) - 1 - facts.val_best
    # A rebound counts only after a real descent: a flat curve's jitter (a network that never learned,
    # vanishing gradients, say) is underfitting, not instability. A loss that ends well above where it began is.
    if (facts.train_drop >= FLAT_DROP and facts.train_rebound > DIVERGED_REBOUND) or facts.train_rise > RISE:
        return "diverged"
    near_chance = chance_loss is not None and facts.train[-1] > NEAR_CHANCE * chance_loss
    if near_chance:  # a model no better than guessing on its own training data has nothing to overfit
        return "underfitting"
    if epochs_after_best >= MIN_EPOCHS_AFTER_BEST and facts.val_rise > SEVERE_RISE:
        return "severe_overfitting"
    if epochs_after_best >= MIN_EPOCHS_AFTER_BEST and facts.val_rise > MILD_RISE:
        return "mild_overfitting"
    if facts.train_drop < FLAT_DROP:
        return "underfitting"
    val_falling, train_falling = facts.recent_drop(facts.val) > PLATEAU, facts.recent_drop(facts.train) > PLATEAU
    if facts.val_rise <= PLATEAU and val_falling and train_falling:
        return "still_improving"
    if not val_falling and train_falling and facts.gap_ratio > LARGE_GAP:
        return "mild_overfitting"
    return "good_fit"


def _explain(verdict: str, facts: _Facts, monitor: str) -> str:
    best, val_best, last = facts.best_index, facts.val_best, int(facts.epochs[-1])
    meaning = MEANINGS[verdict]
    if verdict == "diverged":
        meaning = (f"Training loss climbed back from its lowest value ({facts.train.min():.3g}) to "
                   f"{facts.train[-1]:.3g} by the last epoch. " + meaning)
    if best == len(facts.epochs) - 1:
        numbers = (f"The best epoch by {monitor} is the last one ({last}), where validation loss is "
                   f"{_gap_words(facts.gap)}")
    else:
        gap_at_best = float(facts.val[best] - facts.train[best])
        numbers = (f"The best epoch by {monitor} is {facts.epochs[best]} of {last}; validation loss was "
                   f"{_gap_words(gap_at_best)} there and is {_gap_words(facts.gap)} at the end")
    if facts.val_rise > 0:
        numbers += (f", and it has risen {facts.val_rise:.0%} since its lowest value "
                    f"({facts.val.min():.3g} at epoch {facts.epochs[val_best]})")
    numbers += "."
    if facts.noisy and verdict != "diverged":
        numbers += " The curves also jump around between epochs, a sign the learning rate may be too high."
    return f"{meaning} {numbers}"


def _diverged(epoch: int, best_epoch: int | None, monitor: str) -> Diagnosis:
    kept = f" The last good weights are from epoch {best_epoch}." if best_epoch is not None else ""
    explanation = f"The loss became nan or infinite at epoch {epoch}. {MEANINGS['diverged']}{kept}"
    return Diagnosis("diverged", TITLES["diverged"], explanation, best_epoch, float("nan"), float("nan"),
                     SUGGESTIONS["diverged"], monitor)


def _too_short(n: int, train: np.ndarray, val: np.ndarray, best_epoch: int | None, monitor: str) -> Diagnosis:
    gap = float(val[-1] - train[-1]) if n else float("nan")
    ratio = gap / max(abs(float(train[-1])), 1e-12) if n else float("nan")
    explanation = (f"Only {n} epoch{'s' * (n != 1)} with both a training and a validation loss; at least "
                   f"{MIN_EPOCHS} are needed to see whether the curves are falling, flat or rising.")
    if n:
        explanation += f" So far validation loss is {_gap_words(gap)}."
    return Diagnosis("too_short", TITLES["too_short"], explanation, best_epoch, gap, ratio,
                     SUGGESTIONS["too_short"], monitor)


def _best_epoch(history: list[dict], epochs: np.ndarray, monitor: str) -> tuple[int | None, str]:
    """Earliest epoch with the best finite monitor value, falling back to val_loss if it was never recorded."""
    for key in (monitor, "val_loss"):
        values = np.array([_number(row.get(key)) for row in history])
        finite = np.isfinite(values)
        if finite.any():
            signed = np.where(finite, values if higher_is_better(key) else -values, -np.inf)
            return int(epochs[np.argmax(signed)]), key
    return None, monitor


def _blowup_epoch(history: list[dict], epochs: np.ndarray) -> int | None:
    """First epoch whose recorded train or val loss is nan or infinite (a missing value is not a blow-up)."""
    for epoch, row in zip(epochs, history):
        if any(row.get(key) is not None and not math.isfinite(_number(row[key])) for key in LOSS_KEYS):
            return int(epoch)
    return None


def _number(value) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _relative(change: float, reference: float) -> float:
    return float(change / max(abs(reference), 1e-12))


def _gap_words(gap: float) -> str:
    if gap >= 0:
        return f"{gap:.3g} above training loss"
    return f"{-gap:.3g} below training loss"
