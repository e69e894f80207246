"""Typed events a training run publishes, and the thread-safe channel that carries them.

The training thread only ever calls `EventChannel.publish`. Readers on other threads (the
dashboard's fragment, the CLI, the run store) call `snapshot()` for a consistent copy of the run's
state, or `since(cursor)` for the events they have not seen yet. Batch progress is throttled: the
latest one is kept whole, and its loss joins a per-batch loss series that is thinned (pairs
averaged) past MAX_BATCH_POINTS, so a long run's memory stays bounded.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field, replace

from protscope.status import Status

MAX_BATCH_POINTS = 4000
MAX_LAYER_RECORDS = 200  # layer statistics records kept per run; past it every other one is dropped
MAX_LEARNED_EPOCHS = 30  # epochs of learned filters and features kept per run, evenly spaced (keep_evenly)


@dataclass(frozen=True)
class RunStarted:
    run_id: str
    config: dict
    device: str
    n_train: int
    n_val: int
    n_test: int
    parameters: int
    batches_per_epoch: int
    notes: tuple[str, ...] = ()
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class BatchProgress:
    epoch: int
    batch: int
    batches: int
    loss: float  # mean training loss of the epoch so far
    samples_per_s: float
    recent_loss: float = float("nan")  # mean loss of the batches since the previous report
    time: float = field(default_factory=time.time)

    @property
    def position(self) -> float:
        """Where training is, in epochs: 2.5 is halfway through epoch 3."""
        return self.epoch - 1 + self.batch / max(self.batches, 1)


@dataclass(frozen=True)
class LayerRecord:
    """Layer statistics at one optimizer update (protscope.train.layer_stats; format in docs/INTERNALS.md)."""

    layers: tuple[dict, ...]  # the layers in network order: name, kind, activation, parameters
    record: dict  # step, epoch, lr, g_total and per-layer statistics
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class LearnedRecord:
    """What the model has learned at one epoch's end (protscope.train.learned; stored as in docs/INTERNALS.md)."""

    points: dict  # what each point is: "ids", "labels" and, per residue, "position" and "residues" (numpy arrays)
    record: dict  # "epoch", "kind", "features" (P, D) and "filters", "letters" (numpy float16)
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Validation:
    """A validation pass in the middle of an epoch (training.validate_every)."""

    position: float  # in epochs, as BatchProgress.position
    val_loss: float
    metrics: dict  # val_<name> for the task's metrics
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    train_loss: float
    val_loss: float
    metrics: dict  # train_<name> and val_<name> for the task's metrics
    lr: float
    grad_norm: float  # mean global gradient norm (before clipping), sampled over the epoch's updates
    samples_per_s: float
    seconds: float  # this epoch, training and validation
    elapsed: float  # since the run started
    eta: float  # seconds left at this pace
    best_epoch: int
    time: float = field(default_factory=time.time)

    def row(self) -> dict:
        """A flat history row: epoch, train_loss, val_loss, lr, grad_norm, seconds and metrics."""
        return {"epoch": self.epoch, "train_loss": self.train_loss, "val_loss": self.val_loss,
                "lr": self.lr, "grad_norm": self.grad_norm, "seconds": self.seconds, **self.metrics}


@dataclass(frozen=True)
class RunFinished:
    reason: str  # completed, early_stopped, stopped or diverged
    message: str
    best_epoch: int
    metrics: dict  # {"val": {...}, "test": {...}}
    checkpoint: str
    elapsed: float
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class RunFailed:
    message: str  # for the user: what went wrong and what to try
    error: str  # exception type and text
    traceback: str
    epoch: int
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class StatusChanged:
    status: str  # queued, running, paused
    time: float = field(default_factory=time.time)


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's state at one moment."""

    run_id: str
    status: str  # queued, running, paused, completed, early_stopped, stopped, diverged, failed
    started: RunStarted | None
    history: tuple[EpochEnd, ...]
    progress: BatchProgress | None
    finished: RunFinished | None
    failed: RunFailed | None
    events: int
    batch_losses: tuple[tuple[float, float], ...] = ()  # (position in epochs, recent training loss)
    validations: tuple[Validation, ...] = ()
    paused_seconds: float = 0.0  # pauses that have ended, counted from the start of training
    paused_since: float | None = None  # when the current pause began
    layers: tuple[dict, ...] = ()  # LayerRecord.layers of the latest record
    layer_records: tuple[dict, ...] = ()  # LayerRecord.record, thinned to MAX_LAYER_RECORDS
    learned_points: dict | None = None  # LearnedRecord.points
    learned_records: tuple[dict, ...] = ()  # LearnedRecord.record, thinned to MAX_LEARNED_EPOCHS

    def internals(self) -> dict:
        """The layer statistics so far, as stored with the run: {"layers": [...], "records": [...]}."""
        return {"layers": list(self.layers), "records": list(self.layer_records)}

    @property
    def done(self) -> bool:
        return self.finished is not None or self.failed is not None

    def rows(self) -> list[dict]:
        return [e.row() for e in self.history]

    def elapsed(self, now: float | None = None) -> float:
        """Seconds spent training so far (or in all, once done), pauses and the wait in the queue left out."""
        if self.started is None:
            return 0.0
        if self.finished is not None:
            return self.finished.elapsed
        end = self.failed.time if self.failed is not None else (time.time() if now is None else now)
        paused = self.paused_seconds
        if self.paused_since is not None:
            paused += max(0.0, end - max(self.paused_since, self.started.time))
        return max(0.0, end - self.started.time - paused)

    def eta(self, epochs: int, now: float | None = None) -> float:
        """Seconds left at the pace so far (nan before the first batch report, while paused, or once done)."""
        if self.done or self.status != Status.RUNNING or self.progress is None or self.progress.position <= 0:
            return float("nan")
        position = self.progress.position
        return self.elapsed(now) * max(epochs - position, 0.0) / position


