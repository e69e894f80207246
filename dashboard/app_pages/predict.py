"""Predict page: new sequences through a trained model, with probabilities; bad rows are reported by
number and the rest are still predicted. Below, one sequence explained (dashboard/explain_view.py)."""
from pathlib import Path

import streamlit as st

from dashboard import explain_view, runs_menu, session
from dashboard.state import repository
from protscope.errors import ProtScopeError
from protscope.evaluation.metrics import one_class
from protscope.serialise import csv_text
from protscope.train.predict import parse_pasted, predict_sequences, read_sequences

st.title("Predict")
ws = session.workspace()
record = runs_menu.choose("predict", ws, repository(), lambda r: bool(r.checkpoint) and Path(r.checkpoint).is_file(),
                          "trained models", "Train a run on the Train page; every finished run keeps its best model "
                          "here for prediction.")
run_id = record.id
test = record.metrics.get("test", {})
st.caption(f"Task **{record.task}**" + (f" · classes {', '.join(record.classes)}" if record.classes else "") + (
    " · test " + ", ".join(f"{k.replace('_', ' ')} {v:.3f}" for k, v in test.items() if k in (
        "accuracy", "mcc", "r2", "spearman", "micro_f1", "macro_f1") and isinstance(v, float)) if test else ""))
if record.task == "multilabel":
    st.caption("Multi-label: each sequence gets every label's probability, and as its prediction the labels at "
               "P ≥ 0.5, separated by ';' (none: no label reaches 0.5).")
if record.task in ("binary", "multiclass") and one_class(test) is not None:
    st.warning("This model predicts one class for every test protein: its predictions here will all be the same.")

pasted, uploaded = st.tabs(["Paste sequences", "Upload a file"])
with pasted:
    text = st.text_area("One sequence per line, or FASTA", key="predict_text", height=160,
                        placeholder=">my_protein\nMKTAYIAKQRQISFVKSHFSRQ...")
with uploaded:
    file = st.file_uploader("A FASTA or CSV with a sequence column (or GenBank, UniProt ..., compressed too)",
                            type=None, key="predict_file")

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
            rows, problems, notes = predict_sequences(record.checkpoint, ids, sequences)
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

explain_view.panel(record, text)
