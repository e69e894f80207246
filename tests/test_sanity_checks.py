"""The sanity checks: the LR range test's reading of a curve, overfit one batch, the loss at
initialisation, running them in the background, and their verdicts on the course CNN and on
deliberately broken setups."""
import dataclasses
import json
import math
import time

import numpy as np
import pytest
import torch

import protscope.train.prepare
from protscope.checks.lr_finder import read_curve, suggest
from protscope.checks.sanity import CHECKS, CheckTask, init_loss_check, lr_range_test, overfit_one_batch, start_check
from protscope.checks.tools import smooth
from protscope.config.sections import DataConfig
from protscope.data.splits import make_split
from protscope.errors import ProtScopeError
from tests.conftest import tiny_dataset
from tests.test_engine import config

LRS = np.geomspace(1e-7, 10, 100)


def strict_json(result) -> dict:
    return json.loads(json.dumps(result.to_dict(), allow_nan=False))


# --- reading a range-test curve -------------------------------------------------------------------

def descent(centre: float = -3.0, noise: float = 0.03, seed: int = 0) -> np.ndarray:
    """0.7 -> 0.3 fastest at lr 10**centre, then a blow-up above 0.1, plus batch noise."""
    x = np.log10(LRS)
    clean = 0.3 + 0.4 / (1 + np.exp((x - centre) * 3)) + np.where(x > -1, 2 * (x + 1) ** 2, 0)
    return clean + noise * np.random.default_rng(seed).standard_normal(x.size)


@pytest.mark.parametrize("seed", range(5))
def test_a_clear_descent_gives_a_rate_inside_it(seed):
    value = suggest(LRS, descent(seed=seed), chance=0.69)
    assert 3e-4 < value < 3e-3  # within 3x of the steepest point, 1e-3, and well inside the fall


def test_the_suggestion_corrects_for_the_smoothing_lag():
    reading = read_curve(LRS, descent(noise=0.0), chance=0.69)
    assert reading.why == "" and 6e-4 < reading.suggestion < 1.6e-3
    assert reading.min_lr > 1e-2 and reading.start_loss > 0.69


@pytest.mark.parametrize("seed", range(5))
def test_pure_noise_is_inconclusive(seed):
    raw = 0.69 + 0.03 * np.random.default_rng(seed).standard_normal(100)
    reading = read_curve(LRS, raw, chance=0.69)
    assert math.isnan(reading.suggestion) and reading.why == "no_descent"


def test_a_flat_curve_and_a_tiny_fall_are_inconclusive():
    assert read_curve(LRS, np.full(100, 0.69), chance=0.69).why == "no_descent"
    tiny_fall = 0.69 - 0.02 / (1 + np.exp(-(np.log10(LRS) + 3) * 3))  # noiseless, but under 5% of chance
    assert read_curve(LRS, tiny_fall, chance=0.69).why == "no_descent"
    assert read_curve(LRS, tiny_fall).why == ""  # the same fall counts when nothing says it is small


def test_a_curve_already_falling_at_the_start_is_inconclusive():
    raw = 0.3 + 0.4 * np.exp(-np.arange(100) / 15)  # falls fastest at the first step, then ever slower
    reading = read_curve(LRS, raw, chance=0.69)
    assert reading.why == "falling_at_start" and math.isnan(reading.suggestion)


def test_never_the_first_rate():
    curves = [descent(centre=c, seed=s) for c in (-6.5, -6, -5, -3) for s in range(3)]
    curves += [0.7 - 0.3 * (1 - np.exp(-np.arange(100) / 5.0))]
    for raw in curves:
        value = suggest(LRS, raw, chance=0.69)
        assert math.isnan(value) or value > LRS[0]


def test_too_few_steps_are_inconclusive():
    assert read_curve(LRS[:8], descent()[:8], beta=0.8).why == "too_short"  # the warm-up alone is 10 steps


def test_smoothing_is_bias_corrected():
    assert smooth([2.0, 2.0, 2.0], 0.9) == pytest.approx([2.0, 2.0, 2.0])


# --- the checks on tiny data ------------------------------------------------------------------------

def test_lr_range_test_suggests_a_rate_on_learnable_data(tiny):
    data, split = tiny["multiclass"]
    result = lr_range_test(config(model="mlp", hidden=(64,), encoding="dpc"), data, split)
    assert result.verdict == "suggested" and result.passed and not result.inconclusive
    assert len(result.lrs) == len(result.losses) == len(result.raw) > 50
    assert np.all(np.diff(result.lrs) > 0) and result.lrs[0] == pytest.approx(1e-7)
    assert result.lrs[0] < result.suggestion < result.min_lr
    assert result.beta == pytest.approx(0.8)
    assert "lr = " in result.message
    values = strict_json(result)
    assert values["verdict"] == "suggested" and values["passed"] is True


