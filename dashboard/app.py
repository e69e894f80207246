"""ProtScope dashboard entry point: `streamlit run dashboard/app.py`.

For now one page: what ProtScope is, the built-in datasets, and a summary of the chosen one.
"""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # make `core` importable

from core.datasets import config_for, load_data, load_manifest  # noqa: E402
from core.errors import ProtScopeError  # noqa: E402
from core.summary import summarise  # noqa: E402

st.set_page_config(page_title="ProtScope", page_icon="🧬", layout="wide")


@st.cache_data(show_spinner="Loading and validating the dataset…")
def dataset_summary(name: str) -> dict:
    return summarise(load_data(config_for(name)))


st.title("ProtScope")
st.caption("See how neural networks learn from protein data: pick data, train, and watch.")

specs = load_manifest()
st.subheader("Built-in datasets")
st.dataframe(
    [{"name": s.name, "task": s.task, "title": s.title, "citation": s.citation} for s in specs.values()],
    hide_index=True, width="stretch",
)

name = st.selectbox("Inspect a dataset", list(specs), format_func=lambda n: specs[n].title, key="home_dataset")
st.write(specs[name].description)
try:
    summary = dataset_summary(name)
except ProtScopeError as exc:
    st.error(str(exc))
    st.stop()

cols = st.columns(4)
cols[0].metric("Proteins", f"{summary['rows']:,}")
cols[1].metric("Task", summary["task"])
cols[2].metric("Median length", f"{summary['lengths']['median']:,.0f}")
cols[3].metric("Longest", f"{summary['lengths']['max']:,}")
if "classes" in summary:
    st.dataframe(summary["classes"], hide_index=True)
if "file_split" in summary:
    st.write("Published split: " + ", ".join(f"{k} {v:,}" for k, v in summary["file_split"].items()))
for warning in summary["warnings"]:
    st.warning(warning)
