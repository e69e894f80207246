"""The harmonic output layer (Baek, Liu, Tyagi & Tegmark 2025, "Harmonic Loss Trains Interpretable AI
Models", arXiv 2502.01628): a distance layer whose weight rows are class centres.

For a feature vector x (D,) that the output layer reads, class i's centre w_i (D,) and its distance
d_i = ||x - w_i||, HarmonicMax gives p_i = d_i^-n / sum_j d_j^-n. The layer outputs the logits
-n * log(d_i), whose softmax is exactly that, so the loss is plain cross-entropy on them and every
consumer of logits (to_outputs, metrics, prediction, checkpoints) works unchanged. Probabilities depend
only on ratios of distances (scale invariant), and the loss is lowest where x sits on its class's
centre, so after training each centre is a point of the feature space one can look at.

The exponent n is the loss's `harmonic_exponent`; 0 (the default) means sqrt(D). The paper leaves n as a
hyperparameter; its authors' code suggests trying 1, sqrt(D) and D, and raises squared distances to the
power -n there, which is n twice as large here.
"""
from __future__ import annotations

import math

import torch
from torch import nn

EPS = 1e-8  # added to squared distances so log(0) never happens on a centre; far below any real distance


def exponent(cfg, width: int) -> float:
    """The exponent n of a LossConfig for features of `width` D: its own, or sqrt(D) for 0."""
    return cfg.harmonic_exponent or math.sqrt(width)


class HarmonicHead(nn.Linear):
    """Distances to k class centres as logits: (..., D) -> (..., k) = -n * log ||x - w_i||.

    An nn.Linear without bias, so initialisation, Muon's head rule and the layer statistics treat
    its (k, D) weight (the centres) like any output layer's.
    """

    def __init__(self, in_features: int, out_features: int, n: float):
        super().__init__(in_features, out_features, bias=False)
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # In float32 even under autocast: ||x||^2 - 2 x.w + ||w||^2 cancels badly in half precision.
        with torch.autocast(x.device.type, enabled=False):
            x, w = x.float(), self.weight.float()
            squared = (x * x).sum(-1, keepdim=True) - 2 * x @ w.T + (w * w).sum(-1)  # (..., k)
            return -0.5 * self.n * torch.log(squared.clamp(min=0) + EPS)  # -n log d = -n/2 log d^2

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, centres={self.out_features}, n={self.n:.3g}"


def harmonic_head(cfg, head: nn.Linear) -> HarmonicHead:
    """The distance layer that replaces a model's linear output layer, starting from the same weights."""
    layer = HarmonicHead(head.in_features, head.out_features, exponent(cfg, head.in_features))
    with torch.no_grad():
        layer.weight.copy_(head.weight)  # the seed gives the same start as the cross-entropy model
    return layer.to(head.weight.device)

