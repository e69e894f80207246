"""The run config: one frozen object made of per-part sections, validated as a whole.

    RunConfig(data, encoding, model, loss, optimizer, scheduler, training)

The UI builds it, the engine takes it once, and it is saved (as JSON) with every run and
checkpoint. `resolve(data)` fills in what depends on the loaded data (the task) and checks the
combinations that only make sense together, such as BCE on a multiclass task. Which settings
matter for the chosen model, encoding, loss, optimizer and schedule is core/relevance.py's.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field, fields

from core.config import DataConfig, EncodingConfig, Section, setting
from core.errors import ProtScopeError

ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid")
CLASSIFICATION_LOSSES = ("bce", "ce", "focal")
REGRESSION_LOSSES = ("mse", "l1", "huber")


def _names(module: str, registry: str):
    def names():
        import importlib

        return tuple(getattr(importlib.import_module(module), registry))
    return names


@dataclass(frozen=True)
class ModelConfig(Section):
    """The architecture and its size."""

    name: str = setting("mlp", "The network architecture.", choices=_names("core.models", "MODELS"))
    hidden: tuple[int, ...] = setting((128,), "Hidden layer sizes, e.g. 256,64 for two layers.", between=(1, 4096))
    activation: str = setting("relu", "The nonlinearity after each hidden layer.", choices=ACTIVATIONS)
    dropout: float = setting(0.0, "Share of activations zeroed at random during training (regularisation).",
                             between=(0.0, 0.9))
    norm: str = setting("none", "Normalise each hidden layer's activations.", choices=("none", "batch", "layer"))
    residual: bool = setting(False, "Add each hidden layer's input to its output (same-size layers).")
    embedding_dim: int = setting(64, "Size of the learned vector per amino acid (with the tokens encoding).",
                                 between=(2, 1024))
    channels: int = setting(128, "Filters per convolution layer.", between=(1, 2048))
    kernel_size: int = setting(5, "Residues each filter sees at once (odd).", between=(1, 51))
    layers: int = setting(2, "Number of stacked layers.", between=(1, 12))
    dilation: int = setting(1, "Layer i spaces its filter taps dilation**i apart (1: plain convolution).",
                            between=(1, 4))
    pooling: str = setting("mean", "How per-residue features become one vector per protein (padding ignored).",
                           choices=("mean", "max"))
    rnn_cell: str = setting("gru", "Recurrent cell.", choices=("gru", "lstm"))
    rnn_hidden: int = setting(64, "Hidden size per direction of the bidirectional RNN.", between=(1, 1024))
    d_model: int = setting(64, "Width of the Transformer.", between=(8, 1024))
    heads: int = setting(4, "Attention heads (must divide d_model).", between=(1, 16))
    ff_dim: int = setting(128, "Width of the Transformer's feed-forward layers.", between=(8, 4096))

    def check(self):
        if self.name == "transformer" and self.d_model % self.heads:
            raise ProtScopeError(f"d_model {self.d_model} is not divisible by heads {self.heads}",
                                 fix="choose heads that divide d_model, e.g. 4 for 64")
        if self.name == "cnn" and self.kernel_size % 2 == 0:
            raise ProtScopeError(f"kernel_size {self.kernel_size} is even",
                                 fix="use an odd kernel size so each residue sits at the centre")


@dataclass(frozen=True)
class LossConfig(Section):
    """What the model is trained to minimise."""

    name: str = setting("auto", "auto picks MSE for regression, BCE for binary and cross-entropy otherwise.",
                        choices=("auto", *REGRESSION_LOSSES, *CLASSIFICATION_LOSSES))
    huber_delta: float = setting(1.0, "Errors smaller than this are squared, larger ones count linearly.",
                                 between=(1e-6, 1e6))
    class_weights: str = setting("none", "Weigh classes: none, balanced (inverse frequency in train), or one "
                                 "number per class, e.g. 1,3.")
    label_smoothing: float = setting(0.0, "Spread this much of the target onto the other classes.", between=(0.0, 0.5))
    focal_gamma: float = setting(2.0, "Focal loss: how much easy examples are down-weighted.", between=(0.0, 10.0))
    focal_alpha: float | None = setting(None, "Focal loss (binary): weight of the positive class (empty: none).",
                                        between=(0.0, 1.0))

    def check(self):
        if self.class_weights not in ("none", "balanced"):
            try:
                weights = [float(w) for w in self.class_weights.split(",")]
            except ValueError:
                weights = []
            if not weights or min(weights) <= 0:
                raise ProtScopeError(f"loss.class_weights is '{self.class_weights}'",
                                     fix="use none, balanced, or positive numbers such as 1,3")


@dataclass(frozen=True)
class OptimizerConfig(Section):
    """How the weights are updated from the gradients."""

    name: str = setting("adam", "The update rule.", choices=_names("core.optim", "OPTIMIZERS"))
    lr: float = setting(1e-3, "Learning rate: the step size of each update.", between=(1e-7, 10.0))
    weight_decay: float = setting(0.0, "Pull weights towards zero at each step (L2 regularisation).",
                                  between=(0.0, 1.0))
    momentum: float = setting(0.9, "Keep this share of the previous update.", between=(0.0, 0.999))
    nesterov: bool = setting(False, "Nesterov momentum: look ahead before computing the gradient.")
    beta1: float = setting(0.9, "Decay of the running mean of gradients.", between=(0.0, 0.9999))
    beta2: float = setting(0.999, "Decay of the running mean of squared gradients.", between=(0.0, 0.99999))
    eps: float = setting(1e-8, "Added to denominators for numerical stability.", between=(1e-12, 1.0))
    alpha: float = setting(0.99, "RMSprop: decay of the running mean of squared gradients.", between=(0.0, 0.9999))


@dataclass(frozen=True)
class SchedulerConfig(Section):
    """How the learning rate changes during training."""

    name: str = setting("none", "The learning-rate schedule.", choices=_names("core.optim", "SCHEDULERS"))
    step_size: int = setting(10, "Epochs between decays.", between=(1, 10_000))
    milestones: tuple[int, ...] = setting((10, 15), "Epochs at which to decay, e.g. 10,15.", between=(1, 10_000))
    gamma: float = setting(0.1, "Multiply the learning rate by this at each decay.", between=(1e-4, 1.0))
    exp_gamma: float = setting(0.95, "Multiply the learning rate by this every epoch.", between=(0.5, 1.0))
    min_lr: float = setting(0.0, "The lowest learning rate of the cosine.", between=(0.0, 1.0))
    warmup_epochs: float = setting(1.0, "Epochs of linear warm-up from near zero.", between=(0.0, 1000.0))
    max_lr: float = setting(0.01, "The peak learning rate of the cycle.", between=(1e-7, 10.0))
    pct_start: float = setting(0.3, "Share of training spent raising the learning rate.", between=(0.01, 0.99))
    cycle_epochs: float = setting(2.0, "Epochs to go from the base learning rate up to max_lr.", between=(0.1, 1000.0))
    plateau_factor: float = setting(0.1, "Multiply the learning rate by this when validation stalls.",
                                    between=(1e-4, 0.99))
    plateau_patience: int = setting(5, "Epochs without improvement before reducing the learning rate.",
                                    between=(0, 1000))


@dataclass(frozen=True)
class TrainingConfig(Section):
    """The loop: how long, in what batches, on which device, and when to stop."""

    epochs: int = setting(20, "Passes over the training data.", between=(1, 10_000))
    batch_size: int = setting(32, "Proteins per gradient step.", between=(1, 65_536))
    seed: int = setting(0, "Seed for weights, shuffling and dropout: the same seed gives the same run.",
                        between=(0, 2**31 - 1))
    device: str = setting("auto", "Where to train: the best available (CUDA, then Apple MPS, then CPU) or a "
                          "named one.", choices=("auto", "cpu", "cuda", "mps"))
    precision: str = setting("fp32", "Mixed precision on CUDA (bf16, or fp16 with loss scaling); CPU uses fp32.",
                             choices=("fp32", "bf16", "fp16"))
    early_stopping: bool = setting(False, "Stop when the monitored metric stops improving, and keep the best "
                                   "epoch's weights.")
    patience: int = setting(10, "Early stopping: epochs without improvement before stopping.", between=(1, 10_000))
    restore_best: bool = setting(True, "Finish with the weights of the best validation epoch, not the last one.")
    monitor: str = setting("val_loss", "The metric that picks the best epoch, e.g. val_loss, val_mcc, val_r2.")
    grad_clip: float = setting(0.0, "Clip gradients to this size (0: off).", between=(0.0, 1e6))
    clip_mode: str = setting("norm", "Clip the global gradient norm, or each gradient value.",
                             choices=("norm", "value"))
    accumulation: int = setting(1, "Add up gradients of this many batches before each update.", between=(1, 1024))
    l1: float = setting(0.0, "L1 penalty on the weights, added to the loss (pushes weights to exactly 0).",
                        between=(0.0, 1.0))
    length_bucketing: bool = setting(True, "Batch proteins of similar length together, so less padding is "
                                     "computed (results do not change).")
    validate_every: int = setting(0, "Also validate every this many batches, for a validation curve within long "
                                  "epochs (0: at each epoch's end only).", between=(0, 10_000_000))
    max_batches: int = setting(0, "Stop each epoch after this many batches (0: all); for quick checks.",
                               between=(0, 10_000_000))

    def check(self):
        if not (self.monitor == "val_loss" or self.monitor.startswith("val_")):
            raise ProtScopeError(f"training.monitor is '{self.monitor}'",
                                 fix="monitor a validation metric such as val_loss, val_accuracy or val_r2")

    @classmethod
    def smoke(cls) -> TrainingConfig:
        """A tiny run for tests and quick checks: one epoch, two batches."""
        return cls(epochs=1, batch_size=8, max_batches=2)


SECTIONS = {"data": DataConfig, "encoding": EncodingConfig, "model": ModelConfig, "loss": LossConfig,
            "optimizer": OptimizerConfig, "scheduler": SchedulerConfig, "training": TrainingConfig}


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines a run. Frozen: change it with `replace` or `with_values`."""

    data: DataConfig = field(default_factory=DataConfig)
    encoding: EncodingConfig = field(default_factory=EncodingConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def __post_init__(self):
        if self.data.task != "auto":
            check_combination(self, self.data.task)

    def to_dict(self) -> dict:
        return {name: getattr(self, name).to_dict() for name in SECTIONS}

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, values: dict) -> RunConfig:
        unknown = [k for k in values if k not in SECTIONS]
        if unknown:
            raise ProtScopeError(f"unknown config section '{unknown[0]}'",
                                 fix=f"sections are: {', '.join(SECTIONS)}")
        return cls(**{name: SECTIONS[name].from_dict(values.get(name)) for name in SECTIONS})

    @classmethod
    def from_json(cls, text: str) -> RunConfig:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProtScopeError(f"the config is not valid JSON ({exc.msg})", where=f"line {exc.lineno}",
                                 fix="check the file's brackets, quotes and commas") from None
        if not isinstance(values, dict):
            raise ProtScopeError("the config must be a JSON object of sections", fix="see a saved config.json")
        return cls.from_dict(values)

    def flat(self) -> dict:
        """Every setting by its flat name (a choice by its section's name), as `with_values` takes them."""
        return {section if f.name == "name" else f.name: getattr(getattr(self, section), f.name)
                for section, cls in SECTIONS.items() for f in fields(cls)}

    def replace(self, **sections) -> RunConfig:
        return RunConfig(**{**{n: getattr(self, n) for n in SECTIONS}, **sections})

    def with_values(self, **values) -> RunConfig:
        """Set fields by their (unique) name, e.g. with_values(lr=0.01, model="cnn", epochs=3).

        A section's `name` field is set by the section's name: model="cnn", optimizer="sgd".
        """
        changes: dict[str, dict] = {}
        for key, value in values.items():
            section, field_name = locate(key)
            changes.setdefault(section, {})[field_name] = value
        sections = {}
        for section, updates in changes.items():
            merged = {**getattr(self, section).to_dict(), **updates}
            sections[section] = SECTIONS[section].from_dict(merged)
        return self.replace(**sections)

    def resolve(self, task: str) -> RunConfig:
        """The config with the data's task filled in, checked for combinations that cannot work."""
        config = self.replace(data=self.data.replace(task=task)) if self.data.task == "auto" else self
        check_combination(config, task)
        return config


