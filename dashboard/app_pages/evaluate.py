"""Evaluate page: how a finished run does on its test (or validation) proteins, what its curves say
about over- or underfitting, and its metrics, predictions and weights to download."""
from pathlib import Path

import streamlit as st

from core.diagnosis import chance_loss, diagnose
from core.metrics import confusion_matrix, parity_data, per_class_table, pr_curve_points, roc_curve_points
from core.serialise import csv_text
from dashboard import charts
from dashboard import evaluation as ev
from dashboard.state import job_manager

TRACK_WIDTH = 120
state = st.session_state
st.title("Evaluate")
finished = {job.run_id: job for job in job_manager().finished()}
if not finished:
    st.info("No finished runs yet. Train a model on the Train page: once its run ends, its test results, "
            "curves and predictions appear here.")
    st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
    st.stop()
if state.get("eval_run") not in finished:  # a run forgotten by the server, or none chosen yet: the newest
    state.eval_run = next(iter(finished))
left, right = st.columns([3, 1])
left.selectbox("Run", list(finished), key="eval_run",
               format_func=lambda r: ev.run_title(r, finished[r].label, finished[r].dataset))
split = right.radio("Split", list(ev.SPLIT_NAMES), key="eval_split", horizontal=True, format_func=ev.SPLIT_NAMES.get,
                    help="Judge a model on the test split; the validation split already chose its best epoch.")
job = finished[state.eval_run]
result, data, snap = job.result, job.data, job.snapshot()
task, classes, rows = data.task, data.classes, snap.rows()
preds = result.predictions.get(split)


def diagnosis_section() -> None:
    st.subheader("Over- or underfitting?")
    if not rows:
        st.info("No epoch finished, so there are no curves to read.")
        return
    d = diagnose(rows, job.config.training.monitor, chance_loss=chance_loss(task, classes))
    st.markdown(f"#### {d.title}")
    st.write(d.explanation)
    a, b, c = st.columns(3)
    a.metric("Best epoch", d.best_epoch or "–", help=f"By {d.monitor}; its weights are the ones evaluated.")
    b.metric("Validation − training loss", ev.number(d.gap), help="At the last epoch.")
    c.metric("Gap relative to training loss", ev.percent(d.gap_ratio))
    for suggestion in d.suggestions:
        st.markdown(f"- {suggestion}")
    batch = snap.batch_losses
    st.plotly_chart(charts.loss_curves(rows, [b[0] for b in batch], [b[1] for b in batch], result.best_epoch,
                                       ev.stop_epoch(result.status, rows), state.get("smoothing", 0.6),
                                       [(v.position, v.val_loss) for v in snap.validations]),
                    key="eval_loss", width="stretch")


if preds is None:
    st.error(f"**This run {result.status.replace('_', ' ')} without predictions.** {result.message}")
    diagnosis_section()
    st.stop()
if preds.y_true is None or not len(preds.y_true):
    st.info(f"The {ev.SPLIT_NAMES[split]} split of this run has no labelled proteins; choose the other split.")
    st.stop()

threshold = 0.5
if task == "binary":
    threshold = st.slider("Decision threshold: call a protein positive when P(positive) ≥", 0.01, 0.99, 0.5, 0.01,
                          key="threshold", help="Changes the confusion matrix, accuracy, MCC and F1 and the "
                                                "predictions CSV; ROC and PR curves cover every threshold.")
shown = ev.shown_metrics(task, result.metrics.get(split, {}), preds.y_true, preds.outputs, threshold)
for box, (name, value) in zip(st.columns(len(shown)), shown.items()):
    box.metric(ev.metric_label(name, task, len(classes)), ev.number(value))

