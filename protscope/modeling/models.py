"""Models: a registry of architectures that map an encoded batch and its mask to logits.

Every model's forward takes `x` and `mask` (B, L) bool, where x is (B, F) per-protein features,
(B, L, C) per-residue features or (B, L) int64 tokens (see protscope.modeling.encodings), and returns logits:
(B, out) for per-protein tasks or (B, L, out) for per-residue tasks. Padding never changes the
output: pooling ignores it, convolutions re-mask after each layer and RNNs are packed.
Each model keeps its final layer as `self.head` (Muon leaves it to AdamW). Each ModelSpec declares
the ModelConfig fields its builder reads (`reads`), which decides what the dashboard shows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from protscope.modeling.encodings import WINDOW_ROWS
from protscope.modeling.layers import (
    ACTIVATION_LAYERS,
    EncoderLayer,
    SeededDropout,
    Standardize,
    masked_pool,
    sinusoidal_positions,
)


@dataclass(frozen=True)
class ModelDims:
    """Shapes a model is built for; saved in checkpoints so the model can be rebuilt alone."""

    in_features: int  # encoding width C or F (the vocabulary size for tokens)
    out_features: int  # logits per prediction
    level: str  # the encoding's level: "sequence", "residue" or "tokens"
    per_residue: bool  # one prediction per residue (True) or per protein
    seq_len: int  # fixed length for flattening per-residue features in per-protein MLPs
    standardize: bool = False  # per-protein features rescaled with training-set mean and sd
    window: int = 0  # the window encoding's w (its input is (2w+1) one-hot residues), else 0


class MLP(nn.Module):
    """Fully connected layers. Per-protein on features, per-protein on flattened residues (padded to
    seq_len, the course notes' flattened one-hot), or per residue on each residue's features."""

    def __init__(self, cfg, dims: ModelDims, generator=None, hidden=None):
        super().__init__()
        self.dims = dims
        self.scale = Standardize(dims.in_features) if dims.standardize else None
        self.flatten = dims.level == "residue" and not dims.per_residue
        width = dims.in_features * (dims.seq_len if self.flatten else 1)
        blocks, sizes = [], cfg.hidden if hidden is None else hidden
        for size, activation in zip(sizes, hidden_activations(cfg, len(sizes)) if sizes else ()):
            norm = {"batch": nn.BatchNorm1d(size), "layer": nn.LayerNorm(size)}.get(cfg.norm, nn.Identity())
            window = dims.window if dims.per_residue and not blocks else 0
            linear = WindowLinear(window, width, size) if window else nn.Linear(width, size)
            blocks.append(_Block(linear, norm, ACTIVATION_LAYERS[activation](),
                                 SeededDropout(cfg.dropout, generator), cfg.residual and width == size))
            width = size
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(width, dims.out_features)

    @property
    def reads_window_tokens(self) -> bool:
        """Whether batches may bring tokens instead of the window encoding (make_batch(tokens_only=True))."""
        return bool(self.blocks) and isinstance(self.blocks[0].linear, WindowLinear) and not self.blocks[0].residual

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.dims.per_residue:
            if torch.is_floating_point(x):  # (B, L, C) features: only real residues, (N_real, C)
                h = self.blocks(x[mask])
            else:  # (B, L) tokens of a window network: its first layer reads them (WindowLinear)
                h = self.blocks[1:](self.blocks[0](x, mask))
            real = self.head(h)  # (N_real, out)
            out = real.new_zeros(*mask.shape, self.dims.out_features)  # real's dtype: bf16 under autocast
            out[mask] = real
            return out
        if self.scale is not None:
            x = self.scale(x)
        if self.flatten:
            x = nn.functional.pad(x, (0, 0, 0, self.dims.seq_len - x.shape[1])).flatten(1)  # (B, seq_len * C)
        return self.head(self.blocks(x))


def hidden_activations(cfg, layers: int) -> tuple[str, ...]:
    """The activation of each of an MLP's `layers` hidden layers: `activations` (one per layer, or one name
    for all), else `activation` for all. ModelConfig.check refuses other lengths."""
    names = cfg.activations or (cfg.activation,)
    return names * layers if len(names) == 1 else tuple(names)


class _Block(nn.Module):
    def __init__(self, linear, norm, activation, dropout, residual: bool):
        super().__init__()
        self.linear, self.norm, self.activation, self.dropout = linear, norm, activation, dropout
        self.residual = residual

    def forward(self, x, mask=None):
        h = self.dropout(self.activation(self.norm(self.linear(x) if mask is None else self.linear(x, mask))))
        return x + h if self.residual else h


class WindowLinear(nn.Linear):
    """The first layer of a window network: nn.Linear over each residue's ±w one-hot window ((2w+1) x 21
    inputs, offset-major as protscope.modeling.encodings.window_fn lays them out), which can also read the
    tokens themselves. Then it is the same weights as a Conv1d over the padded one-hot, 21 channels wide
    instead of (2w+1) x 21 materialised per residue: 1.3-1.5x faster a training step (bench/README.md).
    Same parameters and state dict as nn.Linear."""

    def __init__(self, window: int, in_features: int, out_features: int):
        super().__init__(in_features, out_features)
        self.window = window

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:  # (N, (2w+1) * 21) windows
            return super().forward(x)
        w = self.window
        onehot = nn.functional.embedding(nn.functional.pad(x.int(), (w, w)), WINDOW_ROWS(x.device))  # (B, L+2w, 21)
        kernel = self.weight.view(self.out_features, 2 * w + 1, -1).transpose(1, 2)  # (out, 21, 2w+1)
        return nn.functional.conv1d(onehot.transpose(1, 2), kernel, self.bias).transpose(1, 2)[mask]  # (N_real, out)


class _SequenceModel(nn.Module):
    """Shared input handling and heads of the CNN, RNN and Transformer."""

    def __init__(self, cfg, dims: ModelDims, width: int, generator):
        super().__init__()
        self.dims = dims
        self.pooling = None if dims.per_residue else cfg.pooling  # per-residue outputs are not pooled
        if dims.level == "tokens":
            self.embed = nn.Embedding(dims.in_features, cfg.embedding_dim, padding_idx=0)
            self.input_width = cfg.embedding_dim
        else:
            self.embed, self.input_width = None, dims.in_features
        self.dropout = SeededDropout(cfg.dropout, generator)
        self.head = nn.Linear(width, dims.out_features)

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        return self.embed(x) if self.embed is not None else x  # (B, L, C)

    def outputs(self, h: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.dims.per_residue:
            return self.head(self.dropout(h))  # (B, L, out)
        return self.head(self.dropout(masked_pool(h, mask, self.pooling)))  # (B, out)


class CNN(_SequenceModel):
    """1D convolutions over the sequence, as in the course's ProteinSolubilityClassifier."""

    def __init__(self, cfg, dims: ModelDims, generator=None):
        super().__init__(cfg, dims, cfg.channels, generator)
        convs, width = [], self.input_width
        for i in range(cfg.layers):
            dilation = cfg.dilation ** i
            convs.append(nn.Conv1d(width, cfg.channels, cfg.kernel_size, dilation=dilation,
                                   padding=dilation * (cfg.kernel_size // 2)))
            width = cfg.channels
        self.convs = nn.ModuleList(convs)
        self.activation = ACTIVATION_LAYERS[cfg.activation]()

    def forward(self, x, mask):
        h = self.inputs(x).transpose(1, 2)  # (B, C, L)
        keep = mask.unsqueeze(1).to(h.dtype)  # (B, 1, L)
        for conv in self.convs:
            h = self.activation(conv(h)) * keep  # re-mask: padding stays zero for the next layer
        return self.outputs(h.transpose(1, 2), mask)


class RNN(_SequenceModel):
    """A bidirectional GRU or LSTM over the sequence (packed, so padding is never read)."""

    def __init__(self, cfg, dims: ModelDims, generator=None):
        super().__init__(cfg, dims, 2 * cfg.rnn_hidden, generator)
        cell = nn.GRU if cfg.rnn_cell == "gru" else nn.LSTM
        sizes = [self.input_width] + [2 * cfg.rnn_hidden] * (cfg.layers - 1)
        self.rnns = nn.ModuleList(cell(s, cfg.rnn_hidden, batch_first=True, bidirectional=True) for s in sizes)
        self.between = SeededDropout(cfg.dropout, generator)

    def forward(self, x, mask):
        h = self.inputs(x)
        lengths = mask.sum(1).cpu()
        for i, rnn in enumerate(self.rnns):
            if i:
                h = self.between(h)
            packed = nn.utils.rnn.pack_padded_sequence(h, lengths, batch_first=True, enforce_sorted=False)
            h, _ = rnn(packed)
            h, _ = nn.utils.rnn.pad_packed_sequence(h, batch_first=True, total_length=mask.shape[1])
        return self.outputs(h, mask)  # h: (B, L, 2 * hidden)


class Transformer(_SequenceModel):
    """A small Transformer encoder with sine/cosine positions and a padding mask."""

    def __init__(self, cfg, dims: ModelDims, generator=None):
        super().__init__(cfg, dims, cfg.d_model, generator)
        self.project = nn.Linear(self.input_width, cfg.d_model)
        self.encoder = nn.ModuleList(EncoderLayer(cfg.d_model, cfg.heads, cfg.ff_dim, cfg.dropout,
                                                  cfg.activation, generator) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.d_model)

    def forward(self, x, mask):
        h = self.project(self.inputs(x))  # (B, L, d_model)
        h = h + sinusoidal_positions(h.shape[1], h.shape[2], h.device)
        for layer in self.encoder:
            h = layer(h, mask)
        return self.outputs(self.norm(h), mask)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    help: str
    build: Callable[..., nn.Module]  # build(cfg, dims, generator) -> nn.Module
    levels: tuple[str, ...]  # encoding levels the model reads
    params: tuple[str, ...] = ()  # ModelConfig fields the builder reads whatever the inputs
    token_params: tuple[str, ...] = ()  # ... only with "tokens" inputs
    pooled_params: tuple[str, ...] = ()  # ... only for per-protein tasks
    only_encoding: str = ""  # a single encoding it needs, if any
    residue_only: bool = False  # only for per-residue tasks
    # precision "auto" uses bf16 on a CPU with native bf16 only where it was measured to pay off end to end
    # (bench/bench_target.py: the CNN reached its target 1.6x sooner; the window MLP 0.6x, slower)
    cpu_bf16: bool = False

    def reads(self, level: str, per_residue: bool) -> tuple[str, ...]:
        """The ModelConfig fields its builder reads for inputs of this level and this kind of task."""
        return (*self.params, *(self.token_params if level == "tokens" else ()),
                *(() if per_residue else self.pooled_params))

    def accepts(self, encoding) -> bool:
        if self.only_encoding:
            return encoding.name == self.only_encoding
        return encoding.level in self.levels

    def encoding_names(self) -> list[str]:
        from protscope.modeling.encodings import ENCODINGS

        return [name for name, enc in ENCODINGS.items() if self.accepts(enc)]

    def per_residue(self, level: str) -> bool:
        """Can it make one prediction per residue with an encoding of this level?"""
        return level != "sequence"


def _linear(cfg, dims, generator=None):
    return MLP(cfg, dims, generator, hidden=())


def _window_mlp(cfg, dims, generator=None):
    return MLP(cfg, dims, generator)


HIDDEN_LAYERS = ("hidden", "activation", "activations", "norm", "dropout", "residual")  # each MLP hidden layer's
SEQUENCE_INPUTS = dict(token_params=("embedding_dim",), pooled_params=("pooling",))  # _SequenceModel's reads

MODELS: dict[str, ModelSpec] = {
    m.name: m for m in [
        ModelSpec("linear", "Linear model (logistic regression / single-layer perceptron)",
                  "One weight per input feature: the simplest baseline.", _linear, ("sequence", "residue")),
        ModelSpec("mlp", "Multilayer perceptron (MLP)", "Fully connected hidden layers.", MLP,
                  ("sequence", "residue"), HIDDEN_LAYERS),
        ModelSpec("window_mlp", "Window MLP (Qian & Sejnowski 1988)", "Each residue's ±w window into one "
                  "hidden layer into H/E/C.", _window_mlp, ("residue",), HIDDEN_LAYERS, only_encoding="window",
                  residue_only=True),
        ModelSpec("cnn", "1D convolutional network (CNN)", "Filters slide along the sequence and detect "
                  "local motifs.", CNN, ("residue", "tokens"),
                  ("channels", "kernel_size", "layers", "dilation", "activation", "dropout"), **SEQUENCE_INPUTS,
                  cpu_bf16=True),
        ModelSpec("rnn", "Bidirectional RNN (GRU or LSTM)", "Reads the sequence in both directions.", RNN,
                  ("residue", "tokens"), ("rnn_cell", "rnn_hidden", "layers", "dropout"), **SEQUENCE_INPUTS),
        ModelSpec("transformer", "Transformer encoder", "Self-attention: every residue looks at every "
                  "other.", Transformer, ("residue", "tokens"),
                  ("d_model", "heads", "ff_dim", "layers", "activation", "dropout"), **SEQUENCE_INPUTS),
    ]
}


def build_model(cfg, dims: ModelDims, generator: torch.Generator | None = None) -> nn.Module:
    """Build the model `cfg.name` (a ModelConfig) for the given shapes."""
    return MODELS[cfg.name].build(cfg, dims, generator)
