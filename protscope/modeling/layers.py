"""Building blocks shared by the models: seeded dropout, masked pooling, positions, activations.

Dropout draws from the run's own torch.Generator rather than the global one, so two runs
training at the same time in one server (two students, say) each stay reproducible for their seed.
"""
from __future__ import annotations

import math

import torch
from torch import nn

ACTIVATION_LAYERS = {
    "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "gelu": nn.GELU,
    "silu": nn.SiLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
}


class SeededDropout(nn.Module):
    """Inverted dropout whose random mask comes from a given generator (or the global one)."""

    def __init__(self, p: float, generator: torch.Generator | None = None):
        super().__init__()
        self.p = p
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        if self.generator is None or self.generator.device != x.device:
            return nn.functional.dropout(x, self.p, training=True)
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Standardize(nn.Module):
    """(x - mean) / sd per feature, with mean and sd from the training set, saved with the weights."""

    def __init__(self, features: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(features))
        self.register_buffer("sd", torch.ones(features))

    def fit(self, x: torch.Tensor) -> None:
        """Set the scaling from training features (N, F); constant features are left unscaled."""
        self.mean.copy_(x.mean(0))
        sd = x.std(0)
        self.sd.copy_(torch.where(sd > 1e-8, sd, torch.ones_like(sd)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.sd


def masked_pool(x: torch.Tensor, mask: torch.Tensor, how: str) -> torch.Tensor:
    """(B, L, C) -> (B, C), averaging or maxing over real residues only (mask (B, L) bool)."""
    if how == "max":
        return x.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(1)
    weights = mask.unsqueeze(-1).to(x.dtype)
    return (x * weights).sum(1) / weights.sum(1).clamp(min=1)


def sinusoidal_positions(length: int, dim: int, device) -> torch.Tensor:
    """(length, dim) fixed sine/cosine position codes (Vaswani et al., 2017)."""
    position = torch.arange(length, device=device, dtype=torch.float32).unsqueeze(1)
    freq = torch.exp(torch.arange(0, dim, 2, device=device, dtype=torch.float32) * (-math.log(10000.0) / dim))
    codes = torch.zeros(length, dim, device=device)
    codes[:, 0::2] = torch.sin(position * freq)
    codes[:, 1::2] = torch.cos(position * freq[: dim // 2])
    return codes


class EncoderLayer(nn.Module):
    """A pre-norm Transformer encoder layer that respects the padding mask."""

    def __init__(self, d_model: int, heads: int, ff_dim: int, dropout: float, activation: str,
                 generator: torch.Generator | None):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attention = nn.MultiheadAttention(d_model, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.feed_forward = nn.Sequential(nn.Linear(d_model, ff_dim), ACTIVATION_LAYERS[activation](),
                                          SeededDropout(dropout, generator), nn.Linear(ff_dim, d_model))
        self.dropout = SeededDropout(dropout, generator)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        h, _ = self.attention(h, h, h, key_padding_mask=~mask, need_weights=False)
        x = x + self.dropout(h)
        return x + self.dropout(self.feed_forward(self.norm2(x)))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def layer_summary(model: nn.Module) -> list[dict]:
    """One row per layer that owns parameters or does work: name, kind, details, parameters."""
    rows = []
    for name, module in model.named_modules():
        if not name or list(module.children()):
            continue
        params = sum(p.numel() for p in module.parameters(recurse=False))
        rows.append({"layer": name, "type": type(module).__name__, "details": module.extra_repr(),
                     "parameters": params})
    return rows


def summary_text(model: nn.Module) -> str:
    rows = layer_summary(model)
    width = max((len(r["layer"]) for r in rows), default=5)
    lines = [f"{'layer':<{width}}  {'type':<18} {'parameters':>10}  details"]
    lines += [f"{r['layer']:<{width}}  {r['type']:<18} {r['parameters']:>10,}  {r['details']}" for r in rows]
    lines.append(f"total trainable parameters: {count_parameters(model):,}")
    return "\n".join(lines)
