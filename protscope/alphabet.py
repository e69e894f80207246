"""The amino-acid alphabet and vectorised conversion between sequences and small integer tokens.

Tokens are uint8: 0 is padding, 1..20 are the standard amino acids in ALPHABET order, and 21 is
the unknown residue X. Conversion goes through a 256-entry lookup table over the bytes of all
sequences at once, so there is no Python loop over residues.
"""
from __future__ import annotations

import numpy as np
from numpy._core.multiarray import _set_madvise_hugepage

from protscope.errors import ProtScopeError

ALPHABET = "ACDEFGHIKLMNPQRSTVWY"
PAD = 0
UNKNOWN = 21
VOCAB_SIZE = 22  # pad + 20 standard + unknown
TOKEN_LETTERS = "-" + ALPHABET + "X"  # token -> letter, for decoding

# Ambiguous or non-standard symbols. Policy "map" turns them into X; policy "reject" refuses them.
# B (D/N), Z (E/Q), J (I/L), U selenocysteine, O pyrrolysine, X unknown, * stop, - and . gaps.
NONSTANDARD = "XBZJUO*-."

_INVALID = 255
_NONSTANDARD = 254

_LOOKUP = np.full(256, _INVALID, dtype=np.uint8)
for _i, _aa in enumerate(ALPHABET, start=1):
    _LOOKUP[ord(_aa)] = _i
for _c in NONSTANDARD:
    _LOOKUP[ord(_c)] = _NONSTANDARD

def raw_bytes(sequences: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """All sequences as one uint8 array of ASCII bytes, plus the (N,) int64 lengths.

    Sequences must already be ASCII (see `dataset.normalise_sequences`).
    """
    lengths = np.fromiter(map(len, sequences), dtype=np.int64, count=len(sequences))
    joined = "".join(sequences).encode("ascii")
    return np.frombuffer(joined, dtype=np.uint8), lengths


def classify_bytes(raw: np.ndarray) -> np.ndarray:
    """Token codes for raw bytes: 1..20 standard, 254 non-standard, 255 invalid."""
    return _LOOKUP[raw]


def row_of_position(lengths: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Map positions in the concatenated buffer back to (row index, 0-based position in row)."""
    ends = np.cumsum(lengths)
    rows = np.searchsorted(ends, positions, side="right")
    starts = ends - lengths
    return rows, positions - starts[rows]


def _zeros(shape: tuple[int, int], dtype) -> np.ndarray:
    """np.zeros in plain 4 kB pages. numpy asks the kernel for huge pages for big arrays, and where the
    kernel then compacts memory to make them (THP defrag "madvise", a common default) the first touch
    of a fresh 200 MB token array stalled for 0.4 s, ten times its cost in small pages. This array is
    written once, then hashed and copied whole, so huge pages buy nothing back."""
    previous = _set_madvise_hugepage(False)
    try:
        return np.zeros(shape, dtype=dtype)
    finally:
        _set_madvise_hugepage(previous)


def pack(codes: np.ndarray, lengths: np.ndarray, width: int | None = None) -> np.ndarray:
    """Scatter concatenated token codes into an (N, width) uint8 array padded with 0.

    `codes` must hold exactly sum(lengths) tokens, each sequence already cut to `width`.
    """
    width = int(lengths.max(initial=0)) if width is None else width
    tokens = _zeros((len(lengths), width), codes.dtype)
    ends = np.cumsum(lengths)
    # One slice copy per row (a memcpy), not per residue: at 100k proteins 80 ms, where a boolean-mask
    # scatter over the padded N x L array took 200-750 ms and a mask of that size.
    for row, (start, end) in enumerate(zip((ends - lengths).tolist(), ends.tolist())):
        tokens[row, :end - start] = codes[start:end]
    return tokens


def decode(tokens: np.ndarray, length: int | None = None) -> str:
    """Letters for one row of tokens (padding dropped)."""
    row = np.asarray(tokens, dtype=np.uint8)
    row = row[: length] if length is not None else row[row != PAD]
    return "".join(TOKEN_LETTERS[t] for t in row.tolist())


def encode(sequence: str) -> np.ndarray:
    """Tokens of one clean sequence (non-standard symbols become X). For small inputs and tests."""
    codes = classify_bytes(np.frombuffer(sequence.upper().encode("ascii"), dtype=np.uint8))
    if (codes == _INVALID).any():
        bad = sequence[int(np.argmax(codes == _INVALID))]
        raise ProtScopeError(f"'{bad}' is not an amino-acid letter", where=f"sequence '{sequence[:20]}'",
                             fix="use the 20 standard one-letter codes (X for unknown)")
    return np.where(codes == _NONSTANDARD, UNKNOWN, codes).astype(np.uint8)
