"""The browser's session: who it is, its Workspace, the address bar, and notices shown once.

Who: a random owner id that a cookie keeps for a year, so a reload or a session that Streamlit let
expire (server.disconnectedSessionTTL) comes back as the same owner, with the same runs. What it
holds: its Workspace (dashboard/logic/workspace.py), saved in the run store after every change and given
back to the next session of the same browser, so an upload, the settings and the live run survive
reloads, idle time and restarts. The address bar always carries the data and every setting that
differs from the config defaults; opening such a link sets exactly those (the rest to defaults),
and says what it could not use.
"""
from __future__ import annotations

import re
import secrets

import streamlit as st

from dashboard.logic.workspace import Workspace
from protscope.data.builtin import load_manifest

COOKIE = "protscope_owner"
OWNER_ID = re.compile(r"[0-9a-f]{32}")
COOKIE_SECONDS = 365 * 24 * 3600


def workspace() -> Workspace:
    """This session's Workspace: made (or given back) at the session's first run."""
    state = st.session_state
    if "ws" not in state:
        state.ws = _open()
        state.saved_ws = state.ws.to_dict()
    return state.ws


def _open() -> Workspace:
    from dashboard.state import run_store

    cookie = browser_cookie()
    ws = None
    if OWNER_ID.fullmatch(cookie):
        try:
            saved = run_store().load_workspace(cookie)
            ws, problems = Workspace.from_dict(saved) if saved else (None, [])
        except (ValueError, TypeError, KeyError) as exc:  # a damaged or foreign row: say so, start afresh
            ws, problems = None, [f"it could not be read ({type(exc).__name__}), so this session starts from the "
                                  "defaults"]
        for problem in problems:
            notice(f"Your saved settings could not all be restored: {problem}.", "warning")
    owner = cookie if OWNER_ID.fullmatch(cookie) else secrets.token_hex(16)
    ws = ws or Workspace(owner)
    ws.owner = owner
    params = {k: st.query_params[k] for k in st.query_params}
    if params:
        changed, problems = ws.apply_link(params, load_manifest())
        if changed:
            notice(f"The link set {len(changed)} setting(s) ({', '.join(changed[:8])}"
                   f"{'…' if len(changed) > 8 else ''}); everything else is at its default.", "info")
        for problem in problems:
            notice(f"Ignored from the link: {problem}.", "warning")
    return ws


def browser_cookie() -> str:
    """The owner id the browser sent with this session's first request ("" if none, or outside a browser)."""
    value = st.context.cookies.get(COOKIE, "")
    return value if isinstance(value, str) else ""  # AppTest has no real request


def save() -> None:
    """Keep the workspace in the run store when it changed in this run (the next session gets it)."""
    from dashboard.state import run_store

    state = st.session_state
    ws = state.get("ws")
    if ws is None:
        return
    now = ws.to_dict()
    if now != state.get("saved_ws"):
        run_store().save_workspace(ws.owner, now)
        state.saved_ws = now


def remember_owner(ws: Workspace) -> None:
    """Set the owner cookie in the browser (an invisible element), until the server has seen it."""
    if browser_cookie() == ws.owner or not OWNER_ID.fullmatch(ws.owner):
        return
    st.html(f"<script>document.cookie = '{COOKIE}={ws.owner}; path=/; max-age={COOKIE_SECONDS}; "
            "SameSite=Lax';</script>", unsafe_allow_javascript=True)


def sync_url(ws: Workspace) -> None:
    """The address bar reproduces this workspace on every page."""
    wanted = ws.link()
    if {k: st.query_params[k] for k in st.query_params} != wanted:
        st.query_params.from_dict(wanted)


# --- notices ----------------------------------------------------------------------------------
def notice(text: str, kind: str = "info") -> None:
    """Something the user should know once: shown at the top of the page they see next (and only there)."""
    st.session_state.setdefault("notices", []).append({"text": text, "kind": kind, "page": None})


def show_notices(page: str) -> None:
    """Draw this session's notices on `page`; a notice first shown on another page is gone."""
    notices = [n for n in st.session_state.get("notices", []) if n["page"] in (None, page)]
    for n in notices:
        n["page"] = page
        {"warning": st.warning, "error": st.error, "success": st.success}.get(n["kind"], st.info)(n["text"])
    st.session_state.notices = notices


def owner_label(owner: str, name: str, me: str) -> str:
    """How a run's owner reads in tables: 'you', their name, or an anonymous tag."""
    if owner and owner == me:
        return f"you ({name})" if name else "you"
    if name:
        return name
    return f"guest {owner[:4]}" if owner else "unknown"
