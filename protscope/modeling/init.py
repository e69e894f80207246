"""Weight initialisation: a registry of the ways a network's weights can start (ModelConfig.init).

    apply_init(model, "kaiming_normal", std=0.02, activation="relu", generator=run_generator)

Every weight tensor of the Linear, Conv1d and Embedding layers, the GRU/LSTM input and hidden
matrices and the attention's in_proj_weight is drawn again from the run's own torch.Generator, so
the same seed gives the same weights; every bias starts at 0. `default` keeps PyTorch's own
initialisation and draws nothing. Normalisation layers (LayerNorm, BatchNorm) are always left at
weight 1 and bias 0, even with `zeros`: they rescale activations, they are not what the lesson is about.
Each entry names its torch.nn.init function, so ProtScope and the exported script make the same call.
The He (Kaiming) gain follows each layer's own activation: an MLP's hidden layers each take their
block's (they may differ per layer, ModelConfig.activations), every other layer the model's.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from protscope.modeling.layers import ACTIVATION_LAYERS

# Nonlinearities torch.nn.init.calculate_gain knows; any other activation (elu, gelu, silu) counts as relu.
GAINS = ("relu", "leaky_relu", "tanh", "sigmoid", "linear", "selu")
LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default negative slope, which the leaky_relu gain depends on
WEIGHTED = (nn.Linear, nn.Conv1d, nn.Embedding)  # layers whose `weight` is initialised
RECURRENT = (nn.GRU, nn.LSTM)  # their weight_ih_l* and weight_hh_l* (tanh cells: they use the tanh gain)
ACTIVATION_NAMES = {cls: name for name, cls in ACTIVATION_LAYERS.items()}


@dataclass(frozen=True)
class InitSpec:
    name: str
    title: str
    help: str
    function: str = ""  # the torch.nn.init function that fills a weight in place; "": PyTorch's own, no draws
    reads: tuple[str, ...] = ()  # what it takes besides the weight: "std" (init_std), "nonlinearity" (He's gain)
    random: bool = True  # it draws from the generator

    def arguments(self, std: float, nonlinearity: str) -> dict:
        """The keyword arguments of `function` besides the weight and the generator."""
        args = {"mean": 0.0, "std": std} if "std" in self.reads else {}
        if "nonlinearity" in self.reads:
            args.update(a=LEAKY_SLOPE if nonlinearity == "leaky_relu" else 0, nonlinearity=nonlinearity)
        return args

    def draw(self, weight: torch.Tensor, std: float, nonlinearity: str, generator: torch.Generator | None) -> None:
        getattr(nn.init, self.function)(weight, **self.arguments(std, nonlinearity),
                                        **({"generator": generator} if self.random else {}))

    def export_line(self, std: float, nonlinearity: str, per_layer: bool = False) -> str:
        """The same call in the exported script, for a weight `w` whose gain's name is in `nonlinearity`; with
        `per_layer` gains, the leaky ReLU slope `a` follows that name too."""
        slope = f'{LEAKY_SLOPE!r} if nonlinearity == "leaky_relu" else 0'
        args = [f"{k}={'nonlinearity' if k == 'nonlinearity' else slope if k == 'a' and per_layer else repr(v)}"
                for k, v in self.arguments(std, nonlinearity).items()]
        call, args = f"nn.init.{self.function}(", ["w", *args, *["generator=generator"] * self.random]
        if per_layer and "nonlinearity" in self.reads:  # the slope's expression is long: the rest on a new line
            return call + ", ".join(args[:2]) + ",\n" + " " * len(call) + ", ".join(args[2:]) + ")"
        return call + ", ".join(args) + ")"


INITIALISERS: dict[str, InitSpec] = {
    i.name: i for i in [
        InitSpec("default", "PyTorch's default", "Each layer's own start (uniform, scaled to its inputs): "
                 "a safe choice for most networks."),
        InitSpec("xavier_uniform", "Xavier / Glorot (uniform)", "Uniform weights scaled to the layer's inputs "
                 "and outputs, so signals keep their size: made for tanh and sigmoid networks.", "xavier_uniform_"),
        InitSpec("xavier_normal", "Xavier / Glorot (normal)", "Like Xavier uniform, drawn from a normal "
                 "distribution: sd = sqrt(2 / (inputs + outputs)).", "xavier_normal_"),
        InitSpec("kaiming_uniform", "He / Kaiming (uniform)", "Uniform weights scaled up for the activation "
                 "(ReLU halves the signal), so deep ReLU networks keep their signal: use with ReLU.",
                 "kaiming_uniform_", ("nonlinearity",)),
        InitSpec("kaiming_normal", "He / Kaiming (normal)", "Normal weights with sd = gain / sqrt(inputs), the "
                 "gain matching the activation (sqrt 2 for ReLU): the usual start for deep ReLU networks.",
                 "kaiming_normal_", ("nonlinearity",)),
        InitSpec("orthogonal", "Orthogonal", "Each weight matrix a random rotation: signals keep their length "
                 "exactly, layer after layer; often used for recurrent networks.", "orthogonal_"),
        InitSpec("normal", "Normal (fixed sd)", "Weights from a normal distribution of mean 0 and sd init_std, "
                 "whatever the layer's size: shows what too small or too large a start does.", "normal_", ("std",)),
        InitSpec("zeros", "All zeros (a lesson: do not use)", "Every weight and bias 0: all units of a layer "
                 "compute the same thing and get the same update, so they never become different.", "zeros_",
                 random=False),
    ]
}


def init_activation(cfg) -> str:
    """The activation whose gain the He (Kaiming) initialisers use for a ModelConfig's layers outside an MLP
    block: the model's where it has one (MLP, CNN, Transformer), else linear (a linear model; an RNN's head).
    With per-layer activations, the last hidden layer's: the output layer reads what it outputs."""
    from protscope.modeling.models import MODELS, hidden_activations

    params = MODELS[cfg.name].params
    if "activations" in params and cfg.hidden:
        return hidden_activations(cfg, len(cfg.hidden))[-1]
    return cfg.activation if "activation" in params else "linear"


