"""Encodings: a registry of functions from a batch of tokens to model inputs, run on the device.

Every encoding takes `tokens` (B, L) uint8 (0 = padding, 1..20 amino acids, 21 = X) and
`lengths` (B,) and returns one of three shapes, its `level`:
  - "tokens":   (B, L) int64, for a learned embedding;
  - "residue":  (B, L, C) float32, one feature vector per residue (padding rows are zero);
  - "sequence": (B, F) float32, one fixed-length vector per protein.
Features are made per batch on the training device, so a float one-hot array of the whole
dataset is never materialised. Adding an encoding is one entry in ENCODINGS, which declares the
EncodingConfig fields it reads: the dashboard shows those and no others.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from protscope.alphabet import ALPHABET, VOCAB_SIZE
from protscope.modeling.tables import blosum62_table, physchem_table

N_AA = len(ALPHABET)


@dataclass(frozen=True)
class Encoding:
    name: str
    title: str
    help: str
    level: str  # "tokens", "residue" or "sequence"
    params: tuple[str, ...]  # EncodingConfig fields read by `width`, `fn` and, per protein, protscope.train.prepare
    width: Callable[..., int]  # width(cfg) -> C or F (vocabulary size for "tokens")
    fn: Callable[..., torch.Tensor]  # fn(tokens, lengths, cfg) -> tensor


class _Table:
    """A per-token lookup table, copied once to each device it is used on."""

    def __init__(self, table: np.ndarray):
        self.table = table
        self.on_device: dict[torch.device, torch.Tensor] = {}

    def __call__(self, device: torch.device) -> torch.Tensor:
        if device not in self.on_device:
            self.on_device[device] = torch.as_tensor(self.table, dtype=torch.float32, device=device)
        return self.on_device[device]


def _lookup(table: np.ndarray):
    """Encoding by table lookup: row t of `table` is the feature vector of token t."""
    rows = _Table(table)

    def fn(tokens: torch.Tensor, lengths: torch.Tensor, cfg) -> torch.Tensor:
        # F.embedding is a gather kernel, about 5x faster than indexing table[tokens]; int32 indices are
        # cheaper to make from uint8 than int64 (one-hot of a batch of 32: 41 -> 34 µs).
        return F.embedding(tokens.int(), rows(tokens.device))  # (B, L, C)
    return fn


_ONEHOT = np.vstack([np.zeros(N_AA + 1), np.eye(N_AA + 1)]).astype(np.float32)  # (22, 21)
# Window channels: row 0 (padding or past the chain end) and row 21 (X) are both the spacer.
WINDOW_ROWS = _Table(np.vstack([np.eye(N_AA + 1)[-1:], np.eye(N_AA + 1)]).astype(np.float32))


def tokens_fn(tokens, lengths, cfg) -> torch.Tensor:
    return tokens.long()


def kmer_counts(tokens: torch.Tensor, lengths: torch.Tensor, k: int) -> torch.Tensor:
    """(B, 20**k) frequencies of k-mers of standard residues (k-mers with X or padding skipped)."""
    if k == 1:  # composition: one scatter over the tokens, no windows
        counts = torch.zeros(tokens.shape[0], VOCAB_SIZE, device=tokens.device)
        counts.scatter_add_(1, tokens.long(), torch.ones_like(tokens, dtype=torch.float32))
        return counts[:, 1:N_AA + 1] / lengths.to(tokens.device).clamp(min=1).unsqueeze(1).float()
    t = tokens.long() - 1  # (B, L): -1 padding, 0..19 amino acids, 20 unknown
    b, L = t.shape
    n_bins = N_AA ** k
    if k > L:
        return torch.zeros(b, n_bins, device=tokens.device)
    windows = t.unfold(1, k, 1)  # (B, L-k+1, k)
    powers = N_AA ** torch.arange(k - 1, -1, -1, device=tokens.device)
    index = (windows.clamp(0, N_AA - 1) * powers).sum(-1)
    valid = ((windows >= 0) & (windows < N_AA)).all(-1)
    index = torch.where(valid, index, torch.full_like(index, n_bins))  # invalid -> spare bin
    counts = torch.zeros(b, n_bins + 1, device=tokens.device).scatter_add_(1, index, valid.float())
    denom = (lengths.to(tokens.device) - k + 1).clamp(min=1).unsqueeze(1).float()
    return counts[:, :n_bins] / denom


def aac_length_fn(tokens, lengths, cfg) -> torch.Tensor:
    """(B, 21): amino-acid composition and the log of the length.

    Length carries what composition cannot (longer proteins are less often soluble); on eSOL an MLP
    on these 21 numbers beats one on composition alone, and one on AAC + DPC, which overfits.
    """
    n = lengths.to(tokens.device)
    log_length = torch.log(n.clamp(min=1).float()).unsqueeze(1)
    return torch.cat([kmer_counts(tokens, n, 1), log_length], dim=1)


def window_fn(tokens, lengths, cfg) -> torch.Tensor:
    """(B, L, (2w+1) * 21) one-hot windows of ±w residues around each position.

    Channel 21 marks X or a position past either end of the chain (Qian & Sejnowski's spacer).
    """
    w = cfg.window
    b, n = tokens.shape
    rows = WINDOW_ROWS(tokens.device)
    onehot = F.embedding(F.pad(tokens.int(), (w, w)), rows)  # (B, L + 2w, 21); 0 reads as the spacer
    # Position i's window is the 21 * (2w+1) floats of the padded one-hot from position i on: a strided
    # view with rows overlapping, one contiguous run each. One pass copies it out (an in-place op on the
    # view would corrupt the overlap) and zeroes the padding positions.
    c = rows.shape[1]
    windows = onehot.as_strided((b, n, (2 * w + 1) * c), ((n + 2 * w) * c, c, 1))
    out = torch.empty(b, n, (2 * w + 1) * c, device=tokens.device)
    return torch.mul(windows, (tokens != 0).unsqueeze(-1), out=out)


PER_PROTEIN = ("standardize",)  # per-protein features may be standardised (protscope.train.prepare.model_dims)

ENCODINGS: dict[str, Encoding] = {
    e.name: e for e in [
        Encoding("onehot", "One-hot", "21 channels per residue: the 20 amino acids and X.",
                 "residue", (), lambda cfg: N_AA + 1, _lookup(_ONEHOT)),
        Encoding("tokens", "Integer tokens (learned embedding)",
                 "Each residue as an integer 1-21; the model learns an embedding vector for each.",
                 "tokens", (), lambda cfg: VOCAB_SIZE, tokens_fn),
        Encoding("aac", "Amino-acid composition (AAC)",
                 "20 numbers per protein: the fraction of each amino acid.",
                 "sequence", PER_PROTEIN, lambda cfg: N_AA, lambda t, n, cfg: kmer_counts(t, n, 1)),
        Encoding("dpc", "Dipeptide composition (DPC)",
                 "400 numbers per protein: the frequency of each pair of neighbouring residues.",
                 "sequence", PER_PROTEIN, lambda cfg: N_AA ** 2, lambda t, n, cfg: kmer_counts(t, n, 2)),
        Encoding("aac_length", "AAC + length", "21 numbers per protein: the fraction of each amino acid "
                 "and the log of the protein's length.",
                 "sequence", PER_PROTEIN, lambda cfg: N_AA + 1, aac_length_fn),
        Encoding("kmer", "k-mer frequencies", "20^k numbers per protein: the frequency of every "
                 "run of k residues (k = 1 is AAC, k = 2 is DPC).",
                 "sequence", ("k", *PER_PROTEIN), lambda cfg: N_AA ** cfg.k,
                 lambda t, n, cfg: kmer_counts(t, n, cfg.k)),
        Encoding("blosum62", "BLOSUM62 rows", "20 channels per residue: its row of the BLOSUM62 "
                 "substitution matrix, so similar amino acids get similar vectors.",
                 "residue", (), lambda cfg: N_AA, _lookup(blosum62_table())),
        Encoding("physchem", "Physicochemical scales", "8 channels per residue: hydrophobicity, "
                 "charge at pH 7, mass and the 5 Atchley factors, each standardised.",
                 "residue", (), lambda cfg: physchem_table().shape[1], _lookup(physchem_table())),
        Encoding("window", "Sliding window (Qian & Sejnowski)", "For per-residue tasks: the one-hot "
                 "of ±w neighbours around each residue (w = 6 gives 13 positions x 21).",
                 "residue", ("window",), lambda cfg: (2 * cfg.window + 1) * (N_AA + 1), window_fn),
    ]
}


def as_tensor(array) -> torch.Tensor:
    """A tensor from a tensor or a numpy array; ProteinData's read-only arrays are copied."""
    if isinstance(array, np.ndarray) and not array.flags.writeable:
        return torch.tensor(array)
    return torch.as_tensor(array)


def encode(tokens, lengths, cfg) -> torch.Tensor:
    """Apply the encoding `cfg.name` to a batch (tensors, or numpy arrays on the CPU)."""
    return ENCODINGS[cfg.name].fn(as_tensor(tokens), as_tensor(lengths), cfg)


def encode_all(data, cfg, batch_size: int = 4096, device: str | torch.device = "cpu") -> np.ndarray:
    """Per-sequence features for a whole dataset, batch by batch: (N, F) float32.

    Only for "sequence"-level encodings, whose output is small; residue-level encodings are
    made per batch inside training instead.
    """
    enc = ENCODINGS[cfg.name]
    if enc.level != "sequence":
        raise ValueError(f"encode_all is for per-sequence encodings, not '{cfg.name}'")
    parts = []
    for start in range(0, len(data), batch_size):
        tok = as_tensor(data.tokens[start:start + batch_size]).to(device)
        n = as_tensor(data.lengths[start:start + batch_size]).to(device)
        parts.append(enc.fn(tok, n, cfg).cpu().numpy())
    return np.concatenate(parts) if parts else np.zeros((0, enc.width(cfg)), dtype=np.float32)
