"""What the Evaluate page computes: pure functions from a run's predictions (numpy arrays) to the
numbers, tables and strings it shows or offers for download. No Streamlit here, so tests call
them directly on hand-made arrays."""
from __future__ import annotations

import math

import numpy as np

from dashboard.logic import multilabel
from protscope.evaluation.metrics import MAIN_METRICS, calibration_curve, metrics_at_threshold
from protscope.serialise import clean_json
from protscope.status import Status
from protscope.train.inference import Predictions

NAN = float("nan")
SPLIT_NAMES = {"test": "test", "val": "validation"}


def run_title(run_id: str, label: str, dataset: str) -> str:
    return " · ".join(part for part in (run_id, label, dataset) if part)


def number(value: float) -> str:
    """A metric for st.metric: three decimals, or "undefined" where it has no value (nan)."""
    return f"{value:.3f}" if value is not None and math.isfinite(value) else "undefined"


UNDEFINED = {
    "mcc": "MCC is undefined when the model predicts only one class (or the split holds only one).",
    "f1": "F1 is undefined when the model never predicts the positive class and none is present.",
    "roc_auc": "ROC AUC is undefined when the split holds proteins of only one class.",
    "r2": "R² is undefined when every true value is the same.",
    "spearman": "Spearman is undefined when all predictions (or all true values) are the same.",
    "micro_f1": "Micro F1 is undefined when no protein carries any label and none is predicted.",
    "macro_f1": "Macro F1 is undefined when no label is present or predicted in this split.",
    "macro_roc_auc": "Macro ROC AUC is undefined when no label has both carriers and non-carriers in this split.",
    "macro_ap": "Macro AP is undefined when no protein in this split carries any label.",
}


def undefined_reason(name: str, value: float) -> str | None:
    """A metric box's tooltip when its value is undefined: why, in words."""
    if value is not None and math.isfinite(value):
        return None
    return UNDEFINED.get(name, f"{name} has no value for these predictions.")


def spread_of(y_pred, k: int) -> dict:
    """The most predicted class and its share, as protscope.evaluation.metrics reports them."""
    counts = np.bincount(np.asarray(y_pred, dtype=np.int64), minlength=k)
    top = int(counts.argmax())
    return {"top_class": float(top), "top_class_share": float(counts[top] / max(counts.sum(), 1))}


def percent(value: float) -> str:
    return f"{value:.0%}" if value is not None and math.isfinite(value) else "–"


def metric_label(name: str, task: str, n_classes: int) -> str:
    """Per-residue accuracy is the field's Q3 (Q8...): the share of scored residues predicted right."""
    if task == "residue" and name == "accuracy":
        return f"Q{n_classes}"
    return {"mcc": "MCC", "roc_auc": "ROC AUC", "f1": "F1", "macro_f1": "macro F1", "r2": "R²",
            "rmse": "RMSE", "micro_f1": "micro F1", "macro_roc_auc": "macro ROC AUC",
            "macro_ap": "macro AP"}.get(name, name.replace("_", " "))


def predicted_classes(proba: np.ndarray, threshold: float | None = None) -> np.ndarray:
    """Class indices: P(positive) >= threshold for a binary task given one, else the most probable class."""
    proba = np.asarray(proba)
    if threshold is not None and proba.ndim == 2 and proba.shape[1] == 2:
        return (proba[:, 1] >= threshold).astype(np.int64)
    return proba.argmax(axis=1)


def shown_metrics(task: str, metrics: dict, y_true, outputs, threshold: float = 0.5) -> dict[str, float]:
    """The task's main metrics and the loss; for binary tasks, the ones a threshold changes are
    recomputed at `threshold` (the run's own metrics are at 0.5; ROC AUC does not depend on it)."""
    out = {name: metrics.get(name, NAN) for name in MAIN_METRICS[task]}
    if task == "binary" and y_true is not None and len(y_true):
        at = metrics_at_threshold(y_true, outputs, threshold)
        out.update({name: at[name] for name in out if name in at})
    out["loss"] = metrics.get("loss", NAN)
    return out


