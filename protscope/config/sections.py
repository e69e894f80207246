"""The seven frozen, validated sections a run's config is made of: data, encoding, model, loss,
optimizer, scheduler and training (protscope.config.run_config puts them together).

Which fields matter for the chosen model, loss, optimizer... is not declared here but by the
registries of those choices (see protscope.config.relevance.relevant_fields). DataConfig's fields
carry a group (`DATA_GROUPS`) that says what changing them changes; the dashboard's lists come from it.
"""
from __future__ import annotations

from dataclasses import dataclass

from protscope.config.setting import Section, setting
from protscope.errors import ProtScopeError

TASKS = ("binary", "multiclass", "multilabel", "regression", "residue")


SPLIT_METHODS = ("auto", "random", "file", "homology")


@dataclass(frozen=True)
class DataConfig(Section):
    """Which data to load, how to read it, and how to split it into train, val and test."""

    # Each field's group says what changing it changes: `source` the file, `columns` which of its columns
    # are read, `reading` how the rows become the dataset, `split` only the split. The dashboard's lists of
    # fields come from these (DataConfig.fields_in), never from a list kept by hand.
    GROUPS = ("source", "columns", "reading", "split")

    dataset: str = setting("", "A built-in dataset (see `python -m protscope datasets`); empty when a file is used.",
                           group="source")
    path: str = setting("", "A CSV, TSV or FASTA file (optionally .gz).", group="source")
    sha256: str = setting("", "The SHA-256 of the file's content, checked when it is read (empty: not checked); "
                          "a dashboard upload's config names its file and this hash.", group="source")
    label_path: str = setting("", "A label CSV joined on id, for a FASTA file without labels in its headers.",
                              group="source")
    label_sha256: str = setting("", "The SHA-256 of the label CSV's content (empty: not checked).", group="source")
    id_col: str = setting("", "Column with protein ids (empty: detect).", group="columns")
    sequence_col: str = setting("", "Column with amino-acid sequences (empty: detect).", group="columns")
    label_col: str = setting("", "Column with the label or value to predict (empty: detect).", group="columns")
    label_cols: str = setting("", "Multi-label: the 0/1 label columns, comma-separated (e.g. membrane,enzyme); "
                              "each is one label a protein may or may not carry (empty: one label column).",
                              group="columns")
    residue_label_col: str = setting("", "Column with one label letter per residue (empty: detect).", group="columns")
    mask_col: str = setting("", "Column of 1/0 per residue: 0 residues are not scored (empty: detect).",
                            group="columns")
    split_col: str = setting("", "Column with train / val / test (empty: detect).", group="columns")
    task: str = setting("auto", "What to predict: detected from the labels, or set explicitly.",
                        choices=("auto", *TASKS), group="reading")
    binarize_at: float | None = setting(None, "Turn a numeric label into a binary one: 1 when the value is at "
                                        "least this.", group="reading")
    unknown_residues: str = setting("map", "X B Z J U O * - . in sequences: read them as unknown X, or refuse "
                                    "the file.", choices=("map", "reject"), group="reading")
    max_length: int = setting(2000, "Longest sequence kept as is; longer ones follow `long_sequences`.",
                              between=(1, 100_000), group="reading")
    long_sequences: str = setting("truncate", "What to do with sequences over max_length.",
                                  choices=("truncate", "drop", "reject"), group="reading")
    max_rows: int = setting(1_000_000, "Refuse files with more rows than this.", between=(1, 10_000_000),
                            group="reading")
    positive_share: float | None = setting(None, "Binary tasks: subsample to this share of positives (class 1), "
                                           "keeping every protein of the short class; e.g. 0.9 for a lesson on "
                                           "imbalance (empty: as the file is).", between=(0.01, 0.99),
                                           group="reading")
    drop_split_overlap: bool = setting(False, "Drop train/val rows whose sequence also occurs in the test split.",
                                       group="reading")
    split: str = setting("auto", "How to split: the file's own split if it has one (auto), stratified random, "
                         "the file's split, or homology-aware clusters (MMseqs2).", choices=SPLIT_METHODS,
                         group="split")
    val_fraction: float = setting(0.1, "Share of proteins held out for validation.", between=(0.01, 0.5), group="split")
    test_fraction: float = setting(0.1, "Share of proteins held out for the final test.", between=(0.01, 0.5),
                                   group="split")
    identity: float = setting(0.3, "Homology split: proteins at least this identical share a cluster.",
                              between=(0.1, 1.0), group="split")
    split_seed: int = setting(0, "Seed of the random or homology split.", between=(0, 2**31 - 1), group="split")

    def check(self):
        if self.val_fraction + self.test_fraction > 0.8:
            raise ProtScopeError("val_fraction + test_fraction leaves less than 20% for training",
                                 fix="lower the validation or test fraction")
        if self.binarize_at is not None and self.task not in ("auto", "binary"):
            raise ProtScopeError(f"binarize_at makes a binary task, but task is '{self.task}'",
                                 fix="set task to binary or auto, or clear binarize_at")
        if self.label_cols and self.task not in ("auto", "multilabel"):
            raise ProtScopeError(f"label_cols names multi-label columns, but task is '{self.task}'",
                                 fix="set task to multilabel or auto, or clear label_cols")
        if self.label_cols and self.label_col:
            raise ProtScopeError(f"both label_col ('{self.label_col}') and label_cols ('{self.label_cols}') are set",
                                 fix="clear label_col to train on the label_cols together, or clear label_cols")


