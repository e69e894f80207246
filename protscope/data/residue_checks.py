"""Is what a dataset holds protein at all? Checks over all its residues at once, before any is tokenised.

DNA or RNA given as protein (gaps and IUPAC codes allowed, short rows pooled), a handful of letters
over many residues (labels or codes, not residues) and a composition far from any protein set's.
`raw` is the concatenated upper-case bytes of every row, `lengths` the (N,) row lengths, `keep` the
(N,) rows still in the dataset; `where(i, column)` names a row for a message.
"""
from __future__ import annotations

import numpy as np

from protscope.data.composition import nucleotide_rows, unusual_composition
from protscope.errors import ProtScopeError, list_some

# Over this many residues, a protein set shows more than this many distinct letters.
MIN_ALPHABET_RESIDUES = 200
MAX_TINY_ALPHABET = 5
MIN_POOLED_NUCLEOTIDES = 20  # residues: short rows that together are only A, C, G, T are still DNA


def check_residues(raw, lengths, keep, where, warnings: list[str]) -> None:
    """Refuse DNA or RNA given as protein (gaps and IUPAC codes allowed), and warn about a few such rows."""
    dna = nucleotide_rows(raw, lengths) & keep & (lengths >= 10)
    kept = raw[np.repeat(keep, lengths)]
    if kept.size >= MIN_POOLED_NUCLEOTIDES and nucleotide_rows(kept, np.array([kept.size]))[0]:
        dna = keep  # short rows, but together only nucleotide letters
    if dna.sum() > 0.5 * keep.sum():
        raise ProtScopeError(f"{dna.sum():,} of {keep.sum():,} sequences are made of nucleotide letters (A, C, G, T/U, "
                             "N and IUPAC codes, with gaps): this looks like DNA or RNA, not protein",
                             where=where(int(np.argmax(dna)), "sequence"),
                             fix="translate the sequences to protein first (e.g. Biopython Seq.translate()), or "
                                 "upload the protein file")
    if dna.any():
        warnings.append(f"{dna.sum():,} sequences look like DNA (only A, C, G, T): rows "
                        f"{list_some((np.flatnonzero(dna) + 1).tolist())}")
    _check_alphabet_size(raw, lengths, keep, where)
    unusual = unusual_composition(kept)
    if unusual:
        warnings.append(unusual)


def _check_alphabet_size(raw, lengths, keep, where) -> None:
    """Proteins use nearly all 20 amino acids; a few letters over many residues are labels or codes
    (secondary structure H/E/C, a/b/c states), not residues."""
    kept = np.repeat(keep, lengths)
    letters = raw[kept & (raw >= ord("A")) & (raw <= ord("Z"))]
    if letters.size < MIN_ALPHABET_RESIDUES:
        return
    used = np.flatnonzero(np.bincount(letters, minlength=256))
    if used.size <= MAX_TINY_ALPHABET:
        shown = ", ".join(chr(c) for c in used)
        first = int(np.argmax(keep)) if keep.any() else 0
        raise ProtScopeError(f"the {letters.size:,} residues use only {used.size} different letters ({shown}), where "
                             "proteins use nearly all 20 amino acids: these look like per-residue labels (such as "
                             "secondary structure) or codes, not protein sequences", where=where(first, "sequence"),
                             fix="choose the column of amino-acid sequences as the sequence column")
