"""Recording a training run into the run store as it goes.

    recorder = record_in_background(trainer, store, name="cnn baseline", tags=("esol",))

The recorder follows the Trainer's events: the run is created when it starts, each epoch is
committed when it ends, and the end (finished, stopped, diverged or failed) is written with its
reason. Before the end is written, the run's validation and test predictions and its curves are
stored with it (protscope.runs.outputs), so a finished run can be evaluated from the store alone. A run the
recorder is following is never marked "interrupted" by another opener.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable

from protscope.owners import Owner
from protscope.runs.outputs import save_internals, save_learned, save_outputs
from protscope.runs.store import POLL_SECONDS, RECORDING, RECORDING_LOCK, RunStore
from protscope.status import Status
from protscope.train.events import EpochEnd, RunFailed, RunFinished, RunStarted, StatusChanged


def record(trainer, store: RunStore, name: str = "", tags: Iterable[str] = (), owner: Owner | None = None) -> None:
    """Follow a Trainer's events into `store` until its run ends, in the calling thread."""
    run_id, data, created, best_epoch, cursor = trainer.run_id, trainer.data, False, 0, 0
    owner = owner or Owner()
    with RECORDING_LOCK:
        RECORDING.add(run_id)
    try:
        while True:
            done = trainer.events.wait(timeout=POLL_SECONDS)
            events, cursor = trainer.events.since(cursor)
            epochs_ended = False
            for event in events:
                if isinstance(event, RunStarted) or (isinstance(event, RunFailed) and not created):
                    # A run that fails before it starts (bad settings, no memory) is still recorded.
                    started = isinstance(event, RunStarted)
                    store.create_run(run_id, name, event.config if started else trainer.config.to_dict(), data.name,
                                     data.fingerprint(), data.task, trainer.run_dir,
                                     device=event.device if started else "",
                                     parameters=event.parameters if started else 0, started=event.time, tags=tags,
                                     owner=owner.id, owner_name=owner.name, origin=owner.origin,
                                     classes=data.classes)
                    created = True
                if isinstance(event, EpochEnd):
                    store.add_epoch(run_id, event.row())
                    save_internals(store, run_id, trainer.snapshot())
                    best_epoch, epochs_ended = event.best_epoch, True
                elif isinstance(event, StatusChanged) and created:
                    store.set_status(run_id, event.status)
                elif isinstance(event, RunFinished):
                    # The result (with the predictions) is set just after this event is published.
                    save_outputs(store, run_id, trainer.wait(60), trainer.snapshot(), data)
                    store.finish_run(run_id, event.reason, event.message, event.best_epoch, event.metrics,
                                     event.checkpoint, ended=event.time)
                elif isinstance(event, RunFailed):
                    save_outputs(store, run_id, None, trainer.snapshot(), data)
                    store.finish_run(run_id, Status.FAILED, event.message, best_epoch, ended=event.time)
            if epochs_ended and not done:  # once per poll, however many epochs ended in it (the end saves its own)
                save_learned(store, run_id, trainer.snapshot())
            if done:
                return
    finally:
        with RECORDING_LOCK:
            RECORDING.discard(run_id)


class Recorder(threading.Thread):
    """record() in a daemon thread; `error` holds what stopped it early, if anything."""

    def __init__(self, trainer, store: RunStore, name: str = "", tags: Iterable[str] = (), owner: Owner | None = None):
        super().__init__(name=f"record-{trainer.run_id}", daemon=True)
        self.trainer, self.store, self.run_name, self.tags, self.owner = trainer, store, name, tuple(tags), owner
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            record(self.trainer, self.store, self.run_name, self.tags, self.owner)
        except Exception as exc:  # noqa: BLE001 - kept for whoever joins, rather than a traceback on stderr
            self.error = exc


def record_in_background(trainer, store: RunStore, name: str = "", tags: Iterable[str] = (),
                         owner: Owner | None = None) -> Recorder:
    recorder = Recorder(trainer, store, name, tags, owner)
    recorder.start()
    return recorder
