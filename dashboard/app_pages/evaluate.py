"""Evaluate page: how a finished run does on its test (or validation) proteins, what its curves say
about over- or underfitting, and its metrics, predictions and weights to download. Any stored run
opens here (from this dashboard, the command line, a sweep or Ray, before or after a restart): its
predictions are kept with it in the run store."""
from pathlib import Path

import streamlit as st

from dashboard import class_centres, explain_tests, layer_health, learned_view, multilabel_view, runs_menu, session
from dashboard.live import one_class_warning
from dashboard.logic import charts
from dashboard.logic import evaluation as ev
from dashboard.state import repository
from protscope.evaluation.diagnosis import chance_loss, diagnose_run
from protscope.evaluation.metrics import (
    confusion_matrix,
    parity_data,
    per_class_table,
    pr_curve_points,
    roc_curve_points,
)
from protscope.serialise import csv_text
from protscope.status import Status

TRACK_WIDTH = 120
state = st.session_state
ws = session.workspace()
st.title("Evaluate")
repo = repository()
record = runs_menu.choose("eval", ws, repo, lambda r: r.done, "finished runs",
                          "Train a model on the Train page: once its run ends, its test results, curves and "
                          "predictions appear here.")
split = st.radio("Split", list(ev.SPLIT_NAMES), key="eval_split", horizontal=True, format_func=ev.SPLIT_NAMES.get,
                 help="Judge a model on the test split; the validation split already chose its best epoch.")
task, classes = record.task, record.classes
rows, extra = repo.history(record.id), repo.curves(record.id)
stored = repo.predictions(record.id, split)
monitor = (record.config.get("training") or {}).get("monitor", "val_loss")


def diagnosis_section() -> None:
    st.subheader("Over- or underfitting?")
    if not rows:
        st.info("No epoch finished, so there are no curves to read.")
        return
    d = diagnose_run(rows, monitor, chance_loss(task, classes), layer_health.internals_of(record),
                     (record.config.get("training") or {}).get("grad_clip", 0.0))
    st.markdown(f"#### {d.title}")
    st.write(d.explanation)
    a, b, c = st.columns(3)
    a.metric("Best epoch", d.best_epoch or "–", help=f"By {d.monitor}; its weights are the ones evaluated.")
    b.metric("Validation − training loss", ev.number(d.gap), help="At the last epoch.")
    c.metric("Gap relative to training loss", ev.percent(d.gap_ratio))
    for suggestion in d.suggestions:
        st.markdown(f"- {suggestion}")
    if d.inside:
        st.markdown("**Inside the network** (the layer statistics; *Layer health* below shows them):\n"
                    + "\n".join(f"- {line}" for line in d.inside))
    batch = extra["batch_losses"]
    st.plotly_chart(charts.loss_curves(rows, [b[0] for b in batch], [b[1] for b in batch], record.best_epoch,
                                       ev.stop_epoch(record.status, rows), state.get("smoothing", 0.6),
                                       [tuple(v) for v in extra["validations"]]), key="eval_loss", width="stretch")
    layer_health.section(record, key=f"eval_layers_{record.id}")


if stored is None:
    if record.status in (Status.FAILED, Status.DIVERGED, Status.INTERRUPTED, Status.STOPPED) and not record.metrics:
        st.error(f"**This run {record.status.replace('_', ' ')} without predictions.** {record.message}")
    else:
        st.warning("**This run has no stored predictions.** It was recorded before ProtScope kept predictions "
                   "with every run (or by a process that stopped before storing them); train it again to "
                   "evaluate it here. Its curves and final metrics are below.")
        st.json(record.metrics, expanded=False)
    diagnosis_section()
    st.stop()
preds, ids, sequences = stored.predictions, stored.ids, stored.sequences
if preds.y_true is None or not len(preds.y_true):
    st.info(f"The {ev.SPLIT_NAMES[split]} split of this run has no labelled proteins; choose the other split.")
    st.stop()

threshold = 0.5
if task == "binary":
    threshold = st.slider(f"Decision threshold: call a protein {classes[1]} when P({classes[1]}) ≥", 0.01, 0.99, 0.5,
                          0.01, key="threshold", help="Changes the confusion matrix, accuracy, MCC and F1 and the "
                                                      "predictions CSV; ROC and PR curves cover every threshold.")
split_metrics = record.metrics.get(split, {})
shown = ev.shown_metrics(task, split_metrics, preds.y_true, preds.outputs, threshold)
for box, (name, value) in zip(st.columns(len(shown)), shown.items()):
    box.metric(ev.metric_label(name, task, len(classes)), ev.number(value), help=ev.undefined_reason(name, value))

if task == "multilabel":  # per-label scores and curves, and which labels come together
    multilabel_view.section(preds, classes, ev.SPLIT_NAMES[split])
elif task != "regression":
    y_pred = ev.predicted_classes(preds.outputs, threshold if task == "binary" else None)
    one_class_warning(ev.spread_of(y_pred, len(classes)), classes, ev.SPLIT_NAMES[split], prefix="")
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
    par = parity_data(preds.y_true, preds.outputs)
    a, b = st.columns(2)
    a.plotly_chart(charts.parity(par["true"], par["pred"], split_metrics.get("r2", ev.NAN),
                                 split_metrics.get("spearman", ev.NAN)), key="eval_parity", width="stretch")
    b.plotly_chart(charts.histogram(par["residual"], "Residuals", "predicted − measured"), key="eval_residuals",
                   width="stretch")
elif task == "residue":
    st.subheader("One protein")
    if state.get("eval_protein", 0) >= len(preds.rows):  # the index was into another run's or split's proteins
        state.eval_protein = 0
    index = st.selectbox("Protein", range(len(preds.rows)), key="eval_protein", format_func=lambda i: str(ids[i]))
    sequence = sequences[index]
    true, predicted = ev.residue_track_strings(preds, index, len(sequence), classes)
    start = 0
    if len(sequence) > TRACK_WIDTH:
        start = st.slider("From residue", 1, len(sequence) - TRACK_WIDTH + 1, 1, key="eval_track_start") - 1
    st.plotly_chart(charts.residue_track(sequence, true, predicted, start, TRACK_WIDTH), key="eval_track",
                    width="stretch")
    st.caption("'-' marks residues without a label (unresolved), which are not scored.")
class_centres.section(record, repo)  # harmonic-loss runs only
learned_view.section(record, repo)  # the learned motifs (CNN, window network) and the learned space
explain_tests.section(record, stored, split)  # residues behind the best and worst predictions; mutation effects
diagnosis_section()

st.subheader("Downloads")
a, b, c = st.columns(3)
a.download_button("Metrics (CSV)", csv_text(ev.metric_rows(record.metrics)), file_name=f"{record.id}-metrics.csv",
                  mime="text/csv", on_click="ignore", help="Every metric of the validation and test splits.")
b.download_button("Predictions (CSV)", lambda: csv_text(ev.prediction_rows(task, preds, ids, sequences, classes,
                                                                           threshold)),
                  file_name=f"{record.id}-{split}-predictions.csv", mime="text/csv", on_click="ignore",
                  help=f"Every {ev.SPLIT_NAMES[split]} prediction" + (f", labels at threshold {threshold:.2f}"
                                                                      if task == "binary" else "") + ".")
checkpoint = Path(record.checkpoint) if record.checkpoint else None
if checkpoint is not None and checkpoint.exists():
    c.download_button("Checkpoint (.pt)", checkpoint.read_bytes, file_name=f"{record.id}-checkpoint.pt",
                      mime="application/octet-stream", on_click="ignore",
                      help="The evaluated weights; `python -m protscope predict` loads them.")
