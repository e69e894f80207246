"""How long each lesson takes in class: every lesson of protscope/lessons/catalog.py at its class size,
one after another in a fresh run store, on this machine's CPU (2 torch threads).

The measured time is what its card states (`Lesson.budget_s`, in the catalog): the target is that the
card is honest, measured within 25 % (or 5 s) of it, and that every lesson fits a class (under 3 minutes).
Each lesson's paragraph, computed from its runs, is printed too.

Run: `python -m bench.bench_lessons` (writes its section of bench/README.md); `--quick`: two lessons, tiny.
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch

from bench.report import Row, bench_main, machine_info, section_markdown, text_table
from protscope.lessons.catalog import LESSONS
from protscope.lessons.runner import run_lesson
from protscope.runs.store import RunStore

NAME = "lessons"
README = Path(__file__).resolve().parent / "README.md"
THREADS = 2
CLASS_LIMIT_S = 180
HONEST = 0.25  # a card's time is within this share (or SLACK_S seconds) of the measured one
SLACK_S = 5.0
QUICK = {"lessons": ("accumulation", "overfit-batch"), "extra": {"epochs": 1, "max_batches": 2}}


def run(quick: bool = False, log=print) -> dict:
    torch.set_num_threads(THREADS)
    info = machine_info()
    names = QUICK["lessons"] if quick else tuple(LESSONS)
    rows, notes = [], []
    with tempfile.TemporaryDirectory(prefix="protscope-lessons-") as folder:
        store = RunStore(Path(folder) / "protscope.db")
        for name in names:
            lesson = LESSONS[name]
            began = time.perf_counter()
            outcome = run_lesson(lesson, store, extra=QUICK["extra"] if quick else None, runs_dir=Path(folder))
            took = time.perf_counter() - began
            log(f"{name}: {took:.1f} s\n  {outcome.summary}")
            honest = abs(took - lesson.budget_s) <= max(HONEST * lesson.budget_s, SLACK_S)
            runs = "a check" if lesson.check else f"{lesson.run_count} runs"
            rows.append(Row(f"`{name}` ({runs}): card says {lesson.budget_s:.0f} s", f"{took:.1f} s",
                            f"{lesson.budget_s:.0f} s", f"{took / lesson.budget_s:.2f}x",
                            f"within 25 % or {SLACK_S:.0f} s; ≤ {CLASS_LIMIT_S} s",
                            None if quick else honest and took <= CLASS_LIMIT_S))
            notes.append(f"`{name}`: {outcome.summary}")
        store.close()
    info["torch threads"] = str(torch.get_num_threads())
    info["mode"] = "quick (smoke sizes)" if quick else "full (every lesson at class size)"
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("Lessons in class", "`python -m bench.bench_lessons` — each lesson at its class size, "
                            "as a Start button launches it; the notes list the paragraph each run computed.", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
