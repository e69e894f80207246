"""What a lesson card shows, without Streamlit: how far its latest launch is, and its runs' curves, one
line (mean ± sd over seeds) per compared setting."""
from __future__ import annotations

from collections import Counter

import plotly.graph_objects as go

from dashboard.logic import charts
from dashboard.logic import comparison as cmp
from protscope.lessons.lesson import Lesson, LessonRun
from protscope.lessons.reading import name_of
from protscope.status import LIVE


def progress(runs: list[LessonRun]) -> tuple[int, int, str]:
    """(runs ended, runs in all, a line such as "2 of 9 runs ended · 1 training · 6 queued")."""
    counts = Counter(r.status for r in runs)
    ended = sum(n for status, n in counts.items() if status not in LIVE)
    going = ", ".join(f"{n} {status}" for status, n in counts.items() if status in LIVE)
    stopped = ", ".join(f"{n} {status}" for status, n in counts.items()
                        if status not in LIVE and status not in ("completed", "early_stopped"))
    line = f"{ended} of {len(runs)} runs ended" + (f" · {going}" if going else "") + (
        f" · did not finish: {stopped}" if stopped else "")
    return ended, len(runs), line


def group_name(lesson: Lesson, run: LessonRun) -> str:
    """The run's compared settings (its seed left out), as a legend names them."""
    shown = [key for key in lesson.varies if key != "seed"]
    if not shown:
        return "these settings"
    return ", ".join(f"{key} {name_of(run.values.get(key), key)}" if key not in ("optimizer", "loss") else
                     name_of(run.values.get(key), key) for key in shown)


def metric_of(lesson: Lesson) -> str:
    return "val_accuracy" if lesson.base.get("monitor") == "val_accuracy" else "val_loss"


def lesson_figure(lesson: Lesson, runs: list[LessonRun]) -> go.Figure:
    """The validation curve of each compared setting: the mean over its seeds with a ±1 sd band."""
    metric = metric_of(lesson)
    groups: dict[str, list[LessonRun]] = {}
    for run in runs:
        if run.history:
            groups.setdefault(group_name(lesson, run), []).append(run)
    bands = []
    for i, (name, group) in enumerate(groups.items()):
        x, mean, sd = cmp.mean_band([list(r.history) for r in group], metric)
        seeds = f" ({len(group)} seeds)" if len(group) > 1 else ""
        # dashed every other line: identical curves (accumulation against one big batch) stay visible
        bands.append({"name": name + seeds, "x": x, "mean": mean, "sd": sd, "colour": charts.colour_of(i),
                      "dash": "dash" if i % 2 else None})
    label = metric.replace("val_", "validation ").replace("_", " ")
    return charts.mean_bands(bands, f"{lesson.title}: {label}", label)