class EventChannel:
    """Append-only, thread-safe record of one run's events."""

    def __init__(self, run_id: str, progress_interval: float = 0.25):
        self._lock = threading.Lock()
        self._events: list = []
        self.progress_interval = progress_interval
        self._last_progress = 0.0
        self._state = Snapshot(run_id, Status.QUEUED, None, (), None, None, None, 0)
        self._changed = threading.Condition(self._lock)

    def publish(self, event) -> None:
        with self._lock:
            if isinstance(event, BatchProgress):
                if event.time - self._last_progress < self.progress_interval and event.batch < event.batches:
                    return
                self._last_progress = event.time
                points = self._state.batch_losses
                if math.isfinite(event.recent_loss):
                    points = thin(points + ((event.position, event.recent_loss),))
                self._state = replace(self._state, progress=event, batch_losses=points)
            elif isinstance(event, LayerRecord):  # kept in the state only, like batch progress
                records = decimate(self._state.layer_records + (event.record,))
                self._state = replace(self._state, layers=event.layers, layer_records=records)
            elif isinstance(event, LearnedRecord):  # so is what the model has learned
                kept = keep_evenly(self._state.learned_records + (event.record,))
                self._state = replace(self._state, learned_points=event.points, learned_records=kept)
            else:
                self._events.append(event)
                self._state = _apply(self._state, event)
            self._state = replace(self._state, events=len(self._events))
            self._changed.notify_all()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._state

    def since(self, cursor: int) -> tuple[list, int]:
        """Events after `cursor` (0 for all), and the new cursor."""
        with self._lock:
            return list(self._events[cursor:]), len(self._events)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has finished or failed; True if it did within `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while not self._state.done:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(left)
            return True


def _apply(state: Snapshot, event) -> Snapshot:
    if isinstance(event, RunStarted):
        # Paused before the setup was over (or while queued): it stays paused at its first batch.
        return replace(state, started=event, status=Status.PAUSED if state.status == Status.PAUSED else Status.RUNNING)
    if isinstance(event, EpochEnd):
        return replace(state, history=state.history + (event,))
    if isinstance(event, Validation):
        return replace(state, validations=state.validations + (event,))
    if isinstance(event, StatusChanged):
        if event.status == Status.PAUSED and state.paused_since is None:
            return replace(state, status=Status.PAUSED, paused_since=event.time)
        if event.status != Status.PAUSED and state.paused_since is not None:
            begun = state.paused_since if state.started is None else max(state.paused_since, state.started.time)
            counted = max(0.0, event.time - begun) if state.started is not None else 0.0
            return replace(state, status=event.status, paused_seconds=state.paused_seconds + counted,
                           paused_since=None)
        return replace(state, status=event.status)
    if isinstance(event, RunFinished):
        return replace(state, finished=event, status=event.reason)
    if isinstance(event, RunFailed):
        return replace(state, failed=event, status=Status.FAILED)
    return state


def thin(points: tuple, limit: int = MAX_BATCH_POINTS) -> tuple:
    """Halve a too-long series by averaging neighbouring pairs, keeping its shape and its last point."""
    if len(points) <= limit:
        return points
    pairs = len(points) // 2 * 2
    merged = tuple(((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(points[:pairs:2], points[1:pairs:2]))
    return merged + points[pairs:]


def decimate(records: tuple, limit: int = MAX_LAYER_RECORDS) -> tuple:
    """Drop every other record of a too-long series, keeping the first and the last."""
    if len(records) <= limit:
        return records
    return records[:-1:2] + records[-1:]


def keep_evenly(records: tuple, limit: int = MAX_LEARNED_EPOCHS) -> tuple:
    """The records (each with a 1-based "epoch") on the grid 1, 1 + s, 1 + 2s ... for the smallest power of
    two s that keeps at most `limit`, and always the latest. s depends only on the latest epoch, so it only
    grows and a record dropped never had to come back."""
    if not records:
        return records
    last, spacing = records[-1]["epoch"], 1
    # the grid's epochs up to the latest, plus the latest itself when it is off the grid
    while (last - 1) // spacing + 1 + ((last - 1) % spacing > 0) > limit:
        spacing *= 2
    return tuple(r for r in records[:-1] if (r["epoch"] - 1) % spacing == 0) + records[-1:]
