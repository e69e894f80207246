"""Subsample a binary dataset to a chosen class balance (DataConfig.positive_share), for the lessons on
imbalance: the course's "a dataset where 90 % of proteins are soluble" made from eSOL's 45 %.

Every protein of the class that is short is kept; the other class is thinned at random (seeded by
split_seed), and a note says how many of each were kept and left out.
"""
from __future__ import annotations

import numpy as np

from protscope.errors import ProtScopeError


def keep_for_share(task: str, classes, y, keep: np.ndarray, share: float, seed: int, warnings: list) -> np.ndarray:
    """A mask over the rows that leaves positives (class 1) at `share` of the rows kept by `keep`."""
    if task != "binary" or y is None:
        raise ProtScopeError(f"positive_share needs a binary task, but this one is '{task or 'unlabelled'}'",
                             fix="clear positive_share, or use binary labels (binarize_at turns numbers into two "
                                 "classes)")
    rows = np.flatnonzero(keep)
    positive = rows[y[rows] == 1]
    negative = rows[y[rows] != 1]
    if positive.size == 0 or negative.size == 0:
        raise ProtScopeError("positive_share needs proteins of both classes", fix="clear positive_share")
    # keep the short class whole: thin the other to the count that gives `share`
    if positive.size / rows.size < share:
        kept_pos, kept_neg = positive.size, max(1, round(positive.size * (1 - share) / share))
    else:
        kept_pos, kept_neg = max(1, round(negative.size * share / (1 - share))), negative.size
    rng = np.random.default_rng(seed)
    chosen = np.concatenate([rng.choice(positive, kept_pos, replace=False),
                             rng.choice(negative, kept_neg, replace=False)])
    mask = np.zeros_like(keep)
    mask[chosen] = True
    names = list(classes) if len(classes) == 2 else ["0", "1"]
    warnings.append(f"positive_share {share:g}: kept {kept_pos:,} of {positive.size:,} '{names[1]}' and {kept_neg:,} "
                    f"of {negative.size:,} '{names[0]}' proteins (chosen at random, split_seed {seed}), so "
                    f"'{names[1]}' makes up {kept_pos / (kept_pos + kept_neg):.0%} of the data; "
                    f"{rows.size - chosen.size:,} proteins left out")
    return mask
