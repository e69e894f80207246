"""How the trainer judges its epochs and words a run's end: the best epoch so far, a loss or gradient gone
NaN (a halt with advice), the monitored metric, and the message of a run that failed."""
from __future__ import annotations

import math

import torch

from protscope.config.run_config import RunConfig
from protscope.errors import ProtScopeError
from protscope.status import Status
from protscope.train.prepare import Prepared


class Halt(Exception):
    """Ends the epoch loop early: the user stopped, or training diverged."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason, self.message = reason, message


class BestEpoch:
    """The best epoch so far by the monitored value, with a copy of its weights.

    NaN (an undefined metric, e.g. MCC while the model predicts one class) never counts as best
    once a real value has been seen, and any real value beats NaN.
    """

    def __init__(self, mode: str):
        self.mode, self.value, self.epoch, self.state, self.waited = mode, float("nan"), 0, None, 0
        self.predictions = None  # the validation predictions of the best epoch's weights

    def update(self, value: float, epoch: int, model: torch.nn.Module, predictions=None) -> None:
        if self.improves(value):
            self.value, self.epoch, self.waited = value, epoch, 0
            self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.predictions = predictions
        else:
            self.waited += 1

    def improves(self, value: float) -> bool:
        if math.isnan(value):
            return self.state is None
        if math.isnan(self.value):
            return True
        return value > self.value if self.mode == "max" else value < self.value


def check_finite(loss: float, norms, scaler, epoch: int, batch: int, p: Prepared) -> None:
    """Raise Halt('diverged') with advice when the loss or (unscaled) gradients are NaN or infinite."""
    bad_grad = scaler is None and norms and not bool(torch.isfinite(torch.stack(norms[-50:])).all())
    if math.isfinite(loss) and not bad_grad:
        return
    what = "loss" if not math.isfinite(loss) else "gradient"
    raise Halt(Status.DIVERGED, f"the {what} became {'NaN' if math.isnan(loss) else 'infinite'} at epoch {epoch} "
                f"(batch {batch}): training diverged. The learning rate ({p.config.optimizer.lr:g}) is probably "
                "too high: try 10 times lower, or add gradient clipping (grad_clip 1.0).")


def monitored(metrics: dict, monitor: str) -> float:
    if monitor not in metrics:
        raise ProtScopeError(f"training.monitor '{monitor}' is not a metric of this task",
                             fix=f"choose val_loss or one of: {', '.join(sorted(metrics))}")
    return metrics[monitor]


def prefixed(prefix: str, metrics: dict) -> dict:
    return {f"{prefix}_{k}": v for k, v in metrics.items()}


def failure_message(exc: Exception, config: RunConfig) -> str:
    if isinstance(exc, ProtScopeError):
        return str(exc)
    if isinstance(exc, torch.OutOfMemoryError):
        return (f"the device ran out of memory (batch size {config.training.batch_size}). Try a smaller batch size, "
                "a smaller model, or a lower max_length.")
    return f"training failed with {type(exc).__name__}: {exc}. The epochs so far are kept."

