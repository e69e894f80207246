"""Who is acting in this session: a student (the default: a browser, no account) or the instructor, signed in
with the class password (`instructor_password` in .streamlit/secrets.toml, or PROTSCOPE_INSTRUCTOR_PASSWORD).
The role lives in the server's session state, which a browser cannot write; every action that needs it is
checked again by protscope/runs/classroom.py."""
from __future__ import annotations

import os

import streamlit as st

from dashboard import session
from protscope.runs.classroom import Actor, password_matches


def class_password() -> str:
    """The instructor's password, or "" when none is set (then nobody can sign in as instructor)."""
    try:
        secret = st.secrets.get("instructor_password", "")
    except FileNotFoundError:  # no secrets.toml: st.secrets raises on first read in some versions
        secret = ""
    return str(secret or os.environ.get("PROTSCOPE_INSTRUCTOR_PASSWORD", ""))


def actor() -> Actor:
    return Actor(session.workspace().owner, st.session_state.get("role", "student"))


def sign_in() -> None:
    """The sidebar's instructor sign-in (only where a class password is set), or who is signed in."""
    if not class_password():
        return
    if actor().instructor:
        st.success("Signed in as the instructor.", icon=":material/school:")
        if st.button("Sign out", key="instructor_sign_out"):
            st.session_state.role = "student"
            st.rerun()
        return
    with st.expander("Instructor sign-in"), st.form("instructor_sign_in", border=False):
        given = st.text_input("Class password", type="password", key="instructor_password_typed")
        if st.form_submit_button("Sign in"):
            if password_matches(given, class_password()):
                st.session_state.role = "instructor"
                st.rerun()
            st.error("That is not the class password.")
