"""Everything a run needs before its first step, built from the config and the data.

Shared by the trainer and the sanity checks (overfit one batch, LR range test), so each of them
trains exactly the model, loss and optimizer the config describes.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import torch

from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split
from protscope.device import resolve_device, resolve_precision
from protscope.modeling.encodings import ENCODINGS
from protscope.modeling.init import apply_init, init_activation
from protscope.modeling.losses import check_targets, make_loss, output_size, with_loss_head
from protscope.modeling.models import MODELS, ModelDims, build_model
from protscope.modeling.optim import OPTIMIZERS, make_optimizer
from protscope.train.batches import DeviceData, to_device

# PyTorch's default weight initialisation draws from torch's global generator; runs start one at a
# time under this lock so that each run's initial weights depend only on its seed. Any other
# `init` draws again from the run's own generator (protscope.modeling.init).
_INIT_LOCK = threading.Lock()


@dataclass
class Prepared:
    config: RunConfig
    device: torch.device
    amp_dtype: torch.dtype | None
    dd: DeviceData
    dims: ModelDims
    model: torch.nn.Module
    loss_fn: object
    optimizer: torch.optim.Optimizer
    generator: torch.Generator  # weight initialisation (other than default), then dropout
    rng: np.random.Generator  # batch order
    rows: dict[str, np.ndarray]  # train, val, test
    notes: list[str] = field(default_factory=list)

    @property
    def params(self) -> list[torch.nn.Parameter]:
        if not hasattr(self, "_params"):
            self._params = [w for w in self.model.parameters() if w.requires_grad]
        return self._params

    @property
    def tokens_only(self) -> bool:
        """Batches bring tokens, not the encoding: the model encodes them itself (a window network, faster)."""
        return bool(getattr(self.model, "reads_window_tokens", False))

    @property
    def l2_in_loss(self) -> float:
        """Weight decay added to the loss for optimizers without their own (Rprop)."""
        native = OPTIMIZERS[self.config.optimizer.name].native_weight_decay
        return 0.0 if native else self.config.optimizer.weight_decay


def model_dims(config: RunConfig, data: ProteinData) -> ModelDims:
    enc = ENCODINGS[config.encoding.name]
    n_classes = len(data.classes)
    return ModelDims(in_features=enc.width(config.encoding),
                     out_features=output_size(config.loss, data.task, n_classes),
                     level=enc.level, per_residue=data.task == "residue", seq_len=data.width,
                     standardize=enc.level == "sequence" and config.encoding.standardize,
                     window=config.encoding.window if enc.name == "window" else 0)


def train_labels(data: ProteinData, rows: np.ndarray) -> np.ndarray | None:
    if data.task == "residue":
        return data.residue_y[rows][data.residue_mask[rows]].astype(np.int64)
    return None if data.task == "regression" else data.y[rows]


def training_features(dd: DeviceData, rows: np.ndarray, encoding_cfg) -> torch.Tensor:
    """(N_train, F) per-protein features of the training rows (precomputed, or made in chunks)."""
    index = torch.as_tensor(rows, device=dd.tokens.device)
    if dd.features is not None:
        return dd.features[index]
    fn = ENCODINGS[encoding_cfg.name].fn
    return torch.cat([fn(dd.tokens[index[s:s + 4096]], dd.lengths[index[s:s + 4096]], encoding_cfg)
                      for s in range(0, len(rows), 4096)])


def prepare(config: RunConfig, data: ProteinData, split: Split) -> Prepared:
    config = config.resolve(data.task)
    t = config.training
    device = resolve_device(t.device)
    amp_dtype, note = resolve_precision(t.precision, device, MODELS[config.model.name].cpu_bf16)
    rows = {name: split.index(name) for name in ("train", "val", "test")}
    dims = model_dims(config, data)
    generator = torch.Generator(device=device)
    generator.manual_seed(t.seed)
    check_targets(config.loss, data.task, data.y)
    with _INIT_LOCK:
        torch.manual_seed(t.seed)
        model = with_loss_head(build_model(config.model, dims, generator), config.loss, data.task).to(device)
    apply_init(model, config.model.init, config.model.init_std, init_activation(config.model), generator)
    loss_fn = make_loss(config.loss, data.task, len(data.classes), train_labels(data, rows["train"]), device)
    dd = to_device(data, device, config.encoding)
    if dims.standardize:
        model.scale.fit(training_features(dd, rows["train"], config.encoding))
    return Prepared(config=config, device=device, amp_dtype=amp_dtype, dd=dd,
                    dims=dims, model=model, loss_fn=loss_fn, optimizer=make_optimizer(model, config.optimizer),
                    generator=generator, rng=np.random.default_rng(t.seed), rows=rows,
                    notes=[note] if note else [])
