"""Make structure_content.csv.gz: a multi-label dataset DERIVED from the DSSP labels we already ship.

It is not a published multi-label benchmark. Each protein of ../secondary_structure/netsurfp2_flip_ss3.csv.gz
(NetSurfP-2.0's PDB chains with their DSSP 3-state labels, as split by FLIP) gets three yes/no labels, from
its own resolved residues, in the spirit of the structural classes of Levitt & Chothia (1976) and
Nakashima et al. (1986), who call a protein helical or strand-rich from its share of H or E residues:

    helix       at least 15 % of the resolved residues are H (alpha, 3-10 or pi helix)
    strand      at least 15 % of the resolved residues are E (beta strand or bridge)
    unresolved  a run of at least 10 consecutive residues has no coordinates in the structure
                (missing electron density: flexible or disordered regions, also tags and termini)

so alpha+beta proteins carry helix and strand, and any protein may also carry unresolved. The shares and
the longest unresolved run are kept as columns, so other thresholds can be tried. Sequences, ids and the
FLIP split (train / valid / test_new364) are copied unchanged. The output is byte-for-byte reproducible
(gzip without a time stamp); its sha256 is in ../datasets.toml.

    python sample_data/structure_content/make_structure_content.py
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "secondary_structure" / "netsurfp2_flip_ss3.csv.gz"
OUTPUT = HERE / "structure_content.csv.gz"
HELIX_SHARE = 0.15
STRAND_SHARE = 0.15
UNRESOLVED_RUN = 10
LABELS = ("helix", "strand", "unresolved")


def per_protein(source: pd.DataFrame) -> pd.DataFrame:
    """The labels and the numbers behind them, one row per protein, all proteins at once."""
    lengths = source["ss3"].str.len().to_numpy()
    if not (lengths == source["resolved"].str.len().to_numpy()).all():
        raise SystemExit("ss3 and resolved differ in length for some protein")
    states = np.frombuffer("".join(source["ss3"]).encode("ascii"), dtype=np.uint8)  # (residues,)
    resolved = np.frombuffer("".join(source["resolved"]).encode("ascii"), dtype=np.uint8) == ord("1")
    owner = np.repeat(np.arange(len(source)), lengths)  # (residues,) the protein of each residue
    counted = np.maximum(np.bincount(owner, weights=resolved, minlength=len(source)), 1)
    helix = np.bincount(owner, weights=(states == ord("H")) & resolved, minlength=len(source)) / counted
    strand = np.bincount(owner, weights=(states == ord("E")) & resolved, minlength=len(source)) / counted
    # Runs of unresolved residues: a run starts at an unresolved residue that begins its protein or follows
    # a resolved one; its length is the number of unresolved residues that carry its run number.
    first = np.zeros(resolved.size, dtype=bool)
    first[np.concatenate(([0], np.cumsum(lengths)[:-1]))] = True
    missing = ~resolved
    starts = missing & (first | np.r_[False, resolved[:-1]])
    run = np.cumsum(starts) - 1
    run_lengths = np.bincount(run[missing], minlength=int(starts.sum()))
    longest = np.zeros(len(source), dtype=np.int64)
    np.maximum.at(longest, owner[starts], run_lengths)
    return pd.DataFrame({
        "id": source["id"], "sequence": source["sequence"],
        "helix": (helix >= HELIX_SHARE).astype(int), "strand": (strand >= STRAND_SHARE).astype(int),
        "unresolved": (longest >= UNRESOLVED_RUN).astype(int),
        "helix_share": helix.round(4), "strand_share": strand.round(4), "longest_unresolved": longest,
        "split": source["split"]})


def report(table: pd.DataFrame) -> str:
    """Label counts per split and the co-occurrence of the labels, for sample_data/README.md."""
    y = table[list(LABELS)].to_numpy()
    lines = [f"{len(table):,} proteins"]
    for split, part in table.groupby("split", sort=False):
        counts = ", ".join(f"{name} {int(part[name].sum()):,}" for name in LABELS)
        lines.append(f"  {split}: {len(part):,} proteins; {counts}")
    together = y.T @ y
    lines.append("co-occurrence (proteins carrying both): " + "; ".join(
        f"{a}+{b} {together[i, j]:,}" for i, a in enumerate(LABELS) for j, b in enumerate(LABELS) if i < j))
    sets = pd.Series(["+".join(n for n, on in zip(LABELS, row) if on) or "none" for row in y]).value_counts()
    lines.append("label sets: " + ", ".join(f"{name} {count:,}" for name, count in sets.items()))
    return "\n".join(lines)


def main() -> None:
    source = pd.read_csv(SOURCE, dtype=str, keep_default_na=False)
    table = per_protein(source)
    text = table.to_csv(index=False, lineterminator="\n").encode()
    with OUTPUT.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9,
                                                 mtime=0) as out:
        out.write(text)
    print(report(table))
    print(f"wrote {OUTPUT.name}: {OUTPUT.stat().st_size:,} bytes, sha256 "
          f"{hashlib.sha256(OUTPUT.read_bytes()).hexdigest()}")


if __name__ == "__main__":
    main()
