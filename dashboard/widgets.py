"""Widgets made from the config's own field declarations: one control per field, keyed by the
field's name, with its one-line help as the tooltip and its allowed values and range as limits.

Adding a field to a config section adds its control here with no UI code.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from core.config import coerce
from core.errors import ProtScopeError
from core.run_config import SECTIONS, locate

# The learning-rate slider is logarithmic: 1e-5 to 1, four steps per factor of ten... and exact values
# such as 3e-4 from a preset or the LR finder are added to the steps.
LR_STEPS = tuple(float(f"{v:.1e}") for v in np.logspace(-5, 0, 41))
LABELS = {"encoding": "encoding", "model": "architecture", "loss": "loss", "optimizer": "optimizer",
          "scheduler": "scheduler", "lr": "learning rate", "k": "k-mer length", "l1": "L1 penalty"}


def describe_field(key: str) -> dict:
    section, name = locate(key)
    return next(d for d in SECTIONS[section].describe() if d["name"] == name)


def applies(key: str, settings: dict) -> bool:
    """Does this field matter for the section's current choice (e.g. momentum only for SGD...)?"""
    section, name = locate(key)
    meta = describe_field(key)
    return meta["applies"] is None or settings.get(section) in meta["applies"]


def label(key: str) -> str:
    return LABELS.get(key, key.replace("_", " "))


def control(key: str, container=st, disabled: bool = False, options=None, format_func=str):
    """Draw the widget for one config field; its value lands in st.session_state[key]."""
    meta = describe_field(key)
    kind, helptext = meta["type"], meta["help"]
    choices = options if options is not None else meta["choices"]
    common = dict(key=key, help=helptext, disabled=disabled)
    if key == "lr":
        steps = sorted(set(LR_STEPS) | {float(st.session_state.get("lr", 1e-3))})
        return container.select_slider(label(key), steps, format_func=lambda v: f"{v:.1e}", **common)
    if choices is not None:
        choices = list(choices)
        if st.session_state.get(key) not in choices:
            st.session_state[key] = choices[0]
        return container.selectbox(label(key), choices, format_func=format_func, **common)
    if kind is bool:
        return container.toggle(label(key), **common)
    low, high = meta["between"] or (None, None)
    if kind is int:
        return container.number_input(label(key), min_value=low, max_value=high, step=1, **common)
    if kind is float:
        step = 10 ** np.floor(np.log10(abs(meta["default"]))) if meta["default"] else 0.01
        return container.number_input(label(key), min_value=float(low) if low is not None else None,
                                      max_value=float(high) if high is not None else None, step=float(step),
                                      format="%g", **common)
    return text_control(key, meta, container, disabled)


def text_control(key: str, meta: dict, container, disabled: bool):
    """Lists (hidden sizes, milestones) and optional numbers are typed; bad text gets a message."""
    text_key = f"{key}__text"
    if text_key not in st.session_state or parse(key, st.session_state[text_key]) != st.session_state.get(key):
        st.session_state[text_key] = show(st.session_state.get(key))

    def changed():
        try:
            st.session_state[key] = parse(key, st.session_state[text_key])
            st.session_state.pop(f"{key}__error", None)
        except ProtScopeError as exc:
            st.session_state[f"{key}__error"] = str(exc)

    container.text_input(label(key), key=text_key, help=meta["help"], on_change=changed, disabled=disabled)
    if st.session_state.get(f"{key}__error"):
        container.error(st.session_state[f"{key}__error"])
    return st.session_state.get(key)


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
