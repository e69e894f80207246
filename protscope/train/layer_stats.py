"""Layer statistics recorded while training: how each layer's weights, gradients, updates and
activations move, every few optimizer steps.

    stats = LayerStats(model)                       # every=0: spaced so recording costs ~3 % of the time
    if stats.due(update, last_of_epoch):            # once per optimizer update, before its last forward
        with stats.watching(mask):                  # activation hooks live for this forward only
            loss = loss_fn(model(x, mask), y)
        loss.backward()
        stats.read_gradients()                      # before clipping (and after unscaling AMP gradients)
        optimizer.step()
        record = stats.finish(update, position, lr)  # the update ratios need the weights before and after

A layer is a module that owns parameters (Linear, Conv1d, Embedding, GRU, LayerNorm...), listed in
the order the forward pass calls them. The activation module a forward calls next (ReLU, tanh...)
is that layer's activation; a GRU or LSTM's own output counts as its (tanh-bounded) activation.
Recording reads tensors and never draws random numbers, so a run is the same with or without it.
The record format (plain JSON) is documented in docs/INTERNALS.md.
"""
from __future__ import annotations

import contextlib
import math
import time

import torch
from torch import nn

from protscope.modeling.layers import ACTIVATION_LAYERS

BINS = 24  # histogram bins per tensor
PERCENTILES = (0.07, 0.16, 0.31, 0.50, 0.69, 0.84, 0.93)  # TensorBoard's bands: ±0.5, 1 and 1.5 sd of a normal
HISTOGRAM_SAMPLE = 1 << 16  # histogram counts come from at most this many evenly spaced values,
QUANTILE_SAMPLE = 1 << 12  # percentiles from at most this many (±1 % in rank)
PERCENTILE_POSITIONS = torch.tensor(PERCENTILES)
TARGET_SHARE = 0.03  # automatic spacing keeps recording near this share of the training time
MAX_EVERY = 5000
DEAD_LEVEL = 1e-6  # a ReLU-family unit is dead when |output| stays below this for every input in the sample
SATURATION = 0.97  # tanh |a| > 0.97, sigmoid a < 0.03 or > 0.97 (Karpathy's makemore part 3)
DEAD_KINDS = ("relu", "gelu", "silu")
SATURATING_KINDS = ("tanh", "sigmoid", "gru", "lstm")
NORMS = (nn.LayerNorm, nn.BatchNorm1d)
ACTIVATION_NAMES = {cls: name for name, cls in ACTIVATION_LAYERS.items()}


def layer_modules(model: nn.Module) -> dict[str, nn.Module]:
    """{name: module} of every module that owns parameters, in registration order."""
    return {name: m for name, m in model.named_modules() if any(True for _ in m.parameters(recurse=False))}


def tracked_tensors(module: nn.Module) -> list[torch.Tensor]:
    """The tensors a layer's statistics describe: its weight matrices, or all its parameters if it has none
    (a LayerNorm's scale and shift)."""
    params = [p for p in module.parameters(recurse=False)]
    matrices = [p for p in params if p.ndim > 1]
    return matrices or params


def identical_units(module: nn.Module) -> bool | None:
    """Are all the units (output rows of the weight) of a Linear or Conv1d layer exactly equal? None for other
    layers and single units. Equal units stay equal under any update: the symmetry is never broken."""
    weight = getattr(module, "weight", None)
    if not isinstance(module, (nn.Linear, nn.Conv1d)) or weight is None or weight.shape[0] < 2:
        return None
    rows = weight.detach().reshape(weight.shape[0], -1)
    bias = module.bias.detach() if module.bias is not None else None
    return bool((rows == rows[0]).all()) and (bias is None or bool((bias == bias[0]).all()))


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.detach().reshape(-1).float() for t in tensors]) if tensors else torch.zeros(0)


def _round(x: float) -> float | None:
    """4 significant digits keep the stored JSON small; NaN and infinities become None."""
    return float(f"{x:.4g}") if math.isfinite(x) else None


