"""Every encoding rebuilt from a one-hot (B, L, 21), so that gradients reach each residue's 21 channels.

The registry's encodings (protscope.modeling.encodings) start from integer tokens, which have no gradient.
Here each one is the same function of a one-hot instead: channel c of row i is 1 when residue i is amino
acid c (ALPHABET order, channel 20 = X), and a row of zeros is no residue at all (padding, or the all-zero
baseline of Integrated Gradients). On a real one-hot each gives exactly the registry's own encoding
(tests/test_explain.py checks every entry); in between, on the path from the baseline, it is the natural
interpolation: a table row scaled, a window of scaled one-hots, a composition of fractional residues.
The learned embedding of `tokens` has no entry: Captum attributes through the embedding layer instead.
"""
from __future__ import annotations

import string
from collections.abc import Callable

import torch

from protscope.modeling.encodings import N_AA
from protscope.modeling.tables import blosum62_table, physchem_table

CHANNELS = N_AA + 1  # the 20 amino acids in ALPHABET order, then X
SPACER = N_AA  # the window encoding's channel for X and for positions past either end of the chain


def one_hot(tokens: torch.Tensor) -> torch.Tensor:
    """(B, L) uint8 tokens -> (B, L, 21) float32; padding (token 0) is a row of zeros."""
    return torch.nn.functional.one_hot(tokens.long(), CHANNELS + 1)[..., 1:].float()


def _table(table) -> Callable:
    """A lookup encoding as a matmul: row t of the registry's table is token t's features, row 0 is zero."""
    rows = torch.as_tensor(table[1:], dtype=torch.float32)  # (21, C): tokens 1..21

    def fn(onehot, _lengths, _cfg):
        return onehot @ rows.to(onehot.device)  # (B, L, 21) @ (21, C) -> (B, L, C)
    return fn


def _identity(onehot, _lengths, _cfg):
    return onehot  # the registry's one-hot is this one: 21 channels, padding zero


def _window(onehot, lengths, cfg):
    """(B, L, (2w+1) * 21): the one-hots of residues i-w..i+w, the spacer outside the chain, zero on padding."""
    w = cfg.window
    b, n, _ = onehot.shape
    spacer = torch.zeros(CHANNELS, device=onehot.device)
    spacer[SPACER] = 1.0
    inside = torch.arange(n, device=onehot.device) < lengths.to(onehot.device).unsqueeze(1)  # (B, L)
    rows = torch.where(inside.unsqueeze(-1), onehot, spacer)  # padding reads as the spacer, as in window_fn
    padded = torch.cat([spacer.expand(b, w, CHANNELS), rows, spacer.expand(b, w, CHANNELS)], dim=1)
    windows = padded.unfold(1, 2 * w + 1, 1)  # (B, L, 21, 2w+1)
    return windows.transpose(2, 3).reshape(b, n, -1) * inside.unsqueeze(-1)


def kmer_frequencies(onehot: torch.Tensor, lengths: torch.Tensor, k: int) -> torch.Tensor:
    """(B, 20**k): the sum over windows of the outer product of k neighbouring one-hots, over L - k + 1.

    The product is 1 exactly where the window spells that k-mer, so on a real one-hot this counts k-mers;
    X (channel 20) and padding (zero rows) are left out, as kmer_counts skips them.
    """
    standard = onehot[..., :N_AA]  # (B, L, 20)
    n = onehot.shape[1]
    if k == 1:
        counts = standard.sum(1)
        denominator = lengths.to(onehot.device).clamp(min=1)
    else:
        stop = max(n - k + 1, 0)
        letters = string.ascii_uppercase[:k]
        # "biA,biB->bAB" for k = 2: neighbours i and i+1, summed over windows i
        formula = ",".join(f"bi{c}" for c in letters) + "->b" + letters
        counts = torch.einsum(formula, *(standard[:, j:j + stop] for j in range(k)))
        denominator = (lengths.to(onehot.device) - k + 1).clamp(min=1)
    return counts.reshape(onehot.shape[0], -1) / denominator.unsqueeze(1).float()


def _aac_length(onehot, lengths, _cfg):
    lengths = lengths.to(onehot.device)
    log_length = torch.log(lengths.clamp(min=1).float()).unsqueeze(1)  # (B, 1), as aac_length_fn: a constant here
    return torch.cat([kmer_frequencies(onehot, lengths, 1), log_length], dim=1)


# name -> fn(onehot (B, L, 21), lengths (B,), EncodingConfig) -> the encoding's model input
DIFFERENTIABLE: dict[str, Callable[..., torch.Tensor]] = {
    "onehot": _identity,
    "blosum62": _table(blosum62_table()),
    "physchem": _table(physchem_table()),
    "window": _window,
    "aac": lambda onehot, lengths, _cfg: kmer_frequencies(onehot, lengths, 1),
    "aac_length": _aac_length,
    "dpc": lambda onehot, lengths, _cfg: kmer_frequencies(onehot, lengths, 2),
    "kmer": lambda onehot, lengths, cfg: kmer_frequencies(onehot, lengths, cfg.k),
}
