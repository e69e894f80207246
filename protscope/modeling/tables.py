"""Per-token lookup tables for the BLOSUM62 and physicochemical encodings, from cited sources.

Each table has one row per token (22: padding, the 20 amino acids in ALPHABET order, X); the
padding row is all zeros so padded positions encode to nothing.
- BLOSUM62: Henikoff & Henikoff, PNAS 89:10915 (1992), as shipped by Biopython.
- Physicochemical scales, from the `peptides` package tables:
  Kyte & Doolittle hydrophobicity (J. Mol. Biol. 157:105, 1982); side-chain charge at pH 7 from
  Lehninger pKa values (Henderson-Hasselbalch); residue mass (ExPASy); the five Atchley factors
  (PNAS 102:6395, 2005). Each scale is standardised over the 20 amino acids; X gets 0.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from protscope.alphabet import ALPHABET

PHYSCHEM_NAMES = ("hydrophobicity", "charge_pH7", "mass", "atchley_polarity",
                  "atchley_secondary_structure", "atchley_volume", "atchley_codon_diversity",
                  "atchley_electrostatic_charge")


@lru_cache(maxsize=1)
def blosum62_table() -> np.ndarray:
    """(22, 20) float32: the BLOSUM62 row of each token over the 20 standard amino acids."""
    from Bio.Align import substitution_matrices

    matrix = substitution_matrices.load("BLOSUM62")
    table = np.zeros((len(ALPHABET) + 2, len(ALPHABET)), dtype=np.float32)
    for t, aa in enumerate(ALPHABET + "X", start=1):
        table[t] = [matrix[aa][b] for b in ALPHABET]
    return table


def _charge_at_ph7(pka: dict[str, float]) -> dict[str, float]:
    """Mean side-chain charge at pH 7: +1/(1+10^(pH-pKa)) for bases, -1/(1+10^(pKa-pH)) for acids."""
    ph = 7.0
    charge = {aa: 0.0 for aa in ALPHABET}
    for aa in "KRH":
        charge[aa] = 1.0 / (1.0 + 10 ** (ph - pka[aa]))
    for aa in "DECY":
        charge[aa] = -1.0 / (1.0 + 10 ** (pka[aa] - ph))
    return charge


@lru_cache(maxsize=1)
def physchem_table() -> np.ndarray:
    """(22, 8) float32: the standardised scales of PHYSCHEM_NAMES for each token."""
    import peptides.tables as t

    scales = [
        t.HYDROPHOBICITY["KyteDoolittle"],
        _charge_at_ph7(t.PK["Lehninger"]),
        t.MOLECULAR_WEIGHT["expasy"],
        *(t.ATCHLEY[f"AF{i}"] for i in range(1, 6)),
    ]
    values = np.array([[scale[aa] for scale in scales] for aa in ALPHABET], dtype=np.float64)
    values = (values - values.mean(0)) / values.std(0)
    table = np.zeros((len(ALPHABET) + 2, len(scales)), dtype=np.float32)
    table[1:len(ALPHABET) + 1] = values
    return table