if task != "regression":
    y_pred = ev.predicted_classes(preds.outputs, threshold if task == "binary" else None)
    normalised = st.toggle("Show shares of each true class instead of counts", key="eval_normalised")
    a, b = st.columns(2)
    matrix = confusion_matrix(preds.y_true, y_pred, len(classes), "true" if normalised else None)
    a.plotly_chart(charts.confusion(matrix, classes, normalised), key="eval_confusion", width="stretch")
    b.markdown("**Per class**")
    b.dataframe(per_class_table(preds.y_true, y_pred, classes), hide_index=True, width="stretch",
                column_config={k: st.column_config.NumberColumn(format="%.3f") for k in ("precision", "recall", "f1")})
    b.caption("Support: proteins (residues, for per-residue tasks) of that true class in this split.")
if task in ("binary", "multiclass"):
    a, b, c = st.columns(3)
    a.plotly_chart(charts.roc(roc_curve_points(preds.y_true, preds.outputs, classes)), key="eval_roc",
                   width="stretch")
    b.plotly_chart(charts.precision_recall(pr_curve_points(preds.y_true, preds.outputs, classes),
                                           ev.base_rates(preds.y_true, classes)), key="eval_pr", width="stretch")
    cal, y_label = ev.calibration_data(preds.y_true, preds.outputs)
    c.plotly_chart(charts.calibration(cal).update_yaxes(title_text=y_label), key="eval_calibration", width="stretch")
    c.caption(f"Expected calibration error {ev.number(cal['ece'])}"
              + ("" if task == "binary" else ", of the top class's probability") + ". Dotted PR lines: guessing.")
elif task == "regression":
    par, m = parity_data(preds.y_true, preds.outputs), result.metrics.get(split, {})
    a, b = st.columns(2)
    a.plotly_chart(charts.parity(par["true"], par["pred"], m.get("r2", ev.NAN), m.get("spearman", ev.NAN)),
                   key="eval_parity", width="stretch")
    b.plotly_chart(charts.histogram(par["residual"], "Residuals", "predicted − measured"), key="eval_residuals",
                   width="stretch")
else:
    st.subheader("One protein")
    if state.get("eval_protein", 0) >= len(preds.rows):  # the index was into another run's or split's proteins
        state.eval_protein = 0
    index = st.selectbox("Protein", range(len(preds.rows)), key="eval_protein",
                         format_func=lambda i: str(data.ids[preds.rows[i]]))
    sequence = data.sequences[preds.rows[index]]
    true, predicted = ev.residue_track_strings(preds, index, len(sequence), classes)
    start = 0
    if len(sequence) > TRACK_WIDTH:
        start = st.slider("From residue", 1, len(sequence) - TRACK_WIDTH + 1, 1, key="eval_track_start") - 1
    st.plotly_chart(charts.residue_track(sequence, true, predicted, start, TRACK_WIDTH), key="eval_track",
                    width="stretch")
    st.caption("'-' marks residues without a label (unresolved), which are not scored.")

diagnosis_section()

st.subheader("Downloads")
a, b, c = st.columns(3)
a.download_button("Metrics (CSV)", csv_text(ev.metric_rows(result.metrics)), file_name=f"{job.run_id}-metrics.csv",
                  mime="text/csv", on_click="ignore", help="Every metric of the validation and test splits.")
b.download_button("Predictions (CSV)", lambda: csv_text(ev.prediction_rows(task, preds, data.ids, data.sequences,
                                                                           classes, threshold)),
                  file_name=f"{job.run_id}-{split}-predictions.csv", mime="text/csv", on_click="ignore",
                  help=f"Every {ev.SPLIT_NAMES[split]} prediction" + (f", labels at threshold {threshold:.2f}"
                                                                      if task == "binary" else "") + ".")
checkpoint = Path(result.checkpoint) if result.checkpoint else None
if checkpoint is not None and checkpoint.exists():
    c.download_button("Checkpoint (.pt)", checkpoint.read_bytes, file_name=f"{job.run_id}-checkpoint.pt",
                      mime="application/octet-stream", on_click="ignore",
                      help="The evaluated weights; `python -m core predict` loads them.")
