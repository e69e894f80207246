"""Layer health: the rules of thumb applied to recorded layer statistics, in plain words with remedies.

    rows = health_rows(internals)          # one row per layer in network order, each value with a status
    warnings = layer_warnings(internals)   # LayerWarning(rule, layers, step, epoch, message), worst first

`internals` is what a run records ({"layers": [...], "records": [...]}, docs/INTERNALS.md). Each rule
is a small pure function of it. The thresholds are rules of thumb, and are labelled as such in the UI:
an update ratio near 1e-3 (Karpathy); a few % of dead ReLUs is normal, tens of % is a problem; tanh or
sigmoid saturation above ~10 % slows learning; gradients shrinking layer by layer toward the input
vanish, a sudden jump in the gradient norm explodes.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

RATIO_GOOD = (1e-4, 3e-2)  # update:weight ratio band shown green (Adam's early ratios sit near lr / std(w))
RATIO_WATCH = (1e-5, 1e-1)  # amber inside this, red outside
DEAD_WATCH, DEAD_BAD = 0.05, 0.25
SATURATED_WATCH, SATURATED_BAD = 0.05, 0.10
VANISHING_FACTOR = 1e-2  # the input-side layer's gradient RMS below this share of the output layer's
EXPLODING_FACTOR = 10.0  # the gradient norm jumps above this many times its running median
SUSTAINED = 3  # a warning needs this many recent records (or all, when fewer) to agree


RULES = ("not_finite", "stalled", "exploding", "vanishing", "symmetry", "dead_units", "saturated", "too_fast",
         "too_slow")


@dataclass(frozen=True)
class LayerWarning:
    rule: str  # one of RULES
    layers: tuple[str, ...]
    step: int  # the optimizer update where it was seen (first seen, for sustained problems)
    epoch: float
    message: str  # what is wrong, and what to try
    severity: str = "warning"  # error, warning or info

    def to_dict(self) -> dict:
        return {**asdict(self), "layers": list(self.layers)}


def ratio_status(ratio: float | None, g_norm: float | None = 0.0) -> str:
    """good, watch, bad, or none: not measured, or a frozen layer's 0 (it has no gradient, so nothing to learn)."""
    if ratio is None or not math.isfinite(ratio) or (ratio == 0 and g_norm is None):
        return "none"
    if RATIO_GOOD[0] <= ratio <= RATIO_GOOD[1]:
        return "good"
    return "watch" if RATIO_WATCH[0] <= ratio <= RATIO_WATCH[1] else "bad"


def share_status(share: float | None, watch: float, bad: float) -> str:
    if share is None:
        return "none"
    return "bad" if share >= bad else "watch" if share >= watch else "good"


def health_rows(internals: dict) -> list[dict]:
    """Per layer, in network order, its latest values, their statuses and its series over the records."""
    records = internals.get("records") or []
    rows = []
    for index, layer in enumerate(internals.get("layers") or [], start=1):
        name = layer["name"]
        series = [r["layers"].get(name, {}) for r in records]
        last = series[-1] if series else {}
        rows.append({"index": index, **layer, "w_std": last.get("w_std"), "g_norm": last.get("g_norm"),
                     "ratio": last.get("ratio"), "dead": last.get("dead"), "saturated": last.get("saturated"),
                     "ratio_status": ratio_status(last.get("ratio"), last.get("g_norm")),
                     "dead_status": share_status(last.get("dead"), DEAD_WATCH, DEAD_BAD),
                     "saturated_status": share_status(last.get("saturated"), SATURATED_WATCH, SATURATED_BAD),
                     "steps": [r["step"] for r in records],
                     **{f"{key}_series": [s.get(key) for s in series]
                        for key in ("w_std", "g_norm", "ratio", "dead", "saturated")}})
    return rows


