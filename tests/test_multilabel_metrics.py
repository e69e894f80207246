"""Multi-label metrics against scikit-learn, undefined labels included, and the loss against hand-computed
values: BCE per output, with and without pos_weight."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from sklearn import metrics as sk

from protscope.config.sections import LossConfig
from protscope.evaluation import metrics as M
from protscope.evaluation.diagnosis import chance_loss
from protscope.evaluation.multilabel import (
    MULTILABEL_KEYS,
    cooccurrence,
    multilabel_metrics,
    per_label_rows,
    ranking_scores,
)
from protscope.modeling.losses import label_pos_weight, loss_name, make_loss, output_size, to_outputs

LABELS = ("membrane", "enzyme", "secreted", "nuclear")


def sample(seed: int, n: int = 80, k: int = 4, decimals: int = 2):
    """Multi-hot truths with a different frequency per label, and probabilities rounded to make ties."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, k)) < rng.uniform(0.1, 0.7, k)).astype(np.int64)
    proba = np.round(np.clip(0.25 * y + 0.75 * rng.random((n, k)), 0, 1), decimals)
    return y, proba


def sklearn_scores(y, proba) -> dict:
    predicted = (proba >= 0.5).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"micro_f1": sk.f1_score(y, predicted, average="micro", zero_division=np.nan),
                "macro_f1": sk.f1_score(y, predicted, average="macro", zero_division=np.nan),
                "micro_precision": sk.precision_score(y, predicted, average="micro", zero_division=np.nan),
                "micro_recall": sk.recall_score(y, predicted, average="micro", zero_division=np.nan),
                "subset_accuracy": sk.accuracy_score(y, predicted), "hamming_loss": sk.hamming_loss(y, predicted),
                "f1": sk.f1_score(y, predicted, average=None, zero_division=np.nan)}


@pytest.mark.parametrize("seed", range(12))
def test_scores_match_scikit_learn(seed):
    y, proba = sample(seed, decimals=1 + seed % 3)
    ours, theirs = multilabel_metrics(y, proba, LABELS), sklearn_scores(y, proba)
    for key in ("micro_f1", "macro_f1", "micro_precision", "micro_recall", "subset_accuracy", "hamming_loss"):
        assert ours[key] == pytest.approx(theirs[key]), key
    for j, name in enumerate(LABELS):
        assert ours[f"f1_{name}"] == pytest.approx(theirs["f1"][j])
        assert ours[f"roc_auc_{name}"] == pytest.approx(sk.roc_auc_score(y[:, j], proba[:, j]))
        assert ours[f"ap_{name}"] == pytest.approx(sk.average_precision_score(y[:, j], proba[:, j]))
    assert ours["macro_roc_auc"] == pytest.approx(sk.roc_auc_score(y, proba, average="macro"))
    assert ours["micro_roc_auc"] == pytest.approx(sk.roc_auc_score(y, proba, average="micro"))
    assert ours["macro_ap"] == pytest.approx(sk.average_precision_score(y, proba, average="macro"))
    assert ours["micro_ap"] == pytest.approx(sk.average_precision_score(y, proba, average="micro"))
    assert set(MULTILABEL_KEYS) <= set(ours)


def test_a_label_absent_from_the_split_is_undefined_not_zero():
    """scikit-learn raises for its macro ROC AUC and counts its AP as 0; here the label is nan and the macro
    averages are over the labels where the score is defined."""
    y, proba = sample(3)
    y[:, 2] = 0  # no 'secreted' protein in this split ...
    proba[:, 2] = np.minimum(proba[:, 2], 0.4)  # ... and none predicted: F1 is 0/0
    ours = multilabel_metrics(y, proba, LABELS)
    assert math.isnan(ours["roc_auc_secreted"]) and math.isnan(ours["ap_secreted"]) and math.isnan(ours["f1_secreted"])
    defined = [0, 1, 3]
    assert ours["macro_roc_auc"] == pytest.approx(sk.roc_auc_score(y[:, defined], proba[:, defined], average="macro"))
    assert ours["macro_ap"] == pytest.approx(np.mean([sk.average_precision_score(y[:, j], proba[:, j])
                                                      for j in defined]))
    assert ours["macro_f1"] == pytest.approx(sklearn_scores(y, proba)["macro_f1"])  # zero_division=nan skips it too
    proba[0, 2] = 0.9  # predicted once though absent: F1 is defined, and 0
    assert multilabel_metrics(y, proba, LABELS)["f1_secreted"] == 0.0
    y[:, 1] = 1  # every protein an enzyme: AUC undefined, AP defined
    again = multilabel_metrics(y, proba, LABELS)
    assert math.isnan(again["roc_auc_enzyme"]) and again["ap_enzyme"] == pytest.approx(1.0)


