"""The Evaluate page's view of a multi-label run: the scores of each label, one ROC and one PR curve per
label, and which labels come together in the true labels and in the predictions. The tables and figures
are built in dashboard.logic.multilabel."""
from __future__ import annotations

import streamlit as st

from dashboard.logic import charts
from dashboard.logic import multilabel as ml
from protscope.evaluation.multilabel import THRESHOLD
from protscope.train.inference import Predictions


def section(preds: Predictions, labels: tuple[str, ...], split_name: str) -> None:
    y_true, proba = preds.y_true, preds.outputs
    rows = ml.label_table(y_true, proba, labels)
    warnings(rows, proba, labels, split_name)
    st.markdown(f"**Per label** (a label is predicted when its probability is at least {THRESHOLD})")
    st.dataframe(rows, hide_index=True, width="stretch",
                 column_config={k: st.column_config.NumberColumn(title, format="%.3f")
                                for k, title in ml.TABLE_SCORES.items()})
    st.caption(f"Support: {split_name} proteins that carry the label; predicted: those the model gives it. An empty "
               "score is undefined, and the note says why; micro and macro averages above leave such labels out.")
    roc, pr = ml.curves(y_true, proba, labels)
    a, b = st.columns(2)
    a.plotly_chart(charts.roc(roc), key="eval_ml_roc", width="stretch")
    b.plotly_chart(charts.precision_recall(pr, ml.base_rates(y_true, labels)), key="eval_ml_pr", width="stretch")
    missing = [name for name in labels if str(name) not in roc]
    st.caption("One curve per label, each judged on its own. Dotted PR lines: guessing (the label's share of "
               "proteins)." + (f" No curve for {', '.join(missing)}: the {split_name} split does not hold both "
                               "proteins with and without it." if missing else ""))
    st.markdown("**Labels that come together**")
    a, b = st.columns(2)
    a.plotly_chart(ml.cooccurrence_figure(y_true, labels, "True labels"), key="eval_ml_true", width="stretch")
    b.plotly_chart(ml.cooccurrence_figure(proba >= THRESHOLD, labels, f"Predicted (P ≥ {THRESHOLD})"),
                   key="eval_ml_predicted", width="stretch")
    st.caption("Each cell counts the proteins that carry both labels (the diagonal: all with that label); the colour "
               "is the share of the row label's proteins that also carry the column label. A model that has "
               "learned how the labels go together draws a map like the true one.")


def warnings(rows: list[dict], proba, labels, split_name: str) -> None:
    """Say what the numbers cannot: labels absent from the split, labels never predicted, empty predictions."""
    absent = [r["label"] for r in rows if r["support"] == 0]
    if absent:
        st.warning(f"No {split_name} protein carries {', '.join(absent)}: {'its' if len(absent) == 1 else 'their'} "
                   "ROC AUC and average precision are undefined here (and left out of the macro averages).")
    never = ml.never_predicted(proba, labels)
    empty = ml.empty_share(proba)
    if empty == 1.0:
        st.warning("**The model predicts no label for any protein.** Its Hamming loss can still look low when most "
                   "labels are rare; F1 is 0 or undefined. Try pos_weight balanced, more epochs or a higher "
                   "learning rate.")
    elif never:
        st.warning(f"The model never predicts {', '.join(never)} (no protein reaches P ≥ {THRESHOLD}): its recall "
                   "is 0. For a rare label, pos_weight balanced weighs its few positives up.")
