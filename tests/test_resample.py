"""positive_share: a binary dataset thinned to a chosen class balance, for the lesson on imbalance; said, never
silently."""
import dataclasses

import numpy as np
import pytest

from protscope.data.builtin import config_for, load_data
from protscope.data.resample import keep_for_share
from protscope.errors import ProtScopeError


def test_esol_thinned_to_90_percent_soluble_keeps_every_soluble_protein_and_says_so():
    data = load_data(dataclasses.replace(config_for("esol"), positive_share=0.9))
    assert int(data.y.sum()) == 1413 and len(data.y) == 1570 and data.y.mean() == pytest.approx(0.9, abs=0.001)
    note = next(w for w in data.warnings if w.startswith("positive_share 0.9"))
    assert "kept 1,413 of 1,413 '1' and 157 of 1,734 '0'" in note and "1,577 proteins left out" in note
    again = load_data(dataclasses.replace(config_for("esol"), positive_share=0.9))
    assert list(again.ids) == list(data.ids)  # the same proteins for the same split_seed


def test_the_other_way_and_the_refusals():
    y = np.array([1] * 80 + [0] * 20)
    warnings = []
    keep = keep_for_share("binary", ("no", "yes"), y, np.ones(100, bool), 0.5, 0, warnings)
    assert keep.sum() == 40 and y[keep].mean() == 0.5 and "'yes'" in warnings[0]  # positives thinned instead
    with pytest.raises(ProtScopeError, match="needs a binary task"):
        keep_for_share("regression", (), y.astype(float), np.ones(100, bool), 0.5, 0, [])
    with pytest.raises(ProtScopeError, match="both classes"):
        keep_for_share("binary", ("0", "1"), np.ones(10, int), np.ones(10, bool), 0.5, 0, [])
