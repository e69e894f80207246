"""Widgets made from the config's own field declarations: one control per field, keyed by the
field's name, with its one-line help as the tooltip and its allowed values and range as limits.
Each widget is a view of the session's Workspace (dashboard/binding.py): it shows the workspace's
value, and only the user's own change writes back.

Adding a field to a config section adds its control here with no UI code.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from dashboard import session
from dashboard.binding import bound
from dashboard.binding import show as show_value
from protscope.config.run_config import SECTIONS, locate
from protscope.config.setting import coerce
from protscope.errors import ProtScopeError

# The learning-rate slider is logarithmic: 1e-5 to 1, four steps per factor of ten... and exact values
# such as 3e-4 from a preset or the LR finder are added to the steps.
LR_STEPS = tuple(float(f"{v:.1e}") for v in np.logspace(-5, 0, 41))
LABELS = {"encoding": "encoding", "model": "architecture", "loss": "loss", "optimizer": "optimizer",
          "scheduler": "scheduler", "lr": "learning rate", "k": "k-mer length", "l1": "L1 penalty"}


def describe_field(key: str) -> dict:
    section, name = locate(key)
    return next(d for d in SECTIONS[section].describe() if d["name"] == name)


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def control(key: str, container=st, disabled: bool = False, options=None, format_func=str, slider=None,
            help: str | None = None):  # noqa: A002 - Streamlit's own name for the tooltip
    """Draw the widget for one setting, showing the session's Workspace value; the user's change writes back.

    `options` narrows a choice to those that fit (a value outside them shows the placeholder and says
    why, never a silent switch); `slider=(low, high, step)` draws a number as a slider."""
    meta, ws = describe_field(key), session.workspace()
    if key in ws.hidden:
        return None  # a lesson link hides it: the value is fixed, and not shown
    kind, value = meta["type"], ws.settings[key]
    tip = help or meta["help"]
    if ws.fixed(key):
        disabled, tip = True, f"Fixed by this exercise's link. {tip}"
    common = dict(help=tip, disabled=disabled)
    # Every widget also gets the workspace value as its default: a browser that has lost a widget's state
    # (it does, after a file upload) sends the default back, which must never be the minimum or the first
    # choice. (Hence global.disableWidgetStateDuplicationWarning in .streamlit/config.toml.)
    if key == "lr":
        steps = sorted(set(LR_STEPS) | {float(value)})
        return container.select_slider(label(key), steps, format_func=lambda v: f"{v:.1e}", value=float(value),
                                       **bound(key), **common)
    choices = options if options is not None else meta["choices"]
    if choices is not None:
        choices = list(choices)
        if value not in choices:
            container.error(f"**{label(key)}** '{value}' does not fit the other settings or the data: choose one.")
            return container.selectbox(label(key), choices, format_func=format_func, placeholder="Choose one",
                                       index=None, **bound(key, None), **common)
        return container.selectbox(label(key), choices, format_func=format_func, index=choices.index(value),
                                   **bound(key), **common)
    if kind is bool:
        return container.toggle(label(key), value=bool(value), **bound(key), **common)
    if slider is not None:
        return container.slider(label(key), *slider[:2], step=slider[2], value=value, **bound(key), **common)
    low, high = meta["between"] or (None, None)
    if kind is int:
        return container.number_input(label(key), min_value=low, max_value=high, step=1, value=value,
                                      **bound(key), **common)
    if kind is float:
        step = 10 ** np.floor(np.log10(abs(meta["default"]))) if meta["default"] else 0.01
        return container.number_input(label(key), min_value=float(low) if low is not None else None,
                                      max_value=float(high) if high is not None else None, step=float(step),
                                      format="%g", value=float(value), **bound(key), **common)
    return text_control(key, meta, container, disabled)


def text_control(key: str, meta: dict, container, disabled: bool):
    """Lists (hidden sizes, milestones) and optional numbers are typed; bad text gets a message and
    leaves the setting as it was."""
    text_key, error_key = f"{key}__text", f"{key}__error"
    value = session.workspace().settings[key]
    if error_key not in st.session_state:  # while the typed text is wrong, keep it on screen to fix
        show_value(text_key, show(value))

    def changed():
        try:
            session.workspace().set(key, parse(key, st.session_state[text_key]))
            st.session_state.pop(error_key, None)
        except ProtScopeError as exc:
            st.session_state[error_key] = str(exc)

    container.text_input(label(key), key=text_key, value=st.session_state.get(text_key, show(value)), help=meta["help"],
                         on_change=changed, disabled=disabled)
    if st.session_state.get(error_key):
        container.error(f"{st.session_state[error_key]} (the setting is still {show(value) or 'empty'})")
    return value


def parse(key: str, text: str):
    section, name = locate(key)
    meta = describe_field(key)
    try:
        value = coerce(text, meta["type"], f"{section}.{name}")
        return getattr(SECTIONS[section].from_dict({name: value}), name)
    except ProtScopeError:
        raise
    except Exception as exc:  # noqa: BLE001 - any parse problem becomes a message under the box
        raise ProtScopeError(f"{section}.{name} '{text}' could not be read ({exc})",
                             fix=meta["help"]) from None


def show(value) -> str:
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value)