def _encoding_names():
    from protscope.modeling.encodings import ENCODINGS  # late import: encodings imports torch

    return tuple(ENCODINGS)


@dataclass(frozen=True)
class EncodingConfig(Section):
    """How tokens become model inputs; see protscope.modeling.encodings.ENCODINGS for the choices."""

    name: str = setting("onehot", "How each protein becomes numbers for the model.", choices=_encoding_names)
    window: int = setting(6, "Residues on each side of the centre (w = 6 gives 13 positions).", between=(0, 25))
    k: int = setting(3, "Length of the k-mers counted.", between=(1, 3))
    standardize: bool = setting(True, "Rescale each per-protein feature to mean 0 and sd 1 on the training set.")


ACTIVATIONS = ("relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid")


CLASSIFICATION_LOSSES = ("bce", "ce", "focal", "harmonic")


REGRESSION_LOSSES = ("mse", "l1", "huber", "msle")


def _names(module: str, registry: str):
    def names():
        import importlib

        return tuple(getattr(importlib.import_module(module), registry))
    return names


@dataclass(frozen=True)
class ModelConfig(Section):
    """The architecture and its size."""

    name: str = setting("mlp", "The network architecture.", choices=_names("protscope.modeling.models", "MODELS"))
    hidden: tuple[int, ...] = setting((128,), "Hidden layer sizes, e.g. 256,64 for two layers.", between=(1, 4096))
    activation: str = setting("relu", "The nonlinearity after each hidden layer.", choices=ACTIVATIONS)
    activations: tuple[str, ...] = setting((), "MLP: one nonlinearity per hidden layer, e.g. relu,tanh,sigmoid for "
                                           "three layers; one name: that one for every layer; empty: activation.")
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
    init: str = setting("default", "How the weights start before training (every bias starts at 0 except with "
                        "default).", choices=_names("protscope.modeling.init", "INITIALISERS"))
    init_std: float = setting(0.02, "The normal initialisation's standard deviation.", between=(1e-6, 10.0))

    def check(self):
        if self.name == "transformer" and self.d_model % self.heads:
            raise ProtScopeError(f"d_model {self.d_model} is not divisible by heads {self.heads}",
                                 fix="choose heads that divide d_model, e.g. 4 for 64")
        unknown = [name for name in self.activations if name not in ACTIVATIONS]
        if unknown:
            raise ProtScopeError(f"model.activations has '{unknown[0]}'",
                                 fix=f"use names from: {', '.join(ACTIVATIONS)}")
        if len(self.activations) > 1 and len(self.activations) != len(self.hidden) and self._reads("activations"):
            raise ProtScopeError(f"model.activations names {len(self.activations)} activations for "
                                 f"{len(self.hidden)} hidden layer{'s' * (len(self.hidden) != 1)} (hidden "
                                 f"{','.join(map(str, self.hidden))})",
                                 fix=f"give one activation per hidden layer ({len(self.hidden)}), one for all of "
                                     "them, or leave activations empty to use activation")
        if self.name == "cnn" and self.kernel_size % 2 == 0:
            raise ProtScopeError(f"kernel_size {self.kernel_size} is even",
                                 fix="use an odd kernel size so each residue sits at the centre")

    def _reads(self, field_name: str) -> bool:
        from protscope.modeling.models import MODELS  # late import: the registry imports torch

        return field_name in MODELS[self.name].params


