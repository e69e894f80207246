"""Charts a view keeps between reruns, per view and session: rebuilt only when their inputs change.

    sign, runs = taken_in(key, {"this run": internals}, live=True)   # new records at most every 2 s
    fig = memo(key, "flow", sign, lambda: gradient_flow(runs))      # rebuilt only for a new signature
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import streamlit as st

MEMO_VIEWS = 4  # views (runs) whose built charts a session keeps
LIVE_REDRAW_S = 2.0


def taken_in(key: str, runs: dict[str, dict], live: bool) -> tuple[tuple, dict[str, dict]]:
    """The runs' statistics this view draws, and their signature. While a run trains, new records are taken
    in at most every LIVE_REDRAW_S (rebuilding the charts costs a few hundred ms; the fragment runs every second)."""
    slot = slot_of(key)
    sign = tuple((name, len(i.get("records") or ()), i["records"][-1]["step"] if i.get("records") else None)
                 for name, i in runs.items())
    held = slot.get("data")
    if held and (held[0] == sign or (live and [n for n, *_ in held[0]] == [n for n, *_ in sign]
                                     and time.monotonic() - held[2] < LIVE_REDRAW_S)):
        return held[0], held[1]
    slot["data"] = (sign, runs, time.monotonic())
    return sign, runs


def memo(key: str, name: str, signature, build):
    """`build()`, or what it gave last time for the same `signature` (kept per view in the session)."""
    slot = slot_of(key)
    if name not in slot or slot[name][0] != signature:
        slot[name] = (signature, build())
    return slot[name][1]


def slot_of(key: str) -> dict:
    views = st.session_state.setdefault("view_memo", {})
    slot = views.setdefault(key, {})
    while len(views) > MEMO_VIEWS:  # the oldest view's figures go
        views.pop(next(iter(views)))
    return slot


@contextmanager
def lazy_expander(label: str, key: str, icon: str = ":material/stethoscope:"):
    """An expander that says whether it is open: its content is built only then (a closed one costs nothing)."""
    box = st.expander(label, key=key, on_change="rerun", icon=icon)
    with box:
        yield bool(box.open)
