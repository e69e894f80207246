"""Is a column of text protein sequences, nucleotides, words or codes? Judged by what it is made of.

"Letters only" is not enough: species names, county names or gene names are letters too. A column
is taken as protein when its letters are distributed like amino acids rather than like English
(a log-likelihood ratio per letter over the whole column), its values are single tokens of one
case, and they are mostly distinct. Nucleotide columns are recognised (so they can be refused with
the right message), with gaps and IUPAC ambiguity codes allowed. Everything here is vectorised
over the bytes of the column sample.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

# Amino-acid composition of UniProtKB/Swiss-Prot (release 2024_06 statistics), percent.
AMINO_ACIDS = {"A": 8.25, "R": 5.53, "N": 4.06, "D": 5.46, "C": 1.38, "Q": 3.93, "E": 6.72, "G": 7.07,
               "H": 2.27, "I": 5.91, "L": 9.64, "K": 5.80, "M": 2.41, "F": 3.86, "P": 4.74, "S": 6.65,
               "T": 5.36, "W": 1.10, "Y": 2.92, "V": 6.86, "X": 0.5, "B": 0.01, "Z": 0.01, "J": 0.01,
               "U": 0.01, "O": 0.01}
# Letter frequencies of English text (Lewand, Cryptological Mathematics, 2000), percent.
ENGLISH = {"A": 8.167, "B": 1.492, "C": 2.782, "D": 4.253, "E": 12.702, "F": 2.228, "G": 2.015, "H": 6.094,
           "I": 6.966, "J": 0.153, "K": 0.772, "L": 4.025, "M": 2.406, "N": 6.749, "O": 7.507, "P": 1.929,
           "Q": 0.095, "R": 5.987, "S": 6.327, "T": 9.056, "U": 2.758, "V": 0.978, "W": 2.360, "X": 0.150,
           "Y": 1.974, "Z": 0.074}
NUCLEOTIDE_LETTERS = "ACGTUN"
IUPAC_NUCLEOTIDE = "ACGTUNRYKMSWBDHV"
GAPS = "-.*"
SAMPLE = 500
LABEL_LENGTH = 20  # letters: repeated values shorter than this may be categories
CLEARLY_PROTEIN = 0.5  # nats per letter; proteins score about 0.45-0.5 on average, English below 0

MIN_COMPOSITION_RESIDUES = 5000
UNUSUAL_DIVERGENCE = 0.15  # nats
_STANDARD = np.array([ord(c) for c in "ACDEFGHIKLMNPQRSTVWY"])
_BACKGROUND = np.array([AMINO_ACIDS[chr(c)] for c in _STANDARD]) / sum(AMINO_ACIDS[chr(c)] for c in _STANDARD)
_LETTERS = np.array([ord(c) for c in ENGLISH])
_LOG_RATIO = np.zeros(256)
_LOG_RATIO[_LETTERS] = np.log(np.array([AMINO_ACIDS[c] for c in ENGLISH]) / sum(AMINO_ACIDS.values())) \
    - np.log(np.array(list(ENGLISH.values())) / sum(ENGLISH.values()))
_IS = {name: np.isin(np.arange(256), [ord(c) for c in letters])
       for name, letters in (("nucleotide", NUCLEOTIDE_LETTERS), ("iupac", IUPAC_NUCLEOTIDE), ("gap", GAPS),
                             ("letter", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"))}
_SEQUENCE_LIKE = re.compile(r"[A-Za-z*\-.]+")
_TITLE_WORD = re.compile(r"[A-Z][a-z]{2,}([-_.][A-Za-z]+)*")  # Iris-setosa, Sodium


@dataclass(frozen=True)
class Evidence:
    """What a column looks like, with the numbers behind the verdict."""

    kind: str  # "protein", "nucleotide", "words", "labels", "numbers", "short", "other", "empty"
    reason: str = ""
    protein_vs_english: float = 0.0  # mean log-likelihood ratio per letter, nats; > 0 is protein-like

    @property
    def is_sequence(self) -> bool:
        return self.kind in ("protein", "nucleotide")


def column_evidence(values: list[str]) -> Evidence:
    """The verdict on a column from up to SAMPLE of its non-empty values."""
    sample = [_unblock(v) for v in values[:SAMPLE * 2] if v][:SAMPLE]
    if not sample:
        return Evidence("empty", "no values")
    shaped = np.mean([_SEQUENCE_LIKE.fullmatch(v) is not None for v in sample])
    if shaped < 0.9:
        return _not_letters(sample)
    mean_length = float(np.mean([len(v) for v in sample]))
    if mean_length < 5:
        return Evidence("short", f"values of {mean_length:.1f} letters on average are too short for sequences")
    titled = np.mean([_TITLE_WORD.fullmatch(v) is not None for v in sample])
    if titled > 0.2:
        return Evidence("words", f"{titled:.0%} of values are capitalised like words "
                                 f"(e.g. '{_example(sample)}')")
    raw = np.frombuffer("".join(sample).upper().encode("ascii", "replace"), dtype=np.uint8)
    letters = raw[_IS["letter"][raw]]
    if letters.size and _IS["iupac"][letters].all() and _IS["nucleotide"][letters].mean() >= 0.9:
        return Evidence("nucleotide", "only nucleotide letters (A, C, G, T/U, N and IUPAC codes)")
    score = float(_LOG_RATIO[letters].mean()) if letters.size else -np.inf
    distinct = len(set(sample)) / len(sample)
    # Few distinct short values are categories unless their letters are plainly amino acids (a
    # dataset may hold the same short protein many times).
    if len(sample) >= 10 and distinct < 0.5 and mean_length < LABEL_LENGTH and score < CLEARLY_PROTEIN:
        return Evidence("labels", f"only {len(set(sample)):,} distinct values in {len(sample):,} rows "
                                  f"(e.g. '{sample[0]}'): categories, not sequences", score)
    if score <= 0:
        return Evidence("words", f"its letters are distributed like English words, not amino acids "
                                 f"(e.g. '{_example(sample)}')", score)
    return Evidence("protein", "", score)


def _unblock(value: str) -> str:
    """'MKVLA AGHTY QQ' (residues in blocks of equal size, as GenBank and EMBL print them) -> 'MKVLAAGHTYQQ'.
    Words are left with their spaces: their lengths vary."""
    if " " not in value:
        return value
    blocks = value.split()
    if len(blocks) > 1 and len({len(b) for b in blocks[:-1]}) == 1 and len(blocks[0]) >= 5 \
            and len(blocks[-1]) <= len(blocks[0]):
        return "".join(blocks)
    return value


def _not_letters(sample: list[str]) -> Evidence:
    try:
        np.asarray(sample, dtype=np.float64)
        return Evidence("numbers", f"numbers (e.g. '{sample[0]}')")
    except ValueError:
        pass
    if np.mean([" " in v.strip() for v in sample]) > 0.2:
        return Evidence("words", f"text with spaces (e.g. '{_example(sample)}')")
    return Evidence("other", f"codes or mixed text (e.g. '{_example(sample)}')")


def _example(sample: list[str]) -> str:
    value = sample[0]
    return value if len(value) <= 30 else value[:27] + "..."


def unusual_composition(raw: np.ndarray) -> str:
    """A warning when amino-acid letters are far from any protein set's frequencies, else "".

    The KL divergence of the pooled composition from UniProt's: real datasets measure 0.002-0.08 nats
    (DeepSol, eSOL, CB513, TS115; GB1's variants of one protein 0.08), Foldseek's 3Di structural
    alphabet 0.22. Single proteins vary more, so this needs many residues and only warns.
    """
    letters = raw[_IS["letter"][raw]]
    if letters.size < MIN_COMPOSITION_RESIDUES:
        return ""
    counts = np.bincount(letters, minlength=256)[_STANDARD] + 1.0
    observed = counts / counts.sum()
    divergence = float(np.sum(observed * np.log(observed / _BACKGROUND)))
    if divergence <= UNUSUAL_DIVERGENCE:
        return ""
    order = np.argsort(observed / _BACKGROUND)[::-1][:3]
    shown = ", ".join(f"{chr(_STANDARD[i])} {observed[i]:.0%} (UniProt {_BACKGROUND[i]:.0%})" for i in order)
    return (f"the residue composition is unusual for proteins ({shown}; divergence {divergence:.2f} nats, real "
            "datasets stay below 0.1): if these letters are not amino acids (a structural alphabet such as "
            "Foldseek's 3Di, or a code), a model trained on them learns nothing about protein chemistry")


def letter_counts(raw: np.ndarray) -> dict[str, int]:
    """Counts of each letter in ASCII bytes, for messages."""
    counts = np.bincount(raw, minlength=256)
    return {chr(c): int(counts[c]) for c in np.flatnonzero(counts) if chr(c).isalpha()}


def nucleotide_rows(raw: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """(N,) bool: sequences that are nucleotides, allowing gaps, stops and IUPAC ambiguity codes.

    A row is nucleotide when it has letters, all of them IUPAC nucleotide codes, and at least 90% of
    them A, C, G, T, U or N. `raw` is the concatenated upper-case bytes of all rows.
    """
    if raw.size == 0:
        return np.zeros(len(lengths), dtype=bool)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    nonempty = lengths > 0
    out = np.zeros(len(lengths), dtype=bool)

    def per_row(flags: np.ndarray) -> np.ndarray:
        return np.add.reduceat(flags.astype(np.int64), starts[nonempty])

    letters = per_row(_IS["letter"][raw])
    iupac = per_row(_IS["iupac"][raw])
    plain = per_row(_IS["nucleotide"][raw])
    out[nonempty] = (letters > 0) & (iupac == letters) & (plain >= 0.9 * letters)
    return out
