"""protscope.evaluation.diagnosis on constructed loss curves: one per pattern from the course notes, plus edge cases."""
import dataclasses
import json
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protscope.evaluation.diagnosis import TITLES, VERDICTS, Diagnosis, diagnose

EPOCHS = np.arange(40)


def history(train, val, **extra) -> list[dict]:
    """Rows as the trainer logs them: 1-based epoch, losses, and any extra per-epoch columns."""
    rows = []
    for i, (t, v) in enumerate(zip(train, val)):
        row = {"epoch": i + 1, "train_loss": float(t), "val_loss": float(v)}
        row.update({key: float(values[i]) for key, values in extra.items()})
        rows.append(row)
    return rows


def decay(start: float, end: float, tau: float) -> np.ndarray:
    return end + (start - end) * np.exp(-EPOCHS / tau)


def u_shaped_val(bottom_epoch: int, rise_per_epoch: float) -> np.ndarray:
    """Falls like the training loss, then climbs linearly after `bottom_epoch` (1-based)."""
    return decay(0.7, 0.4, 4) + rise_per_epoch * np.maximum(EPOCHS + 1 - bottom_epoch, 0)


def mentions(diagnosis: Diagnosis, *words: str) -> bool:
    text = " ".join(diagnosis.suggestions).lower()
    return any(word in text for word in words)


def test_good_fit_when_both_curves_fall_and_stay_close():
    d = diagnose(history(decay(0.7, 0.30, 5), decay(0.72, 0.33, 5)))
    assert d.verdict == "good_fit" and d.title == "Good fit"
    assert d.best_epoch == 40
    assert d.gap == pytest.approx(0.03, abs=1e-3)
    assert d.gap_ratio == pytest.approx(0.1, abs=0.01)


def test_severe_overfitting_when_val_loss_climbs_after_a_minimum():
    d = diagnose(history(decay(0.7, 0.02, 6), u_shaped_val(15, 0.02)))
    assert d.verdict == "severe_overfitting" and d.title == "Severe overfitting"
    assert d.best_epoch == 15
    assert d.val_rise > 0.2
    assert mentions(d, "dropout") and mentions(d, "weight decay") and mentions(d, "early stopping")
    assert mentions(d, "smaller model") and mentions(d, "more training data", "augmentation")
    assert "15" in d.explanation and "%" in d.explanation


def test_mild_overfitting_when_val_loss_creeps_up_a_little():
    d = diagnose(history(decay(0.7, 0.1, 6), u_shaped_val(25, 0.004)))
    assert d.verdict == "mild_overfitting"
    assert d.best_epoch == 25
    assert 0.05 < d.val_rise <= 0.2
    assert mentions(d, "dropout", "weight decay") and mentions(d, "early stopping")


def test_mild_overfitting_when_val_plateaus_far_above_a_falling_train_loss():
    d = diagnose(history(decay(0.7, 0.05, 15), decay(0.75, 0.45, 3)))
    assert d.verdict == "mild_overfitting"
    assert d.gap_ratio > 0.5
    assert mentions(d, "dropout", "weight decay")


def test_underfitting_when_both_curves_are_high_and_flat():
    d = diagnose(history(decay(0.69, 0.67, 5), decay(0.70, 0.68, 5)))
    assert d.verdict == "underfitting" and d.title == "Underfitting"
    assert mentions(d, "learning rate") and mentions(d, "more epochs") and mentions(d, "bigger")


def test_underfitting_near_chance_level_loss_even_if_it_fell_a_little():
    train, val = decay(0.80, 0.66, 5), decay(0.80, 0.67, 5)
    assert diagnose(history(train, val)).verdict != "underfitting"
    assert diagnose(history(train, val), chance_loss=math.log(2)).verdict == "underfitting"


def test_still_improving_when_both_curves_are_falling_at_the_end():
    d = diagnose(history(decay(0.7, 0.2, 30), decay(0.75, 0.25, 30)))
    assert d.verdict == "still_improving" and d.best_epoch == 40
    assert mentions(d, "more epochs")


