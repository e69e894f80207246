"""The Train page's sanity checks (protscope/checks/sanity.py), run in the background with progress: the page stays
usable while a check runs, and the result says in words what it found and why."""
from __future__ import annotations

import math

import streamlit as st

from dashboard import session
from dashboard.logic import charts
from protscope.checks.sanity import CHECKS, start_check

ORDER = ("overfit", "lr", "init")
POLL_S = 0.5


def buttons(columns, config, data, split) -> None:
    """One button per check; pressing one starts it (and stops a check still running)."""
    state = st.session_state
    for column, kind in zip(columns, ORDER):
        spec = CHECKS[kind]
        if column.button(spec.title, key=f"check_{kind}", disabled=config is None, width="stretch", help=spec.help):
            previous = state.get("check")
            if previous is not None and not previous.done:
                previous.stop()
            state.check = start_check(kind, config, data, split)
            state.check_settings = session.workspace().changes


def panel() -> None:
    task = st.session_state.get("check")
    if task is not None:
        st.fragment(run_every=POLL_S if not task.done else None)(_panel)(not task.done)


def _panel(was_running: bool) -> None:
    state = st.session_state
    task = state.get("check")
    if task is None:
        return
    spec = CHECKS[task.kind]
    with st.container(border=True, key="check_panel"):
        st.markdown(f"**{spec.title}**")
        if not task.done:
            st.progress(min(max(task.progress, 0.0), 1.0), text=f"{spec.title}: {task.progress:.0%} …")
            st.button("Stop the check", on_click=task.stop, key="check_stop")
        elif task.error:
            st.error(task.error)
        else:
            result_view(task.kind, task.result)
        if task.done:
            if state.get("check_settings") != session.workspace().changes:
                st.caption("The settings have changed since this check ran: run it again to check them.")
            st.button("Hide", key="check_hide", on_click=lambda: state.pop("check", None))
    if task.done and was_running:
        st.rerun()  # the whole page, so this panel stops polling


def result_view(kind: str, result) -> None:
    passed = result.passed
    inconclusive = getattr(result, "inconclusive", False)  # only the range test can be
    say = st.info if inconclusive else (st.success if passed else st.warning)
    say(result.message)
    result_chart(kind, result)


def result_chart(kind: str, result, key: str = "check") -> None:
    """The check's curve (and, for the range test, a button that takes its suggestion)."""
    if kind == "lr":
        chart = charts.lr_finder(result.lrs, result.losses, result.suggestion, raw=result.raw)
        st.plotly_chart(chart, key=f"{key}_lr_chart", width="stretch")
        if math.isfinite(result.suggestion):
            st.button(f"Use lr = {result.suggestion:.1e}", on_click=use_lr, args=(result.suggestion,),
                      key=f"{key}_use", help="Set the Train page's learning rate to the suggestion.")
    elif kind == "overfit":
        losses = list(result.losses)
        st.plotly_chart(charts.series_curve(list(range(1, len(losses) + 1)), losses, "Loss on one batch", "loss",
                                            x_label="step"), key=f"{key}_overfit_chart", width="stretch")


def use_lr(value: float) -> None:
    ws = session.workspace()
    value = float(f"{value:.1e}")
    if ws.fixed("lr"):
        session.notice("This exercise fixes the learning rate: the range test's suggestion was not applied.", "warning")
    elif ws.set("lr", value):
        session.notice(f"The learning rate is now {value:.1e}, as the range test suggested.", "success")