def test_a_healthy_model_overfits_one_batch(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", lr=0.01), data, split)
    assert result.passed and result.verdict == "passed", result.message
    assert result.final_loss < 0.2 * result.chance_loss and result.batch_accuracy >= 0.95
    assert result.chance_loss == pytest.approx(math.log(3))
    assert len(result.losses) == len(result.smoothed) == 100
    assert "It can learn" in result.message
    assert strict_json(result)["batch_r2"] is None


def test_overfit_one_batch_on_regression_reports_r2(tiny):
    data, split = tiny["regression"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", lr=0.01), data, split)
    assert result.passed, result.message
    assert result.batch_r2 >= 0.9 and math.isnan(result.batch_accuracy) and "R²" in result.message


def test_label_smoothing_does_not_stop_a_fit_from_passing(tiny):
    """A perfect fit scores 0.3+ with smoothing 0.1 over 3 classes; the verdict measures from there."""
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", lr=0.01, loss="ce",
                                      label_smoothing=0.1), data, split)
    assert result.floor_loss > 0.25 and result.passed, result.message


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression", "residue"])
def test_an_untrained_model_scores_a_blind_guess(tiny, task):
    data, split = tiny[task]
    result = init_loss_check(config(model="mlp", encoding="onehot" if task == "residue" else "aac"), data, split)
    assert result.passed and result.verdict == "passed", result.message
    assert result.batches == 4 and result.predictions > 0
    assert abs(result.initial_loss - result.expected_loss) <= result.tolerance
    assert strict_json(result)["passed"] is True


@pytest.mark.parametrize("values, expected", [
    ({"loss": "ce"}, math.log(3)),
    ({"loss": "ce", "label_smoothing": 0.2}, math.log(3)),  # a uniform guess is as far from any target
    ({"loss": "ce", "class_weights": "balanced"}, math.log(3)),
    ({"loss": "focal"}, (2 / 3) ** 2 * math.log(3)),  # focal scales ln 3 by (1 - 1/3)^gamma
])
def test_the_expected_loss_is_the_configured_loss_of_a_blind_guess(tiny, values, expected):
    data, split = tiny["multiclass"]
    result = init_loss_check(config(model="mlp", encoding="aac", **values), data, split)
    assert result.expected_loss == pytest.approx(expected, rel=1e-5)


def test_binary_and_regression_expectations(tiny):
    binary = init_loss_check(config(model="mlp", encoding="aac"), *tiny["binary"])
    assert binary.expected_loss == pytest.approx(math.log(2), rel=1e-5)
    data, split = tiny["regression"]
    regression = init_loss_check(config(model="mlp", encoding="aac", loss="mse"), data, split)
    y = data.y[split.index("train")]
    assert 0.5 * np.mean(y**2) < regression.expected_loss < 2 * np.mean(y**2)  # predicting 0: E[y^2]
    assert regression.mean_loss < regression.expected_loss  # predicting the mean: the variance


def test_bad_steps_are_refused(tiny):
    data, split = tiny["binary"]
    with pytest.raises(ProtScopeError, match="steps"):
        overfit_one_batch(config(), data, split, steps=0)
    with pytest.raises(ProtScopeError, match="learning rates"):
        lr_range_test(config(), data, split, start=1.0, end=1e-3)


# --- background runs ----------------------------------------------------------------------------

def wait_for(task: CheckTask, seconds: float = 30) -> list[float]:
    seen, deadline = [], time.time() + seconds
    while not task.done and time.time() < deadline:
        seen.append(task.progress)
        time.sleep(0.005)
    assert task.done, "the check did not finish"
    return seen + [task.progress]


@pytest.mark.parametrize("kind", list(CHECKS))
def test_start_check_runs_in_the_background(tiny, kind):
    data, split = tiny["binary"]
    task = start_check(kind, config(model="mlp", encoding="aac"), data, split)
    assert task.kind == kind and task.started <= time.time()
    seen = wait_for(task)
    assert task.error == "", task.error
    assert seen[-1] == 1.0 and all(0 <= a <= b <= 1 for a, b in zip(seen, seen[1:]))
    assert task.result is not None and task.result.message
    assert CHECKS[kind].title and CHECKS[kind].help


def test_a_check_can_be_stopped(tiny):
    data, split = tiny["binary"]
    task = start_check("lr", config(model="mlp", encoding="aac"), data, split, steps=1_000_000)
    while task.progress == 0 and not task.done:
        time.sleep(0.005)
    task.stop()
    wait_for(task, seconds=10)
    assert task.error == "" and task.result.verdict == "stopped" and task.result.inconclusive
    assert len(task.result.lrs) < 1_000_000 and "Stopped" in task.result.message


