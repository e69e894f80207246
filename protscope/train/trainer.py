"""The training engine: one run, in a background thread, controlled cooperatively, publishing events.

    trainer = Trainer(config, data).start()    # returns at once; training runs in a thread
    trainer.snapshot()                          # consistent state, from any thread, at any time
    trainer.pause(); trainer.resume(); trainer.stop()
    result = trainer.wait()

The thread never touches a UI. Controls are checked before every batch. A NaN or infinite loss
or gradient ends the run as "diverged" with advice; an exception ends it as "failed" with its
message; either way the epochs so far are kept.
"""
from __future__ import annotations

import math
import secrets
import threading
import time
import traceback
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import torch

from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split, make_split
from protscope.device import release_free_memory
from protscope.evaluation.metrics import compute_metrics, higher_is_better
from protscope.modeling.layers import count_parameters
from protscope.modeling.losses import check_targets, check_weights, to_outputs
from protscope.modeling.optim import SCHEDULERS, make_scheduler
from protscope.run_folder import RunFolder
from protscope.status import Status
from protscope.train.batches import batch_indices, make_batch, select
from protscope.train.checkpoint import save_checkpoint
from protscope.train.events import (
    BatchProgress,
    EpochEnd,
    EventChannel,
    LayerRecord,
    RunFailed,
    RunFinished,
    RunStarted,
    StatusChanged,
    Validation,
)
from protscope.train.inference import Predictions, autocast, metrics_of, predict
from protscope.train.layer_stats import LayerStats
from protscope.train.learned import LearnedRecorder
from protscope.train.outcome import BestEpoch, Halt, check_finite, failure_message, monitored, prefixed
from protscope.train.prepare import Prepared, prepare
from protscope.train.step import apply_update, mean_loss, regularisation

# The gradient norm costs a pass over every gradient; it is measured every this many updates (and
# on each epoch's last). NaN gradients still surface at once: the next loss is NaN.
GRAD_NORM_EVERY = 10


@dataclass
class RunResult:
    run_id: str
    config: RunConfig
    status: str  # completed, early_stopped, stopped, diverged or failed
    message: str
    history: list[dict]
    best_epoch: int
    metrics: dict  # {"val": {...}, "test": {...}}
    checkpoint: str
    predictions: dict[str, Predictions] = field(default_factory=dict)


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + "-" + secrets.token_hex(3)


