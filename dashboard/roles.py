"""Who is acting in this session: a student (the default: a browser, no account) or the instructor, signed in
with the class password (`instructor_password` in .streamlit/secrets.toml, or PROTSCOPE_INSTRUCTOR_PASSWORD) or
logged in through st.login with an account listed in `instructor_emails` (an OpenID Connect provider set up in
secrets.toml's [auth] section). The role lives on the server (session state, or Streamlit's checked identity
cookie), which a browser cannot write; every action that needs it is checked again by
protscope/runs/classroom.py."""
from __future__ import annotations

import os

import streamlit as st

from dashboard import session
from protscope.runs.classroom import Actor, password_matches


def class_password() -> str:
    """The instructor's password, or "" when none is set (then nobody can sign in as instructor)."""
    return str(_secret("instructor_password", "") or os.environ.get("PROTSCOPE_INSTRUCTOR_PASSWORD", ""))


def _secret(name: str, default):
    try:
        return st.secrets.get(name, default)
    except FileNotFoundError:  # no secrets.toml: st.secrets raises on first read in some versions
        return default


def instructor_emails() -> set[str]:
    """The accounts that are the instructor when they log in through st.login (`instructor_emails`)."""
    listed = _secret("instructor_emails", [])
    if isinstance(listed, str):  # one address, or several separated by commas, rather than a TOML list
        listed = listed.split(",")
    return {str(e).strip().lower() for e in listed if str(e).strip()}


def login_provider() -> str | None:
    """What to pass to st.login: "" for one provider in [auth], its name for [auth.<name>]; None when there is no
    [auth] section or no instructor_emails (the class password is then the only sign-in)."""
    auth = _secret("auth", None)
    if not auth or not instructor_emails():
        return None
    named = [name for name, value in auth.items() if hasattr(value, "keys")]
    return named[0] if named and "client_id" not in auth else ""


def login_email() -> str:
    """The e-mail of the account this browser logged in with through st.login, or ""."""
    return str(st.user.get("email") or "") if st.user.is_logged_in else ""


def actor() -> Actor:
    role = st.session_state.get("role", "student")
    if login_provider() is not None and login_email().lower() in instructor_emails():
        role = "instructor"
    return Actor(session.workspace().owner, role)


def sign_in() -> None:
    """The sidebar's instructor sign-in (a login button where st.login is set up, the class password where one
    is set), or who is signed in."""
    provider = login_provider()
    if provider is not None:
        email = login_email()
        if email:
            st.caption(f"Logged in as {email}" + (": the instructor." if actor().instructor else " (a student)."))
            if st.button("Log out", key="instructor_log_out"):
                st.logout()
            if actor().instructor:
                return
        elif st.button("Instructor: log in with your account", key="instructor_log_in", icon=":material/login:"):
            st.login(provider or None)
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
