"""Running a lesson: its runs as one launch, or its sanity check; then its paragraph from what finished.

    outcome = run_lesson(LESSONS["optimizers"], store)    # trains here, one run after another
    print(outcome.summary)

Every run of a launch is tagged `lesson:<name>` and `launch:<id>`, so the paragraph is read from the run
store (`collect`) whoever trained the runs: this process, the dashboard's job manager or a restart later.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from protscope.checks.sanity import CHECKS
from protscope.data.builtin import load_data
from protscope.data.splits import make_split
from protscope.lessons.lesson import Lesson, LessonRun, base_config, lesson_runs, values_of
from protscope.runs.outputs import load_internals
from protscope.serialise import clean_json

LESSON_TAG, LAUNCH_TAG = "lesson:", "launch:"


@dataclass(frozen=True)
class LessonOutcome:
    lesson: str
    launch: str  # "" for a check lesson
    summary: str
    runs: tuple[LessonRun, ...] = ()
    check: object = None  # the check's result (LRTestResult, OverfitResult) for a check lesson
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return clean_json({"lesson": self.lesson, "launch": self.launch, "summary": self.summary,
                           "seconds": self.seconds, "check": self.check.to_dict() if self.check is not None else None,
                           "runs": [{"run_id": r.run_id, "label": r.label, "values": r.values, "status": r.status,
                                     "best_epoch": r.best_epoch, "metrics": r.metrics} for r in self.runs]})


def new_launch(lesson: Lesson) -> str:
    return f"{lesson.name}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def tags_of(lesson: Lesson, launch: str) -> tuple[str, str]:
    return f"{LESSON_TAG}{lesson.name}", f"{LAUNCH_TAG}{launch}"


def run_check(lesson: Lesson, size: str = "class", extra: dict | None = None, **options):
    """The lesson's sanity check on its base config: LRTestResult or OverfitResult."""
    config = base_config(lesson, size, extra)
    data = load_data(config.data)
    return CHECKS[lesson.check].fn(config, data, make_split(data, config.data), **options)


def run_lesson(lesson: Lesson, store=None, size: str = "class", extra: dict | None = None, runs_dir=None,
               on_result=None) -> LessonOutcome:
    """Train the lesson's runs (or run its check) in this process and compute its paragraph."""
    from protscope.runs.store import open_store
    from protscope.runs.sweep_runner import run_sweep

    began = time.perf_counter()
    if lesson.check:
        result = run_check(lesson, size, extra)
        return LessonOutcome(lesson.name, "", lesson.summarise(result), check=result,
                             seconds=time.perf_counter() - began)
    store = store if store is not None else open_store()
    launch = new_launch(lesson)
    run_sweep(lesson_runs(lesson, size, extra), None, store, tags=tags_of(lesson, launch), runs_dir=runs_dir,
              on_result=on_result)
    runs = collect(store, lesson, launch)
    return LessonOutcome(lesson.name, launch, lesson.summarise(runs), tuple(runs), seconds=time.perf_counter() - began)


def collect(store, lesson: Lesson, launch: str) -> list[LessonRun]:
    """The launch's runs as the store holds them, in the order they were queued."""
    rows = sorted(store.list_runs(tag=f"{LAUNCH_TAG}{launch}"), key=lambda row: (row["started"], row["id"]))
    histories = store.histories([row["id"] for row in rows])
    prefix = f"{lesson.name} "
    return [LessonRun(label=row["name"][len(prefix):] if row["name"].startswith(prefix) else row["name"],
                      values=values_of(lesson, row["config"]), status=row["status"],
                      history=tuple(histories[row["id"]]), metrics=row["metrics"] or {},
                      best_epoch=row["best_epoch"] or None, internals=load_internals(store, row["id"]),
                      run_id=row["id"], config=row["config"], checkpoint=row["checkpoint"] or "") for row in rows]


def launches(store, lesson: Lesson, owner: str | None = None) -> list[str]:
    """This lesson's launches in the store (an owner's only, when given), newest first."""
    found: dict[str, float] = {}
    for row in store.list_runs(tag=f"{LESSON_TAG}{lesson.name}", owner=owner):
        for tag in row["tags"]:
            if tag.startswith(LAUNCH_TAG):
                found[tag[len(LAUNCH_TAG):]] = max(found.get(tag[len(LAUNCH_TAG):], 0.0), row["started"])
    return sorted(found, key=found.get, reverse=True)