def test_errors_become_messages_never_exceptions(tiny, monkeypatch):
    data, split = tiny["binary"]
    task = start_check("nope", config(), data, split)
    assert task.done and "no check 'nope'" in task.error and task.result is None
    task = start_check("overfit", config(), data, split, steps=-1)
    wait_for(task)
    assert task.error.startswith("steps is -1") and task.result is None

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setitem(CHECKS, "init", dataclasses.replace(CHECKS["init"], fn=broken))
    task = start_check("init", config(), data, split)
    wait_for(task)
    assert task.error == "the check failed with RuntimeError: boom" and task.progress == 1.0


# --- broken setups ------------------------------------------------------------------------------

def test_shuffled_labels_leave_the_range_test_inconclusive():
    """600 training proteins: 100 batches of 16 are too few to memorise random labels, and the same
    model on the real labels gets a clear suggestion."""
    data = tiny_dataset("multiclass", n=1000)
    split = make_split(data, DataConfig(val_fraction=0.2, test_fraction=0.2))
    cfg = config(model="mlp", hidden=(16,), encoding="aac")
    assert lr_range_test(cfg, data, split).verdict == "suggested"
    shuffled = dataclasses.replace(data, y=np.random.default_rng(0).permutation(data.y))
    result = lr_range_test(cfg, shuffled, split)
    assert result.inconclusive and math.isnan(result.suggestion) and result.verdict == "inconclusive"
    assert "No clear learning rate" in result.message and "labels" in result.message
    assert strict_json(result)["suggestion"] is None


def scaled_head(monkeypatch, factor: float = 100.0) -> None:
    build = protscope.train.prepare.build_model

    def build_scaled(*args, **kwargs):
        model = build(*args, **kwargs)
        with torch.no_grad():
            model.head.weight.mul_(factor)
        return model

    monkeypatch.setattr(protscope.train.prepare, "build_model", build_scaled)


def test_a_mis_scaled_output_layer_fails_the_init_check(tiny, monkeypatch):
    scaled_head(monkeypatch)
    result = init_loss_check(config(model="mlp", encoding="aac"), *tiny["multiclass"])
    assert not result.passed and result.verdict == "too_high"
    assert result.initial_loss > result.limit_loss and "far too confident" in result.message


def test_too_low_a_learning_rate_fails_overfit_one_batch(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", lr=1e-7), data, split)
    assert not result.passed and result.verdict == "too_slow"
    assert "at lr 1e-07" in result.message and "too low" in result.message


def test_too_high_a_learning_rate_is_called_divergence(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", optimizer="sgd", lr=10.0,
                                      momentum=0.9), data, split, steps=30)
    assert not result.passed and result.verdict == "diverged", result.message
    assert "too high" in result.message


def test_an_over_regularised_model_plateaus(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="linear", encoding="aac", lr=0.05, weight_decay=1.0), data, split)
    assert not result.passed and result.verdict == "plateau", result.message
    assert result.final_loss > 0.2 * result.chance_loss
    assert "too small or too regularised" in result.message and "weight decay 1" in result.message


# --- acceptance: the course CNN on eSOL -----------------------------------------------------------

@pytest.fixture(scope="module")
def course_cnn():
    from protscope.config.presets import PRESETS
    from protscope.config.run_config import RunConfig
    from protscope.data.builtin import config_for, load_data

    values = {k: v for k, v in PRESETS["solubility-cnn"].values.items() if k != "dataset"}
    cfg = RunConfig().with_values(**values)
    data = load_data(config_for("esol"))
    return cfg, data, make_split(data, cfg.data)


def test_course_cnn_lr_test_suggests_a_sensible_rate_or_says_it_cannot(course_cnn):
    result = lr_range_test(*course_cnn)
    if result.inconclusive:
        assert math.isnan(result.suggestion) and "No clear learning rate" in result.message
    else:
        assert 1e-4 <= result.suggestion <= 1e-2, result.message
    assert result.suggestion != result.lrs[0]


def test_course_cnn_overfits_one_batch_at_its_own_rate(course_cnn):
    result = overfit_one_batch(*course_cnn)
    assert result.lr == 1e-3 and result.passed, result.message


def test_course_cnn_starts_at_a_blind_guess(course_cnn):
    result = init_loss_check(*course_cnn)
    assert result.passed and result.expected_loss == pytest.approx(math.log(2)), result.message


def test_course_cnn_at_lr_1e_7_cannot_fit_one_batch(course_cnn):
    cfg, data, split = course_cnn
    result = overfit_one_batch(cfg.with_values(lr=1e-7), data, split, steps=30)
    assert not result.passed and result.verdict == "too_slow" and "at lr 1e-07" in result.message


def test_course_cnn_with_a_scaled_head_fails_the_init_check(course_cnn, monkeypatch):
    scaled_head(monkeypatch)
    result = init_loss_check(*course_cnn)
    assert not result.passed and result.verdict == "too_high" and result.ratio > 2
