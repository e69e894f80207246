"""`python -m protscope lessons [list|show NAME|run NAME]`: the course's exercises as lessons.

`run` trains the lesson's runs here (one after another, recorded in the run store and tagged
lesson:<name>, so the dashboard's Compare and Lessons pages show them) and prints the paragraph
computed from them; `--full` trains the notes' own sizes instead of the class size.
"""
from __future__ import annotations

import json
import sys

from protscope.errors import ProtScopeError


def add_lessons_parser(sub) -> None:
    lessons = sub.add_parser("lessons", help="the course's exercises as lessons: list, show or run one")
    actions = lessons.add_subparsers(dest="action")
    listing = actions.add_parser("list", help="every lesson, with its runs and time in class")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    show = actions.add_parser("show", help="one lesson: its note, goal, what to look at and its runs")
    show.add_argument("name")
    run = actions.add_parser("run", help="train a lesson's runs and print what they show")
    run.add_argument("name")
    run.add_argument("--full", action="store_true", help="the notes' own sizes (longer) instead of the class size")
    run.add_argument("--json", action="store_true", help="print one JSON object on stdout (progress on stderr)")
    run.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    lessons.set_defaults(run=cmd_lessons, action="list", json=False)
    for parser, command in ((listing, cmd_lessons), (show, cmd_lessons), (run, cmd_lessons)):
        parser.set_defaults(run=command)


def cmd_lessons(args) -> int:
    from protscope.lessons.catalog import LESSONS

    if args.action == "list":
        if args.json:
            print(json.dumps([card(lesson) for lesson in LESSONS.values()]))
            return 0
        width = max(map(len, LESSONS))
        for lesson in LESSONS.values():
            print(f"{lesson.name:<{width}}  {what_it_runs(lesson):<28}  {lesson.title}")
        print("\n`python -m protscope lessons show NAME` for one; `... run NAME` to train it.")
        return 0
    lesson = find(args.name)
    if args.action == "show":
        print(text_card(lesson))
        return 0
    return run_one(lesson, args)


def find(name: str):
    from protscope.lessons.catalog import LESSONS

    if name not in LESSONS:
        raise ProtScopeError(f"there is no lesson '{name}'", fix=f"choose one of: {', '.join(LESSONS)}")
    return LESSONS[name]


def what_it_runs(lesson) -> str:
    runs = "a sanity check" if lesson.check else f"{lesson.run_count} run{'s' * (lesson.run_count > 1)}"
    return f"{runs}, about {minutes(lesson.budget_s)}"


def minutes(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def card(lesson) -> dict:
    from protscope.lessons.lesson import lesson_runs

    return {"name": lesson.name, "title": lesson.title, "note": lesson.note.document, "section": lesson.note.section,
            "goal": lesson.goal, "look_at": list(lesson.look_at), "check": lesson.check, "budget_s": lesson.budget_s,
            "runs": [r.label for r in lesson_runs(lesson)]}


def text_card(lesson) -> str:
    c = card(lesson)
    lines = [lesson.title, f"  course notes: {c['note']}, {c['section']}", f"  goal: {c['goal']}",
             f"  in class: {what_it_runs(lesson)} on a 2-core CPU"]
    lines += [f"  run: {label or '(the base settings)'}" for label in c["runs"]]
    lines += [f"  look at: {item}" for item in c["look_at"]]
    return "\n".join(lines)


def run_one(lesson, args) -> int:
    from protscope.lessons.runner import run_lesson
    from protscope.runs.store import open_store

    out = sys.stderr if args.json else sys.stdout
    print(text_card(lesson), file=out)

    def progress(report: dict) -> None:
        print(f"  {report['status']:<13} {report['label']}", file=out, flush=True)

    store = open_store(args.db) if args.db else open_store()
    outcome = run_lesson(lesson, store, size="full" if args.full else "class", on_result=progress)
    if args.json:
        print(json.dumps(outcome.to_dict()))
    else:
        print(f"\nWhat it shows ({outcome.seconds:.0f} s):\n{outcome.summary}")
        if outcome.launch:
            print(f"\nThe runs are tagged launch:{outcome.launch}: `python -m protscope runs list --tag "
                  f"launch:{outcome.launch}`; the dashboard's Compare page shows them side by side.")
    return 0
