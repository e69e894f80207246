"""An explanation (attribution, then saturation mutagenesis) in a daemon thread that the caller polls.

    task = start_explanation("runs/<id>/checkpoint.pt", "MKVLAAG...", method="ig")
    task.progress, task.attribution, task.done, task.result, task.error     # from any thread, at any time

The thread is protscope.background's: it never raises into the caller; a refusal or a failure
becomes `error`, in words. The attribution takes well under a second and the mutagenesis up to a minute
(a Transformer on 300 residues, one CPU core), so the attribution is there to show while the rest runs.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protscope.background import Background, in_background
from protscope.explain.attribution import Attribution, attribute
from protscope.explain.mutagenesis import MAX_RESIDUES, Mutagenesis, saturation_mutagenesis
from protscope.explain.subject import as_explainable

ATTRIBUTION_SHARE = 0.1  # of the progress bar; the mutagenesis' batches fill the rest


@dataclass(frozen=True)
class Explanation:
    attribution: Attribution
    mutagenesis: Mutagenesis | None
    skipped: str = ""  # why there is no mutagenesis, in words ("" when there is one)


def explain(model, sequence: str, method: str = "ig", target: str | None = None, position: int | None = None,
            device: str = "cpu", progress: Callable[[float], None] | None = None,
            should_stop: Callable[[], bool] | None = None,
            on_attribution: Callable[[Attribution], None] | None = None) -> Explanation:
    """Attribution by `method` and, for up to MAX_RESIDUES residues, saturation mutagenesis of the same target;
    `on_attribution` gets the attribution as soon as it is ready (the mutagenesis takes longer)."""
    model = as_explainable(model, device)
    found = attribute(model, sequence, method, target, position)
    if on_attribution is not None:
        on_attribution(found)
    report = progress or (lambda _fraction: None)
    report(ATTRIBUTION_SHARE)
    if len(found.sequence) > MAX_RESIDUES:
        return Explanation(found, None, f"saturation mutagenesis stops at {MAX_RESIDUES:,} residues; this sequence "
                                        f"has {len(found.sequence):,}")
    ism = saturation_mutagenesis(model, sequence, found.target.name or None, position,
                                 progress=lambda f: report(ATTRIBUTION_SHARE + (1 - ATTRIBUTION_SHARE) * f),
                                 should_stop=should_stop)
    return Explanation(found, ism)


class ExplainTask:
    """One explanation in the background: the thread's progress, done, result and error, the attribution as
    soon as it is ready, and stop()."""

    def __init__(self, model, sequence: str, options: dict):
        self.attribution: Attribution | None = None
        self._thread = Background()
        in_background(explain, model, sequence, task=self._thread, name="explain",
                      should_stop=self._thread.stop_requested, on_attribution=self._attributed, **options)

    progress = property(lambda self: self._thread.progress)
    done = property(lambda self: self._thread.done)
    result = property(lambda self: self._thread.result)
    error = property(lambda self: self._thread.error)

    def wait(self, timeout: float | None = None) -> Explanation | None:
        return self._thread.wait(timeout)

    def stop(self) -> None:
        self._thread.stop()

    def _attributed(self, found: Attribution) -> None:
        self.attribution = found  # one reference, set once: readers see None or the whole result


def start_explanation(model, sequence: str, **options) -> ExplainTask:
    """Start `explain(model, sequence, **options)` in a daemon thread and return at once."""
    return ExplainTask(model, sequence, options)
