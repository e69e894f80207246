"""Predicted mutation effects beside measured ones, for a dataset of variants of one protein (GB1's four
sites, say): saturation mutagenesis of the wild type, read at the sites the data varies, against the
measured value of every single mutant the data holds.

    found = variants_of(data)                      # None unless the data is variants of one wild type
    table = predicted_against_measured(model, found)
    table.spearman, table.predicted, table.measured  # (20, sites) each; nan where the data has no such mutant

A built-in dataset's manifest names its wild type (`wild_type = "VDGV"` for GB1; wild_type_of); otherwise the
consensus is taken and every result says it was assumed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from protscope.alphabet import ALPHABET
from protscope.errors import ProtScopeError
from protscope.explain.mutagenesis import saturation_mutagenesis
from protscope.explain.subject import Explainable

MIN_SINGLES = 5  # fewer measured single mutants than this say too little to compare


@dataclass(frozen=True)
class Variants:
    """A regression dataset of variants of one wild type: where they differ, and the single mutants."""

    wild_type: str
    wild_type_value: float
    sites: np.ndarray  # (S,) 0-based positions where any variant differs from the wild type
    singles: np.ndarray  # (20, S) measured value of each single mutant minus the wild type's; nan if not measured
    assumed: bool = False  # the wild type was taken to be the consensus, not given


@dataclass(frozen=True)
class Comparison:
    sites: np.ndarray  # (S,) 0-based
    wild_type: str
    predicted: np.ndarray  # (20, S) predicted change (mutant - wild type), 0 at the wild type
    measured: np.ndarray  # (20, S) measured change, nan where the data has no such single mutant
    spearman: float  # over the measured single mutants
    pearson: float
    count: int  # measured single mutants compared
    assumed: bool = False  # the wild type is the data's consensus, not one the dataset names

    def to_json(self) -> dict:
        return {"wild_type": self.wild_type, "wild_type_assumed": self.assumed, "amino_acids": ALPHABET,
                "sites": [int(s) + 1 for s in self.sites], "predicted": self.predicted.tolist(),
                "measured": [[None if math.isnan(v) else float(v) for v in row] for row in self.measured],
                "spearman": self.spearman, "pearson": self.pearson, "count": self.count}

    def labels(self) -> list[str]:
        """'V39A' for each (row, site) cell, row by row."""
        return [f"{self.wild_type[s]}{s + 1}{a}" for a in ALPHABET for s in self.sites]


def wild_type_of(data_config) -> str:
    """The wild type a built-in dataset's manifest names (its row id), else ''."""
    from protscope.data.builtin import dataset_names, get_spec

    name = data_config.get("dataset", "") if isinstance(data_config, dict) else data_config.dataset
    return get_spec(name).wild_type if name in dataset_names() else ""


def variants_of(data, wild_type: str = "") -> Variants | None:
    """The variants of one wild type in `data` (regression, all sequences of one length), or None when the data
    is not such a set. `wild_type` is its id or sequence; empty: the most common residue at each position,
    which the result marks as assumed (in a combinatorial library it need not be the wild type)."""
    if data.task != "regression" or len(data) < MIN_SINGLES or len(set(data.lengths.tolist())) != 1:
        return None
    length = int(data.lengths[0])
    tokens = np.asarray(data.tokens)[:, :length]  # (N, L) codes 1..21
    assumed = not wild_type
    if assumed:
        reference = np.array([np.bincount(column, minlength=22).argmax() for column in tokens.T])  # (L,)
    else:
        ids = [str(i) for i in data.ids]
        if wild_type in ids:
            reference = tokens[ids.index(wild_type)]
        else:
            matches = [i for i, s in enumerate(data.sequences) if s == wild_type.strip().upper()]
            if not matches:
                raise ProtScopeError(f"the wild type '{wild_type[:30]}' is neither an id nor a sequence of the data",
                                     fix="give the id of the wild-type row, or its exact sequence")
            reference = tokens[matches[0]]
    differs = tokens != reference  # (N, L)
    distance = differs.sum(1)
    wild = np.flatnonzero(distance == 0)
    single = np.flatnonzero(distance == 1)
    if wild.size == 0 or single.size < MIN_SINGLES:
        return None
    sites = np.flatnonzero(differs.any(0))
    values = np.asarray(data.y, dtype=float)
    wild_value = float(values[wild].mean())
    singles = np.full((len(ALPHABET), sites.size), np.nan)
    position = differs[single].argmax(1)  # (singles,) the mutated position of each
    residue = tokens[single, position] - 1  # (singles,) row in ALPHABET (20 = X: not compared)
    keep = residue < len(ALPHABET)
    singles[residue[keep], np.searchsorted(sites, position[keep])] = values[single[keep]] - wild_value
    return Variants(str(data.sequences[int(wild[0])]), wild_value, sites, singles, assumed)


def predicted_against_measured(model: Explainable | str, variants: Variants, device: str = "cpu") -> Comparison:
    """Saturation mutagenesis of the wild type at the varied sites, against the measured single mutants."""
    scan = saturation_mutagenesis(model, variants.wild_type, device=device, sites=variants.sites)
    if scan.effects.shape[1] != len(variants.wild_type):
        raise ProtScopeError("the model reads a shorter sequence than the variants", where="the wild type",
                             fix="explain a run trained on these variants")
    predicted = scan.effects[:, variants.sites]  # (20, S)
    measured = variants.singles
    both = np.isfinite(measured)
    count = int(both.sum())
    if count < 3:
        return Comparison(variants.sites, variants.wild_type, predicted, measured, math.nan, math.nan, count,
                          variants.assumed)
    spearman = float(spearmanr(predicted[both], measured[both]).statistic)
    pearson = float(np.corrcoef(predicted[both], measured[both])[0, 1])
    return Comparison(variants.sites, variants.wild_type, predicted, measured, spearman, pearson, count,
                      variants.assumed)
