"""The paragraphs of the two task lessons: secondary structure per residue, and several labels per protein."""
from __future__ import annotations

import math

from protscope.lessons.lesson import LessonRun
from protscope.lessons.reading import grouped, left_out, metric, sentence, spread, usable
from protscope.lessons.summaries import NOTHING, finite, two


def per_residue(runs: list[LessonRun]) -> str:
    """Per-residue prediction with and without context: Q3 of the residue alone and of a window."""
    groups = grouped(runs, "window")
    if not groups:
        return left_out(runs) + NOTHING
    parts = [f"{2 * w + 1 if w else 1} residue{'s' if w else ''} ({'the residue alone' if not w else f'window {w}'}): "
             f"Q3 {spread([metric(r, 'q3') for r in g])}, helix recall {spread([metric(r, 'recall_H') for r in g])}, "
             f"strand recall {spread([metric(r, 'recall_E') for r in g])}" for w, g in groups.items()]
    return left_out(runs) + (
        "On the validation residues, " + "; ".join(parts) + ". A residue's neighbours say much about its structure "
        "(helices and strands are runs of residues). Every score and every loss here counts real residues only: "
        "padding after a protein's end and unresolved residues (mask 0) are left out before the loss, so they "
        "neither teach the model nor inflate Q3.")


def multilabel(runs: list[LessonRun]) -> str:
    """Several labels per protein: which labels are easy, micro against macro averages, and what pos_weight does."""
    done = usable(runs)
    if not done:
        return left_out(runs) + NOTHING
    parts = []
    for r in done:
        val = r.metrics.get("val") or {}
        auc = {k[len("roc_auc_"):]: finite(v) for k, v in val.items() if k.startswith("roc_auc_")}
        easy = sorted(auc, key=lambda k: -auc[k] if math.isfinite(auc[k]) else math.inf)
        weights = r.values.get("pos_weight", "none")
        parts.append(f"{'without' if weights == 'none' else f'with {weights}'} pos_weight: micro F1 "
                     f"{two(metric(r, 'micro_f1'))}, macro F1 {two(metric(r, 'macro_f1'))}, subset accuracy "
                     f"{two(metric(r, 'subset_accuracy'))}, Hamming loss {two(metric(r, 'hamming_loss'))}; ROC AUC "
                     + ", ".join(f"{k} {two(auc[k])}" for k in easy))
    return left_out(runs) + sentence("; ".join(parts)) + (
        ". Micro F1 pools every protein-label decision, so common labels dominate it; macro F1 averages the labels, "
        "so a rare, hard one pulls it down. Subset accuracy counts a protein right only when all its labels are; "
        "Hamming loss is the share of single label decisions that are wrong. ") + _weighting(
        grouped(runs, "pos_weight"))


def _weighting(groups: dict) -> str:
    """What balancing each label's positives against its negatives did, read off the two runs."""
    if "none" not in groups or "balanced" not in groups:
        return ""
    plain, weighted = groups["none"][0], groups["balanced"][0]
    moves = {m: metric(weighted, m) - metric(plain, m) for m in ("micro_f1", "macro_f1")}
    how = ("raised macro F1 and lowered micro F1: the rarer answers gained at the common ones' expense"
           if moves["macro_f1"] > 0 > moves["micro_f1"] else
           "raised both" if min(moves.values()) > 0 else "lowered both" if max(moves.values()) < 0 else
           "changed them in the same direction" if moves["macro_f1"] * moves["micro_f1"] >= 0 else
           "raised micro F1 and lowered macro F1")
    return (f"Balancing each label's positives against its negatives (pos_weight balanced) {how} here "
            f"(micro {moves['micro_f1']:+.2f}, macro {moves['macro_f1']:+.2f}); it helps most when a label is rare, "
            "and where a label is carried by most proteins it weighs its positives down instead.")
