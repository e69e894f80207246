"""Data page: a built-in dataset or your own file, its columns and task, an overview, and the split."""
import streamlit as st

from dashboard import session
from dashboard.binding import show
from dashboard.logic import charts
from dashboard.logic import multilabel as ml
from dashboard.start import welcome
from dashboard.state import current_data, current_split
from dashboard.uploads import upload_form
from dashboard.widgets import control
from protscope.alphabet import ALPHABET
from protscope.config.sections import TASKS
from protscope.data.builtin import load_manifest
from protscope.data.multilabel import label_text
from protscope.data.splits import split_table
from protscope.data.summary import composition_by_class, summarise
from protscope.errors import ProtScopeError

st.title("Data")
ws = session.workspace()
specs = load_manifest()
welcome(ws)


def source_changed() -> None:
    try:
        ws.choose_upload() if st.session_state.source == "upload" else ws.choose_builtin(ws.dataset)
    except ProtScopeError as exc:  # a lesson link fixes the data (the widget is disabled: a forged change)
        session.notice(str(exc), "error")


def dataset_changed() -> None:
    try:
        ws.choose_builtin(st.session_state.dataset)
    except ProtScopeError as exc:
        session.notice(str(exc), "error")


show("source", ws.source)
st.radio("Where the proteins come from", ["builtin", "upload"], key="source", horizontal=True,
         index=["builtin", "upload"].index(ws.source), disabled=ws.fixed("dataset"),
         on_change=source_changed, format_func={"builtin": "A built-in dataset", "upload": "My own file"}.get)
if ws.source == "builtin":
    show("dataset", ws.dataset)
    st.selectbox("Dataset", list(specs), key="dataset", on_change=dataset_changed, disabled=ws.fixed("dataset"),
                 index=list(specs).index(ws.dataset) if ws.dataset in specs else None,
                 format_func=lambda n: specs[n].title)
    spec = specs[ws.dataset]
    st.caption(f"{spec.description}  \n*{spec.citation}*")
else:
    upload_form(ws)

with st.expander("Reading options: task, long sequences, unknown residues"):
    a, b, c = st.columns(3)
    control("task", a, options=["auto", *TASKS])
    control("max_length", b)
    control("long_sequences", c)
    control("unknown_residues", a)
    control("binarize_at", b)
    control("drop_split_overlap", c)

data, problem = current_data(ws)
if data is None:
    (st.info if not ws.upload else st.error)(problem)
    st.stop()
for warning in data.warnings:
    st.warning(warning)

summary = summarise(data)
m = st.columns(5)
m[0].metric("Proteins", f"{summary['rows']:,}")
m[1].metric("Task", data.task, help="Detected from the labels; change it under Reading options.")
multilabel = data.task == "multilabel"
m[2].metric("Labels" if multilabel else "Classes" if data.classes else "Label",
            len(data.classes) if data.classes else "a number",
            help=("The classes: " + ", ".join(f"{c} (label {data.label_of(i)})" if data.label_values else c
                                              for i, c in enumerate(data.classes))) if data.classes else None)
m[3].metric("Median length", f"{summary['lengths']['median']:,.0f}")
m[4].metric("Longest", f"{summary['lengths']['max']:,}")

overview, preview = st.tabs(["Overview", "Preview"])
with overview:
    left, right = st.columns(2)
    if data.task == "regression":
        left.plotly_chart(charts.histogram(data.y, "Label values", "value"), width="stretch")
    elif "classes" in summary:
        rows = summary["classes"]
        left.plotly_chart(charts.bars([r["class"] for r in rows], [r["count"] for r in rows],
                                      "Proteins per label (each counts under all its labels)" if multilabel else
                                      "Class balance" + (" (residues)" if data.task == "residue" else ""),
                                      "residues" if data.task == "residue" else "proteins"), width="stretch")
    right.plotly_chart(charts.histogram(data.lengths, "Sequence lengths", "residues", charts.VAL), width="stretch")
    if multilabel:
        st.plotly_chart(ml.cooccurrence_figure(data.y, data.classes, "Labels that come together"), width="stretch")
    st.plotly_chart(charts.composition_by_class(ALPHABET, composition_by_class(data)), width="stretch")
with preview:
    shown = min(len(data), 200)
    table = {"id": data.ids[:shown], "sequence": [s[:80] + ("…" if len(s) > 80 else "") for s in
                                                  data.sequences[:shown]], "length": data.lengths[:shown]}
    if multilabel:
        table["labels"] = label_text(data.y[:shown], data.classes)
    elif data.y is not None:
        table["label"] = [data.classes[i] for i in data.y[:shown]] if data.classes else data.y[:shown]
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(f"The first {shown:,} of {len(data):,} proteins.")

st.subheader("Train, validation and test split")
has_file_split = data.file_split is not None
a, b, c, d = st.columns(4)
control("split", a, options=["auto", "random", "homology", *(["file"] if has_file_split else [])],
        format_func={"auto": "auto (the file's split if any)", "random": "random, stratified",
                     "homology": "homology-aware (MMseqs2)", "file": "the file's own split"}.get)
control("val_fraction", b)
control("test_fraction", c)
control("split_seed", d)
if ws.settings["split"] == "homology":
    control("identity", st, slider=(0.1, 1.0, 0.05),
            help="Proteins at least this identical (MMseqs2) are kept in the same split, so the test set holds "
                 "no close relatives of training proteins.")
try:
    split = current_split(ws, data)
except ProtScopeError as exc:
    st.error(str(exc))
    st.stop()
table = split_table(data, split)
left, right = st.columns([3, 2])
left.dataframe(table, hide_index=True, width="stretch")
stacked = data.classes if data.task in ("binary", "multiclass") else ()  # residues or labels do not add up
right.plotly_chart(charts.split_counts(table, stacked), width="stretch")
for note in split.notes:
    st.caption(note)
st.page_link("app_pages/train.py", label="Next: train a model on this data", icon=":material/arrow_forward:")
