"""The first screen: what ProtScope is, the three steps, and a one-click start."""
from __future__ import annotations

import streamlit as st

from dashboard import session
from dashboard.logic.workspace import Workspace
from protscope.config.presets import PRESETS

FIRST_RUN = "first-run"
STEPS = ("**1 · Data**: a built-in protein dataset (here), or your own CSV or FASTA.",
         "**2 · Train**: choose a model, a loss, an optimizer and a learning rate; press Train and watch the "
         "training and validation curves grow.",
         "**3 · Evaluate**: how well the trained model does on proteins it never saw, and whether it over- or "
         "underfits.")


def welcome(ws: Workspace) -> None:
    """Open for a newcomer (no runs yet), folded once they have trained."""
    from dashboard.state import repository

    first_time = not repository().runs(owner=ws.owner)
    with st.expander("What is ProtScope? Start here", expanded=first_time, icon=":material/waving_hand:"):
        st.markdown("ProtScope trains neural networks on protein sequences while you watch, so you can see how "
                    "they learn: what the learning rate, the batch size or the optimizer change, when a model "
                    "starts to overfit, and how good it really is on new proteins.")
        for step in STEPS:
            st.markdown(f"- {step}")
        preset = PRESETS[FIRST_RUN]
        if st.button("Start: train the course's solubility CNN on eSOL", type="primary", icon=":material/play_arrow:",
                     help=preset.description, key="first_run"):
            changed = ws.apply_preset(preset.values)
            st.session_state.start_now = True
            if changed:
                session.notice(f"Settings from **{preset.title}**: {', '.join(changed)}.", "info")
            st.switch_page("app_pages/train.py")
