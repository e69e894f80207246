"""Lesson links on the Train page: "Share as an exercise" makes a link that fixes chosen settings (locked:
shown but not editable; hidden: not shown), and a session opened from one says what it fixes and can leave it.
The lock is kept by the Workspace on the server (its `set` refuses a fixed setting), not only by disabled
widgets. A link is a teaching aid, not access control: whoever edits the address can open any other link."""
from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import streamlit as st

from dashboard import roles, session
from dashboard.logic.setting_values import default_settings
from dashboard.logic.workspace import Workspace
from dashboard.widgets import label

# What an exercise fixes unless the instructor says otherwise: the data, how it is split, and the seed, so that
# every student's run starts from the same place and their results compare.
ALWAYS = ("dataset", "split", "split_seed", "val_fraction", "test_fraction", "seed")


def suggested_locks(ws: Workspace) -> list[str]:
    """The data, split and seed, and every setting the instructor has changed from its default."""
    base = default_settings()
    return [*ALWAYS, *(k for k, v in ws.settings.items() if v != base[k] and k not in ALWAYS)]


def lesson_url(app_url: str, params: dict[str, str]) -> str:
    """The app's address (from the instructor's own) with a lesson link's parameters."""
    parts = urlsplit(app_url or "http://localhost:8501/")
    return f"{parts.scheme}://{parts.netloc}/train?{urlencode(params)}"


def share(ws: Workspace) -> None:
    """The Train page's "Share as an exercise" popover: choose what to fix and hide, copy the link."""
    with st.popover("Share as an exercise", icon=":material/share:",
                    help="A link that opens these settings for your students, with the ones you choose locked or "
                         "hidden."):
        keys = ["dataset", *ws.settings]
        # No key: the suggestion follows the settings (a changed setting is a new default, so a new widget).
        lock = st.multiselect("Lock (shown, not editable)", keys, default=suggested_locks(ws), format_func=label)
        hide = st.multiselect("Hide (fixed and not shown)", keys, key="exercise_hide", format_func=label,
                              help="E.g. hide the optimizer while students explore the learning rate.")
        url = lesson_url(st.context.url, ws.exercise_link(lock, hide))
        st.caption("Copy this link for your students (the copy icon at its right):")
        st.code(url, language=None, wrap_lines=True)


def banner(ws: Workspace) -> None:
    """In the sidebar of a session opened from a lesson link: what the exercise fixes, and a way out."""
    if not (ws.locked or ws.hidden):
        return
    fixed = ", ".join(label(k) for k in ws.locked)
    text = f"**Exercise**: {len(ws.locked) + len(ws.hidden)} setting(s) fixed by your link"
    text += f" ({fixed})" if fixed else ""
    text += f"; {len(ws.hidden)} hidden." if ws.hidden else "."
    st.info(text, icon=":material/school:")
    if st.button("Leave the exercise", help="Unlock every setting (their values stay as they are)."):
        ws.leave_exercise()
        session.notice("You left the exercise: every setting can be changed again.", "info")
        st.rerun()


def broadcast_button(run_id: str) -> None:
    """The instructor's "Broadcast to the class" for the run on screen (nothing for a student)."""
    from dashboard.state import broadcast, repository

    me, on_air = roles.actor(), broadcast()
    if not me.instructor:
        return
    if on_air.run_id == run_id:
        st.caption(":material/cast: Every student's Class page shows this run live.")
        if st.button("Stop broadcasting", icon=":material/cancel_presentation:"):
            on_air.stop(me)
            st.rerun()
    elif st.button("Broadcast to the class", icon=":material/cast:",
                   help="Show this run, live, on every student's Class page."):
        run = repository().find(run_id)
        if run is None:  # deleted meanwhile
            st.error(f"Run {run_id} is no longer stored, so it cannot be broadcast.")
            return
        on_air.start(me, run)
        st.rerun()