def distribution(values: torch.Tensor) -> dict:
    """A histogram and percentiles of a flat float tensor: {"lo", "hi", "n", "counts", "pct": [min, 7 % ... 93 %,
    max]}. lo, hi (the range of the bins) and min, max come from every value; the counts from at most
    HISTOGRAM_SAMPLE evenly spaced ones, the percentiles from at most QUANTILE_SAMPLE (n says how many in all)."""
    empty = {"lo": None, "hi": None, "n": int(values.numel()), "counts": [0] * BINS,
             "pct": [None] * (len(PERCENTILES) + 2)}
    if values.numel() == 0:
        return empty
    lo, hi = (float(v) for v in values.aminmax())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        values = values[torch.isfinite(values)]
        if values.numel() == 0:
            return empty
        lo, hi = (float(v) for v in values.aminmax())
    sample = values[:: max(1, values.numel() // HISTOGRAM_SAMPLE)]
    scale = BINS / (hi - lo) if hi > lo else 0.0
    counts = torch.bincount(((sample - lo) * scale).long().clamp_(0, BINS - 1), minlength=BINS)
    ordered = sample[:: max(1, sample.numel() // QUANTILE_SAMPLE)].sort().values
    middle = ordered[(PERCENTILE_POSITIONS * (ordered.numel() - 1)).round().long()]
    return {"lo": _round(lo), "hi": _round(hi), "n": int(values.numel()), "counts": counts.tolist(),
            "pct": [_round(lo), *(_round(q) for q in middle.tolist()), _round(hi)]}


def activation_stats(kind: str, units: torch.Tensor) -> dict:
    """Statistics of activations (N, C): N inputs (proteins or residues) by C units."""
    units = units.float()
    out = {"a_mean": _round(float(units.mean())) if units.numel() else None,
           "a_std": _round(float(units.std())) if units.numel() > 1 else None,
           "a_hist": distribution(units.reshape(-1)), "dead": None, "saturated": None}
    if units.numel() == 0:
        return out
    if kind in DEAD_KINDS:
        out["dead"] = _round(float((units.abs().amax(0) <= DEAD_LEVEL).float().mean()))
    elif kind == "sigmoid":
        out["saturated"] = _round(float(((units < 1 - SATURATION) | (units > SATURATION)).float().mean()))
    elif kind in SATURATING_KINDS:
        out["saturated"] = _round(float((units.abs() > SATURATION).float().mean()))
    return out


def network_order(called: list[str], registered: list[str]) -> list[str]:
    """Layers in the order the forward pass called them; one whose forward is never called (attention's
    out_proj, used through its parent) follows its parent, any other comes last."""
    order = []
    for name in called:
        order.append(name)
        order += [n for n in registered if n not in called and n.startswith(name + ".") and n not in order]
    return order + [n for n in registered if n not in order]


class LayerStats:
    """Records layer statistics of one model every `every` optimizer updates (0: automatic)."""

    def __init__(self, model: nn.Module, every: int = 0):
        self.model = model
        self.modules = layer_modules(model)
        self.fixed = every > 0
        self.every = every if every > 0 else 1
        self.floor = self.every  # automatic spacing never goes below this (thin() doubles it)
        self.order: list[str] = []  # layer names in forward order, learned at the first recorded forward
        self.activation_of: dict[str, str] = {}  # layer -> activation kind ("" when none follows)
        self._next = 1
        self._pending: dict[str, dict] = {}
        self._before: dict[str, torch.Tensor] = {}
        self._mask: torch.Tensor | None = None
        self._spent = 0.0  # seconds recording the current step
        self._last_due = None  # perf_counter of the previous due() call
        self._step_seconds = float("nan")  # EMA of an update's time without recording

    # --- when ----------------------------------------------------------------------------------------
    def due(self, update: int, last_of_epoch: bool = False) -> bool:
        """Should update number `update` (1-based, over the whole run) be recorded? The first update, each
        epoch's last, and every `every`-th are."""
        now = time.perf_counter()
        if self._last_due is not None:
            interval = now - self._last_due - self._spent
            if interval > 0:
                self._step_seconds = interval if math.isnan(self._step_seconds) else \
                    0.9 * self._step_seconds + 0.1 * interval
        self._last_due, self._spent = now, 0.0
        return update == 1 or last_of_epoch or update >= self._next

    def thin(self) -> None:
        """Record half as often from now on (the caller dropped every other record)."""
        self.floor = min(self.floor * 2, MAX_EVERY)
        self.every = max(self.every, self.floor)

    # --- recording ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def watching(self, mask: torch.Tensor | None = None):
        """Hooks on every layer and activation for one forward pass; `mask` (B, L) marks real residues."""
        began = time.perf_counter()
        self._mask, self._pending, calls = mask, {}, []
        handles = []
        for name, module in self.model.named_modules():
            kind = ACTIVATION_NAMES.get(type(module))
            if name in self.modules:
                handles.append(module.register_forward_hook(self._layer_hook(name, calls)))
            elif kind is not None:
                handles.append(module.register_forward_hook(self._activation_hook(kind, calls)))
        self._spent += time.perf_counter() - began
        try:
            yield
        finally:
            for handle in handles:
                handle.remove()
            if not self.order:
                self.order = network_order(list(dict.fromkeys(calls)), list(self.modules))
            self._mask = None

    def _layer_hook(self, name: str, calls: list):
        module = self.modules[name]

        def hook(_module, _inputs, output):
            calls.append(name)
            if isinstance(module, (nn.GRU, nn.LSTM)):
                began = time.perf_counter()
                h = output[0]
                h = h.data if isinstance(h, nn.utils.rnn.PackedSequence) else h
                self._pending.setdefault(name, {}).update(
                    activation_stats(type(module).__name__.lower(), h.detach().reshape(-1, h.shape[-1])))
                self.activation_of[name] = type(module).__name__.lower()
                self._spent += time.perf_counter() - began
        return hook

    def _activation_hook(self, kind: str, calls: list):
        def hook(_module, _inputs, output):
            owner = next((n for n in reversed(calls) if not isinstance(self.modules[n], NORMS)), None)
            if owner is None or "a_hist" in self._pending.get(owner, {}):
                return  # no layer before it, or that layer's activation is already recorded
            began = time.perf_counter()
            units = self._units(output.detach(), self.modules[owner])
            self._pending.setdefault(owner, {}).update(activation_stats(kind, units))
            self.activation_of[owner] = kind
            self._spent += time.perf_counter() - began
        return hook

    def _units(self, a: torch.Tensor, layer: nn.Module) -> torch.Tensor:
        """(N, C) activations of real residues only: (B, C, L) after a convolution, (B, L, C) in sequence
        models, or already (N, C)."""
        if a.ndim == 3:
            if isinstance(layer, nn.Conv1d):
                a = a.transpose(1, 2)  # (B, L, C)
            if self._mask is not None and self._mask.shape == a.shape[:2]:
                return a[self._mask]
            return a.reshape(-1, a.shape[-1])
        return a.reshape(a.shape[0], -1) if a.ndim > 1 else a.reshape(-1, 1)

    def read_gradients(self, scale: float = 1.0) -> None:
        """Gradient norms and histograms (divided by an AMP loss `scale`), and a copy of the weights
        before the step. Call after backward, before clipping and the optimizer step."""
        began = time.perf_counter()
        for name, module in self.modules.items():
            tensors = tracked_tensors(module)
            grads = [t.grad for t in tensors if t.grad is not None]
            entry = self._pending.setdefault(name, {})
            if grads:
                g = _flat(grads) / scale
                entry["g_norm"] = _round(float(g.norm()))
                entry["g_hist"] = distribution(g)
            else:
                entry["g_norm"], entry["g_hist"] = None, None
            self._before[name] = _flat(tensors).clone()
        self._spent += time.perf_counter() - began

    def finish(self, update: int, position: float, lr: float) -> dict:
        """The record of this update: weights after the step, and the update ratio std(Δw)/std(w_before)."""
        began = time.perf_counter()
        layers = {}
        for name in self.order or self.modules:
            module = self.modules[name]
            w = _flat(tracked_tensors(module))
            entry = self._pending.get(name, {})
            before = self._before.get(name)
            ratio = None
            if before is not None and before.numel() == w.numel() and w.numel() > 1:
                spread = float(before.std())
                change = float((w - before).std())
                ratio = _round(change / spread) if spread > 0 else (0.0 if change == 0 else None)
            layers[name] = {"w_mean": _round(float(w.mean())) if w.numel() else None,
                            "w_std": _round(float(w.std())) if w.numel() > 1 else None,
                            "w_hist": distribution(w), "g_norm": entry.get("g_norm"), "g_hist": entry.get("g_hist"),
                            "ratio": ratio, "nonfinite": bool(w.numel()) and not bool(torch.isfinite(w).all()),
                            "identical": identical_units(module),
                            **{k: entry.get(k) for k in ("a_mean", "a_std", "a_hist", "dead", "saturated")}}
        total = [v["g_norm"] for v in layers.values() if v["g_norm"] is not None]
        record = {"step": update, "epoch": _round(position), "lr": _round(lr),
                  "g_total": _round(math.sqrt(sum(g * g for g in total))) if total else None, "layers": layers}
        self._pending, self._before = {}, {}
        self._spent += time.perf_counter() - began
        self._schedule(update)
        return record

    def _schedule(self, update: int) -> None:
        if not self.fixed and math.isfinite(self._step_seconds) and self._step_seconds > 0:
            wanted = math.ceil(self._spent / (TARGET_SHARE * self._step_seconds))
            self.every = max(self.floor, min(wanted, MAX_EVERY))
        self._next = update + self.every

    def layers(self) -> list[dict]:
        """The layers in network order: name, kind, activation and parameter count."""
        return [{"name": name, "kind": type(self.modules[name]).__name__,
                 "activation": self.activation_of.get(name, ""),
                 "parameters": sum(p.numel() for p in self.modules[name].parameters(recurse=False))}
                for name in (self.order or list(self.modules))]