def layer_warnings(internals: dict, grad_clip: float = 0.0) -> list[LayerWarning]:
    """Every rule's warnings, one per rule (naming all the layers it concerns), errors first, then in the order
    the problems began."""
    same = symmetry(internals)
    identical = {name for w in same for name in w.layers}
    vanished = [w for w in vanishing(internals) if not set(w.layers) <= identical]  # zeros explain it better
    explained = {name for w in vanished + same for name in w.layers}
    found = [*not_finite(internals), *stalled(internals), *exploding(internals, grad_clip), *vanished, *same,
             *dead_units(internals, explained), *saturated(internals), *update_size(internals, explained)]
    return sorted(found, key=lambda w: ({"error": 0, "warning": 1}.get(w.severity, 2), w.step))


SUMMARY_KEYS = ("w_std", "g_norm", "ratio", "dead", "saturated")


def internals_summary(internals: dict, grad_clip: float = 0.0) -> dict:
    """The layer statistics without their histograms, and the warnings raised, as `train --json` prints them:
    {"layers": [...], "records": [{"step", "epoch", "lr", "g_total", "layers": [{"name", "w_std", "g_norm",
    "ratio", "dead", "saturated"}]}], "warnings": [...]}."""
    records = [{**{k: r.get(k) for k in ("step", "epoch", "lr", "g_total")},
                "layers": [{"name": name, **{k: v.get(k) for k in SUMMARY_KEYS}} for name, v in r["layers"].items()]}
               for r in internals.get("records") or []]
    return {"layers": list(internals.get("layers") or []), "records": records,
            "warnings": [w.to_dict() for w in layer_warnings(internals, grad_clip)]}


# --- the rules ---------------------------------------------------------------------------------------

def _series(internals: dict, name: str, key: str) -> list[tuple[dict, float | None]]:
    return [(r, r["layers"].get(name, {}).get(key)) for r in internals.get("records") or []]


def _since(points: list[tuple[dict, float | None]], holds) -> dict | None:
    """The first record of the latest unbroken run of records where `holds(value)`, if the last SUSTAINED
    records (all, when fewer) are in it."""
    recent = points[-SUSTAINED:]
    if not recent or not all(v is not None and holds(v) for _, v in recent):
        return None
    start = len(points) - 1
    while start > 0 and points[start - 1][1] is not None and holds(points[start - 1][1]):
        start -= 1
    return points[start][0]


def _percent(share: float) -> str:
    return f"{100 * share:.0f} %"


def _sustained(internals: dict, key: str, holds, skip=frozenset()) -> list[tuple[dict, dict, float]]:
    """(layer, the record where it began, the latest value) for each layer where `holds` is sustained."""
    out = []
    for layer in internals.get("layers") or []:
        if layer["name"] in skip:
            continue
        points = _series(internals, layer["name"], key)
        first = _since(points, holds)
        if first is not None:
            out.append((layer, first, points[-1][1]))
    return out


def _grouped(rule: str, found: list, internals: dict, words, severity: str = "warning") -> list[LayerWarning]:
    """One warning for all the layers a rule found: `words(span, shares, first epoch)` says it."""
    if not found:
        return []
    first = min((f[1] for f in found), key=lambda r: r["step"])
    names = [f[0]["name"] for f in found]
    shares = sorted(f[2] for f in found)
    return [LayerWarning(rule, tuple(names), first["step"], first["epoch"],
                         words(_span(names, internals.get("layers") or []), shares, _epoch(first)), severity)]


def _shares(shares: list[float]) -> str:
    low, high = _percent(shares[0]), _percent(shares[-1])
    return high if low == high else f"{low} to {high}"


def dead_units(internals: dict, explained: set[str] = frozenset()) -> list[LayerWarning]:
    """Layers with DEAD_BAD or more of their units dead (unless `explained` by identical units)."""
    return _grouped("dead_units", _sustained(internals, "dead", lambda v: v >= DEAD_BAD, explained), internals,
                    lambda span, shares, epoch: f"{span}: {_shares(shares)} of units dead since epoch {epoch} (they "
                    "output 0 for every input, so they get no gradient and never recover): lower the learning "
                    "rate, use leaky ReLU or He (kaiming) initialisation.")


