"""What the sanity checks share: one training step as the trainer takes it, batches, smoothing,
and the losses a model scores without learning anything (the yardsticks every verdict uses).

Not a trainer: no epochs, no validation, no events. See protscope/checks/sanity.py and protscope/checks/lr_finder.py.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import torch

from protscope.data.dataset import ProteinData
from protscope.errors import ProtScopeError
from protscope.modeling.losses import loss_name
from protscope.train.batches import Batch, batch_indices, make_batch, select
from protscope.train.inference import autocast
from protscope.train.prepare import Prepared
from protscope.train.step import apply_update, regularisation

# The EMA's time constant, 1 / (1 - beta), as a share of the curve's steps. fastai's beta = 0.98 over
# 100 steps has a time constant of 50 steps, half the sweep: the smoothed curve trails the raw one by
# half the range of learning rates (4 of the 8 decades from 1e-7 to 10). 5% (5 of 100 steps, beta
# 0.8) trails by 0.4 decade, which the suggestion then corrects (ema_delay), still divides the noise
# variance by 9 ((1 + beta) / (1 - beta)), and keeps the same lag in decades for any number of steps.
SMOOTH_SPAN = 0.05
Progress = Callable[[float], None] | None


def smoothing_beta(steps: int) -> float:
    return 1.0 - 1.0 / max(2.0, SMOOTH_SPAN * steps)


def smooth(values, beta: float) -> np.ndarray:
    """Bias-corrected exponential moving average (as in Adam and fastai): step i averages the raw
    values with weights beta**age, divided by the weights' sum so early steps are not pulled to 0."""
    out, average = np.empty(len(values)), 0.0
    for i, value in enumerate(values):
        average = beta * average + (1 - beta) * value
        out[i] = average / (1 - beta ** (i + 1))
    return out


def ema_delay(beta: float) -> int:
    """Steps the EMA lags behind the raw curve: the mean age of its weights, beta / (1 - beta)."""
    return round(beta / (1 - beta))


def noise_sd(raw) -> float:
    """SD of the batch-to-batch noise of raw losses. Consecutive differences remove the trend (their
    SD is sqrt(2) x the noise); differences beyond 4 robust SDs (MAD) are clipped there, so one
    blown-up batch does not hide a descent, while heavy-tailed noise still counts: the EMA feels it."""
    raw = np.asarray(raw, dtype=float)
    diffs = np.diff(raw[np.isfinite(raw)])
    if diffs.size < 3:
        return float("nan")
    centred = diffs - np.median(diffs)
    mad_sd = 1.4826 * np.median(np.abs(centred))
    return float(np.sqrt(np.mean(np.clip(centred, -4 * mad_sd, 4 * mad_sd) ** 2) / 2))


def check_steps(steps, least: int = 1) -> None:
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < least:
        raise ProtScopeError(f"steps is {steps!r}", fix=f"give a whole number of steps, at least {least}")


def report(progress: Progress, fraction: float) -> None:
    if progress is not None:
        progress(min(max(float(fraction), 0.0), 1.0))


# --- batches and steps --------------------------------------------------------------------------

def new_batches(p: Prepared, data: ProteinData) -> Iterator[Batch]:
    """Training batches in the run's order (its seed and length bucketing), reshuffled after each pass."""
    t = p.config.training
    while True:
        for rows in batch_indices(data.lengths, p.rows["train"], t.batch_size, p.rng, t.length_bucketing):
            yield make_batch(p.dd, rows, p.config.encoding)


