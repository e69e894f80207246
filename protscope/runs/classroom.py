"""A class on one server: who may do what to whose runs, and the runs submitted to an exercise, ranked.

Two roles: a student (anyone with a browser: an owner id, no account) and an instructor (signed in with the
class password). The checks are the server's: the dashboard calls them for every action, so a hidden button
is never the only guard, and a student calling the server directly is refused the same way.
"""
from __future__ import annotations

import hmac
import math
import threading
from dataclasses import dataclass

import numpy as np

from protscope.errors import ProtScopeError
from protscope.evaluation.metrics import higher_is_better
from protscope.runs.repository import RunRecord, RunRepository

HIDDEN_TAG = "hidden-by-instructor"
EXERCISE_PREFIX = "exercise:"  # + the exercise's id (dashboard Workspace.exercise_id): a run submitted to it
ROLES = ("student", "instructor")
# What a student may do to their own runs; an instructor may do all of these to anyone's.
OWN_ACTIONS = ("pause", "stop", "delete")
INSTRUCTOR_ACTIONS = ("hide", "show", "broadcast")


class NotAllowed(ProtScopeError):
    """An action the actor's role does not allow, refused on the server."""


@dataclass(frozen=True)
class Actor:
    owner: str  # the owner id of the browser acting
    role: str = "student"

    @property
    def instructor(self) -> bool:
        return self.role == "instructor"


def password_matches(given: str, expected: str) -> bool:
    """The instructor's password, compared in constant time; never true when no password is set."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def check(actor: Actor, action: str, run: RunRecord) -> None:
    """Raise NotAllowed unless `actor` may `action` (OWN_ACTIONS, INSTRUCTOR_ACTIONS) the run."""
    if action in OWN_ACTIONS and (actor.instructor or (run.owner and run.owner == actor.owner)):
        return
    if action in INSTRUCTOR_ACTIONS and actor.instructor:
        return
    if action in OWN_ACTIONS:
        raise NotAllowed(f"run {run.id} is not yours: only its owner or the instructor may {action} it",
                         fix="ask the instructor")
    raise NotAllowed(f"only the instructor may {action} runs on the class board", fix="ask the instructor")

class Broadcast:
    """The run the instructor shows on every student's Class page (one per server; "" for none)."""

    def __init__(self):
        self._lock, self._run_id = threading.Lock(), ""

    @property
    def run_id(self) -> str:
        return self._run_id

    def start(self, actor: Actor, run: RunRecord) -> None:
        check(actor, "broadcast", run)
        with self._lock:
            self._run_id = run.id

    def stop(self, actor: Actor) -> None:
        if not actor.instructor:
            raise NotAllowed("only the instructor may stop the broadcast", fix="ask the instructor")
        with self._lock:
            self._run_id = ""


def delete_run(repo: RunRepository, actor: Actor, run_id: str) -> None:
    """Delete a finished run and its files, if `actor` may."""
    run = _existing(repo, run_id)
    check(actor, "delete", run)
    if not run.done:
        raise ProtScopeError(f"run {run_id} is still {run.status}", fix="stop it first")
    repo.store.delete(run_id)


def hide_run(repo: RunRepository, actor: Actor, run_id: str, hidden: bool = True) -> None:
    """Hide a run from the class board (or show it again): instructors only."""
    run = _existing(repo, run_id)
    check(actor, "hide" if hidden else "show", run)
    (repo.store.tag if hidden else repo.store.untag)(run_id, HIDDEN_TAG)


def _existing(repo: RunRepository, run_id: str) -> RunRecord:
    run = repo.find(run_id)
    if run is None:
        raise ProtScopeError(f"there is no run {run_id}")
    return run


def exercises(repo: RunRepository) -> list[str]:
    """The exercise ids runs were submitted to, the most recent first."""
    seen = []
    for run in repo.runs():
        for tag in run.tags:
            if tag.startswith(EXERCISE_PREFIX) and tag[len(EXERCISE_PREFIX):] not in seen:
                seen.append(tag[len(EXERCISE_PREFIX):])
    return seen


def monitored_value(run: RunRecord) -> float:
    """The run's validation value of the metric its config monitors (its best epoch's), NaN when none."""
    monitor = run.config.get("training", {}).get("monitor", "val_loss")
    value = run.metrics.get("val", {}).get(monitor.removeprefix("val_"))
    return float(value) if isinstance(value, (int, float)) else math.nan


def board(repo: RunRepository, exercise: str, include_hidden: bool = False) -> list[dict]:
    """One row per student (owner) of the finished runs submitted to `exercise`, ranked by the metric the
    exercise monitors: the mean over their runs (seeds), the sd where there are several. Hidden runs are left
    out unless `include_hidden` (the instructor's view, where they are marked)."""
    runs = [r for r in repo.runs() if f"{EXERCISE_PREFIX}{exercise}" in r.tags and r.done
            and (include_hidden or HIDDEN_TAG not in r.tags)]
    if not runs:
        return []
    monitor = runs[0].config.get("training", {}).get("monitor", "val_loss")
    by_owner: dict[str, list[RunRecord]] = {}
    for run in runs:
        by_owner.setdefault(run.owner, []).append(run)
    rows = []
    for owner, mine in by_owner.items():
        values = np.array([monitored_value(r) for r in mine], dtype=float)
        finite = values[np.isfinite(values)]
        rows.append({"owner": owner, "name": mine[0].owner_name, "runs": [r.id for r in mine],
                     "hidden": [r.id for r in mine if HIDDEN_TAG in r.tags], "metric": monitor,
                     "mean": float(finite.mean()) if finite.size else math.nan,
                     "sd": float(finite.std(ddof=1)) if finite.size > 1 else math.nan, "n": int(finite.size)})
    best_first = -1.0 if higher_is_better(monitor) else 1.0
    rows.sort(key=lambda row: (math.isnan(row["mean"]), best_first * (0.0 if math.isnan(row["mean"]) else row["mean"])))
    for place, row in enumerate(rows, start=1):
        row["place"] = place
    return rows