def test_noisy_validation_loss_adds_learning_rate_advice():
    zigzag = decay(0.72, 0.33, 5) * (1 + 0.15 * (-1) ** EPOCHS)
    d = diagnose(history(decay(0.7, 0.30, 5), zigzag))
    assert mentions(d, "learning rate")
    assert "jump around" in d.explanation


@pytest.mark.parametrize("epochs", [0, 1, 2])
def test_too_short_below_three_epochs(epochs):
    d = diagnose(history([0.7, 0.6][:epochs], [0.72, 0.65][:epochs]))
    assert d.verdict == "too_short"
    assert d.best_epoch == (epochs or None)
    assert mentions(d, "more epochs")
    assert np.isnan(d.gap) if epochs == 0 else d.gap == pytest.approx([0.02, 0.05][epochs - 1])


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_train_loss_means_diverged(bad):
    rows = history(decay(0.7, 0.3, 5)[:6], decay(0.72, 0.33, 5)[:6])
    rows[4]["train_loss"] = bad
    rows[5]["train_loss"] = bad
    d = diagnose(rows)
    assert d.verdict == "diverged" and d.title == "Training diverged"
    assert "epoch 5" in d.explanation
    assert d.best_epoch == 4
    assert mentions(d, "lower the learning rate") and mentions(d, "clip")


def test_non_finite_val_loss_also_means_diverged():
    rows = history(decay(0.7, 0.3, 5)[:8], decay(0.72, 0.33, 5)[:8])
    rows[-1]["val_loss"] = float("nan")
    assert diagnose(rows).verdict == "diverged"


def test_training_loss_climbing_back_up_means_diverged():
    train = np.r_[np.linspace(0.7, 0.5, 10), np.linspace(0.55, 1.2, 10)]
    d = diagnose(history(train, train + 0.02))
    assert d.verdict == "diverged"
    assert mentions(d, "learning rate")


def test_missing_validation_epochs_are_skipped_not_diverged():
    rows = history(decay(0.7, 0.30, 5), decay(0.72, 0.33, 5))
    for row in rows[1::2]:
        del row["val_loss"]
    rows[2]["val_loss"] = None
    assert diagnose(rows).verdict == "good_fit"


def test_higher_is_better_monitor_picks_the_highest_score():
    mcc = np.r_[np.nan, np.linspace(0.1, 0.6, 14), np.linspace(0.58, 0.45, 25)]
    d = diagnose(history(decay(0.7, 0.02, 6), u_shaped_val(12, 0.02), val_mcc=mcc), monitor="val_mcc")
    assert d.monitor == "val_mcc"
    assert d.best_epoch == 15
    assert d.verdict == "severe_overfitting"
    assert "val_mcc" in d.explanation and "15" in d.explanation


def test_lower_is_better_metric_monitor():
    rmse = np.r_[np.linspace(1.0, 0.5, 20), np.linspace(0.55, 0.8, 20)]
    d = diagnose(history(decay(0.7, 0.02, 6), u_shaped_val(20, 0.02), val_rmse=rmse), monitor="val_rmse")
    assert d.best_epoch == 20


def test_unknown_monitor_falls_back_to_val_loss():
    d = diagnose(history(decay(0.7, 0.02, 6), u_shaped_val(15, 0.02)), monitor="val_auc")
    assert d.monitor == "val_loss" and d.best_epoch == 15


def test_epochs_are_read_from_the_rows():
    rows = history(decay(0.7, 0.02, 6), u_shaped_val(15, 0.02))
    for row in rows:
        row["epoch"] += 100
    assert diagnose(rows).best_epoch == 115


def test_diagnosis_is_frozen_and_serialisable():
    d = diagnose(history(decay(0.7, 0.02, 6), u_shaped_val(15, 0.02)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.verdict = "good_fit"
    as_dict = d.to_dict()
    assert as_dict["verdict"] == "severe_overfitting"
    assert isinstance(as_dict["suggestions"], list) and as_dict["suggestions"] == list(d.suggestions)
    assert json.loads(json.dumps(as_dict))["best_epoch"] == 15


def test_every_verdict_has_a_plain_title():
    assert set(VERDICTS) == {"good_fit", "still_improving", "mild_overfitting", "severe_overfitting",
                             "underfitting", "diverged", "too_short"}
    assert all(title[0].isupper() and "_" not in title for title in TITLES.values())


loss_values = st.one_of(st.floats(0, 10), st.just(float("nan")), st.just(float("inf")), st.none())


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(loss_values, loss_values, st.one_of(st.floats(-1, 1), st.just(float("nan")))), max_size=30))
def test_any_history_gets_a_verdict_without_raising(rows):
    hist = [{"epoch": i + 1, "train_loss": t, "val_loss": v, "val_mcc": m} for i, (t, v, m) in enumerate(rows)]
    d = diagnose(hist, monitor="val_mcc")
    assert d.verdict in VERDICTS
    assert d.title == TITLES[d.verdict]
    assert d.suggestions and d.explanation.endswith(".")