def typical_batch(p: Prepared, data: ProteinData) -> Batch:
    """One full training batch of proteins of typical length. A batch is padded to its longest
    protein: a random 32 from eSOL pads to ~1,000 residues, the median length-bucketed one to ~320,
    so fitting it takes a third of the time and tests the same thing."""
    order = batch_indices(data.lengths, p.rows["train"], p.config.training.batch_size, p.rng, True)
    full = [rows for rows in order if len(rows) == max(map(len, order))]
    widths = [int(data.lengths[rows].max()) for rows in full]
    return make_batch(p.dd, full[int(np.argsort(widths, kind="stable")[len(widths) // 2])], p.config.encoding)


def train_step(p: Prepared, batch: Batch, scaler=None) -> float:
    """One update exactly as the trainer makes it (precision, L1/L2 penalty, clipping); returns the
    batch's loss before the update, without the penalty."""
    t = p.config.training
    with autocast(p.device, p.amp_dtype):
        chosen, target = select(p.model(batch.x, batch.mask), batch)
        loss = p.loss_fn(chosen, target)
    penalty = regularisation([w for w in p.params if w.ndim > 1], t.l1, p.l2_in_loss)
    total = loss if penalty is None else loss + penalty
    (scaler.scale(total) if scaler else total).backward()
    apply_update(p, scaler, measure=False)
    return float(loss.detach())


def grad_scaler(p: Prepared):
    return torch.amp.GradScaler("cuda") if p.amp_dtype == torch.float16 else None


@torch.no_grad()
def outputs_of(p: Prepared, batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits (N, out) and targets (N,) of the scored predictions, in eval mode (no dropout)."""
    was_training = p.model.training
    p.model.eval()
    with autocast(p.device, p.amp_dtype):
        chosen, target = select(p.model(batch.x, batch.mask), batch)
    p.model.train(was_training)
    return chosen.float(), target


# --- yardsticks ---------------------------------------------------------------------------------

@torch.no_grad()
def loss_of(p: Prepared, outputs: torch.Tensor, target: torch.Tensor) -> float:
    return float(p.loss_fn(outputs, target))


def zero_outputs(outputs: torch.Tensor) -> torch.Tensor:
    """All-zero logits: a uniform guess over the classes (or predicting 0 for regression)."""
    return torch.zeros_like(outputs)


def mean_outputs(p: Prepared, outputs: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Regression: predict the targets' mean (the median for L1, which that loss rewards)."""
    y = target.float()
    centre = y.median() if loss_name(p.config.loss, "regression") == "l1" else y.mean()
    return torch.full_like(outputs, float(centre))


def chance_loss(p: Prepared, outputs: torch.Tensor, target: torch.Tensor) -> float:
    """The configured loss of a prediction that ignores the sequence: a uniform guess over the
    classes (ln k for cross-entropy, with any class weights, smoothing or focusing; ln 2 per label for
    multi-label BCE, more with pos_weight), or for regression the targets' mean (their variance, with MSE)."""
    if p.config.data.task == "regression":
        return loss_of(p, mean_outputs(p, outputs, target), target)
    return loss_of(p, zero_outputs(outputs), target)


def floor_loss(p: Prepared, outputs: torch.Tensor, target: torch.Tensor) -> float:
    """The lowest loss a perfect fit can score: 0, except with label smoothing, whose smoothed
    targets a confident prediction cannot match (e.g. 0.20 for two classes at smoothing 0.1)."""
    if p.config.data.task == "regression":
        return 0.0
    if p.config.data.task == "multilabel":  # a logit per label (N, L), like the targets: +-30 is certainty
        return loss_of(p, target.float() * 60 - 30, target)
    if outputs.shape[-1] == 1:  # one logit (BCE, binary focal): +-30 is certainty to float precision
        return loss_of(p, (target.float() * 60 - 30).unsqueeze(-1), target)
    k = outputs.shape[-1]
    eps = p.config.loss.label_smoothing if loss_name(p.config.loss, p.config.data.task) == "ce" else 0.0
    ideal = torch.nn.functional.one_hot(target.long(), k).float() * (1 - eps) + eps / k
    return loss_of(p, ideal.clamp_min(1e-13).log(), target)


def fit_of(task: str, outputs: torch.Tensor, target: torch.Tensor) -> float:
    """Share of the predictions that are right (classification; multi-label: of the (protein, label)
    decisions, 1 - Hamming loss) or R² (regression)."""
    if task == "multilabel":
        return float(((outputs > 0).float() == target.float()).float().mean())
    if task == "regression":
        y, f = target.float(), outputs.squeeze(-1).float()
        total = float(((y - y.mean()) ** 2).sum())
        return 1.0 - float(((y - f) ** 2).sum()) / total if total > 0 else float("nan")
    guess = (outputs.squeeze(-1) > 0).long() if outputs.shape[-1] == 1 else outputs.argmax(-1)
    return float((guess == target.long()).float().mean())
