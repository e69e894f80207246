"""Make planted_motif.csv.gz: a SYNTHETIC dataset for checking what a model looks at. Not real proteins.

Random sequences drawn from the amino-acid composition of UniProtKB/Swiss-Prot; half of them (label 1)
carry one copy of a five-residue motif at a random place, the other half (label 0) carry none (any
chance match is drawn again). The label depends on the motif alone, so a model that learns the task must
find it: a CNN's first-layer filters should spell it and the attributions of label-1 proteins should fall
on it. The motif, a position weight matrix:

    position   1   2   3         4   5
    residue    W   H   K (60 %)  C   Y (70 %)
                       R (40 %)      F (30 %)

The file keeps where the motif was planted (`motif_start`, 1-based; 0 for label 0) and a split
(train 70 %, val 15 %, test 15 %). Seed 0; the output is byte-for-byte reproducible (gzip without a time
stamp) and its sha256 is in ../datasets.toml.

    python sample_data/planted_motif/make_planted_motif.py
"""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "planted_motif.csv.gz"
SEED = 0
PROTEINS = 2000
LENGTHS = (60, 300)  # uniform, inclusive
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"
# UniProtKB/Swiss-Prot amino-acid composition (%), release statistics
BACKGROUND = np.array([8.25, 1.37, 5.45, 6.75, 3.86, 7.07, 2.27, 5.96, 5.84, 9.66, 2.42, 4.06, 4.70, 3.93,
                       5.53, 6.56, 5.34, 6.87, 1.08, 2.92])
MOTIF = ({"W": 1.0}, {"H": 1.0}, {"K": 0.6, "R": 0.4}, {"C": 1.0}, {"Y": 0.7, "F": 0.3})
MOTIF_PATTERN = re.compile("WH[KR]C[YF]")
SPLITS = (("train", 0.70), ("val", 0.15), ("test", 0.15))


def background(rng: np.random.Generator, length: int) -> str:
    letters = rng.choice(len(AMINO_ACIDS), size=length, p=BACKGROUND / BACKGROUND.sum())
    return "".join(AMINO_ACIDS[i] for i in letters)


def motif(rng: np.random.Generator) -> str:
    return "".join(rng.choice(list(choices), p=list(choices.values())) for choices in MOTIF)


def make(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    for i in range(PROTEINS):
        label = int(i % 2 == 0)
        length = int(rng.integers(LENGTHS[0], LENGTHS[1] + 1))
        sequence = background(rng, length)
        while MOTIF_PATTERN.search(sequence):  # no chance motif anywhere
            sequence = background(rng, length)
        start = 0
        if label:
            at = int(rng.integers(0, length - len(MOTIF) + 1))
            sequence = sequence[:at] + motif(rng) + sequence[at + len(MOTIF):]
            start = at + 1
        rows.append((f"synthetic_{i:04d}", sequence, label, start))
    table = pd.DataFrame(rows, columns=["id", "sequence", "label", "motif_start"])
    cuts = np.cumsum([round(share * PROTEINS) for _, share in SPLITS])[:-1]
    order = rng.permutation(PROTEINS)
    table["split"] = ""
    for (name, _), part in zip(SPLITS, np.split(order, cuts)):
        table.loc[part, "split"] = name
    return table


def main() -> None:
    table = make(np.random.default_rng(SEED))
    text = table.to_csv(index=False, lineterminator="\n").encode()
    with OUTPUT.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9,
                                                 mtime=0) as out:
        out.write(text)
    counts = table.groupby("split", sort=False)["label"].agg(["size", "sum"])
    print("\n".join(f"{split}: {int(row['size']):,} proteins, {int(row['sum']):,} with the motif"
                    for split, row in counts.iterrows()))
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT.name}: {OUTPUT.stat().st_size:,} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