@dataclass(frozen=True)
class LossConfig(Section):
    """What the model is trained to minimise."""

    name: str = setting("auto", "auto picks MSE for regression, BCE for binary and cross-entropy otherwise.",
                        choices=("auto", *REGRESSION_LOSSES, *CLASSIFICATION_LOSSES))
    huber_delta: float = setting(1.0, "Errors smaller than this are squared, larger ones count linearly.",
                                 between=(1e-6, 1e6))
    class_weights: str = setting("none", "Weigh classes: none, balanced (inverse frequency in train), or one "
                                 "number per class, e.g. 1,3.")
    pos_weight: str = setting("none", "Multi-label BCE: weigh each label's positives: none, balanced (that label's "
                              "negatives / positives in train), or one number per label, e.g. 1,4,2.")
    label_smoothing: float = setting(0.0, "Spread this much of the target onto the other classes.", between=(0.0, 0.5))
    focal_gamma: float = setting(2.0, "Focal loss: how much easy examples are down-weighted.", between=(0.0, 10.0))
    focal_alpha: float | None = setting(None, "Focal loss (binary): weight of the positive class (empty: none).",
                                        between=(0.0, 1.0))
    harmonic_exponent: float = setting(0.0, "Harmonic loss: the exponent n in p_i = d_i^-n / sum_j d_j^-n (d_i: "
                                       "distance to class i's centre); larger n, sharper probabilities. 0: "
                                       "sqrt(D), D the width of the features the output layer reads.",
                                       between=(0.0, 1000.0))

    def check(self):
        for name, example in (("class_weights", "1,3"), ("pos_weight", "1,4,2")):
            text = getattr(self, name)
            if text in ("none", "balanced"):
                continue
            try:
                weights = [float(w) for w in text.split(",")]
            except ValueError:
                weights = []
            if not weights or min(weights) <= 0:
                raise ProtScopeError(f"loss.{name} is '{text}'",
                                     fix=f"use none, balanced, or positive numbers such as {example}")


@dataclass(frozen=True)
class OptimizerConfig(Section):
    """How the weights are updated from the gradients."""

    name: str = setting("adam", "The update rule.", choices=_names("protscope.modeling.optim", "OPTIMIZERS"))
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

    name: str = setting("none", "The learning-rate schedule.", choices=_names("protscope.modeling.optim", "SCHEDULERS"))
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
    warmup_steps: int = setting(1000, "Optimizer updates of linear warm-up, after which the learning rate stays "
                                "at lr.", between=(1, 10_000_000))
    warmup_start_lr: float = setting(1e-7, "The learning rate of the first update of the warm-up.",
                                     between=(0.0, 10.0))


@dataclass(frozen=True)
class TrainingConfig(Section):
    """The loop: how long, in what batches, on which device, and when to stop."""

    epochs: int = setting(20, "Passes over the training data.", between=(1, 10_000))
    batch_size: int = setting(32, "Proteins per gradient step.", between=(1, 65_536))
    seed: int = setting(0, "Seed for weights, shuffling and dropout: the same seed gives the same run.",
                        between=(0, 2**31 - 1))
    device: str = setting("auto", "Where to train: the best available (CUDA, then Apple MPS, then CPU) or a "
                          "named one.", choices=("auto", "cpu", "cuda", "mps"))
    precision: str = setting("fp32", "Arithmetic precision. auto: bf16 mixed precision where the hardware computes it "
                             "natively (a CUDA GPU with bf16, a CPU with AVX512-BF16 or AMX), else fp32; bf16 asks "
                             "for it (fp32 with a note where it is not native); fp16 with loss scaling, CUDA only.",
                             choices=("fp32", "auto", "bf16", "fp16"))
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
    layer_stats: bool = setting(True, "Record each layer's weights, gradients, updates and activations while "
                                "training (the layer health view).")
    layer_stats_every: int = setting(0, "Record layer statistics every this many optimizer steps (0: automatic, "
                                     "spaced so recording takes about 3 % of the training time).",
                                     between=(0, 1_000_000))
    learned: bool = setting(True, "Record at each epoch's end the first layer's filters and the features the output "
                            "layer reads for up to 500 validation proteins (per residue: up to 5,000 residues), for "
                            "the learned motifs and space views; about 1 % of an epoch.")

    def check(self):
        if not (self.monitor == "val_loss" or self.monitor.startswith("val_")):
            raise ProtScopeError(f"training.monitor is '{self.monitor}'",
                                 fix="monitor a validation metric such as val_loss, val_accuracy or val_r2")
