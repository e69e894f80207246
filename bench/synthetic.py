"""Synthetic protein sequences for the benchmarks: Swiss-Prot's residue composition, lognormal lengths."""
from __future__ import annotations

import numpy as np

# Amino-acid composition of UniProtKB/Swiss-Prot, percent (release 2024).
AA_PERCENT = {"A": 8.25, "R": 5.53, "N": 4.06, "D": 5.46, "C": 1.38, "Q": 3.93, "E": 6.72, "G": 7.07,
              "H": 2.27, "I": 5.91, "L": 9.64, "K": 5.80, "M": 2.41, "F": 3.86, "P": 4.74, "S": 6.65,
              "T": 5.36, "W": 1.10, "Y": 2.92, "V": 6.86}


MEAN_LENGTH, LENGTH_SIGMA, MIN_LENGTH, MAX_LENGTH = 350, 0.6, 30, 2000


SEED = 0


def make_sequences(n: int, seed: int = SEED) -> tuple[list[str], list[str]]:
    """n protein sequences and binary '0'/'1' labels, reproducible from `seed`."""
    rng = np.random.default_rng(seed)
    mu = np.log(MEAN_LENGTH) - LENGTH_SIGMA ** 2 / 2  # lognormal with mean MEAN_LENGTH before clipping
    lengths = np.clip(np.rint(rng.lognormal(mu, LENGTH_SIGMA, n)), MIN_LENGTH, MAX_LENGTH).astype(np.int64)
    letters = np.frombuffer("".join(AA_PERCENT).encode("ascii"), dtype=np.uint8)
    cdf = np.cumsum(list(AA_PERCENT.values()))
    cdf /= cdf[-1]
    # Inverse-CDF table over 16-bit draws: residue frequencies exact to 1/65536, and fast.
    table = letters[np.minimum(np.searchsorted(cdf, (np.arange(65536) + 0.5) / 65536), len(letters) - 1)]
    text = table[rng.integers(0, 65536, int(lengths.sum()), dtype=np.uint16)].tobytes().decode("ascii")
    ends = np.cumsum(lengths)
    sequences = [text[a:b] for a, b in zip((ends - lengths).tolist(), ends.tolist())]
    labels = rng.integers(0, 2, n).astype(str).tolist()
    return sequences, labels
