"""Every encoding in the registry: shape, padding, and values against a plain reference."""
import numpy as np
import pytest
import torch

from protscope import alphabet
from protscope.config.sections import EncodingConfig
from protscope.modeling.encodings import ENCODINGS, encode, encode_all
from protscope.modeling.tables import blosum62_table, physchem_table
from tests.conftest import random_sequences

SEQS = random_sequences(6, seed=21, low=3, high=25) + ["MXKA", "W"]


def batch():
    raw, lengths = alphabet.raw_bytes(SEQS)
    codes = alphabet.classify_bytes(raw)
    codes = np.where(codes == 254, alphabet.UNKNOWN, codes).astype(np.uint8)
    return torch.from_numpy(alphabet.pack(codes, lengths)), torch.from_numpy(lengths)


@pytest.mark.parametrize("name", ENCODINGS)
def test_shape_dtype_and_padding(name):
    cfg = EncodingConfig(name=name, window=2, k=2)
    enc = ENCODINGS[name]
    tokens, lengths = batch()
    out = encode(tokens, lengths, cfg)
    B, L = tokens.shape
    if enc.level == "tokens":
        assert out.shape == (B, L) and out.dtype == torch.int64
        assert out.max() < enc.width(cfg)
    elif enc.level == "residue":
        assert out.shape == (B, L, enc.width(cfg)) and out.dtype == torch.float32
        assert out[tokens == 0].abs().sum() == 0  # padding encodes to zeros
    else:
        assert out.shape == (B, enc.width(cfg)) and out.dtype == torch.float32
    assert torch.isfinite(out.float()).all()


@pytest.mark.parametrize("name", ENCODINGS)
def test_padding_does_not_change_a_sequence_encoding(name):
    """The same protein encodes the same alone or padded inside a longer batch."""
    cfg = EncodingConfig(name=name, window=3, k=2)
    tokens, lengths = batch()
    i = int(torch.argmin(lengths))
    alone = encode(tokens[i:i + 1, : lengths[i]], lengths[i:i + 1], cfg)
    padded = encode(tokens, lengths, cfg)[i:i + 1]
    if ENCODINGS[name].level != "sequence":
        padded = padded[:, : lengths[i]]
    torch.testing.assert_close(alone, padded)


def naive_kmer(seq: str, k: int) -> np.ndarray:
    counts = np.zeros(20 ** k)
    for j in range(len(seq) - k + 1):
        kmer = seq[j:j + k]
        if all(c in alphabet.ALPHABET for c in kmer):
            counts[sum(alphabet.ALPHABET.index(c) * 20 ** (k - 1 - n) for n, c in enumerate(kmer))] += 1
    return counts / max(len(seq) - k + 1, 1)


@pytest.mark.parametrize("name, k", [("aac", 1), ("dpc", 2), ("kmer", 3)])
def test_composition_matches_plain_counting(name, k):
    tokens, lengths = batch()
    out = encode(tokens, lengths, EncodingConfig(name=name, k=k)).numpy()
    for i, seq in enumerate(SEQS):
        np.testing.assert_allclose(out[i], naive_kmer(seq, k), atol=1e-6)


def test_onehot_blosum_physchem_are_row_lookups():
    tokens, lengths = batch()
    onehot = encode(tokens, lengths, EncodingConfig(name="onehot"))
    blosum = encode(tokens, lengths, EncodingConfig(name="blosum62"))
    phys = encode(tokens, lengths, EncodingConfig(name="physchem"))
    for i, seq in enumerate(SEQS):
        for j, aa in enumerate(seq):
            t = alphabet.ALPHABET.index(aa) if aa in alphabet.ALPHABET else 20
            assert onehot[i, j].argmax() == t and onehot[i, j].sum() == 1
            np.testing.assert_array_equal(blosum[i, j].numpy(), blosum62_table()[t + 1])
            np.testing.assert_array_equal(phys[i, j].numpy(), physchem_table()[t + 1])


def test_blosum_and_physchem_tables_from_their_sources():
    from Bio.Align import substitution_matrices

    m = substitution_matrices.load("BLOSUM62")
    table = blosum62_table()
    assert table[alphabet.ALPHABET.index("W") + 1, alphabet.ALPHABET.index("W")] == m["W"]["W"] == 11
    assert (table[0] == 0).all()
    scales = physchem_table()[1:21]
    np.testing.assert_allclose(scales.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(scales.std(0), 1, atol=1e-5)
    kd = scales[:, 0]
    assert kd[alphabet.ALPHABET.index("I")] == kd.max()  # isoleucine is the most hydrophobic
    charge = scales[:, 1]
    assert charge[alphabet.ALPHABET.index("K")] > 0 > charge[alphabet.ALPHABET.index("D")]


def test_window_matches_plain_loop():
    w = 2
    tokens, lengths = batch()
    out = encode(tokens, lengths, EncodingConfig(name="window", window=w)).numpy()
    for i, seq in enumerate(SEQS):
        for j in range(len(seq)):
            expected = np.zeros((2 * w + 1, 21))
            for o in range(-w, w + 1):
                p = j + o
                inside = 0 <= p < len(seq) and seq[p] in alphabet.ALPHABET
                expected[o + w, alphabet.ALPHABET.index(seq[p]) if inside else 20] = 1
            np.testing.assert_array_equal(out[i, j], expected.ravel())


def test_qian_sejnowski_window_is_13_by_21():
    assert ENCODINGS["window"].width(EncodingConfig(name="window", window=6)) == 273


def test_encode_all_batches_sequence_features(binary_csv):
    from protscope.config.sections import DataConfig
    from protscope.data.builtin import load_bytes

    data = load_bytes(binary_csv, "b.csv", DataConfig())
    cfg = EncodingConfig(name="aac")
    full = encode_all(data, cfg, batch_size=7)
    assert full.shape == (len(data), 20)
    np.testing.assert_allclose(full.sum(1), 1, atol=1e-5)
    np.testing.assert_allclose(full[5], naive_kmer(data.sequences[5], 1), atol=1e-6)
    with pytest.raises(ValueError):
        encode_all(data, EncodingConfig(name="onehot"))


def test_unknown_encoding_is_a_config_error():
    from protscope.errors import ProtScopeError

    with pytest.raises(ProtScopeError, match="choose one of: onehot"):
        EncodingConfig(name="onehott")