def saturated(internals: dict) -> list[LayerWarning]:
    found = _sustained(internals, "saturated", lambda v: v >= SATURATED_BAD)
    kinds = sorted({f[0].get("activation") or "" for f in found})
    bound = "0 or 1" if kinds == ["sigmoid"] else "±1" if "sigmoid" not in kinds else "their bounds"
    return _grouped("saturated", found, internals,
                    lambda span, shares, epoch: f"{span}: {_shares(shares)} of the {'/'.join(kinds)} outputs are "
                    f"saturated (near {bound}) since epoch {epoch}, where the slope and so the gradient is almost "
                    "0: standardise the inputs, use Xavier initialisation, normalisation, or a ReLU-family "
                    "activation.")


def vanishing(internals: dict) -> list[LayerWarning]:
    """Gradients (per weight, RMS) much smaller at the input end than at the output, in the recent records."""
    layers = [layer for layer in internals.get("layers") or [] if layer.get("parameters", 0) > 1]
    records = (internals.get("records") or [])[-SUSTAINED:]
    if len(layers) < 3 or not records:
        return []
    weak = None
    for record in records:
        rms = [_rms(record, layer) for layer in layers]
        if any(v is None for v in rms) or rms[-1] <= 0:
            return []
        below = [layer["name"] for layer, v in zip(layers[:-1], rms[:-1]) if v < VANISHING_FACTOR * rms[-1]]
        if not below or layers[0]["name"] not in below:
            return []
        weak = (below, rms, record)
    below, rms, record = weak
    depth = sum(1 for layer in layers if layer.get("activation"))
    kinds = sorted({layer["activation"] for layer in layers if layer.get("activation")})
    ratios = [record["layers"][n].get("ratio") for n in below if record["layers"][n].get("ratio") is not None]
    ratio = f" (update ratio {min(ratios):.0e})" if ratios else ""
    through = f", {' and '.join(kinds)} activations at depth {depth}" if kinds else ""
    return [LayerWarning(
        "vanishing", tuple(below), record["step"], record["epoch"],
        f"{_span(below, layers)} barely update{ratio}: their gradients are {_times(rms[-1], rms[0])} the output "
        f"layer's: vanishing gradients{through}. Use ReLU with He (kaiming) initialisation, batch or "
        "layer normalisation, residual connections, or fewer layers.")]


def stalled(internals: dict) -> list[LayerWarning]:
    """Every gradient exactly 0 in the last SUSTAINED records (all, when fewer): no weight can change any more.
    (A frozen layer has no gradient at all, None, and is left out; so is a run with nothing but frozen layers.)"""
    records = (internals.get("records") or [])[-SUSTAINED:]
    norms = [[v.get("g_norm") for v in r["layers"].values() if v.get("g_norm") is not None] for r in records]
    if not records or not all(n and max(n) == 0 for n in norms):
        return []
    points = [(r, max((v.get("g_norm") for v in r["layers"].values() if v.get("g_norm") is not None), default=None))
              for r in internals["records"]]
    first = _since(points, lambda v: v == 0)
    return [LayerWarning("stalled", tuple(layer["name"] for layer in internals.get("layers") or []), first["step"],
                         first["epoch"], f"training has stalled: the gradient of every layer's weights has been "
                         f"exactly 0 since step {first['step']} (epoch {_epoch(first)}), so they no longer change and "
                         "more epochs will not help (only biases can still move, shifting every prediction alike). "
                         "Dead ReLU units or a constant input cut the gradient off: start again with a lower learning "
                         "rate or another initialisation.", "error")]