def test_degenerate_inputs_give_nan_not_errors():
    empty = multilabel_metrics(np.zeros((0, 2)), np.zeros((0, 2)), ("a", "b"))
    assert all(math.isnan(v) for v in empty.values()) and "f1_a" in empty
    y, proba = sample(1, n=10, k=2)
    proba[0, 0] = np.nan
    assert all(math.isnan(v) for v in multilabel_metrics(y, proba, ("a", "b")).values())


def test_ranking_scores_handle_ties_like_scikit_learn():
    y = np.array([[1, 0], [0, 1], [1, 1], [0, 0], [1, 0], [0, 1]], dtype=float)
    scores = np.array([[0.5, 0.2], [0.5, 0.2], [0.9, 0.2], [0.1, 0.7], [0.5, 0.7], [0.1, 0.7]])
    auc, ap = ranking_scores(y, scores)
    for j in range(2):
        assert auc[j] == pytest.approx(sk.roc_auc_score(y[:, j], scores[:, j]))
        assert ap[j] == pytest.approx(sk.average_precision_score(y[:, j], scores[:, j]))


def test_per_label_rows_and_cooccurrence():
    y = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 0]])
    proba = np.array([[0.9, 0.6, 0.1], [0.4, 0.2, 0.2], [0.3, 0.8, 0.7], [0.2, 0.1, 0.6]])
    rows = per_label_rows(y, proba, ("a", "b", "c"))
    assert [(r["label"], r["support"], r["predicted"]) for r in rows] == [("a", 2, 1), ("b", 2, 2), ("c", 1, 2)]
    assert rows[0]["precision"] == 1.0 and rows[0]["recall"] == 0.5 and rows[2]["f1"] == pytest.approx(2 / 3)
    assert rows[1]["roc_auc"] == 1.0
    assert cooccurrence(y).tolist() == [[2, 1, 0], [1, 2, 1], [0, 1, 1]]


def test_compute_metrics_dispatches_and_chance_is_ln2_per_label():
    y, proba = sample(5)
    assert M.compute_metrics("multilabel", y, proba, LABELS) == multilabel_metrics(y, proba, LABELS)
    assert "multilabel" in M.TASKS and set(M.MAIN_METRICS["multilabel"]) <= set(MULTILABEL_KEYS)
    assert chance_loss("multilabel", LABELS) == pytest.approx(math.log(2))
    assert M.higher_is_better("val_macro_f1") and not M.higher_is_better("val_hamming_loss")


# --- the loss ----------------------------------------------------------------------------------------

LOGITS = torch.tensor([[0.0, 2.0, -1.0], [-1.0, 0.5, 3.0]])
TARGETS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])


def by_hand(pos_weight=(1.0, 1.0, 1.0)) -> float:
    """-[w_j y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))], averaged over the 6 (protein, label) pairs."""
    total = 0.0
    for row_x, row_y in zip(LOGITS.tolist(), TARGETS.tolist()):
        for x, y, w in zip(row_x, row_y, pos_weight):
            p = 1 / (1 + math.exp(-x))
            total -= w * y * math.log(p) + (1 - y) * math.log(1 - p)
    return total / 6


def test_auto_picks_bce_per_label_and_matches_a_hand_computed_value():
    cfg = LossConfig()
    assert loss_name(cfg, "multilabel") == "bce" and output_size(cfg, "multilabel", 3) == 3
    loss = make_loss(cfg, "multilabel", 3, TARGETS.numpy(), "cpu")
    assert float(loss(LOGITS, TARGETS)) == pytest.approx(by_hand(), rel=1e-6)
    zero = float(loss(torch.zeros(2, 3), TARGETS))
    assert zero == pytest.approx(math.log(2))  # a 50 % guess for every label: ln 2 per label


def test_pos_weight_balanced_and_explicit():
    train = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
    balanced = label_pos_weight(LossConfig(pos_weight="balanced"), train, 3)
    assert balanced.tolist() == [4.0, 1.5, 4.0]  # negatives / positives of each label in train
    loss = make_loss(LossConfig(pos_weight="balanced"), "multilabel", 3, train, "cpu")
    assert float(loss(LOGITS, TARGETS)) == pytest.approx(by_hand(balanced.tolist()), rel=1e-6)
    explicit = make_loss(LossConfig(pos_weight="1,4,2"), "multilabel", 3, train, "cpu")
    assert float(explicit(LOGITS, TARGETS)) == pytest.approx(by_hand((1, 4, 2)), rel=1e-6)
    with pytest.raises(Exception, match="pos_weight has 2 numbers for 3 labels"):
        make_loss(LossConfig(pos_weight="1,4"), "multilabel", 3, train, "cpu")
    with pytest.raises(Exception, match="loss.pos_weight is '1,-2'"):
        LossConfig(pos_weight="1,-2")


def test_outputs_are_a_sigmoid_per_label_not_a_distribution():
    out = to_outputs(LOGITS, "multilabel")
    assert out.shape == (2, 3)
    torch.testing.assert_close(out, torch.sigmoid(LOGITS))
    assert to_outputs(torch.tensor([[0.0]]), "binary").shape == (1, 2)  # binary still stacks two columns