def block_activations(model: nn.Module) -> dict[nn.Module, str]:
    """{layer: its activation's name} for each layer that sits in a block with its own activation module (an
    MLP hidden layer's `linear` and `activation`), whatever the other layers use."""
    return {m.linear: ACTIVATION_NAMES[type(m.activation)] for m in model.modules()
            if isinstance(getattr(m, "linear", None), nn.Linear) and type(getattr(m, "activation", None))
            in ACTIVATION_NAMES}


def gain_name(activation: str) -> str:
    return activation if activation in GAINS else "relu"


def initialised_weights(module: nn.Module, activation: str) -> list[tuple[torch.Tensor, str]]:
    """(weight, nonlinearity) for each weight tensor of `module` itself that an initialiser draws."""
    if isinstance(module, WEIGHTED):
        return [(module.weight, gain_name(activation))]
    if isinstance(module, RECURRENT):
        return [(w, "tanh") for name, w in module.named_parameters(recurse=False) if name.startswith("weight_")]
    if isinstance(module, nn.MultiheadAttention) and module.in_proj_weight is not None:
        return [(module.in_proj_weight, gain_name(activation))]  # its out_proj is an nn.Linear
    return []


@torch.no_grad()
def apply_init(model: nn.Module, name: str, std: float, activation: str,
               generator: torch.Generator | None) -> nn.Module:
    """Initialise `model` in place by INITIALISERS[name], drawing from `generator` (on the model's device).
    `activation` gives the He gain of every layer except those in a block with an activation of its own."""
    spec = INITIALISERS[name]
    if not spec.function:
        return model
    own = block_activations(model)
    for module in model.modules():
        weights = initialised_weights(module, own.get(module, activation))
        for weight, nonlinearity in weights:
            spec.draw(weight, std, nonlinearity, generator)
        if weights:  # the biases of the same layers: none in normalisation layers
            for param_name, bias in module.named_parameters(recurse=False):
                if "bias" in param_name:
                    bias.zero_()
        if isinstance(module, nn.Embedding) and module.padding_idx is not None:
            module.weight[module.padding_idx] = 0  # the padding token's vector stays all zero
    return model
