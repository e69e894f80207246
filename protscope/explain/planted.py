"""Did a model trained on the planted-motif dataset find the motif? The check behind its lesson and tests.

    found = check_planted(checkpoint)             # the dataset's own file: sequences, labels, motif_start
    found.top_consensus, found.matched            # the most influential filter's consensus, motif positions matched
    found.on_motif                                # share of positive proteins' top attributions on the motif

Two independent readings of the same trained CNN:
- filters: the first-layer filters ordered by influence (protscope.explain.motifs.cnn_motifs); the top one's
  consensus (its activating windows' most frequent letters) aligned to W-H-[KR]-C-[YF] at the best offset,
  counting positions whose letter the motif allows;
- attributions: Integrated Gradients on test proteins that carry the motif; of each protein's TOP_RESIDUES
  highest-scoring residues, the share inside the planted five.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from protscope.data.builtin import SAMPLE_DIR, get_spec
from protscope.explain.attribution import attribute
from protscope.explain.motifs import cnn_motifs
from protscope.explain.subject import as_explainable

DATASET = "planted-motif"
MOTIF = ("W", "H", "KR", "C", "YF")  # the letters each position allows
MOTIF_TEXT = "W-H-[KR]-C-[YF]"
TOP_RESIDUES = 5  # the motif's length: a perfect attribution puts all five on it
PROTEINS = 30  # positive test proteins attributed (evenly spaced)
MAX_SCANNED = 1400  # training proteins whose windows make the PWMs (the whole training split)


@dataclass(frozen=True)
class PlantedCheck:
    top_filter: int
    top_consensus: str  # the most influential filter's consensus ('-' where it never fired)
    matched: int  # motif positions its consensus spells, at the best offset
    offset: int  # where the motif starts in the filter's window (negative: before it)
    on_motif: float  # share of the positive proteins' top attributions that fall on the planted motif
    proteins: int  # positive proteins attributed

    @property
    def filter_found(self) -> bool:
        return self.matched >= len(MOTIF) - 1

    def to_dict(self) -> dict:
        return {**vars(self), "motif": MOTIF_TEXT, "filter_found": self.filter_found}


def motif_table() -> pd.DataFrame:
    """The dataset's file: id, sequence, label, motif_start (1-based, 0 without), split."""
    return pd.read_csv(SAMPLE_DIR / get_spec(DATASET).files[0].path)


def alignment(consensus: str) -> tuple[int, int]:
    """(matched, offset): the motif positions the consensus spells at its best offset (the nearer on ties)."""
    scored = [(sum(0 <= o + i < len(consensus) and consensus[o + i] in allowed for i, allowed in enumerate(MOTIF)),
               -abs(o), o) for o in range(-len(MOTIF) + 1, len(consensus))]
    best = max(scored)
    return best[0], best[2]


def check_planted(checkpoint: str | Path, table: pd.DataFrame | None = None, device: str = "cpu") -> PlantedCheck:
    table = motif_table() if table is None else table
    train, val = (table[table["split"] == s]["sequence"].tolist() for s in ("train", "val"))
    step = max(1, len(train) // MAX_SCANNED)
    motifs = cnn_motifs(checkpoint, train[::step], val, device=device)
    top = motifs.motifs[0]
    matched, offset = alignment(top.consensus)
    positives = table[(table["split"] == "test") & (table["label"] == 1)]
    chosen = positives.iloc[np.linspace(0, len(positives) - 1, min(PROTEINS, len(positives))).astype(int)]
    model = as_explainable(str(checkpoint), device)
    hits = 0
    for sequence, start in zip(chosen["sequence"], chosen["motif_start"]):
        scores = attribute(model, sequence, "ig").scores  # (L,)
        top_residues = np.argsort(-scores, kind="stable")[:TOP_RESIDUES]
        hits += int(((top_residues >= start - 1) & (top_residues < start - 1 + len(MOTIF))).sum())
    return PlantedCheck(top.filter, top.consensus, matched, offset, hits / (TOP_RESIDUES * len(chosen)), len(chosen))

