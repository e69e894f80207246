import numpy as np
import pytest

from protscope import alphabet
from protscope.data.composition import nucleotide_rows
from protscope.errors import ProtScopeError
from tests.conftest import random_sequences


def test_tokens_round_trip():
    for seq in random_sequences(20, seed=4):
        tokens = alphabet.encode(seq)
        assert tokens.dtype == np.uint8
        assert alphabet.decode(tokens) == seq


def test_token_values_follow_alphabet_order():
    assert alphabet.encode("ACY").tolist() == [1, 2, 20]
    assert alphabet.encode("xbz*").tolist() == [alphabet.UNKNOWN] * 4


def test_encode_rejects_digits_with_project_error():
    with pytest.raises(ProtScopeError, match="'3' is not an amino-acid letter"):
        alphabet.encode("AC3D")


def test_pack_matches_a_plain_loop():
    seqs = random_sequences(50, seed=5, low=1, high=40)
    raw, lengths = alphabet.raw_bytes(seqs)
    tokens = alphabet.pack(alphabet.classify_bytes(raw), lengths)
    expected = np.zeros((len(seqs), max(map(len, seqs))), dtype=np.uint8)
    for i, s in enumerate(seqs):
        for j, c in enumerate(s):
            expected[i, j] = alphabet.ALPHABET.index(c) + 1
    np.testing.assert_array_equal(tokens, expected)


def test_classify_bytes_marks_nonstandard_and_invalid():
    raw, _ = alphabet.raw_bytes(["AXB3"])
    assert alphabet.classify_bytes(raw).tolist() == [1, 254, 254, 255]


def test_nucleotide_rows_flags_dna_rows_with_gaps_and_iupac_codes():
    raw, lengths = alphabet.raw_bytes(["ACGTACGTAC", "MKTAYIAKQR", "", "ACGUN", "AC--GT-RAA-CGTTACG", "ACDEFGHIKL"])
    assert nucleotide_rows(raw, lengths).tolist() == [True, False, False, True, True, False]


def test_row_of_position_maps_back():
    _, lengths = alphabet.raw_bytes(["AAA", "CC", "DDDD"])
    rows, pos = alphabet.row_of_position(lengths, np.array([0, 2, 3, 4, 5, 8]))
    assert rows.tolist() == [0, 0, 1, 1, 2, 2]
    assert pos.tolist() == [0, 2, 0, 1, 0, 3]


def test_pack_builds_its_array_in_small_pages_and_restores_numpys_setting():
    from numpy._core.multiarray import _set_madvise_hugepage

    codes, lengths = np.array([1, 2, 3, 4, 5], dtype=np.uint8), np.array([2, 3])
    original = _set_madvise_hugepage(True)
    try:
        for setting in (True, False):
            _set_madvise_hugepage(setting)
            tokens = alphabet.pack(codes, lengths, 4)
            assert tokens.tolist() == [[1, 2, 0, 0], [3, 4, 5, 0]]
            assert _set_madvise_hugepage(setting) is setting  # what pack found is what it left
    finally:
        _set_madvise_hugepage(original)
