"""Widgets as views of the Workspace: a widget shows the workspace's value, and only the user's own
change to the widget (its on_change callback) writes back.

Before a widget is drawn, its key is set to the workspace's value whenever the two differ. So when
Streamlit forgets a widget's state (the widget was not drawn in some rerun), the widget comes back
showing the workspace's value, not its own default, and nothing is written: the workspace cannot be
changed by widget-state cleanup, idle time or reruns, only by `Workspace.set`.
"""
from __future__ import annotations

import streamlit as st

from dashboard import session
from protscope.errors import ProtScopeError

_MISSING = object()


def show(key: str, value) -> None:
    """Make the widget under `key` show `value` (call before the widget is drawn in this run)."""
    if st.session_state.get(key, _MISSING) != value:
        st.session_state[key] = value


def bound(key: str, value=_MISSING) -> dict:
    """Keyword arguments for a widget bound to the setting `key`; `value` overrides what it shows
    (None for a selectbox whose options lack the workspace's value, so it shows its placeholder)."""
    ws = session.workspace()
    show(key, ws.settings[key] if value is _MISSING else value)
    return dict(key=key, on_change=changed, args=(key,))


def changed(key: str) -> None:
    """The user changed the widget `key`: put its value in the workspace, with what follows from it."""
    ws = session.workspace()
    value = st.session_state.get(key)
    if value is None and ws.settings[key] is not None:
        return  # a cleared selectbox or number box: keep the setting until a value is chosen
    try:
        if ws.set(key, value):
            follow(ws, key)
    except ProtScopeError as exc:
        session.notice(f"**{key}** was not changed: {exc}", "error")


def follow(ws, key: str) -> None:
    """Changes a choice forces on another, made at once and said in words (never silently)."""
    if key != "model":
        return
    from protscope.modeling.encodings import ENCODINGS
    from protscope.modeling.models import MODELS

    model = MODELS[ws.settings["model"]]
    encoding = ws.settings["encoding"]
    if not model.accepts(ENCODINGS[encoding]):
        choices = model.encoding_names()
        new = next((c for c in ("tokens", "onehot", "window") if c in choices), choices[0])
        ws.set("encoding", new)
        session.notice(f"The {model.title} cannot read the '{encoding}' encoding, so the encoding is now "
                       f"'{new}' ({ENCODINGS[new].title}).", "info")
