"""protscope.evaluation.metrics against scikit-learn and scipy: random, imbalanced and degenerate inputs, curves,
tables."""
import warnings

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as sk
from sklearn.calibration import calibration_curve as sk_calibration_curve

from protscope.evaluation import metrics as M

SEEDS = (0, 1, 2)


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    """The metrics must never warn; scikit-learn's own warnings are silenced where it is the reference."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def sklearn_quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def random_classification(seed: int, k: int, n: int = 400, weights=None, skill: float = 1.0):
    """Labels drawn with class `weights` and probabilities that lean towards the true class by `skill`."""
    rng = np.random.default_rng(seed)
    y = rng.choice(k, size=n, p=weights)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += skill
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, proba


CLASSIFICATION_CASES = [
    pytest.param(2, None, id="binary"),
    pytest.param(2, [0.9, 0.1], id="binary-imbalanced"),
    pytest.param(3, None, id="k3"),
    pytest.param(5, None, id="k5"),
    pytest.param(5, [0.6, 0.2, 0.1, 0.07, 0.03], id="k5-imbalanced"),
]


def sklearn_classification(y, proba, threshold=0.5):
    k = proba.shape[1]
    labels = list(range(k))
    if k == 2:
        pred = (proba[:, 1] >= threshold).astype(int)
        prf = {"average": "binary", "pos_label": 1}
        roc_auc = sk.roc_auc_score(y, proba[:, 1])
        pr_auc = sk.average_precision_score(y, proba[:, 1])
    else:
        pred = proba.argmax(axis=1)
        prf = {"average": "macro", "labels": labels}
        roc_auc = sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels)
        pr_auc = sk.average_precision_score(np.eye(k)[y], proba, average="macro")
    return {
        "accuracy": sk.accuracy_score(y, pred),
        "balanced_accuracy": sk.balanced_accuracy_score(y, pred),
        "precision": sk.precision_score(y, pred, zero_division=np.nan, **prf),
        "recall": sk.recall_score(y, pred, zero_division=np.nan, **prf),
        "f1": sk.f1_score(y, pred, zero_division=np.nan, **prf),
        "mcc": sk.matthews_corrcoef(y, pred),
        "roc_auc": roc_auc,
        "pr_auc": pr_auc,
        "log_loss": sk.log_loss(y, proba, labels=labels),
    }


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("k", "weights"), CLASSIFICATION_CASES)
def test_classification_metrics_match_sklearn(k, weights, seed):
    y, proba = random_classification(seed, k, weights=weights)
    ours = M.classification_metrics(y, proba)
    expected = sklearn_quiet(sklearn_classification, y, proba)
    assert set(ours) == set(M.CLASSIFICATION_KEYS) | set(M.SPREAD_KEYS)
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_binary_threshold_moves_predictions(threshold):
    y, proba = random_classification(3, 2, weights=[0.7, 0.3])
    ours = M.classification_metrics(y, proba, threshold=threshold)
    expected = sklearn_quiet(sklearn_classification, y, proba, threshold)
    for name in ("accuracy", "precision", "recall", "f1", "mcc"):
        assert ours[name] == pytest.approx(expected[name], rel=1e-9), name


def test_auc_with_tied_scores_matches_sklearn():
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, 500)
    p = np.round(np.clip(0.5 + 0.2 * (y - 0.5) + rng.normal(0, 0.2, 500), 0, 1), 1)
    ours = M.classification_metrics(y, p)
    assert ours["roc_auc"] == pytest.approx(sk.roc_auc_score(y, p), rel=1e-12)
    assert ours["pr_auc"] == pytest.approx(sk.average_precision_score(y, p), rel=1e-12)


def test_one_dimensional_proba_is_p_positive():
    y, proba = random_classification(5, 2)
    assert M.classification_metrics(y, proba[:, 1]) == pytest.approx(M.classification_metrics(y, proba))


def test_log_loss_clips_zero_probabilities():
    y = np.array([0, 1, 1])
    proba = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    ours = M.classification_metrics(y, proba)["log_loss"]
    assert np.isfinite(ours)
    assert ours == pytest.approx(sklearn_quiet(sk.log_loss, y, proba), rel=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("skill", [0.0, 1.5], ids=["noise", "skilled"])
def test_regression_metrics_match_sklearn_and_scipy(seed, skill):
    rng = np.random.default_rng(seed)
    y = rng.normal(2.0, 3.0, 300)
    pred = skill * y + rng.normal(0, 2.0, 300)
    ours = M.regression_metrics(y, pred)
    expected = {
        "mse": sk.mean_squared_error(y, pred),
        "rmse": np.sqrt(sk.mean_squared_error(y, pred)),
        "mae": sk.mean_absolute_error(y, pred),
        "r2": sk.r2_score(y, pred),
        "pearson": stats.pearsonr(y, pred).statistic,
        "spearman": stats.spearmanr(y, pred).statistic,
    }
    for name, value in expected.items():
        assert ours[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_spearman_with_ties_matches_scipy():
    rng = np.random.default_rng(6)
    y, pred = rng.integers(0, 5, 200).astype(float), rng.integers(0, 4, 200).astype(float)
    assert M.regression_metrics(y, pred)["spearman"] == pytest.approx(stats.spearmanr(y, pred).statistic)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, [0.5, 0.15, 0.35]], ids=["even", "ss-like"])
def test_residue_metrics_match_sklearn(seed, weights):
    y, proba = random_classification(seed, 3, n=3000, weights=weights, skill=0.8)
    pred = proba.argmax(axis=1)
    ours = M.residue_metrics(y, proba, ["H", "E", "C"])
    assert ours["accuracy"] == ours["q3"] == pytest.approx(sk.accuracy_score(y, pred))
    assert ours["macro_f1"] == pytest.approx(sk.f1_score(y, pred, average="macro"))
    assert ours["mcc"] == pytest.approx(sk.matthews_corrcoef(y, pred))
    precision = sk.precision_score(y, pred, average=None, labels=[0, 1, 2])
    recall = sk.recall_score(y, pred, average=None, labels=[0, 1, 2])
    for i, name in enumerate("HEC"):
        assert ours[f"precision_{name}"] == pytest.approx(precision[i])
        assert ours[f"recall_{name}"] == pytest.approx(recall[i])


def test_residue_metrics_name_q_after_class_count():
    y, proba = random_classification(7, 8, n=500)
    ours = M.residue_metrics(y, proba, list("HGIEBTSC"))
    assert ours["q8"] == ours["accuracy"]
    assert "precision_G" in ours and "recall_S" in ours


def test_compute_metrics_dispatches_on_task():
    y, proba = random_classification(8, 3)
    assert M.compute_metrics("multiclass", y, proba) == M.classification_metrics(y, proba)
    assert M.compute_metrics("residue", y, proba, ("H", "E", "C")) == M.residue_metrics(y, proba, "HEC")
    assert M.compute_metrics("regression", [1.0, 2.0, 3.0], [1.0, 2.5, 2.0])["mae"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="unknown task"):
        M.compute_metrics("ranking", y, proba)


@pytest.mark.parametrize("task", list(M.MAIN_METRICS))
def test_main_metrics_are_computed_for_their_task(task):
    y, proba = random_classification(9, 2 if task == "binary" else 3)
    outputs = proba[:, 1] if task == "regression" else proba
    if task == "multilabel":  # (N, L) 0/1 targets: the class's label, and the next one for every other protein
        y = np.eye(3)[y] + np.eye(3)[(y + 1) % 3] * (np.arange(len(y)) % 2)[:, None]
    computed = M.compute_metrics(task, y, outputs, ("H", "E", "C"))
    assert set(M.MAIN_METRICS[task]) <= set(computed)


def test_single_class_gives_nan_for_undefined_scores():
    y = np.ones(20, dtype=int)
    proba = np.column_stack([np.linspace(0.9, 0.1, 20), np.linspace(0.1, 0.9, 20)])
    ours = M.classification_metrics(y, proba)
    assert ours["accuracy"] == pytest.approx(0.5)
    assert np.isnan(ours["roc_auc"]) and np.isnan(ours["mcc"])
    assert ours["pr_auc"] == pytest.approx(1.0)


def test_constant_predictions_give_nan_precision_and_mcc():
    y = np.array([0, 1, 0, 1, 0])
    ours = M.classification_metrics(y, np.full(5, 0.1))
    assert ours["accuracy"] == pytest.approx(0.6)
    assert np.isnan(ours["precision"]) and np.isnan(ours["mcc"])
    assert ours["recall"] == 0.0 and ours["f1"] == 0.0
    assert ours["roc_auc"] == pytest.approx(0.5)


def test_multiclass_with_a_missing_class_averages_the_defined_ones():
    y, proba = random_classification(10, 4)
    y = np.where(y == 3, 0, y)
    ours = M.classification_metrics(y, proba)
    expected = np.mean([sk.roc_auc_score(y == c, proba[:, c]) for c in range(3)])
    assert ours["roc_auc"] == pytest.approx(expected)
    assert np.isfinite(ours["pr_auc"])


@pytest.mark.parametrize("task", ["binary", "multiclass", "residue"])
def test_empty_classification_inputs_are_all_nan(task):
    k = 2 if task == "binary" else 3
    ours = M.compute_metrics(task, np.array([], dtype=int), np.zeros((0, k)), ("H", "E", "C"))
    assert all(np.isnan(v) for v in ours.values())


def test_degenerate_regression_is_nan_not_a_warning():
    assert all(np.isnan(v) for v in M.regression_metrics([], []).values())
    constant_truth = M.regression_metrics([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    assert np.isnan(constant_truth["r2"]) and np.isnan(constant_truth["pearson"])
    assert constant_truth["mse"] == pytest.approx(2 / 3)
    constant_pred = M.regression_metrics([1.0, 2.0, 3.0], [0.1, 0.1, 0.1])
    assert np.isnan(constant_pred["spearman"]) and np.isfinite(constant_pred["r2"])
    assert np.isnan(M.regression_metrics([1.0], [1.0])["r2"])


def test_non_finite_outputs_are_nan():
    assert all(np.isnan(v) for v in M.classification_metrics([0, 1], [[0.5, np.nan], [0.5, 0.5]]).values())
    assert all(np.isnan(v) for v in M.regression_metrics([0.0, 1.0], [np.inf, 1.0]).values())


@pytest.mark.parametrize("normalize", [None, "true", "pred", "all"])
def test_confusion_matrix_matches_sklearn(normalize):
    y, proba = random_classification(11, 4, weights=[0.5, 0.3, 0.2, 0.0])
    pred = proba.argmax(axis=1)
    ours = M.confusion_matrix(y, pred, 4, normalize=normalize)
    np.testing.assert_allclose(ours, sk.confusion_matrix(y, pred, labels=range(4), normalize=normalize))


def test_confusion_normalisations_sum_to_one():
    y, proba = random_classification(12, 3)
    pred = proba.argmax(axis=1)
    np.testing.assert_allclose(M.confusion_matrix(y, pred, 3, "true").sum(axis=1), 1.0)
    np.testing.assert_allclose(M.confusion_matrix(y, pred, 3, "pred").sum(axis=0), 1.0)
    assert M.confusion_matrix(y, pred, 3, "all").sum() == pytest.approx(1.0)
    assert M.confusion_matrix([], [], 3, "true").sum() == 0


@pytest.mark.parametrize(("k", "n"), [(2, 300), (2, 5000), (4, 3000)])
def test_roc_curves_start_at_zero_end_at_one_and_match_sklearn_auc(k, n):
    y, proba = random_classification(13, k, n=n)
    curves = M.roc_curve_points(y, proba)
    assert list(curves) == ([1] if k == 2 else list(range(k)))
    for c, curve in curves.items():
        positive = y == c
        assert len(curve["fpr"]) == len(curve["tpr"]) == len(curve["thresholds"]) <= M.MAX_CURVE_POINTS
        assert (curve["fpr"][0], curve["tpr"][0]) == (0.0, 0.0)
        assert (curve["fpr"][-1], curve["tpr"][-1]) == (1.0, 1.0)
        assert curve["auc"] == pytest.approx(sk.roc_auc_score(positive, proba[:, c]), rel=1e-12)
        assert np.trapezoid(curve["tpr"], curve["fpr"]) == pytest.approx(curve["auc"], abs=5e-3)


def test_pr_curves_match_sklearn_average_precision():
    y, proba = random_classification(14, 2, n=4000, weights=[0.8, 0.2])
    curve = M.pr_curve_points(y, proba, classes=["soluble", "insoluble"])["insoluble"]
    assert len(curve["precision"]) == len(curve["recall"]) == len(curve["thresholds"]) <= M.MAX_CURVE_POINTS
    assert curve["recall"][0] == 1.0 and (curve["recall"][-1], curve["precision"][-1]) == (0.0, 1.0)
    assert np.isnan(curve["thresholds"][-1])
    assert curve["ap"] == pytest.approx(sk.average_precision_score(y, proba[:, 1]), rel=1e-12)
    step_area = -np.sum(np.diff(curve["recall"]) * curve["precision"][:-1])
    assert step_area == pytest.approx(curve["ap"], abs=0.02)


def test_curves_leave_out_classes_without_both_outcomes():
    y, proba = random_classification(15, 3)
    y = np.where(y == 2, 0, y)
    assert set(M.roc_curve_points(y, proba, "HEC")) == {"H", "E"}
    assert M.pr_curve_points(np.ones(10, dtype=int), np.full(10, 0.7)) == {}
    assert M.roc_curve_points([0, 1], [[np.nan, np.nan], [0.5, 0.5]]) == {}


@pytest.mark.parametrize("seed", SEEDS)
def test_calibration_curve_matches_sklearn(seed):
    y, proba = random_classification(seed, 2, n=2000, skill=2.0)
    ours = M.calibration_curve(y, proba, bins=10)
    observed, predicted = sk_calibration_curve(y, proba[:, 1], n_bins=10)
    np.testing.assert_allclose(ours["observed_fraction"], observed)
    np.testing.assert_allclose(ours["mean_predicted"], predicted)
    assert ours["count"].sum() == 2000
    assert np.all((ours["bin_centre"] > 0) & (ours["bin_centre"] < 1))


def test_calibration_of_a_calibrated_model_is_near_the_diagonal():
    rng = np.random.default_rng(16)
    p = rng.random(50_000)
    y = (rng.random(50_000) < p).astype(int)
    ours = M.calibration_curve(y, p, bins=5)
    np.testing.assert_allclose(ours["observed_fraction"], ours["mean_predicted"], atol=0.02)
    assert ours["ece"] < 0.02
    assert len(M.calibration_curve(y, np.full_like(p, 0.95))["count"]) == 1
    assert np.isnan(M.calibration_curve([], [])["ece"])


def test_metrics_at_threshold_counts_and_scores():
    y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
    p = np.array([0.9, 0.8, 0.3, 0.6, 0.2, 0.1, 0.4, 0.7])
    ours = M.metrics_at_threshold(y, p, 0.5)
    assert (ours["tp"], ours["fp"], ours["tn"], ours["fn"]) == (3, 1, 3, 1)
    pred = (p >= 0.5).astype(int)
    assert ours["mcc"] == pytest.approx(sk.matthews_corrcoef(y, pred))
    assert ours["f1"] == pytest.approx(sk.f1_score(y, pred))
    assert ours["specificity"] == pytest.approx(0.75)
    nothing_called = M.metrics_at_threshold(y, p, 1.1)
    assert nothing_called["tp"] == 0 and np.isnan(nothing_called["precision"])


def test_per_class_table_matches_sklearn_report():
    y, proba = random_classification(17, 3, weights=[0.6, 0.3, 0.1])
    pred = proba.argmax(axis=1)
    rows = M.per_class_table(y, pred, ["cytoplasm", "membrane", "secreted"])
    report = sk.classification_report(y, pred, output_dict=True, zero_division=np.nan)
    assert [r["class"] for r in rows] == ["cytoplasm", "membrane", "secreted"]
    for i, row in enumerate(rows):
        for key in ("precision", "recall", "f1"):
            assert row[key] == pytest.approx(report[str(i)][key.replace("f1", "f1-score")])
        assert row["support"] == report[str(i)]["support"]


def test_parity_data_fits_the_line_and_residuals():
    rng = np.random.default_rng(18)
    y = rng.normal(size=500)
    pred = 0.7 * y + 0.3 + rng.normal(0, 0.01, 500)
    data = M.parity_data(y, pred)
    assert data["slope"] == pytest.approx(0.7, abs=0.01) and data["intercept"] == pytest.approx(0.3, abs=0.01)
    np.testing.assert_allclose(data["residual"], pred - y)
    assert np.isnan(M.parity_data([1.0, 1.0], [0.0, 2.0])["slope"])


@pytest.mark.parametrize(("name", "expected"), [
    ("loss", False), ("val_loss", False), ("train_loss", False), ("log_loss", False), ("test_rmse", False),
    ("val_mse", False), ("mae", False), ("val_mcc", True), ("roc_auc", True), ("train_accuracy", True),
    ("r2", True), ("spearman", True), ("q3", True),
])
def test_higher_is_better(name, expected):
    assert M.higher_is_better(name) is expected