def exploding(internals: dict, grad_clip: float = 0.0) -> list[LayerWarning]:
    """The first update whose gradient norm jumps above EXPLODING_FACTOR × the median of the earlier ones."""
    seen = []
    for record in internals.get("records") or []:
        total = record.get("g_total")
        if total is None:
            continue
        if len(seen) >= 3:
            usual = sorted(seen)[len(seen) // 2]
            if usual > 0 and total > EXPLODING_FACTOR * usual:
                fix = (f"the clipping at {grad_clip:g} caps the step but not the cause: lower the learning rate"
                       if grad_clip > 0 else "clip the gradient norm (grad_clip 1.0) or lower the learning rate")
                return [LayerWarning("exploding", (), record["step"], record["epoch"],
                                     f"exploding gradients at step {record['step']}: the gradient norm was "
                                     f"{total:.3g}, {total / usual:.0f}× its usual {usual:.3g}: {fix}.")]
        seen.append(total)
    return []


def not_finite(internals: dict) -> list[LayerWarning]:
    for record in internals.get("records") or []:
        bad = [name for name, v in record["layers"].items() if v.get("nonfinite")]
        if bad:
            return [LayerWarning("not_finite", tuple(bad), record["step"], record["epoch"],
                                 f"the weights of {', '.join(bad)} became NaN or infinite at step {record['step']}: "
                                 "training diverged. Lower the learning rate 10×, or clip gradients "
                                 "(grad_clip 1.0).", "error")]
    return []


def symmetry(internals: dict) -> list[LayerWarning]:
    """Hidden Linear or Conv layers whose units (weight rows) are all equal after training began: they never differ.
    (The output layer is left out: with identical inputs its weights are equal as a consequence.)"""
    records = internals.get("records") or []
    if len(records) < 2:
        return []
    found = []
    for layer in (internals.get("layers") or [])[:-1]:
        later = [record["layers"].get(layer["name"], {}) for record in records[1:]]
        if layer["kind"] in ("Linear", "Conv1d") and layer.get("parameters", 0) > 2 and \
                all(v.get("identical") or v.get("w_std") == 0 for v in later):
            found.append((layer, records[1], 0.0))
    return _grouped("symmetry", found, internals,
                    lambda span, _shares, _epoch: f"{span}: all the units of a layer have exactly the same weights, "
                    "so they compute the same thing and receive the same update: the symmetry is never broken, and "
                    "the layer works like a single unit. Use any random initialisation (the default, Xavier or He).")


def update_size(internals: dict, explained: set[str] = frozenset()) -> list[LayerWarning]:
    """Layers whose updates are far too large for their weights, or far too small (unless `explained`, by
    vanishing gradients, say; a frozen layer's 0 is not a problem)."""
    fast = _sustained(internals, "ratio", lambda v: v > RATIO_WATCH[1])
    slow = _sustained(internals, "ratio", lambda v: 0 < v < RATIO_WATCH[0], explained | {f[0]["name"] for f in fast})
    ratio = "of their spread (rule of thumb: about 1e-3)"
    return [*_grouped("too_fast", fast, internals,
                      lambda span, r, _e: f"{span}: each step changes the weights by {r[-1]:.2g} {ratio}: the "
                      "layer thrashes instead of learning. Lower the learning rate."),
            *_grouped("too_slow", slow, internals,
                      lambda span, r, _e: f"{span}: each step changes the weights by only {r[0]:.1e} {ratio}: it "
                      "barely learns. Raise the learning rate, or check the schedule has not already decayed it.",
                      "info")]


# --- helpers ------------------------------------------------------------------------------------------

def _rms(record: dict, layer: dict) -> float | None:
    norm = record["layers"].get(layer["name"], {}).get("g_norm")
    return None if norm is None else norm / math.sqrt(max(layer.get("parameters", 1), 1))


def _times(big: float, small: float) -> str:
    return "0, against" if small == 0 else f"{big / small:,.0f}× smaller than"


def _epoch(record: dict) -> int:
    return max(1, math.ceil(record.get("epoch") or 0))


def _span(names: list[str], layers: list[dict]) -> str:
    order = [layer["name"] for layer in layers]
    positions = sorted(order.index(n) + 1 for n in names)
    if positions == list(range(positions[0], positions[-1] + 1)) and len(positions) > 2:
        return f"layers {positions[0]}-{positions[-1]} ({names[0]} to {names[-1]})"
    return names[0] if len(names) == 1 else f"layers {', '.join(names)}"
