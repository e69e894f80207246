"""The model part of an exported script: the network's class, its output layer (a linear one, or the
harmonic loss's distance layer) and its weight initialisation, written from the run config with the
templates of protscope.script_export.templates."""
from __future__ import annotations

import textwrap

from protscope.config.run_config import RunConfig
from protscope.modeling.init import INITIALISERS, gain_name, init_activation
from protscope.modeling.layers import ACTIVATION_LAYERS
from protscope.modeling.models import hidden_activations
from protscope.script_export.templates import (
    CNN,
    HARMONIC,
    INIT,
    LINEAR,
    MLP,
    POOL,
    RNN,
    TRANSFORMER,
    fill,
    literal,
)

MODELS = {"linear": "Linear", "mlp": "MLP", "cnn": "CNN", "rnn": "RNN", "transformer": "Transformer"}
NORMS = {"none": "", "batch": "nn.BatchNorm1d(size)", "layer": "nn.LayerNorm(size)"}


def model_part(config: RunConfig, out: int, v: dict) -> list[str]:
    m, tokens = config.model, config.encoding.name == "tokens"
    conv = f"self.convs.append(nn.Conv1d(width, {m.channels}, {m.kernel_size}, padding={m.kernel_size} // 2))"
    if m.dilation > 1:
        conv = (f"dilation = {m.dilation}**i  # layer i spaces its filter taps this far apart\n"
                f"self.convs.append(nn.Conv1d(width, {m.channels}, {m.kernel_size}, dilation=dilation,\n"
                f"                            padding=dilation * ({m.kernel_size} // 2)))")
    acts = hidden_activations(m, len(m.hidden)) if m.name == "mlp" else (m.activation,)
    per_layer = len(set(acts)) > 1  # else every hidden layer has the one activation
    hidden_loop = (f"for size, activation in zip({tuple(m.hidden)!r}, ({', '.join(_layer(a) for a in acts)},)):"
                   if per_layer else f"for size in {tuple(m.hidden)!r}:")
    act = "activation()" if per_layer else f"{_layer(acts[0])}()"
    layer = ["nn.Linear(width, size)", NORMS[m.norm], act, f"nn.Dropout({m.dropout!r})" if m.dropout else ""]
    harmonic = config.loss.name == "harmonic"
    v = {**v, "conv": conv, "i": "i" if m.dilation > 1 else "_", "layer": ", ".join(filter(None, layer)),
         "hidden_loop": hidden_loop, "pool": m.pooling, "cell": m.rnn_cell.upper(),
         "head": "HarmonicHead" if harmonic else "nn.Linear",
         "linear_doc": "The harmonic distance layer alone: one centre per class in the input features' space."
         if harmonic else "One weight per input feature: logistic (or linear) regression.",
         "embed": f"nn.Embedding(in_features, {m.embedding_dim}, padding_idx=0)  # a learned vector per token"
         if tokens else "nn.Identity()  # the one-hot channels go straight in",
         "width": m.embedding_dim if tokens else "in_features",
         "apply": "h = layer(x)\nx = x + h if h.shape == x.shape else h  # residual: add the input (same sizes)"
         if m.residual else "x = layer(x)"}
    parts = [fill(HARMONIC, v, exponent=repr(config.loss.harmonic_exponent) if config.loss.harmonic_exponent else
                  "math.sqrt(in_features)  # sqrt of the width of the features it reads")] if harmonic else []
    parts += [fill(POOL[m.pooling], v)] if m.name in ("cnn", "rnn", "transformer") else []
    parts.append(fill({"linear": LINEAR, "mlp": MLP, "cnn": CNN, "rnn": RNN, "transformer": TRANSFORMER}[m.name], v))
    parts[0] = "# --- model ---\n" + parts[0]
    model = f"{MODELS[m.name]}(IN_FEATURES, {out})"
    if m.init != "default":  # drawn on the CPU before the move, as ProtScope does on a CPU
        parts.append(init_part(config, v, acts if per_layer else ()))
        model = f"initialise({model})"
    return parts + [f"model = {model}.to(DEVICE)\n"
                    'print("parameters:", sum(p.numel() for p in model.parameters() if p.requires_grad))']


def init_part(config: RunConfig, v: dict, per_layer: tuple[str, ...]) -> str:
    """The `initialise` function; with per-layer activations each hidden layer gets its own activation's gain."""
    m = config.model
    spec, gain = INITIALISERS[m.init], gain_name(init_activation(m))
    names = textwrap.fill(literal([gain_name(a) for a in per_layer]), 100, subsequent_indent="    ")
    layer_gains = ("# each hidden layer's weights: the gain of its own activation\n"
                   f"gains = {{layer[0]: name for layer, name in zip(model.hidden, {names})}}" if per_layer else "")
    return fill(INIT, v, init_doc=textwrap.fill(f"{spec.title}: {spec.help}", 100), nonlinearity=literal(gain),
                init_weight=spec.export_line(m.init_std, gain, bool(per_layer)), layer_gains=layer_gains,
                linear_gain=f"gains.get(module, {literal(gain)})" if per_layer else literal(gain))


def _layer(activation: str) -> str:
    return f"nn.{ACTIVATION_LAYERS[activation].__name__}"
