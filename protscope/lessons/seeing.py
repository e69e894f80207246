"""The paragraph of the lesson read from what the model looks at: the planted motif, found (or not) by the
trained CNN's filters and by its attributions (protscope.explain.planted)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from protscope.errors import ProtScopeError
from protscope.explain.planted import MOTIF, MOTIF_TEXT, TOP_RESIDUES, PlantedCheck, check_planted
from protscope.lessons.lesson import LessonRun
from protscope.lessons.reading import left_out, usable
from protscope.lessons.summaries import NOTHING


@lru_cache(maxsize=8)
def _checked(checkpoint: str, modified: float) -> PlantedCheck | str:  # noqa: ARG001 (modified: a new file, a new key)
    try:
        return check_planted(checkpoint)
    except ProtScopeError as exc:
        return str(exc)


def planted_motif(runs: list[LessonRun]) -> str:
    done = [r for r in usable(runs) if r.checkpoint and Path(r.checkpoint).is_file()]
    if not done:
        return left_out(runs) + NOTHING
    run = done[0]
    found = _checked(run.checkpoint, Path(run.checkpoint).stat().st_mtime)
    mcc = (run.metrics.get("test") or {}).get("mcc")
    opening = left_out(runs) + (f"The CNN tells the two classes apart at test MCC {mcc:.2f}. " if mcc is not None
                                else "")
    if isinstance(found, str):
        return opening + f"Reading what it learned failed: {found}"
    filters = (f"Its most influential first-layer filter (filter {found.top_filter}) fires on windows whose commonest "
               f"letters spell {found.top_consensus}: {found.matched} of the motif's {len(MOTIF)} positions "
               f"({MOTIF_TEXT})" + (", so the filter found the motif. " if found.filter_found else
                                    ", so this filter did not settle on the motif; look at the next ones. "))
    attributions = (f"Integrated Gradients on {found.proteins} test proteins that carry it put {found.on_motif:.0%} "
                    f"of each one's {TOP_RESIDUES} highest-scoring residues on the planted five"
                    + (": the prediction rests on the motif, not on the rest of the sequence. "
                       if found.on_motif >= 0.8 else ", so the model also leans on other residues. "))
    return (opening + filters + attributions + "See it yourself: Evaluate → Learned motifs for the filters' logos "
            "over the epochs, and Predict → What the model looks at for any sequence's attribution and mutations.")