@pytest.mark.parametrize(("train", "val"), [
    (decay(0.7, 0.30, 5), decay(0.72, 0.33, 5)),
    (decay(0.7, 0.02, 6), u_shaped_val(15, 0.02)),
    (decay(0.7, 0.05, 15), decay(0.75, 0.45, 3)),
    (decay(0.69, 0.67, 5), decay(0.70, 0.68, 5)),
    (decay(0.7, 0.2, 30), decay(0.75, 0.25, 30)),
    (decay(0.7, 0.30, 5), decay(0.72, 0.33, 5) * (1 + 0.15 * (-1) ** EPOCHS)),
    (np.r_[np.linspace(0.7, 0.5, 10), np.linspace(0.55, 1.2, 10)], np.linspace(0.7, 1.0, 20)),
    ([0.7, 0.6], [0.72, 0.65]),
], ids=["good", "severe", "plateau", "flat", "falling", "noisy", "rising", "short"])
def test_explanations_are_two_or_three_sentences_with_numbers(train, val):
    text = diagnose(history(train, val)).explanation
    assert 2 <= len(re.findall(r"[.!?](?:\s|$)", text)) <= 3, text
    assert re.search(r"\d", text)


def test_a_flat_jittering_curve_is_underfitting_not_divergence():
    """A network that never learned (vanishing gradients): its loss jitters around ln 2; that is no blow-up."""
    train = [0.6931, 0.6928, 0.6935, 0.6929, 0.6937, 0.6930, 0.6940]
    history = [{"epoch": e, "train_loss": t, "val_loss": t + 0.001} for e, t in enumerate(train, start=1)]
    assert diagnose(history, chance_loss=0.6931).verdict == "underfitting"
    rising = [{"epoch": e, "train_loss": 0.7 + 0.05 * e, "val_loss": 0.8 + 0.05 * e} for e in range(1, 6)]
    assert diagnose(rising).verdict == "diverged"


def test_a_model_no_better_than_guessing_is_underfitting_even_when_validation_wobbles():
    """The dying-ReLU lesson: training loss flat above ln 2, validation up and down: not overfitting."""
    train = [0.728, 0.754, 0.748, 0.772, 0.729, 0.739, 0.753, 0.721, 0.729, 0.73]
    val = [0.70, 0.69, 0.75, 0.80, 0.71, 0.74, 0.78, 0.72, 0.79, 0.80]
    history = [{"epoch": e, "train_loss": t, "val_loss": v} for e, (t, v) in enumerate(zip(train, val), start=1)]
    assert diagnose(history, chance_loss=0.6931).verdict == "underfitting"


def test_jumpy_high_curves_never_advise_raising_and_lowering_the_learning_rate_at_once():
    train = [0.728, 0.754, 0.748, 0.772, 0.729, 0.739, 0.753, 0.721, 0.729, 0.73]
    val = [0.70, 0.69, 0.75, 0.80, 0.71, 0.74, 0.78, 0.72, 0.79, 0.80]
    rows = [{"epoch": e, "train_loss": t, "val_loss": v} for e, (t, v) in enumerate(zip(train, val), start=1)]
    d = diagnose(rows, chance_loss=0.6931)
    assert d.verdict == "underfitting" and mentions(d, "lower the learning rate")
    assert not mentions(d, "higher learning rate")
    quiet = diagnose(history(decay(0.69, 0.67, 5), decay(0.70, 0.68, 5)))  # flat but steady: raising it is advice
    assert mentions(quiet, "higher learning rate")
