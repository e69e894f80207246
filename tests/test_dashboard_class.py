"""The Class page in AppTest: a student sees the board of an exercise and cannot hide or delete others' runs (no
button, and the server refuses a direct call); the instructor signs in with the class password, hides a run,
and the students' board no longer shows it. Runs started from a lesson link carry the exercise's tag."""
import pytest
from streamlit.testing.v1 import AppTest

from protscope.runs.classroom import EXERCISE_PREFIX, Actor, NotAllowed, delete_run
from tests.test_dashboard import APP

pytestmark = pytest.mark.usefixtures("fresh_dashboard")
LINK = dict(dataset="esol", model="linear", encoding="aac", epochs="1", seed="0", lock="dataset,seed,model,encoding")


def page(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    at.run()
    return at.switch_page("app_pages/classroom.py").run()


def add_runs(exercise: str) -> None:
    from dashboard.state import run_store

    store = run_store()
    for run_id, owner, name, mcc in (("s1", "o" * 32, "Olu", 0.31), ("s2", "p" * 32, "Pia", 0.45),
                                     ("s3", "p" * 32, "Pia", 0.41)):
        store.create_run(run_id, run_id, {"training": {"monitor": "val_mcc"}}, "esol", "f", "binary", None,
                         tags=(f"{EXERCISE_PREFIX}{exercise}",), owner=owner, owner_name=name, origin="dashboard")
        store.finish_run(run_id, "completed", "done", 1, {"val": {"mcc": mcc}})


def board_of(at: AppTest) -> list[tuple]:
    table = at.dataframe[0].value
    return list(zip(table["place"], table["student"], table["val_mcc"]))


def test_a_student_sees_the_board_and_cannot_hide_or_delete_others_runs(monkeypatch):
    monkeypatch.setenv("PROTSCOPE_INSTRUCTOR_PASSWORD", "tea-time")
    student = page(**LINK)
    exercise = student.session_state["ws"].exercise_id()
    assert exercise and "No runs have been submitted" in student.info[0].value
    add_runs(exercise)
    student.run()
    assert board_of(student) == [(1, "Pia", "0.430 ± 0.028"), (2, "Olu", "0.310")]
    assert not [b for b in student.button if b.label in ("Hide from the board", "Delete the run")]
    from dashboard.state import repository

    assert "role" not in student.session_state  # only a correct password on the server sets it
    me = Actor(student.session_state["ws"].owner)
    with pytest.raises(NotAllowed, match="not yours"):  # the same call the instructor's button makes
        delete_run(repository(), me, "s2")

    teacher = page()
    teacher.text_input(key="instructor_password_typed").input("wrong")
    teacher.button[[b.label for b in teacher.button].index("Sign in")].click().run()
    assert any("not the class password" in e.value for e in teacher.error)
    teacher.text_input(key="instructor_password_typed").input("tea-time")
    teacher.button[[b.label for b in teacher.button].index("Sign in")].click().run()
    assert any("Signed in as the instructor" in s.value for s in teacher.success)
    run_box = next(s for s in teacher.selectbox if s.label == "Run")
    run_box.set_value("s1").run()
    next(b for b in teacher.button if b.label == "Hide from the board").click().run()
    student.run()
    assert board_of(student) == [(1, "Pia", "0.430 ± 0.028")]  # Olu's hidden run is off the students' board


def test_a_run_started_from_a_lesson_link_is_submitted_to_its_exercise():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(LINK)
    at.run()
    at.switch_page("app_pages/train.py").run()
    next(b for b in at.button if b.label == "Train").click().run()
    from dashboard.state import repository

    run = repository().find(at.session_state["ws"].live_run)
    assert f"{EXERCISE_PREFIX}{at.session_state['ws'].exercise_id()}" in run.tags


def test_the_instructors_broadcast_reaches_every_students_class_page_and_only_the_instructor_starts_it(monkeypatch):
    from dashboard.state import broadcast, repository

    monkeypatch.setenv("PROTSCOPE_INSTRUCTOR_PASSWORD", "tea-time")
    teacher = AppTest.from_file(APP, default_timeout=90)
    teacher.query_params.update(dict(LINK, epochs="200", max_batches="2"))
    teacher.run()
    teacher.text_input(key="instructor_password_typed").input("tea-time")
    teacher.button[[b.label for b in teacher.button].index("Sign in")].click().run()
    teacher.switch_page("app_pages/train.py").run()
    next(b for b in teacher.button if b.label == "Train").click().run()
    run_id = teacher.session_state["ws"].live_run
    student = page()
    with pytest.raises(NotAllowed, match="only the instructor may broadcast"):  # a student calling the server
        broadcast().start(Actor(student.session_state["ws"].owner), repository().find(run_id))
    assert not [s for s in student.subheader if "Live from the instructor" in s.value]
    next(b for b in teacher.button if b.label == "Broadcast to the class").click().run()
    student.run()
    assert [s.value for s in student.subheader if "Live from the instructor" in s.value] == [
        f":material/cast: Live from the instructor: run {run_id}"]
    with pytest.raises(NotAllowed):
        broadcast().stop(Actor(student.session_state["ws"].owner))
    next(b for b in teacher.button if b.label == "Stop broadcasting").click().run()
    student.run()
    assert not [s for s in student.subheader if "Live from the instructor" in s.value]
    repository().job(run_id).trainer.stop()


AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32, "client_id": "protscope",
        "client_secret": "s", "server_metadata_url": "https://accounts.example.org/.well-known/openid-configuration"}


def logged_in_page(monkeypatch, email: str) -> AppTest:
    """The Class page with st.login set up ([auth] and instructor_emails in the secrets), this browser logged in
    as `email` (the identity Streamlit reads from its checked cookie; AppTest has no OpenID provider to ask)."""
    from dashboard import roles

    monkeypatch.setattr(roles, "login_email", lambda: email)
    at = AppTest.from_file(APP, default_timeout=90)
    at.secrets["auth"] = AUTH
    at.secrets["instructor_emails"] = ["Teacher@School.edu"]
    at.run()
    return at.switch_page("app_pages/classroom.py").run()


def test_an_account_listed_in_instructor_emails_is_the_instructor_and_any_other_a_student(monkeypatch):
    add_runs("e" * 12)
    teacher = logged_in_page(monkeypatch, "teacher@school.edu")
    assert any("teacher@school.edu: the instructor" in c.value for c in teacher.caption)
    assert [b for b in teacher.button if b.label == "Delete the run"]  # the instructor's controls
    other = logged_in_page(monkeypatch, "pupil@school.edu")
    assert any("pupil@school.edu (a student)" in c.value for c in other.caption)
    assert not [b for b in other.button if b.label in ("Hide from the board", "Delete the run")]
    nobody = logged_in_page(monkeypatch, "")
    assert [b.label for b in nobody.button if b.label.startswith("Instructor: log in")]


def test_instructor_emails_written_as_one_string_are_read_as_addresses(monkeypatch):
    from dashboard import roles

    monkeypatch.setattr(roles, "_secret", lambda name, default: "Teacher@School.edu, aide@school.edu")
    assert roles.instructor_emails() == {"teacher@school.edu", "aide@school.edu"}  # not its characters
