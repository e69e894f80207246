"""The course's sanity checks: overfit one batch, and the LR range test."""
import numpy as np

from core.sanity import lr_range_test, overfit_one_batch, suggest
from tests.test_engine import config


def test_a_healthy_model_overfits_one_batch(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="mlp", hidden=(64,), encoding="dpc", lr=0.01), data, split, steps=150)
    assert result.passed, result.message
    assert result.losses[-1] < 0.1 * result.losses[0]
    assert "It can learn" in result.message


def test_a_crippled_model_cannot(tiny):
    data, split = tiny["multiclass"]
    result = overfit_one_batch(config(model="linear", encoding="aac", lr=1e-6), data, split, steps=30)
    assert not result.passed and "could not fit one batch" in result.message


def test_lr_range_test_suggests_a_rate_where_the_loss_falls(tiny):
    data, split = tiny["multiclass"]
    result = lr_range_test(config(model="mlp", hidden=(64,), encoding="dpc"), data, split, steps=80)
    assert len(result.lrs) == len(result.losses) > 20
    assert np.all(np.diff(result.lrs) > 0)
    assert result.lrs[0] <= result.suggestion <= result.lrs[-1]
    assert "lr =" in result.message


def test_suggest_picks_the_steepest_fall():
    lrs = np.logspace(-6, 0, 61)
    losses = 1 / (1 + np.exp((np.log10(lrs) + 3) * 3))  # falls fastest at 1e-3
    losses[-10:] = np.linspace(0.1, 5, 10)  # then explodes
    assert 5e-4 < suggest(lrs, losses) < 2e-3
