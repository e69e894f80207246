"""Predict page: new sequences through a trained model, with probabilities; bad rows are reported by
number and the rest are still predicted."""
from pathlib import Path

import streamlit as st

from core.errors import ProtScopeError
from core.predict import parse_pasted, predict_sequences, read_sequences
from core.serialise import csv_text
from dashboard.state import job_manager, run_store

st.title("Predict")
# Every run with a saved model: this server's, and earlier ones from the run store (other sessions,
# the command line, before a restart).
models = {j.run_id: {"label": j.label, "dataset": j.dataset, "task": j.data.task, "checkpoint": j.result.checkpoint,
                     "metrics": j.result.metrics} for j in job_manager().finished() if j.result.checkpoint}
for run in run_store().list_runs():
    if run["id"] not in models and run.get("checkpoint"):
        models[run["id"]] = {"label": run.get("name") or run["id"], "dataset": run.get("dataset", ""),
                             "task": run.get("task", ""), "checkpoint": run["checkpoint"],
                             "metrics": run.get("metrics") or {}}
models = {k: v for k, v in models.items() if Path(v["checkpoint"]).is_file()}
if not models:
    st.info("No trained model yet. Train a run on the Train page; every finished run keeps its best model "
            "here for prediction.")
    st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
    st.stop()

run_id = st.selectbox("Model", list(models), key="predict_run",
                      format_func=lambda r: f"{r} · {models[r]['label']} · {models[r]['dataset']}")
model = models[run_id]
test = model["metrics"].get("test", {})
st.caption(f"Task **{model['task']}**" + (" · test " + ", ".join(
    f"{k} {v:.3f}" for k, v in test.items() if k in ("accuracy", "mcc", "r2", "spearman") and v is not None)
    if test else ""))

pasted, uploaded = st.tabs(["Paste sequences", "Upload a file"])
with pasted:
    text = st.text_area("One sequence per line, or FASTA", key="predict_text", height=160,
                        placeholder=">my_protein\nMKTAYIAKQRQISFVKSHFSRQ...")
with uploaded:
    file = st.file_uploader("A FASTA or CSV with a sequence column", type=["fasta", "fa", "faa", "fas", "csv", "tsv",
                                                                          "txt", "gz"], key="predict_file")

if st.button("Predict", type="primary"):
    try:
        ids, sequences = read_sequences(file.getvalue(), file.name) if file is not None else parse_pasted(text)
    except ProtScopeError as exc:
        st.error(str(exc))
        st.stop()
    if not sequences:
        st.warning("Paste at least one sequence or upload a file first.")
        st.stop()
    with st.spinner(f"Predicting {len(sequences):,} sequences…"):
        try:
            rows, problems, notes = predict_sequences(model["checkpoint"], ids, sequences)
        except ProtScopeError as exc:
            st.error(str(exc))
            st.stop()
    st.session_state.predictions = (run_id, rows, problems, notes)

if st.session_state.get("predictions") and st.session_state.predictions[0] == run_id:
    _, rows, problems, notes = st.session_state.predictions
    for note in notes:
        st.caption(note)
    if problems:
        st.warning(f"{len(problems)} row(s) could not be predicted; the others were.")
        st.dataframe([{"row": p.row, "id": p.id, "problem": p.message} for p in problems], hide_index=True,
                     width="stretch")
    if rows:
        st.success(f"Predicted {len(rows):,} sequence(s).")
        shown = [{k: (v[:60] + "…" if k == "sequence" and len(v) > 60 else v) for k, v in r.items()} for r in rows]
        st.dataframe(shown, hide_index=True, width="stretch")
        st.download_button("Download predictions (CSV)", csv_text(rows), file_name=f"predictions-{run_id}.csv",
                           mime="text/csv")