def metric_rows(metrics: dict[str, dict]) -> list[dict]:
    """One row per split and metric, for the metrics CSV; undefined values are left empty."""
    return [{"split": split, "metric": name, "value": clean_json(value)}
            for split, values in metrics.items() for name, value in values.items()]


def base_rates(y_true, classes) -> dict:
    """The share of each class: the precision of guessing, drawn under each PR curve.

    Keyed as protscope.evaluation.metrics names the curves: the positive class only for binary tasks."""
    y_true = np.asarray(y_true)
    names = list(classes)
    chosen = [1] if len(names) == 2 else range(len(names))
    return {names[c]: float(np.mean(y_true == c)) if y_true.size else NAN for c in chosen}


def calibration_data(y_true, proba) -> tuple[dict, str]:
    """A reliability diagram and what its y axis means. Binary: P(positive) against the observed
    share of positives. Multiclass: the top class's probability (the model's confidence) against
    how often the top class is right."""
    y_true, proba = np.asarray(y_true), np.asarray(proba, dtype=float)
    if proba.shape[1] == 2:
        return calibration_curve(y_true, proba), "observed fraction positive"
    correct = (proba.argmax(axis=1) == y_true).astype(np.int64)
    return calibration_curve(correct, proba.max(axis=1)), "fraction predicted correctly"


def stop_epoch(status: str, rows: list[dict]) -> int:
    """The epoch where early stopping ended the run, 0 when it did not."""
    return int(rows[-1]["epoch"]) if status == Status.EARLY_STOPPED and rows else 0


def residue_track_strings(preds: Predictions, index: int, length: int, classes) -> tuple[str, str]:
    """True and predicted states of protein `index` (into preds.rows) as strings of `length`;
    positions that were not scored (unresolved residues) have no prediction and read '-'."""
    names = np.array([str(c)[:1] for c in classes])
    true, predicted = np.full(length, "-", dtype="<U1"), np.full(length, "-", dtype="<U1")
    here = preds.protein == index
    positions = preds.position[here]
    if preds.y_true is not None:
        true[positions] = names[preds.y_true[here]]
    predicted[positions] = names[np.asarray(preds.outputs)[here].argmax(axis=1)]
    return "".join(true), "".join(predicted)


def prediction_rows(task: str, preds: Predictions, ids, sequences, classes, threshold: float = 0.5) -> list[dict]:
    """The predictions CSV: one row per protein (per scored residue for per-residue tasks).

    `ids` and `sequences` are the whole dataset's, indexed by preds.rows. Binary predicted labels
    use `threshold`, as the page shows them."""
    if task == "residue":
        return _residue_rows(preds, ids, sequences, classes)
    if task == "multilabel":
        return multilabel.prediction_rows(preds, ids, sequences, classes)
    truth = [None] * len(preds.rows) if preds.y_true is None else preds.y_true.tolist()
    base = [{"id": str(ids[r]), "sequence": sequences[r]} for r in preds.rows.tolist()]
    if task == "regression":
        values = np.asarray(preds.outputs, dtype=float).tolist()
        return [{**b, "true": t, "predicted": v, "residual": None if t is None else v - t}
                for b, t, v in zip(base, truth, values)]
    names = [str(c) for c in classes]
    proba = np.asarray(preds.outputs, dtype=float)
    predicted = predicted_classes(proba, threshold if task == "binary" else None).tolist()
    return [{**b, "true": "" if t is None else names[t], "predicted": names[p],
             **{f"p_{name}": float(v) for name, v in zip(names, probs)}}
            for b, t, p, probs in zip(base, truth, predicted, proba.tolist())]


def _residue_rows(preds: Predictions, ids, sequences, classes) -> list[dict]:
    names = [str(c) for c in classes]
    proteins = preds.rows[preds.protein].tolist()
    truth = [None] * len(proteins) if preds.y_true is None else preds.y_true.tolist()
    predicted = np.asarray(preds.outputs).argmax(axis=1).tolist()
    # Positions are 1-based, as in UniProt and the residue track's axis.
    return [{"id": str(ids[r]), "position": p + 1, "residue": sequences[r][p], "true": "" if t is None else names[t],
             "predicted": names[y]} for r, p, t, y in zip(proteins, preds.position.tolist(), truth, predicted)]
