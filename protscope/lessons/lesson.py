"""What a lesson is: one exercise of the course notes as runs ProtScope can launch, what to look at, and a
paragraph computed from the finished runs.

    lesson = LESSONS["optimizers"]
    runs = lesson_runs(lesson, "class")            # SweepRuns, each a validated RunConfig
    ...train them, then...
    text = lesson.summarise(collected)             # a paragraph with the runs' own numbers

A lesson either trains runs (a base config, a grid of settings, seeds) or runs one of the sanity checks
(`check`: "lr" for the learning-rate finder, "overfit" for overfit one batch) on its base config.
Sizes: "class" trims epochs and batches so the whole lesson fits in class (its card states the measured
time, `budget_s`); "full" trains the notes' own sizes.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from protscope.config.layering import layered
from protscope.config.run_config import RunConfig, locate
from protscope.data.builtin import config_for
from protscope.errors import ProtScopeError
from protscope.runs.sweeps import SweepRun, SweepSpec, expand

SIZES = ("class", "full")


@dataclass(frozen=True)
class Note:
    """Where the course teaches it: a document of the notes and the section, found in the notes' text by `start`
    (the section's first words) up to `end` (the next section's)."""

    document: str
    section: str
    start: str = ""
    end: str = ""


@dataclass(frozen=True)
class LessonRun:
    """A finished (or failed) run of a lesson, as a summary reads it."""

    label: str  # the varied settings, e.g. "optimizer=sgd seed=1"
    values: dict  # those settings' values: {"optimizer": "sgd", "seed": 1}
    status: str
    history: tuple[dict, ...]  # per epoch: epoch, train_loss, val_loss, val_<metric>..., lr
    metrics: dict  # {"val": {...}, "test": {...}}
    best_epoch: int | None = None
    internals: dict | None = None  # layer statistics (docs/INTERNALS.md), if recorded
    run_id: str = ""
    config: dict = field(default_factory=dict)  # the run's config, by section
    checkpoint: str = ""  # its saved model, for lessons that read what it learned


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    note: Note
    goal: str  # what the exercise asks, in a sentence or two
    look_at: tuple[str, ...]  # where to look and what to notice
    base: dict  # flat settings, with `dataset`
    summarise: Callable  # (list[LessonRun]) -> str, or for a check lesson (check result) -> str
    budget_s: float  # the class-size lesson's measured wall time on a 2-core CPU (bench/bench_lessons.py)
    grid: dict = field(default_factory=dict)  # setting -> values; the first is the one compared
    linked: dict = field(default_factory=dict)  # value of the first grid setting -> settings that go with it
    seeds: int = 1
    class_size: dict = field(default_factory=dict)  # what "class" changes: fewer epochs, batches per epoch
    check: str = ""  # "lr" or "overfit": run that sanity check instead of training runs

    @property
    def varies(self) -> tuple[str, ...]:
        """The settings the runs differ in, the compared one first."""
        return tuple(self.grid) + (("seed",) if self.seeds > 1 else ())

    @property
    def run_count(self) -> int:
        if self.check:
            return 0
        count = 1
        for values in self.grid.values():
            count *= len(values)
        return count * self.seeds


def base_config(lesson: Lesson, size: str = "class", extra: dict | None = None) -> RunConfig:
    """The lesson's base config at `size`, with `extra` flat settings on top (the tests' tiny sizes)."""
    if size not in SIZES:
        raise ProtScopeError(f"there is no lesson size '{size}'", fix=f"choose one of: {', '.join(SIZES)}")
    flags = {**(lesson.class_size if size == "class" else {}), **(extra or {})}
    # Data settings (positive_share, split...) go over the dataset's own section, which replaces the preset's.
    data = {**config_for(lesson.base["dataset"]).to_dict(),
            **{k: v for k, v in lesson.base.items() if k != "dataset" and locate(k)[0] == "data"}}
    return layered(preset=lesson.base, data=data, flags=flags)


def lesson_runs(lesson: Lesson, size: str = "class", extra: dict | None = None) -> list[SweepRun]:
    """Every run of a training lesson, each validated; a check lesson has none."""
    if lesson.check:
        return []
    first = next(iter(lesson.grid), None)
    spec = SweepSpec(grid=dict(lesson.grid), seeds=lesson.seeds, name=lesson.name,
                     linked={first: lesson.linked} if lesson.linked and first else {})
    return expand(spec, base_config(lesson, size, extra))


def values_of(lesson: Lesson, config: dict) -> dict:
    """A stored run's values of the settings the lesson varies (config as saved: by section)."""
    out = {}
    for key in lesson.varies:
        section, name = locate(key)  # "optimizer" is ("optimizer", "name")
        out[key] = _as_value(config.get(section, {}).get(name))
    return out


def _as_value(value):
    return tuple(value) if isinstance(value, list) else value


def note_text(note: Note, folder=None, limit: int = 4000) -> str:
    """The section of the course notes a lesson comes from, as plain text ("" when the notes are not on this
    machine or the section is not found: the card then names the document and section only)."""
    from pathlib import Path

    from protscope import settings

    folder = Path(folder) if folder is not None else settings.notes_dir()
    if not note.start or not folder.is_dir():
        return ""
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        if note.document.split(":")[0] not in text and note.document.split(": ")[-1] not in text:
            continue
        begin = text.find(note.start)
        if begin < 0:
            continue
        end = text.find(note.end, begin + len(note.start)) if note.end else -1
        section = _unmangled(text[begin:end if end > begin else begin + limit])
        # rule lines of box characters (some notes carry them mis-decoded, as "โ•") say nothing
        section = "\n".join(line for line in section.splitlines() if line.strip("#=-─═โ• \t") or not line.strip())
        section = section.strip()
        return section[:limit] + (" …" if len(section) > limit else "")
    return ""


MANGLED = re.compile("[\u0e00-\u0e7f\u2013-\u2122]+")  # UTF-8 bytes read as Thai (cp874): ² became "ยฒ"


def _unmangled(text: str) -> str:
    """Undo the mis-decoding some notes carry, run by run; a run that does not decode stays as it is."""
    def fix(match):
        try:
            return match.group(0).encode("cp874").decode("utf-8")
        except UnicodeError:
            return match.group(0)
    return MANGLED.sub(fix, text)