def locate(key: str) -> tuple[str, str]:
    """Which section a flat field name belongs to: 'lr' -> ('optimizer', 'lr')."""
    if key in SECTIONS and "name" in {f.name for f in fields(SECTIONS[key])}:
        return key, "name"
    for section, cls in SECTIONS.items():
        if key in {f.name for f in fields(cls)} and key != "name":
            return section, key
    import difflib

    names = [f.name for cls in SECTIONS.values() for f in fields(cls) if f.name != "name"] + list(SECTIONS)
    hint = difflib.get_close_matches(key, names, n=1)
    raise ProtScopeError(f"unknown setting '{key}'", fix=f"did you mean '{hint[0]}'?" if hint else
                         "see `python -m core train --help`")


def check_combination(config: RunConfig, task: str) -> None:
    """Refuse settings that cannot work together for this task, saying what to change."""
    from core.encodings import ENCODINGS
    from core.models import MODELS

    enc = ENCODINGS[config.encoding.name]
    model = MODELS[config.model.name]
    loss = config.loss.name
    residue = task == "residue"
    if not model.accepts(enc):
        raise ProtScopeError(f"the {model.title} cannot read the '{config.encoding.name}' encoding",
                             fix=f"choose one of these encodings: {', '.join(model.encoding_names())}")
    if residue and not model.per_residue(enc.level):
        raise ProtScopeError(f"the {model.title} with the '{config.encoding.name}' encoding makes one prediction "
                             "per protein, but this task needs one per residue",
                             fix="use a per-residue encoding (onehot, window, blosum62) or a CNN, RNN or "
                                 "Transformer")
    if not residue and model.residue_only:
        raise ProtScopeError(f"the {model.title} predicts one label per residue, but this task is '{task}'",
                             fix="choose an MLP, CNN, RNN or Transformer for per-protein tasks")
    if task == "regression" and loss in CLASSIFICATION_LOSSES:
        raise ProtScopeError(f"loss '{loss}' is for classification, but this task is regression",
                             fix="use mse, l1 or huber (or auto)")
    if task != "regression" and loss in REGRESSION_LOSSES:
        raise ProtScopeError(f"loss '{loss}' is for regression, but this task is {task}",
                             fix="use ce, focal or auto" + (" (or bce)" if task == "binary" else ""))
    if loss == "bce" and task != "binary":
        raise ProtScopeError(f"BCE is for binary tasks with one output, but this task is {task}",
                             fix="use cross-entropy (ce) or focal for more than two classes")
