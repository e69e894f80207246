"""One place every page reads runs from: the run store for what a run is and left behind, this
server's live jobs for what it is doing now.

    repo = RunRepository(store, jobs)
    repo.runs(owner="a1b2...")          # RunRecords, newest first: this owner's, or everyone's (None)
    repo.run(run_id)                     # one RunRecord
    repo.job(run_id)                     # the live Job (pause, stop, snapshots), or None
    repo.predictions(run_id, "test")     # StoredPredictions, from the store: any run, any origin

A run started from the dashboard, the command line, a sweep or a Ray worker, before or after a
restart, is the same kind of record here, so Evaluate and Predict open any of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from protscope.runs.outputs import (
    StoredPredictions,
    learned_bytes,
    learned_from_bytes,
    load_curves,
    load_internals,
    load_learned,
    load_predictions,
)
from protscope.runs.store import RunStore
from protscope.status import LIVE


@dataclass(frozen=True)
class RunRecord:
    """A run as every page sees it."""

    id: str
    name: str
    status: str  # queued, running, paused, completed, early_stopped, stopped, diverged, failed, interrupted
    message: str
    owner: str  # the owner id (protscope.owners): a browser's, "cli:<user>", or ""
    owner_name: str
    origin: str  # dashboard, cli, sweep, ray, or "" for runs recorded before origins were kept
    dataset: str
    task: str
    classes: tuple[str, ...]
    config: dict
    metrics: dict  # {"val": {...}, "test": {...}} once finished
    best_epoch: int
    epochs: int
    started: float
    ended: float | None
    checkpoint: str
    tags: tuple[str, ...] = ()
    device: str = ""
    parameters: int = 0
    live: bool = False  # a job of this server, which can be paused and stopped
    row: dict = field(default_factory=dict, compare=False)  # the store's row as read (Compare's helpers take it)

    @property
    def done(self) -> bool:
        return self.status not in LIVE

    @property
    def title(self) -> str:
        return self.name or self.id


def record_of(row: dict, live_status: str | None = None) -> RunRecord:
    return RunRecord(id=row["id"], name=row["name"], status=live_status or row["status"], message=row["message"],
                     owner=row.get("owner", ""), owner_name=row.get("owner_name", ""), origin=row.get("origin", ""),
                     dataset=row["dataset"], task=row["task"], classes=tuple(row.get("classes") or ()),
                     config=row["config"], metrics=row["metrics"], best_epoch=row["best_epoch"],
                     epochs=row["epochs"], started=row["started"], ended=row["ended"], checkpoint=row["checkpoint"],
                     tags=tuple(row["tags"]), device=row["device"], parameters=row["parameters"],
                     live=live_status is not None, row=row)


class RunRepository:
    def __init__(self, store: RunStore, jobs=None):
        self.store = store
        self.jobs = jobs  # a protscope.runs.jobs.JobManager, or None outside the dashboard

    def runs(self, owner: str | None = None) -> list[RunRecord]:
        """Every stored run (this owner's only, when given), newest first, with live status overlaid."""
        return [record_of(row, self._live_status(row["id"])) for row in self.store.list_runs(owner=owner)]

    def run(self, run_id: str) -> RunRecord:
        """The run `run_id`; ProtScopeError when the store has no such run."""
        return record_of(self.store.get_run(run_id), self._live_status(run_id))

    def find(self, run_id: str) -> RunRecord | None:
        from protscope.errors import ProtScopeError

        try:
            return self.run(run_id)
        except ProtScopeError:
            return None

    def job(self, run_id: str):
        return self.jobs.get(run_id) if self.jobs is not None and run_id else None

    def history(self, run_id: str) -> list[dict]:
        """Epoch rows: the live snapshot's while this server trains it, else the store's."""
        job = self.job(run_id)
        return job.snapshot().rows() if job is not None else self.store.history(run_id)

    def predictions(self, run_id: str, split: str) -> StoredPredictions | None:
        return load_predictions(self.store, run_id, split)

    def curves(self, run_id: str) -> dict:
        """{"batch_losses": [[position, loss]...], "validations": [[position, val_loss]...]}"""
        job = self.job(run_id)
        if job is not None:
            snap = job.snapshot()
            return {"batch_losses": [list(p) for p in snap.batch_losses],
                    "validations": [[v.position, v.val_loss] for v in snap.validations]}
        return load_curves(self.store, run_id)

    def internals(self, run_id: str) -> dict:
        """The layer statistics, {"layers": [...], "records": [...]} (docs/INTERNALS.md): live or stored."""
        job = self.job(run_id)
        return job.snapshot().internals() if job is not None else load_internals(self.store, run_id)

    def learned(self, run_id: str):
        """What the run learned per epoch (a LearnedSeries, docs/INTERNALS.md): live or stored; None if not recorded."""
        job = self.job(run_id)
        if job is None:
            return load_learned(self.store, run_id)
        data = learned_bytes(job.snapshot())
        return None if data is None else learned_from_bytes(data)

    def _live_status(self, run_id: str) -> str | None:
        job = self.job(run_id)
        return job.snapshot().status if job is not None else None
