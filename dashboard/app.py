"""ProtScope dashboard entry point: `streamlit run dashboard/app.py` (or `make run`).

Five pages in the order of the course's workflow (choose data, train, evaluate, compare, predict), and the
Lessons: the course's exercises, one click each.
Everything the session holds (data, settings, live run) is its Workspace (dashboard/logic/workspace.py),
kept by dashboard/session.py across pages, reloads and expired sessions; runs are server jobs, so
they survive reruns and closed tabs, and each belongs to its owner.
"""
from pathlib import Path

import streamlit as st

from dashboard import session  # importable from anywhere: `make` installs the project in editable mode
from dashboard.sidebar import sidebar

st.set_page_config(page_title="ProtScope", page_icon="🧬", layout="wide")
ws = session.workspace()

PAGES = Path(__file__).resolve().parent / "app_pages"
navigation = st.navigation([
    st.Page(PAGES / "data.py", title="1 · Data", icon=":material/database:", default=True),
    st.Page(PAGES / "train.py", title="2 · Train", icon=":material/monitoring:", url_path="train"),
    st.Page(PAGES / "evaluate.py", title="3 · Evaluate", icon=":material/query_stats:", url_path="evaluate"),
    st.Page(PAGES / "compare.py", title="4 · Compare", icon=":material/compare_arrows:", url_path="compare"),
    st.Page(PAGES / "predict.py", title="5 · Predict", icon=":material/batch_prediction:", url_path="predict"),
    st.Page(PAGES / "lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
    st.Page(PAGES / "classroom.py", title="Class", icon=":material/groups:", url_path="class"),
])
with st.sidebar:
    sidebar(ws)
    session.remember_owner(ws)
session.sync_url(ws)
session.show_notices(navigation.title)
try:
    navigation.run()
finally:  # pages end with st.stop() where they have nothing more to show
    session.save()
