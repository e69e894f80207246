"""Batches for evaluation: bounded by proteins and by padded residues, and results that do not
depend on how the proteins are batched."""
import numpy as np
import pytest
import torch

from protscope.config.run_config import RunConfig
from protscope.config.sections import TrainingConfig
from protscope.train.batches import eval_batches
from protscope.train.inference import predict
from protscope.train.prepare import prepare


def test_eval_batches_keep_length_order_and_both_limits_and_are_as_full_as_allowed():
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, 1500, 1_000)
    rows = rng.permutation(1_000)[:700]
    batches = eval_batches(lengths, rows, max_proteins=64, max_residues=20_000)
    order = np.concatenate(batches)
    assert sorted(order.tolist()) == sorted(rows.tolist())
    assert np.all(np.diff(lengths[order]) >= 0)
    for i, batch in enumerate(batches):
        assert len(batch) <= 64 and len(batch) * lengths[batch].max() <= 20_000
        if i + 1 < len(batches):  # one more protein would break a limit
            nxt = batches[i + 1][0]
            assert len(batch) == 64 or (len(batch) + 1) * lengths[nxt] > 20_000


def test_a_protein_longer_than_the_residue_budget_gets_a_batch_of_its_own():
    lengths = np.array([10, 5_000, 20, 6_000])
    batches = eval_batches(lengths, np.arange(4), max_proteins=256, max_residues=1_000)
    assert [b.tolist() for b in batches] == [[0, 2], [1], [3]]


@pytest.mark.parametrize("task, model, encoding", [("binary", "cnn", "onehot"), ("residue", "cnn", "tokens"),
                                                    ("regression", "mlp", "aac")])
def test_predictions_do_not_depend_on_the_evaluation_batches(tiny, task, model, encoding):
    data, split = tiny[task]
    config = RunConfig(training=TrainingConfig(epochs=1, batch_size=16)).with_values(
        model=model, encoding=encoding, channels=8, layers=2, hidden=(16,), embedding_dim=8)
    p = prepare(config, data, split)
    rows = p.rows["val"]
    wide = predict(p.model, p.dd, rows, p.config.encoding, data.task, loss_fn=p.loss_fn)
    narrow = predict(p.model, p.dd, rows, p.config.encoding, data.task, loss_fn=p.loss_fn, batch_size=3,
                     max_residues=int(data.lengths[rows].max()))
    assert np.array_equal(wide.rows, narrow.rows)
    assert np.allclose(wide.outputs, narrow.outputs, atol=1e-5) and np.isclose(wide.loss, narrow.loss, rtol=1e-5)
    assert torch.is_grad_enabled()
