"""Multi-label metrics: each protein carries any set of L labels. Inputs are `y_true` (N, L) 0/1 and
`proba` (N, L), the model's probability of each label on its own (a sigmoid per label, not a softmax).

A label is predicted when its probability is at least `threshold` (0.5). Per label: precision, recall,
F1, ROC AUC and average precision, each label judged on its own. Over all labels: micro averages pool
every (protein, label) decision, macro averages are the plain mean over labels; subset accuracy is the
share of proteins whose predicted set is exactly right, Hamming loss the share of wrong decisions.

Conventions are scikit-learn's (tests compare with f1_score, roc_auc_score, average_precision_score,
accuracy_score and hamming_loss): an undefined value is nan, never 0. That is F1 of a label neither
present nor predicted (zero_division=np.nan), ROC AUC of a label with no positives or no negatives in the
evaluated split, and average precision of a label with no positives; macro averages skip them, where
scikit-learn would raise (AUC) or count them as 0 (AP). Nothing here imports protscope.evaluation.metrics,
which dispatches to this module.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

NAN = float("nan")
THRESHOLD = 0.5  # a label is predicted when its probability is at least this
MULTILABEL_KEYS = ("subset_accuracy", "hamming_loss", "micro_precision", "micro_recall", "micro_f1", "macro_f1",
                   "micro_roc_auc", "macro_roc_auc", "micro_ap", "macro_ap")
PER_LABEL_KEYS = ("f1", "roc_auc", "ap")  # stored per label as f1_<label>, roc_auc_<label>, ap_<label>


def multilabel_metrics(y_true, proba, labels=(), threshold: float = THRESHOLD) -> dict[str, float]:
    """The scores over all labels (MULTILABEL_KEYS) and f1/roc_auc/ap of each label."""
    truth, proba = _as_truth(y_true), np.asarray(proba, dtype=float)
    names = _names(labels, proba.shape[1] if proba.ndim == 2 else 0)
    if truth.size == 0 or not np.isfinite(proba).all():
        return dict.fromkeys([*MULTILABEL_KEYS, *(f"{k}_{n}" for k in PER_LABEL_KEYS for n in names)], NAN)
    predicted = proba >= threshold
    tp, fp, fn = _counts(truth, predicted)
    _, _, f1 = _scores(tp, fp, fn)
    micro_precision, micro_recall, micro_f1 = (float(v) for v in _scores(tp.sum(), fp.sum(), fn.sum()))
    auc, ap = ranking_scores(truth, proba)
    pooled_auc, pooled_ap = ranking_scores(truth.reshape(-1, 1), proba.reshape(-1, 1))
    out = {"subset_accuracy": float(np.mean((predicted == truth).all(axis=1))),
           "hamming_loss": float(np.mean(predicted != truth)),
           "micro_precision": micro_precision, "micro_recall": micro_recall, "micro_f1": micro_f1,
           "macro_f1": _nanmean(f1), "micro_roc_auc": float(pooled_auc[0]), "macro_roc_auc": _nanmean(auc),
           "micro_ap": float(pooled_ap[0]), "macro_ap": _nanmean(ap)}
    for key, values in zip(PER_LABEL_KEYS, (f1, auc, ap)):
        out.update({f"{key}_{name}": float(v) for name, v in zip(names, values)})
    return out


def per_label_rows(y_true, proba, labels, threshold: float = THRESHOLD) -> list[dict]:
    """One row per label: proteins carrying it (support), predicted with it, precision, recall, F1, ROC AUC
    and AP (nan where undefined)."""
    truth, proba = _as_truth(y_true), np.asarray(proba, dtype=float)
    predicted = proba >= threshold
    tp, fp, fn = _counts(truth, predicted)
    precision, recall, f1 = _scores(tp, fp, fn)
    auc, ap = ranking_scores(truth, proba)
    columns = zip(_names(labels, proba.shape[1]), truth.sum(axis=0), predicted.sum(axis=0), precision, recall, f1,
                  auc, ap)
    return [{"label": name, "support": int(s), "predicted": int(p), "precision": float(pr), "recall": float(r),
             "f1": float(f), "roc_auc": float(a), "ap": float(v)} for name, s, p, pr, r, f, a, v in columns]


def cooccurrence(y) -> np.ndarray:
    """(L, L) int: how many proteins carry both label i and label j; the diagonal counts each label."""
    y = _as_truth(y).astype(np.int64)
    return y.T @ y


def ranking_scores(truth: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(L,) ROC AUC and (L,) average precision of each column, all columns at once; ties as scikit-learn.

    AUC is the Mann-Whitney statistic on average ranks (tied scores count half), which equals the area
    under the ROC curve with ties drawn as diagonal steps. AP sums, over distinct thresholds from the
    highest, the recall gained times the precision there: each positive adds 1/n_pos times the
    precision at the end of its run of tied scores.
    """
    n, _ = truth.shape
    positives = truth.sum(axis=0)
    negatives = n - positives
    ranks = rankdata(scores, axis=0)  # (N, L) average ranks, 1 = the lowest score
    with np.errstate(divide="ignore", invalid="ignore"):
        auc = ((ranks * truth).sum(axis=0) - positives * (positives + 1) / 2) / (positives * negatives)
    order = np.argsort(-scores, axis=0, kind="stable")  # (N, L) highest score first
    ordered, hits = np.take_along_axis(scores, order, 0), np.take_along_axis(truth, order, 0)
    true_positives = np.cumsum(hits, axis=0)
    run_end = np.ones_like(ordered, dtype=bool)
    run_end[:-1] = ordered[:-1] != ordered[1:]  # the last row of each run of tied scores
    position = np.where(run_end, np.arange(n)[:, None], n)
    end = np.minimum.accumulate(position[::-1], axis=0)[::-1]  # (N, L) row where each row's run ends
    precision_at_end = np.take_along_axis(true_positives, end, 0) / (end + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ap = (hits * precision_at_end).sum(axis=0) / positives
    auc[(positives == 0) | (negatives == 0)] = NAN
    ap[positives == 0] = NAN
    return auc, ap


def _as_truth(y) -> np.ndarray:
    """(N, L) 0/1 as float: multi-hot targets may arrive as float32 (training) or int (tests)."""
    y = np.asarray(y, dtype=float)
    return (y > 0.5).astype(float) if y.ndim == 2 else y.reshape(-1, 1)


def _counts(truth: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(L,) true positives, false positives and false negatives of each label."""
    present = truth > 0.5
    return ((present & predicted).sum(axis=0), (~present & predicted).sum(axis=0),
            (present & ~predicted).sum(axis=0))


def _scores(tp, fp, fn):
    """Precision, recall and F1 = 2TP / (2TP + FP + FN); nan where the denominator is 0."""
    tp, fp, fn = (np.asarray(v, dtype=float) for v in (tp, fp, fn))
    with np.errstate(divide="ignore", invalid="ignore"):
        return tp / (tp + fp), tp / (tp + fn), 2 * tp / (2 * tp + fp + fn)


def _nanmean(values) -> float:
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else NAN


def _names(labels, k: int) -> list[str]:
    return [str(c) for c in labels] if len(labels) == k else [str(i) for i in range(k)]
