"""The sidebar every page shares: what ProtScope is, the data Train will use, and the user's name."""
from __future__ import annotations

import streamlit as st

from dashboard import roles, session
from dashboard.logic.workspace import Workspace

# A wider sidebar, so option names ("Linear model (logistic regression / single-layer perceptron)") and
# preset titles are not cut off.
WIDTH_CSS = "<style>section[data-testid='stSidebar'] {min-width: 24rem; max-width: 32rem;}</style>"


def sidebar(ws: Workspace) -> None:
    st.html(WIDTH_CSS)
    st.caption("ProtScope: see how neural networks learn from protein data.")
    with st.container(border=True, key="data_box"):
        st.markdown(f":material/database: **Data:** {ws.data_label()}")
        if ws.data_news:
            st.warning("Changed since your last run: " + "; ".join(ws.data_news[-3:]) + ".")
    session_name(ws)
    roles.sign_in()


def session_name(ws: Workspace) -> None:
    from dashboard.binding import show

    show("owner_name", ws.owner_name)
    st.text_input("Your name, shown with your runs", key="owner_name", value=ws.owner_name, on_change=_renamed,
                  max_chars=40,
                  placeholder="e.g. Ada", help="Runs you train are yours: Train, Evaluate and Predict show yours "
                  "first. Your name tells classmates whose run is whose on Compare.")


def _renamed() -> None:
    from dashboard.state import run_store

    ws = session.workspace()
    ws.owner_name = (st.session_state.get("owner_name") or "").strip()
    run_store().set_owner_name(ws.owner, ws.owner_name)
