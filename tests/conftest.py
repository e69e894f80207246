"""Shared helpers: small, realistic protein tables built in memory."""
from __future__ import annotations

import numpy as np
import pytest

from core.alphabet import ALPHABET

# Natural amino-acid frequencies (UniProt), in ALPHABET order, so generated sequences look real.
AA_FREQ = np.array([8.25, 1.38, 5.46, 6.72, 3.86, 7.07, 2.27, 5.92, 5.81, 9.65,
                    2.41, 4.06, 4.74, 3.93, 5.53, 6.64, 5.35, 6.86, 1.10, 2.92])


def random_sequences(n: int, seed: int = 0, low: int = 30, high: int = 300) -> list[str]:
    rng = np.random.default_rng(seed)
    letters = np.array(list(ALPHABET))
    p = AA_FREQ / AA_FREQ.sum()
    return ["".join(rng.choice(letters, size=rng.integers(low, high), p=p)) for _ in range(n)]


def csv_bytes(header: list[str], rows: list[list], sep: str = ",") -> bytes:
    lines = [sep.join(header)] + [sep.join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def binary_csv() -> bytes:
    seqs = random_sequences(40, seed=1)
    return csv_bytes(["id", "sequence", "label"], [[f"p{i}", s, i % 2] for i, s in enumerate(seqs)])


@pytest.fixture
def residue_csv() -> bytes:
    seqs = random_sequences(30, seed=2)
    rng = np.random.default_rng(3)
    rows = []
    for i, s in enumerate(seqs):
        ss = "".join(rng.choice(list("HEC"), size=len(s)))
        mask = "".join(rng.choice(list("01"), size=len(s), p=[0.1, 0.9]))
        rows.append([f"r{i}", s, ss, mask])
    return csv_bytes(["id", "sequence", "ss3", "resolved"], rows)
