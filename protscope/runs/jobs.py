"""Training runs as server jobs: submitted, queued for a free slot, run in background threads, kept.

    jobs = JobManager(runs_dir)
    job = jobs.submit(config, data, split, label="eSOL CNN")
    jobs.list()                        # every job, newest first, finished ones included
    jobs.get(job.run_id).snapshot()    # from any thread, at any time

A job belongs to the server, not to a browser page, so closing a tab or rerunning a script does
not stop it; it also belongs to its owner (protscope.owners), whose pages show it. At most
`max_concurrent` runs train at once; the rest wait visibly as "queued", first come first served,
each knowing its place (`place(job)`), because two torch runs on the same few cores each go at
less than half speed. On a class server an owner may have at most PROTSCOPE_MAX_RUNS_PER_STUDENT
queued or training runs, and runs submitted `first` (the instructor's) go ahead of the others in line.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from protscope import settings
from protscope.config.run_config import RunConfig
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split
from protscope.device import lower_priority, usable_cpus
from protscope.errors import ProtScopeError
from protscope.owners import Owner
from protscope.run_folder import write_result_files
from protscope.status import Status
from protscope.train.trainer import Trainer, new_run_id

KEEP_FINISHED = 50  # finished jobs kept in memory (with their predictions); their files stay on disk


def default_concurrency() -> int:
    """Runs that may train at once: one per 4 cores, at least 1, or on a Ray cluster one per CPU it has
    (PROTSCOPE_MAX_RUNS overrides either)."""
    if settings.max_parallel_runs():
        return settings.max_parallel_runs()
    if settings.ray_address():
        from protscope.runs.ray_runs import cluster_slots

        return cluster_slots(settings.ray_address())
    return max(1, usable_cpus() // 4)


def make_trainer(config: RunConfig, data: ProteinData, split: Split | None, run_dir: Path, run_id: str) -> Trainer:
    """A Trainer for a server job: a RayTrainer when PROTSCOPE_RAY_ADDRESS names a cluster, else a local one."""
    if settings.ray_address():
        from protscope.runs.ray_runs import RayTrainer

        return RayTrainer(config, data, split, run_dir=run_dir, run_id=run_id, address=settings.ray_address())
    return Trainer(config, data, split, run_dir=run_dir, run_id=run_id)


@dataclass
class Job:
    trainer: Trainer
    label: str
    dataset: str  # the dataset's name, for lists
    owner: Owner = field(default_factory=Owner)
    tags: tuple[str, ...] = ()
    first: bool = False  # ahead of the others in line (the instructor's)
    submitted: float = field(default_factory=time.time)
    finished_recording: threading.Event = field(default_factory=threading.Event)  # files and store written

    @property
    def run_id(self) -> str:
        return self.trainer.run_id

    @property
    def data(self) -> ProteinData:
        return self.trainer.data

    @property
    def split(self) -> Split:
        return self.trainer.split

    @property
    def config(self) -> RunConfig:
        return self.trainer.config

    @property
    def result(self):
        return self.trainer.result

    def snapshot(self):
        return self.trainer.snapshot()

    @property
    def done(self) -> bool:
        return self.trainer.ended


class JobManager:
    def __init__(self, runs_dir: str | Path, max_concurrent: int | None = None, store=None):
        self.runs_dir = Path(runs_dir)
        self.store = store  # a protscope.runs.store.RunStore: each run is written to it as it goes
        self.max_concurrent = max_concurrent or default_concurrency()
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)  # a slot became free
        self._jobs: dict[str, Job] = {}
        self._waiting: list[Job] = []  # queued for a slot, first come first served
        self._training: list[Job] = []  # holding a slot

    def submit(self, config: RunConfig, data: ProteinData, split: Split | None = None, label: str = "",
               owner: Owner | None = None, tags: tuple[str, ...] = (), first: bool = False) -> Job:
        """Queue a run and return at once. Invalid configs raise ProtScopeError here, not in the thread.
        `first`: it goes ahead of every run in line not submitted `first`, and the per-owner limit skips it."""
        active = self.active()
        limit = settings.max_active_jobs()
        if len(active) >= limit:
            raise ProtScopeError(f"{len(active)} runs are already queued or training on this server (the limit is "
                                 f"{limit})", fix="wait for some to finish, or stop runs you no longer need "
                                 "(PROTSCOPE_MAX_JOBS raises the limit)")
        owner = owner or Owner(origin="dashboard")
        yours, each = sum(j.owner.id == owner.id and not j.first for j in active), settings.max_jobs_per_owner()
        if each and owner.id and not first and yours >= each:
            raise ProtScopeError(f"you already have {yours} run{'s' if yours > 1 else ''} queued or training, the most "
                                 f"each person may have on this server", fix="wait until it ends, or stop it")
        run_id = new_run_id()
        trainer = make_trainer(config, data, split, self.runs_dir / run_id, run_id)
        job = Job(trainer, label or describe(trainer.config), data.name, owner, tags=tuple(tags), first=first)
        if self.store is not None:  # listed at once, as queued, so a sweep's runs all show before they train
            self.store.create_run(run_id, job.label, trainer.config.to_dict(), data.name, data.fingerprint(),
                                  data.task, trainer.run_dir, status=Status.QUEUED, tags=job.tags, owner=owner.id,
                                  owner_name=owner.name, origin=owner.origin, classes=data.classes)
        with self._lock:
            self._jobs[run_id] = job
            self._waiting.insert(sum(j.first for j in self._waiting) if first else len(self._waiting), job)
            self._forget_old()
        threading.Thread(target=self._work, args=(job,), name=f"job-{run_id}", daemon=True).start()
        return job

    def _work(self, job: Job) -> None:
        lower_priority(settings.training_niceness())
        recorder = None
        if self.store is not None:
            from protscope.runs.recorder import record_in_background

            recorder = record_in_background(job.trainer, self.store, name=job.label, tags=job.tags, owner=job.owner)
        try:
            slot = self._take_slot(job)
            try:
                result = job.trainer.run()  # stopped while queued: it ends at its first batch, without a slot
            finally:
                if slot:
                    self._free_slot(job)
            write_result_files(job.trainer.run_dir, result)
            if recorder is not None:
                recorder.join(timeout=60)
        finally:
            job.finished_recording.set()

    def _take_slot(self, job: Job) -> bool:
        """Wait for this job's turn and a free slot; False (no slot) if it was stopped while queued."""
        with self._turn:
            while len(self._training) >= self.max_concurrent or self._waiting[0] is not job:
                if job.trainer.stop_requested:
                    self._waiting.remove(job)
                    self._turn.notify_all()  # the next in line may be first now
                    return False
                self._turn.wait(timeout=0.5)  # stop() does not notify this condition
            self._waiting.remove(job)
            self._training.append(job)
            return True

    def _free_slot(self, job: Job) -> None:
        with self._turn:
            self._training.remove(job)
            self._turn.notify_all()

    def place(self, job: Job) -> int:
        """1 for the next run to train, 2 for the one after...; 0 when it is not waiting."""
        with self._lock:
            return self._waiting.index(job) + 1 if job in self._waiting else 0

    def training(self) -> list[Job]:
        """The runs holding a slot now, oldest first: what queued runs wait for."""
        with self._lock:
            return list(self._training)

    def room(self, owner: str = "") -> int:
        """How many more runs may be submitted now (queued and training runs count against the limit), and by
        `owner` when given (PROTSCOPE_MAX_RUNS_PER_STUDENT; leave it out for runs submitted `first`)."""
        active = self.active()
        left, each = settings.max_active_jobs() - len(active), settings.max_jobs_per_owner()
        if owner and each:
            left = min(left, each - sum(j.owner.id == owner and not j.first for j in active))
        return max(0, left)

    def list(self) -> list[Job]:
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.submitted, reverse=True)

    def get(self, run_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(run_id)

    def active(self) -> list[Job]:
        return [j for j in self.list() if not j.done]

    def finished(self) -> list[Job]:
        return [j for j in self.list() if j.done]

    def stop_all(self) -> None:
        for job in self.active():
            job.trainer.stop()

    def _forget_old(self) -> None:
        done = sorted((j for j in self._jobs.values() if j.done), key=lambda j: j.submitted)
        for job in done[:max(0, len(done) - KEEP_FINISHED)]:
            del self._jobs[job.run_id]


def describe(config: RunConfig) -> str:
    """A short label such as 'cnn · tokens · adam 1e-03 · 20 epochs'."""
    return (f"{config.model.name} · {config.encoding.name} · {config.optimizer.name} {config.optimizer.lr:.0e} · "
            f"{config.training.epochs} epochs")
