"""ProtScope dashboard entry point: `streamlit run dashboard/app.py` (or `make run`).

Five pages in the order of the course's workflow: choose data, train, evaluate, compare, predict.
Settings live in st.session_state under the config's field names, so they survive page changes,
and runs are server jobs, so they survive reruns and closed tabs.
"""
import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # make `core` and `dashboard` importable

from dashboard.state import init_session  # noqa: E402

st.set_page_config(page_title="ProtScope", page_icon="🧬", layout="wide")
init_session()

PAGES = Path(__file__).resolve().parent / "app_pages"
navigation = st.navigation([
    st.Page(PAGES / "data.py", title="1 · Data", icon=":material/database:", default=True),
    st.Page(PAGES / "train.py", title="2 · Train", icon=":material/monitoring:", url_path="train"),
    st.Page(PAGES / "evaluate.py", title="3 · Evaluate", icon=":material/query_stats:", url_path="evaluate"),
    st.Page(PAGES / "compare.py", title="4 · Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(PAGES / "predict.py", title="5 · Predict", icon=":material/batch_prediction:", url_path="predict"),
])
with st.sidebar:
    st.caption("ProtScope: see how neural networks learn from protein data.")
for problem in st.session_state.get("url_problems", []):
    st.warning(problem)
navigation.run()
