"""A class on one server: 30 simulated students (server-level sessions: Streamlit's AppTest, each a session of
one dashboard process with its own browser identity, not 30 chromiums on two cores) open the instructor's
lesson link and each press Train once, while the instructor's own run is broadcast.

Checked: no run is lost (every student's run ends completed and stored, tagged with the exercise); each
session's Train page shows its own run and no one else's; every student's Class page shows the broadcast;
the queue is first come first served (the runs start training in the order they were submitted, the
instructor's first) with one queued run per student (PROTSCOPE_MAX_RUNS_PER_STUDENT=1: a second press is
refused); recorded: the server process's memory and the response time of the students' page runs.

Run: `python -m bench.bench_class` (writes its section of bench/README.md), `--quick` for 3 students.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import Row, bench_main, fmt_bytes, fmt_time, machine_info, section_markdown, text_table

NAME = "class"
README = Path(__file__).resolve().parent / "README.md"
APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PASSWORD = "bench-class"
# The lesson: a linear model on amino-acid composition, 3 epochs (a second or two each on 2 cores).
LINK = dict(dataset="esol", model="linear", encoding="aac", epochs="3", seed="0", lock="dataset,seed,model,encoding")
SIZES = {"full": 30, "quick": 3}


def rss() -> int:
    """This process's resident memory now, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def session(query: dict, timings: list[float] | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update(query)
    return timed(at.run, timings)


def timed(step, timings: list[float] | None):
    began = time.perf_counter()
    out = step()
    if timings is not None:
        timings.append(time.perf_counter() - began)
    return out


def press(at, label: str, timings=None):
    return timed(next(b for b in at.button if b.label == label).click().run, timings)


def run(quick: bool = False, log=print) -> dict:
    n = SIZES["quick" if quick else "full"]
    folder = tempfile.mkdtemp(prefix="bench-class-")
    os.environ.update(PROTSCOPE_RUNS=folder, PROTSCOPE_MAX_RUNS="1", PROTSCOPE_MAX_RUNS_PER_STUDENT="1",
                      PROTSCOPE_INSTRUCTOR_PASSWORD=PASSWORD)
    os.environ.pop("PROTSCOPE_DB", None)
    from dashboard.state import broadcast, job_manager, repository
    from protscope.runs.classroom import EXERCISE_PREFIX, Actor, board

    memory_before = rss()
    teacher = session({**LINK, "epochs": "10000"})  # the instructor's run holds the slot while the class joins
    teacher.text_input(key="instructor_password_typed").input(PASSWORD)
    press(teacher, "Sign in")
    teacher.switch_page("app_pages/train.py").run()
    press(teacher, "Train")
    press(teacher, "Broadcast to the class")
    on_air = teacher.session_state["ws"].live_run
    opening, training, students = [], [], []
    for i in range(n):
        at = session({**LINK}, opening)
        at.text_input(key="owner_name").input(f"student {i + 1:02d}").run()
        at.switch_page("app_pages/train.py").run()
        press(at, "Train", training)
        students.append(at)
    submitted = [at.session_state["ws"].live_run for at in students]
    refused = press(students[0], "Train")  # a second run while the first is queued: refused, and said
    second_refused = any("you already have 1 run queued or training" in e.value for e in refused.error)
    log(f"{n} students submitted in {sum(training):.1f} s; the broadcast is run {on_air}")
    jobs = job_manager()
    places = [jobs.place(jobs.get(run_id)) for run_id in submitted]
    jobs.get(on_air).trainer.stop()
    began = time.perf_counter()
    for run_id in submitted:
        jobs.get(run_id).trainer.wait(600)
        jobs.get(run_id).finished_recording.wait(60)
    waited = time.perf_counter() - began
    repo = repository()
    records = [repo.find(run_id) for run_id in submitted]
    exercise = students[0].session_state["ws"].exercise_id()
    tag = f"{EXERCISE_PREFIX}{exercise}"
    stored = [r for r in records if r is not None and r.status == "completed" and tag in r.tags]
    owners = {r.owner for r in stored}
    starts = [jobs.get(run_id).snapshot().started.time for run_id in submitted]
    in_order = all(a <= b for a, b in zip(starts, starts[1:]))
    sees_own, sees_broadcast, class_page = 0, 0, []
    for at, run_id in zip(students, submitted):
        timed(at.run, class_page)
        ws = at.session_state["ws"]
        sees_own += int(ws.live_run == run_id and repo.find(run_id).owner == ws.owner)
        at.switch_page("app_pages/classroom.py")
        timed(at.run, class_page)
        sees_broadcast += int(any(f"Live from the instructor: run {on_air}" in s.value for s in at.subheader))
    memory_after = rss()
    on_board = {row["owner"] for row in board(repo, exercise)}  # the instructor's stopped run is there too
    ranked = len(owners & on_board)
    broadcast().stop(Actor("bench", "instructor"))
    rows = [
        Row(f"{n} students' runs completed and stored, each under its own owner", f"{len(stored)} of {n}",
            target=f"{n} of {n}", passed=len(stored) == n and len(owners) == n),
        Row("each session shows its own run", f"{sees_own} of {n}", target=f"{n} of {n}", passed=sees_own == n),
        Row("each student's Class page shows the instructor's broadcast", f"{sees_broadcast} of {n}",
            target=f"{n} of {n}", passed=sees_broadcast == n),
        Row("the queue is first come first served: places at submission, then training order",
            f"places {places[0]}..{places[-1]}; in order: {in_order}", target="1..n, in order",
            passed=places == list(range(1, n + 1)) and in_order),
        Row("a student's second run while the first waits is refused, with the reason", str(second_refused),
            target="True", passed=second_refused),
        Row("the class board ranks every student", f"{ranked} of {n}", target=f"{n} of {n}", passed=ranked == n),
        Row("response: a student opening the lesson link (median / 95th percentile)",
            f"{fmt_time(float(np.median(opening)))} / {fmt_time(float(np.percentile(opening, 95)))}"),
        Row("response: pressing Train (median / 95th percentile)",
            f"{fmt_time(float(np.median(training)))} / {fmt_time(float(np.percentile(training, 95)))}"),
        Row("response: the Train and Class pages with the broadcast live (median / 95th percentile)",
            f"{fmt_time(float(np.median(class_page)))} / {fmt_time(float(np.percentile(class_page, 95)))}"),
        Row("server memory: before the class, after it", f"{fmt_bytes(memory_before)}, {fmt_bytes(memory_after)}"),
        Row("time for the queued runs to finish after the last submission (one training slot)", fmt_time(waited)),
    ]
    info = machine_info()
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    notes = [f"One dashboard process (PROTSCOPE_MAX_RUNS=1: one training slot, as on a 2-core class server); "
             f"the lesson: {', '.join(f'{k}={v}' for k, v in LINK.items())}. Response times are AppTest script "
             "runs: the server's work for a page, without the network and the browser's drawing."]
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("A class on one server", "`python -m bench.bench_class` — 30 simulated students "
                            "(server-level sessions) join a lesson link and each start a short run while the "
                            "instructor broadcasts.", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
