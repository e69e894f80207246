"""Data page: a built-in dataset or your own file, its columns and task, an overview, and the split."""
import streamlit as st

from core.alphabet import ALPHABET
from core.config import TASKS
from core.datasets import load_manifest, read_columns
from core.errors import ProtScopeError
from core.splits import split_table
from core.summary import composition_by_class, summarise
from dashboard import charts
from dashboard.state import COLUMN_FIELDS, current_data, current_split
from dashboard.widgets import control

st.title("Data")
specs = load_manifest()
state = st.session_state
state.setdefault("source", "builtin")
st.radio("Where the proteins come from", ["builtin", "upload"], key="source", horizontal=True,
         format_func={"builtin": "A built-in dataset", "upload": "My own file"}.get)


def upload_form() -> None:
    file = st.file_uploader("A CSV, TSV or FASTA of sequences with labels (optionally .gz)",
                            type=["csv", "tsv", "txt", "fasta", "fa", "faa", "fas", "gz"], key="upload_file",
                            help="One row (or record) per protein: a sequence column and a label column. "
                                 "FASTA headers may carry the label as `label=...` or `id|label`.")
    labels = st.file_uploader("Optional: a label CSV for a FASTA file (joined on the protein id)", type=["csv"],
                              key="label_file")
    if file is None:
        state.pop("upload_bytes", None)
        st.info("Upload a file to continue, or switch to a built-in dataset.")
        st.stop()
    state.upload_bytes, state.upload_name = file.getvalue(), file.name
    state.label_bytes = labels.getvalue() if labels is not None else None
    try:
        columns, detected = read_columns(state.upload_bytes, file.name)
    except ProtScopeError as exc:
        st.error(str(exc))
        st.stop()
    with st.expander("Column mapping", expanded=False):
        st.caption("ProtScope detected the columns below; change any that are wrong.")
        cols = st.columns(len(COLUMN_FIELDS))
        roles = {"id_col": "id", "sequence_col": "sequence", "label_col": "label",
                 "residue_label_col": "residue_label", "mask_col": "mask", "split_col": "split"}
        for box, key in zip(cols, COLUMN_FIELDS):
            found = getattr(detected, roles[key])
            control(key, box, options=["", *columns],
                    format_func=lambda c, found=found: c or (f"(detected: {found})" if found else "(none)"))


if state.source == "builtin":
    st.selectbox("Dataset", list(specs), key="dataset", format_func=lambda n: specs[n].title)
    spec = specs[state.dataset]
    st.caption(f"{spec.description}  \n*{spec.citation}*")
else:
    upload_form()

with st.expander("Reading options: task, long sequences, unknown residues"):
    a, b, c = st.columns(3)
    control("task", a, options=["auto", *TASKS])
    control("max_length", b)
    control("long_sequences", c)
    control("unknown_residues", a)
    control("binarize_at", b)
    control("drop_split_overlap", c)

data, problem = current_data()
if data is None:
    st.error(problem)
    st.stop()
for warning in data.warnings:
    st.warning(warning)

summary = summarise(data)
m = st.columns(5)
m[0].metric("Proteins", f"{summary['rows']:,}")
m[1].metric("Task", data.task, help="Detected from the labels; change it under Reading options.")
m[2].metric("Classes" if data.classes else "Label", len(data.classes) if data.classes else "a number")
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
                                      "Class balance" + (" (residues)" if data.task == "residue" else ""),
                                      "residues" if data.task == "residue" else "proteins"), width="stretch")
    right.plotly_chart(charts.histogram(data.lengths, "Sequence lengths", "residues", charts.VAL), width="stretch")
    st.plotly_chart(charts.composition_by_class(ALPHABET, composition_by_class(data)), width="stretch")
with preview:
    shown = min(len(data), 200)
    table = {"id": data.ids[:shown], "sequence": [s[:80] + ("…" if len(s) > 80 else "") for s in
                                                  data.sequences[:shown]], "length": data.lengths[:shown]}
    if data.y is not None:
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
if state.split == "homology":
    st.slider("Identity threshold for clusters", 0.1, 1.0, key="identity", step=0.05,
              help="Proteins at least this identical (MMseqs2) are kept in the same split, so the test set "
                   "holds no close relatives of training proteins.")
try:
    split = current_split(data)
except ProtScopeError as exc:
    st.error(str(exc))
    st.stop()
table = split_table(data, split)
left, right = st.columns([3, 2])
left.dataframe(table, hide_index=True, width="stretch")
right.plotly_chart(charts.split_counts(table, data.classes if data.task != "residue" else ()), width="stretch")
for note in split.notes:
    st.caption(note)
st.page_link("app_pages/train.py", label="Next: train a model on this data", icon=":material/arrow_forward:")
