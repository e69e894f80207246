"""Choosing a run on Evaluate and Predict: the user's own runs first (the newest by default), everyone's
on request, each labelled with its owner, so nobody evaluates or predicts with a classmate's model
without knowing it."""
from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from dashboard.binding import show
from dashboard.logic.workspace import Workspace
from dashboard.session import owner_label
from protscope.runs.repository import RunRecord, RunRepository
from protscope.status import Status


def choose(page: str, ws: Workspace, repo: RunRepository, keep: Callable[[RunRecord], bool], what: str,
           hint: str) -> RunRecord:
    """The run the user picked on `page` (its widgets are keyed `<page>_...`); stops the page when there is none."""
    state = st.session_state
    everyone = st.toggle("Everyone's runs", key=f"{page}_everyone",
                         help="Off: only your runs. On: every run on this server, with its owner: classmates', "
                              "the command line's, sweeps'.")
    runs = [r for r in repo.runs(owner=None if everyone else ws.owner) if keep(r)]
    if not runs:
        others = 0 if everyone else sum(keep(r) for r in repo.runs() if r.owner != ws.owner)
        st.info(f"You have no {what} yet. {hint}" + (f"  \n{others} of other people's runs (or the command line's) "
                                                    "are here: turn on **Everyone's runs** to see them."
                                                    if others else ""))
        st.page_link("app_pages/train.py", label="Go to the Train page", icon=":material/monitoring:")
        st.stop()
    by_id = {r.id: r for r in runs}
    chosen = state.get(f"{page}_chosen")  # kept apart from the widget, which Streamlit forgets off its page
    if chosen not in by_id:
        mine = [r for r in runs if r.owner == ws.owner]
        chosen = (mine or runs)[0].id  # newest first
    state[f"{page}_chosen"] = chosen
    show(f"{page}_run", chosen)

    def picked() -> None:
        if state[f"{page}_run"]:  # a choice, never a box cleared because an option's label changed
            state[f"{page}_chosen"] = state[f"{page}_run"]

    st.selectbox("Run", list(by_id), key=f"{page}_run", on_change=picked,
                 format_func=lambda r: label(by_id[r], ws.owner))
    return by_id[chosen]


def label(run: RunRecord, me: str) -> str:
    parts = [run.id, run.name, run.dataset, owner_label(run.owner, run.owner_name, me)]
    if run.status not in (Status.COMPLETED,):
        parts.append(run.status.replace("_", " "))
    return " · ".join(p for p in parts if p)
