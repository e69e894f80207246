"""A class on one server (protscope/runs/classroom.py): what a student and an instructor may do to whose runs,
checked on the server, and the class board of an exercise's runs, ranked by its metric over seeds."""
import math

import pytest

from protscope.runs.classroom import (
    HIDDEN_TAG,
    Actor,
    NotAllowed,
    board,
    delete_run,
    exercises,
    hide_run,
    password_matches,
)
from protscope.runs.repository import RunRepository
from protscope.runs.store import RunStore

TAG = "exercise:ab12cd34ef"


@pytest.fixture
def repo(tmp_path):
    store = RunStore(tmp_path / "runs.db")
    config = {"training": {"monitor": "val_mcc"}}
    for run_id, owner, name, mcc in (("r1", "ada", "Ada", 0.40), ("r2", "ada", "Ada", 0.44), ("r3", "bo", "Bo", 0.50),
                                     ("r4", "cy", "Cy", float("nan")), ("r5", "bo", "Bo", 0.10)):
        store.create_run(run_id, run_id, config, "esol", "f", "binary", tmp_path / run_id, tags=(TAG,), owner=owner,
                         owner_name=name, origin="dashboard")
        store.finish_run(run_id, "completed", "done", 1, {"val": {"mcc": mcc, "loss": 0.6}})
    store.create_run("other", "other", config, "esol", "f", "binary", None, owner="ada")  # not in the exercise
    store.finish_run("other", "completed", "done", 1, {"val": {"mcc": 0.9}})
    yield RunRepository(store)
    store.close()


def test_the_board_ranks_students_by_the_mean_over_their_runs_and_leaves_hidden_ones_out(repo):
    teacher = Actor("teacher", "instructor")
    hide_run(repo, teacher, "r5")  # Bo's bad run, hidden by the instructor
    rows = board(repo, "ab12cd34ef")
    assert [(r["place"], r["name"], r["n"]) for r in rows] == [(1, "Bo", 1), (2, "Ada", 2), (3, "Cy", 0)]
    assert rows[1]["mean"] == pytest.approx(0.42) and rows[1]["sd"] == pytest.approx(0.0283, abs=1e-4)
    assert math.isnan(rows[0]["sd"]) and math.isnan(rows[2]["mean"])  # one run: no spread; no value: last
    with_hidden = board(repo, "ab12cd34ef", include_hidden=True)
    assert with_hidden[0]["name"] == "Ada" and next(r for r in with_hidden if r["name"] == "Bo")["hidden"] == ["r5"]
    assert exercises(repo) == ["ab12cd34ef"]


def test_a_student_may_delete_only_their_own_runs_and_hide_none(repo):
    ada, teacher = Actor("ada"), Actor("teacher", "instructor")
    with pytest.raises(NotAllowed, match="run r3 is not yours"):
        delete_run(repo, ada, "r3")  # Bo's
    with pytest.raises(NotAllowed, match="only the instructor may hide"):
        hide_run(repo, ada, "r3")
    with pytest.raises(NotAllowed):
        hide_run(repo, ada, "r1")  # not even her own: hiding is the instructor's
    assert repo.find("r3") is not None and HIDDEN_TAG not in repo.find("r3").tags
    delete_run(repo, ada, "r1")
    delete_run(repo, teacher, "r3")
    assert repo.find("r1") is None and repo.find("r3") is None


def test_the_instructor_password_is_never_matched_when_none_is_set():
    assert password_matches("s3cret", "s3cret") and not password_matches("s3cre", "s3cret")
    assert not password_matches("", "")
