"""Evaluation metrics: pure functions on numpy arrays, for the per-epoch history and the Evaluate page.

Classification inputs are `y_true` (N,) int class indices 0..k-1 and `proba` (N, k) probabilities;
for binary tasks column 1 is the positive class, and a 1-D `proba` is read as P(positive). Regression
inputs are `y_true` (N,) and `y_pred` (N,) floats. Multi-label inputs, (N, L) 0/1 and (N, L)
probabilities, are scored by protscope.evaluation.multilabel.

The trainer calls `compute_metrics` every epoch, so the scalar metrics come from one confusion matrix
built with `np.bincount` and AUCs from one sort per class (300k residues take a few ms). They are
tested against scikit-learn, which draws the curves directly. Nothing here raises or warns on
degenerate input: an undefined value is float('nan'). That covers empty arrays, non-finite outputs,
AUC with one class present, precision with no predicted positives (scikit-learn's
`zero_division=np.nan`; macro averages skip such classes) and MCC with constant truth or predictions
(where scikit-learn returns 0).
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.metrics import precision_recall_curve, roc_curve

from protscope.evaluation.multilabel import multilabel_metrics

NAN = float("nan")
TASKS = ("binary", "multiclass", "multilabel", "regression", "residue")
MAX_CURVE_POINTS = 500
CLASSIFICATION_KEYS = ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "mcc",
                       "roc_auc", "pr_auc", "log_loss")
REGRESSION_KEYS = ("mse", "rmse", "mae", "r2", "pearson", "spearman")
# How the predictions spread over the classes: the most predicted class (its index) and its share. A share
# of 1 means the model predicts one class for every protein: its accuracy is then just that class's
# frequency, F1 is 0 (or undefined) and MCC undefined, which the pages say in words.
SPREAD_KEYS = ("top_class", "top_class_share")

# What the dashboard plots per epoch, most important first. For residue tasks q{k} (q3 for
# secondary structure) is the same number as accuracy, so only accuracy is listed.
MAIN_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "mcc", "roc_auc", "f1"),
    "multiclass": ("accuracy", "f1", "mcc"),
    "multilabel": ("micro_f1", "macro_f1", "macro_roc_auc", "macro_ap", "subset_accuracy"),
    "regression": ("r2", "spearman", "rmse"),
    "residue": ("accuracy", "macro_f1", "mcc"),
}
LOWER_IS_BETTER_SUFFIXES = ("loss", "mse", "rmse", "mae")


def higher_is_better(name: str) -> bool:
    """False for losses and errors (`val_loss`, `train_rmse`, `mae`), True for scores."""
    return not name.lower().endswith(LOWER_IS_BETTER_SUFFIXES)


def compute_metrics(task: str, y_true, outputs, classes=()) -> dict[str, float]:
    """One epoch's metrics; `outputs` is proba for classification and residue tasks, y_pred for regression."""
    if task in ("binary", "multiclass"):
        return classification_metrics(y_true, outputs)
    if task == "regression":
        return regression_metrics(y_true, outputs)
    if task == "residue":
        return residue_metrics(y_true, outputs, classes)
    if task == "multilabel":
        return multilabel_metrics(y_true, outputs, classes)
    raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")


def classification_metrics(y_true, proba, threshold: float = 0.5) -> dict[str, float]:
    """Binary: positive-class scores at `threshold`. Multiclass: argmax, macro averages, one-vs-rest AUCs."""
    y_true, proba = _as_labels(y_true), _as_proba(proba)
    if y_true.size == 0 or not np.isfinite(proba).all():
        return dict.fromkeys(CLASSIFICATION_KEYS + SPREAD_KEYS, NAN)
    k = proba.shape[1]
    binary = k == 2
    y_pred = (proba[:, 1] >= threshold).astype(np.int64) if binary else proba.argmax(axis=1)
    cm = _confusion(y_true, y_pred, k)
    precision, recall, f1 = _per_class(cm)
    if binary:
        scores = (precision[1], recall[1], f1[1])
        roc_auc, pr_auc = _auc_and_ap(y_true == 1, proba[:, 1])
    else:
        scores = (_nanmean(precision), _nanmean(recall), _nanmean(f1))
        # One-vs-rest macro averages over the classes where each is defined (sklearn would raise).
        roc_auc, pr_auc = map(_nanmean, zip(*(_auc_and_ap(y_true == c, proba[:, c]) for c in range(k))))
    return {"accuracy": _accuracy(cm), "balanced_accuracy": _nanmean(recall),
            **dict(zip(("precision", "recall", "f1"), map(float, scores))),
            "mcc": _mcc(cm), "roc_auc": roc_auc, "pr_auc": pr_auc, "log_loss": _log_loss(y_true, proba),
            **_spread(cm)}


