"""What the Evaluate page shows for a multi-label run: pure functions from its predictions, (N, L) 0/1
truths and (N, L) per-label probabilities, to the per-label table, the curves, the co-occurrence heat
maps and the predictions CSV. No Streamlit here, so tests call them on hand-made arrays."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from dashboard.logic.chart_style import styled
from protscope.data.multilabel import label_text
from protscope.evaluation.metrics import pr_curve_points, roc_curve_points
from protscope.evaluation.multilabel import THRESHOLD, cooccurrence, per_label_rows
from protscope.train.inference import Predictions

TABLE_SCORES = {"precision": "precision", "recall": "recall", "f1": "F1", "roc_auc": "ROC AUC", "ap": "AP"}


def label_table(y_true, proba, labels) -> list[dict]:
    """One row per label (support, predicted, precision, recall, F1, ROC AUC, AP) and, where a score is
    undefined, why."""
    rows = per_label_rows(y_true, proba, labels, THRESHOLD)
    n = len(np.asarray(y_true))
    for row in rows:
        row["note"] = undefined_why(row, n)
    return rows


def undefined_why(row: dict, n: int) -> str:
    """Why a label's scores are missing, in words ('' when they are all defined)."""
    if row["support"] == 0:
        return ("no protein in this split carries it: ROC AUC and AP are undefined" +
                ("" if row["predicted"] else ", and so is F1 (never predicted either)"))
    if row["support"] == n:
        return "every protein in this split carries it: ROC AUC is undefined"
    if row["predicted"] == 0:
        return "never predicted at 0.5: precision is undefined, recall 0"
    return ""


def never_predicted(proba, labels) -> list[str]:
    """The labels no protein gets at the 0.5 threshold."""
    predicted = (np.asarray(proba) >= THRESHOLD).any(axis=0)
    return [str(name) for name, seen in zip(labels, predicted) if not seen]


def empty_share(proba) -> float:
    """The share of proteins that get no label at all at the 0.5 threshold."""
    proba = np.asarray(proba)
    return float(np.mean(~(proba >= THRESHOLD).any(axis=1))) if proba.size else float("nan")


def curves(y_true, proba, labels) -> tuple[dict, dict]:
    """ROC and PR curves of each label on its own, {label: curve} as protscope.evaluation.metrics draws one
    binary curve; a label without both carriers and non-carriers in the split has no curve and is left out."""
    truth, proba = np.asarray(y_true) > 0.5, np.asarray(proba, dtype=float)
    roc, pr = {}, {}
    for j, name in enumerate(labels):
        pair = ("not " + str(name), str(name))  # the positive class is the label itself
        roc.update(roc_curve_points(truth[:, j].astype(np.int64), proba[:, j], pair))
        pr.update(pr_curve_points(truth[:, j].astype(np.int64), proba[:, j], pair))
    return roc, pr


def base_rates(y_true, labels) -> dict:
    """Each label's share of proteins: the precision of guessing, drawn under its PR curve."""
    truth = np.asarray(y_true) > 0.5
    return {str(name): float(truth[:, j].mean()) for j, name in enumerate(labels)} if truth.size else {}


def cooccurrence_figure(y, labels, title: str) -> go.Figure:
    """Heat map of how many proteins carry both labels (the diagonal: each label alone), with the share of
    the row label's proteins that also carry the column label on hover."""
    counts = cooccurrence(y).astype(float)
    names = [str(c) for c in labels]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.nan_to_num(counts / np.diag(counts)[:, None])
    text = [[f"{int(v):,}" for v in row] for row in counts]
    hover = [[f"{a} and {b}: {int(counts[i, j]):,} proteins<br>{share[i, j]:.0%} of the {a} proteins"
              for j, b in enumerate(names)] for i, a in enumerate(names)]
    fig = go.Figure(go.Heatmap(z=share, x=names, y=names, colorscale="Blues", zmin=0, zmax=1, text=text,
                               texttemplate="%{text}", customdata=hover, hovertemplate="%{customdata}<extra></extra>",
                               showscale=False))
    fig = styled(fig, title, "also carries", "proteins with", height=340)
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(hovermode="closest")
    return fig


def prediction_rows(preds: Predictions, ids, sequences, labels) -> list[dict]:
    """The predictions CSV: one row per protein with its true and predicted label sets ('a;b', 'none')
    and every label's probability. `ids` and `sequences` are the whole dataset's, indexed by preds.rows."""
    proba = np.asarray(preds.outputs, dtype=float)
    truth = [""] * len(preds.rows) if preds.y_true is None else label_text(preds.y_true, labels)
    predicted = label_text(proba >= THRESHOLD, labels)
    names = [str(c) for c in labels]
    return [{"id": str(ids[r]), "sequence": sequences[r], "true": t, "predicted": p,
             **{f"p_{name}": float(v) for name, v in zip(names, probs)}}
            for r, t, p, probs in zip(preds.rows.tolist(), truth, predicted, proba.tolist())]