class Trainer:
    def __init__(self, config: RunConfig, data: ProteinData, split: Split | None = None,
                 run_dir: str | Path | None = None, run_id: str | None = None):
        self.config = config.resolve(data.task)  # refuses impossible combinations now, not in the thread
        check_targets(self.config.loss, data.task, data.y)  # and labels the loss cannot take (MSLE: below 0)
        check_weights(self.config.loss, data.task, len(data.classes))  # and weights that miss a class or label
        self.data = data
        self.split = split or make_split(data, self.config.data)
        self.run_id = run_id or new_run_id()
        self.run_dir = Path(run_dir) if run_dir else None
        self.events = EventChannel(self.run_id)
        self.result: RunResult | None = None
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread: threading.Thread | None = None
        self._paused_seconds = 0.0
        self._ended = threading.Event()  # set once `result` is in place, whichever thread ran it
        self._updates = 0  # optimizer updates so far, over all epochs
        self._layer_stats: LayerStats | None = None

    # --- controls (any thread) ----------------------------------------------------------------
    def start(self) -> Trainer:
        self._thread = threading.Thread(target=self.run, name=f"train-{self.run_id}", daemon=True)
        self._thread.start()
        return self

    def pause(self) -> None:
        if self._running.is_set() and not self.snapshot().done:
            self._running.clear()
            self.events.publish(StatusChanged(Status.PAUSED))

    def resume(self) -> None:
        if not self._running.is_set():
            self._running.set()
            self.events.publish(StatusChanged(Status.RUNNING))

    def stop(self) -> None:
        self._stop.set()
        self._running.set()

    def snapshot(self):
        return self.events.snapshot()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def ended(self) -> bool:
        """The run is over and `result` is set (the last event may be published a moment earlier)."""
        return self._ended.is_set()

    def wait(self, timeout: float | None = None) -> RunResult | None:
        self._ended.wait(timeout)
        return self.result

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> RunResult:
        """Train to the end in the calling thread (start() calls this in a new thread)."""
        epoch = [0]
        try:
            self.result = self._run(epoch)
        except Exception as exc:  # noqa: BLE001 - a failed run must end with a stated reason, whatever it was
            message = failure_message(exc, self.config)
            self.events.publish(RunFailed(message, f"{type(exc).__name__}: {exc}", traceback.format_exc(), epoch[0]))
            self.result = RunResult(self.run_id, self.config, Status.FAILED, message, self.snapshot().rows(), 0, {}, "")
        finally:
            self._ended.set()
        return self.result

    def _run(self, epoch_box: list) -> RunResult:
        p = prepare(self.config, self.data, self.split)
        t = p.config.training
        batches = len(batch_indices(self.data.lengths, p.rows["train"], t.batch_size, None, False))
        batches = min(batches, t.max_batches) if t.max_batches else batches
        updates = math.ceil(batches / t.accumulation)
        mode = "max" if higher_is_better(t.monitor) else "min"
        scheduler = make_scheduler(p.optimizer, p.config.scheduler, p.config.optimizer.lr, t.epochs, updates, mode)
        stepwise = scheduler is not None and not SCHEDULERS[p.config.scheduler.name].per_epoch
        scaler = torch.amp.GradScaler("cuda") if p.amp_dtype == torch.float16 else None
        self._save_config()
        if t.layer_stats:
            self._layer_stats = LayerStats(p.model, t.layer_stats_every)
        learned = LearnedRecorder(p, self.data) if t.learned else None
        self.events.publish(RunStarted(self.run_id, p.config.to_dict(), str(p.device), *(len(p.rows[s]) for s in
                                       ("train", "val", "test")), count_parameters(p.model), batches,
                                       tuple(p.notes)))
        began, best = time.time(), BestEpoch(mode)
        reason, message = Status.COMPLETED, f"trained all {t.epochs} epoch{'s' if t.epochs != 1 else ''}"
        try:
            for epoch in range(1, t.epochs + 1):
                epoch_box[0] = epoch
                start = time.perf_counter()
                paused_before = self._paused_seconds
                train_loss, train_metrics, norm, speed = self._train_epoch(p, epoch, batches, scheduler if stepwise
                                                                           else None, scaler)
                with learned.watching() if learned is not None else nullcontext():  # the learned space, no extra pass
                    val = predict(p.model, p.dd, p.rows["val"], p.config.encoding, self.data.task, split="val",
                                  loss_fn=p.loss_fn, amp_dtype=p.amp_dtype, after_batch=learned and learned.seen,
                                  tokens_only=p.tokens_only)
                val_metrics = metrics_of(val, self.data.task, self.data.classes)
                if learned is not None:  # before EpochEnd, so the recorder stores it with this epoch
                    self.events.publish(learned.record(epoch))
                value = val.loss if t.monitor == "val_loss" else monitored(prefixed("val", val_metrics), t.monitor)
                best.update(value, epoch, p.model, val)
                if scheduler is not None and not stepwise:
                    scheduler.step(value)
                seconds = time.perf_counter() - start - (self._paused_seconds - paused_before)
                elapsed = time.time() - began - self._paused_seconds
                self.events.publish(EpochEnd(
                    epoch, train_loss, val.loss, {**prefixed("train", train_metrics), **prefixed("val", val_metrics)},
                    p.optimizer.param_groups[0]["lr"], norm, speed, seconds, elapsed,
                    elapsed / epoch * (t.epochs - epoch), best.epoch))
                release_free_memory()
                if t.early_stopping and best.waited >= t.patience:
                    reason = Status.EARLY_STOPPED
                    message = (f"{t.monitor} did not improve for {t.patience} epochs; stopped at epoch {epoch}, "
                               f"best epoch {best.epoch}")
                    break
                if self._stop.is_set():
                    raise Halt(Status.STOPPED, f"stopped by the user after epoch {epoch}")
        except Halt as halt:
            reason, message = halt.reason, halt.message
        return self._finish(p, reason, message, best, began)

    def _train_epoch(self, p: Prepared, epoch: int, n_batches: int, scheduler, scaler):
        """One pass over the training rows; returns (loss, metrics, mean gradient norm, samples/s)."""
        t, model = p.config.training, p.model
        model.train()
        order = batch_indices(self.data.lengths, p.rows["train"], t.batch_size, p.rng, t.length_bucketing)
        order = order[:n_batches]
        # proteins per group of `accumulation` batches: the last group of an epoch may be smaller
        group_sizes = [sum(len(r) for r in order[g:g + t.accumulation]) for g in range(0, len(order), t.accumulation)]
        weights = [w for w in model.parameters() if w.ndim > 1]
        losses, counts, norms, outputs, targets = [], [], [], [], []
        start = last_report = time.perf_counter()
        paused_before = self._paused_seconds  # speeds count training time only, not pauses
        reported = 0  # batches already in a progress report
        for i, rows in enumerate(order, start=1):
            self._controls()
            batch = make_batch(p.dd, rows, p.config.encoding, p.tokens_only)
            updating = i % t.accumulation == 0 or i == len(order)
            stats = self._layer_stats if updating and self._layer_stats is not None and \
                self._layer_stats.due(self._updates + 1, i == len(order)) else None
            with autocast(p.device, p.amp_dtype), stats.watching(batch.mask) if stats else nullcontext():
                chosen, target = select(model(batch.x, batch.mask), batch)
                loss = p.loss_fn(chosen, target)
            penalty = regularisation(weights, t.l1, p.l2_in_loss)
            total = loss + penalty if penalty is not None else loss
            if t.accumulation > 1:  # this batch's share of its group, so the group's update is the big batch's
                total = total * (len(rows) / group_sizes[(i - 1) // t.accumulation])
            (scaler.scale(total) if scaler else total).backward()
            if updating:
                update = i // t.accumulation
                lr = p.optimizer.param_groups[0]["lr"]
                norm = apply_update(p, scaler, measure=update % GRAD_NORM_EVERY == 0 or i == len(order), stats=stats)
                self._updates += 1
                if norm is not None:
                    norms.append(norm)
                if stats is not None:
                    self._publish_layer_record(stats, epoch - 1 + i / len(order), lr)
                if scheduler is not None:
                    scheduler.step()
            losses.append(loss.detach())
            counts.append(target.numel())
            outputs.append(chosen.detach())
            targets.append(target)
            now = time.perf_counter()
            if now - last_report >= self.events.progress_interval or i == len(order):
                last_report = now
                current = mean_loss(losses, counts)
                check_finite(current, norms, scaler, epoch, i, p)
                recent = mean_loss(losses[reported:], counts[reported:])
                reported = i
                busy = max(now - start - (self._paused_seconds - paused_before), 1e-9)
                self.events.publish(BatchProgress(epoch, i, len(order), current, len(rows) * i / busy, recent))
            if t.validate_every and i % t.validate_every == 0 and i < len(order):
                self._validate_midway(p, epoch - 1 + i / len(order))
        epoch_loss = mean_loss(losses, counts)
        check_finite(epoch_loss, norms, scaler, epoch, len(order), p)
        proteins = sum(len(r) for r in order)
        speed = proteins / max(time.perf_counter() - start - (self._paused_seconds - paused_before), 1e-9)
        probs = to_outputs(torch.cat(outputs), self.data.task).cpu().numpy()
        metrics = compute_metrics(self.data.task, torch.cat(targets).cpu().numpy(), probs, self.data.classes)
        norm = float(torch.stack(norms).float().mean()) if norms else float("nan")
        return epoch_loss, metrics, norm, speed

    def _validate_midway(self, p: Prepared, position: float) -> None:
        val = predict(p.model, p.dd, p.rows["val"], p.config.encoding, self.data.task, split="val",
                      loss_fn=p.loss_fn, amp_dtype=p.amp_dtype, tokens_only=p.tokens_only)  # restores train mode
        self.events.publish(Validation(position, val.loss,
                                       prefixed("val", metrics_of(val, self.data.task, self.data.classes))))

    def _publish_layer_record(self, stats: LayerStats, position: float, lr: float) -> None:
        kept = len(self.snapshot().layer_records)
        self.events.publish(LayerRecord(tuple(stats.layers()), stats.finish(self._updates, position, lr)))
        if len(self.snapshot().layer_records) <= kept:  # the channel dropped every other record
            stats.thin()

    def _controls(self) -> None:
        if not self._running.is_set():
            paused = time.perf_counter()
            self._running.wait()
            self._paused_seconds += time.perf_counter() - paused
        if self._stop.is_set():
            raise Halt(Status.STOPPED, "stopped by the user during an epoch")

    def _finish(self, p: Prepared, reason, message, best: BestEpoch, began) -> RunResult:
        history = self.snapshot().rows()
        metrics, predictions, checkpoint = {}, {}, ""
        restored = best.state is not None and p.config.training.restore_best
        if restored:
            p.model.load_state_dict(best.state)
        if history and reason != Status.DIVERGED:
            if restored:  # the same weights made these: a second pass over the validation set would repeat them
                predictions["val"] = best.predictions
            for split in ("val", "test"):
                if split not in predictions:
                    predictions[split] = predict(p.model, p.dd, p.rows[split], p.config.encoding, self.data.task,
                                                 split=split, loss_fn=p.loss_fn, amp_dtype=p.amp_dtype,
                                                 tokens_only=p.tokens_only)
                metrics[split] = {"loss": predictions[split].loss,
                                  **metrics_of(predictions[split], self.data.task, self.data.classes)}
            if self.run_dir is not None:
                checkpoint = str(RunFolder(self.run_dir).checkpoint)
                epoch = best.epoch if p.config.training.restore_best else len(history)
                save_checkpoint(Path(checkpoint), p.model, p.config, p.dims, self.data.classes, metrics, epoch)
        self.events.publish(RunFinished(reason, message, best.epoch, metrics, checkpoint,
                                        time.time() - began - self._paused_seconds))
        return RunResult(self.run_id, p.config, reason, message, history, best.epoch, metrics, checkpoint,
                         predictions)

    def _save_config(self) -> None:
        if self.run_dir is not None:
            RunFolder(self.run_dir).write_config(self.config.to_json())