def residue_metrics(y_true, proba, classes=()) -> dict[str, float]:
    """Per-residue scores over the scored residues: accuracy (= q{k}), macro F1, MCC, per-class P/R."""
    y_true, proba = _as_labels(y_true), _as_proba(proba)
    k = proba.shape[1]
    names = _class_names(classes, k)
    if y_true.size == 0 or not np.isfinite(proba).all():
        precision = recall = f1 = np.full(k, NAN)
        accuracy = mcc = NAN
    else:
        cm = _confusion(y_true, proba.argmax(axis=1), k)
        precision, recall, f1 = _per_class(cm)
        accuracy, mcc = _accuracy(cm), _mcc(cm)
    spread = _spread(cm) if y_true.size and np.isfinite(proba).all() else dict.fromkeys(SPREAD_KEYS, NAN)
    out = {"accuracy": accuracy, f"q{k}": accuracy, "macro_f1": _nanmean(f1), "mcc": mcc, **spread}
    out.update({f"precision_{name}": float(v) for name, v in zip(names, precision)})
    out.update({f"recall_{name}": float(v) for name, v in zip(names, recall)})
    return out


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if y_true.size == 0 or not (np.isfinite(y_true).all() and np.isfinite(y_pred).all()):
        return dict.fromkeys(REGRESSION_KEYS, NAN)
    error = y_pred - y_true
    mse = float(np.mean(error**2))
    # R² compares with predicting the mean; undefined when y_true is constant.
    total = float(np.sum((y_true - y_true.mean()) ** 2)) if np.ptp(y_true) > 0 else 0.0
    return {"mse": mse, "rmse": float(np.sqrt(mse)), "mae": float(np.mean(np.abs(error))),
            "r2": 1.0 - mse * y_true.size / total if total > 0 else NAN,
            "pearson": _pearson(y_true, y_pred), "spearman": _pearson(rankdata(y_true), rankdata(y_pred))}


def confusion_matrix(y_true, y_pred, k: int, normalize: str | None = None) -> np.ndarray:
    """(k, k) counts, rows = true class, columns = predicted; `normalize` "true"/"pred"/"all" as in sklearn."""
    cm = _confusion(_as_labels(y_true), _as_labels(y_pred), k)
    if normalize is None:
        return cm
    axis = {"true": 1, "pred": 0, "all": None}[normalize]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Rows/columns with no samples become 0 rather than nan, as scikit-learn does.
        return np.nan_to_num(cm / cm.sum(axis=axis, keepdims=axis is not None))


def metrics_at_threshold(y_true, p_positive, threshold: float = 0.5) -> dict[str, float]:
    """Binary scores when proteins with P(positive) >= threshold are called positive."""
    y_pred = (_positive_scores(p_positive) >= threshold).astype(np.int64)
    cm = _confusion(_as_labels(y_true), y_pred, 2)
    precision, recall, f1 = _per_class(cm)
    (tn, fp), (fn, tp) = cm.tolist()
    return {"accuracy": _accuracy(cm), "precision": float(precision[1]), "recall": float(recall[1]),
            "f1": float(f1[1]), "mcc": _mcc(cm), "specificity": float(recall[0]),
            "tp": tp, "fp": fp, "tn": tn, "fn": fn}


def per_class_table(y_true, y_pred, classes) -> list[dict]:
    """One row per class: precision, recall, F1 (nan where undefined) and support (true count)."""
    names = list(classes)
    cm = _confusion(_as_labels(y_true), _as_labels(y_pred), len(names))
    precision, recall, f1 = _per_class(cm)
    return [{"class": name, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for name, p, r, f, s in zip(names, precision, recall, f1, cm.sum(axis=1))]


def roc_curve_points(y_true, proba, classes=()) -> dict:
    """{class: {"fpr", "tpr", "thresholds", "auc"}}: one curve for binary, one-vs-rest per class otherwise.

    Classes whose curve is undefined (no positives or no negatives) are left out.
    """
    curves = {}
    for name, is_pos, score in _one_vs_rest(y_true, proba, classes):
        fpr, tpr, thresholds = roc_curve(is_pos, score)
        keep = _downsample(fpr.size)
        curves[name] = {"fpr": fpr[keep], "tpr": tpr[keep], "thresholds": thresholds[keep],
                        "auc": _auc_and_ap(is_pos, score)[0]}
    return curves


def pr_curve_points(y_true, proba, classes=()) -> dict:
    """{class: {"precision", "recall", "thresholds", "ap"}}, recall decreasing to the (0, 1) end point.

    The end point has no threshold, so `thresholds` ends with nan to keep the arrays the same length.
    """
    curves = {}
    for name, is_pos, score in _one_vs_rest(y_true, proba, classes):
        precision, recall, thresholds = precision_recall_curve(is_pos, score)
        keep = _downsample(precision.size)
        curves[name] = {"precision": precision[keep], "recall": recall[keep],
                        "thresholds": np.append(thresholds, NAN)[keep],
                        "ap": _auc_and_ap(is_pos, score)[1]}
    return curves


def calibration_curve(y_true, proba, bins: int = 10) -> dict:
    """Binary reliability diagram over equal-width bins of P(positive); empty bins are dropped.

    Bin edges follow sklearn.calibration.calibration_curve. `ece` is the expected calibration
    error: the count-weighted mean |observed fraction - mean predicted|.
    """
    p = _positive_scores(proba)
    is_pos = _as_labels(y_true) == 1
    finite = np.isfinite(p)
    p, is_pos = p[finite], is_pos[finite]
    edges = np.linspace(0.0, 1.0, bins + 1)
    ids = np.searchsorted(edges[1:-1], p)
    count = np.bincount(ids, minlength=bins)
    filled = count > 0
    mean_predicted = np.bincount(ids, weights=p, minlength=bins)[filled] / count[filled]
    observed = np.bincount(ids, weights=is_pos, minlength=bins)[filled] / count[filled]
    ece = float(np.sum(count[filled] * np.abs(observed - mean_predicted)) / p.size) if p.size else NAN
    return {"bin_centre": ((edges[:-1] + edges[1:]) / 2)[filled], "mean_predicted": mean_predicted,
            "observed_fraction": observed, "count": count[filled], "ece": ece}


def parity_data(y_true, y_pred) -> dict:
    """Points for a predicted-vs-true plot, residual = pred - true, and the least-squares line pred ~ true."""
    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    slope, intercept = _line_fit(y_true, y_pred)
    return {"true": y_true, "pred": y_pred, "residual": y_pred - y_true, "slope": slope, "intercept": intercept}


def _as_labels(y) -> np.ndarray:
    return np.asarray(y).astype(np.int64, copy=False).ravel()


def _as_proba(proba) -> np.ndarray:
    """(N, k) floats; a 1-D array is P(positive) of a binary task (one-logit BCE models)."""
    proba = np.asarray(proba)
    if not np.issubdtype(proba.dtype, np.floating):
        proba = proba.astype(float)
    return np.column_stack([1 - proba, proba]) if proba.ndim == 1 else proba


def _positive_scores(proba) -> np.ndarray:
    """(N,) P(positive) from either (N,) or (N, 2)."""
    proba = np.asarray(proba, dtype=float)
    return proba[:, 1] if proba.ndim == 2 else proba


def _class_names(classes, k: int) -> list[str]:
    return [str(c) for c in classes] if len(classes) == k else [str(i) for i in range(k)]


def _confusion(y_true: np.ndarray, y_pred: np.ndarray, k: int) -> np.ndarray:
    """(k, k) int64 counts, rows = true, columns = predicted."""
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def _per_class(cm: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(k,) precision, recall, F1; nan where the denominator is 0. F1 = 2TP / (2TP + FP + FN)."""
    tp = np.diag(cm).astype(float)
    predicted, actual = cm.sum(axis=0), cm.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return tp / predicted, tp / actual, 2 * tp / (predicted + actual)


def _spread(cm: np.ndarray) -> dict[str, float]:
    predicted = cm.sum(axis=0)  # (k,) how often each class was predicted
    top = int(predicted.argmax())
    return {"top_class": float(top), "top_class_share": float(predicted[top] / max(predicted.sum(), 1))}


def one_class(metrics: dict, prefix: str = "") -> int | None:
    """The class a model predicts for every example (from a metrics dict, keys optionally prefixed like
    'val_'), or None when it predicts more than one."""
    share = metrics.get(f"{prefix}top_class_share")
    if share is None or not np.isfinite(share) or share < 1.0:
        return None
    return int(metrics[f"{prefix}top_class"])


def _accuracy(cm: np.ndarray) -> float:
    n = cm.sum()
    return float(np.trace(cm) / n) if n else NAN


def _mcc(cm: np.ndarray) -> float:
    """Multiclass Matthews correlation (Gorodkin's R_K), the same formula as scikit-learn."""
    t, p = cm.sum(axis=1, dtype=float), cm.sum(axis=0, dtype=float)
    n = t.sum()
    covariance = np.trace(cm) * n - t @ p
    variance = (n * n - p @ p) * (n * n - t @ t)
    return float(covariance / np.sqrt(variance)) if variance > 0 else NAN


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else NAN


def _log_loss(y_true: np.ndarray, proba: np.ndarray) -> float:
    """Mean -log P(true class), clipped to [eps, 1 - eps] for the array's dtype, as scikit-learn does."""
    eps = np.finfo(proba.dtype).eps
    p = np.clip(proba[np.arange(y_true.size), y_true], eps, 1 - eps)
    return float(-np.mean(np.log(p)))


def _auc_and_ap(is_pos: np.ndarray, score: np.ndarray) -> tuple[float, float]:
    """ROC AUC and average precision from one sort; nan where undefined, ties handled as scikit-learn does.

    AP is the sum over distinct thresholds of (recall step) x precision.
    """
    n_pos = int(is_pos.sum())
    n_neg = is_pos.size - n_pos
    if n_pos == 0:
        return NAN, NAN
    order = np.argsort(score)[::-1]
    score, is_pos = score[order], is_pos[order]
    # Cumulative true/false positives at each distinct score, highest first (tied scores act as one).
    last_of_tie = np.r_[np.flatnonzero(np.diff(score)), score.size - 1]
    tps = np.cumsum(is_pos)[last_of_tie]
    fps = last_of_tie + 1 - tps
    ap = float(np.sum(np.diff(np.r_[0.0, tps / n_pos]) * tps / (tps + fps)))
    auc = float(np.trapezoid(np.r_[0, tps] / n_pos, np.r_[0, fps] / n_neg)) if n_neg else NAN
    return auc, ap


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    if a.size < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return NAN
    a, b = a - a.mean(), b - b.mean()
    return float(np.clip(a @ b / np.sqrt((a @ a) * (b @ b)), -1.0, 1.0))


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    finite = np.isfinite(x) & np.isfinite(y)
    x, y = x[finite], y[finite]
    if x.size < 2 or np.ptp(x) == 0:
        return NAN, NAN
    dx = x - x.mean()
    slope = float(dx @ (y - y.mean()) / (dx @ dx))
    return slope, float(y.mean() - slope * x.mean())


def _one_vs_rest(y_true, proba, classes):
    """(name, is_positive (N,), score (N,)) per curve that can be drawn: both outcomes present, finite scores."""
    y_true, proba = _as_labels(y_true), _as_proba(proba)
    k = proba.shape[1]
    if not np.isfinite(proba).all():
        return
    names = list(classes) if len(classes) == k else list(range(k))
    for c in ([1] if k == 2 else range(k)):
        is_pos = y_true == c
        if is_pos.any() and not is_pos.all():
            yield names[c], is_pos, proba[:, c]


def _downsample(n: int) -> np.ndarray:
    """At most MAX_CURVE_POINTS evenly spaced indices into n points, always keeping both ends."""
    return np.unique(np.linspace(0, n - 1, min(n, MAX_CURVE_POINTS)).round().astype(np.int64))
