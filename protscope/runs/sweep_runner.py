"""Running a sweep's runs: one after another in this process, or as tasks on a Ray cluster.

Either way each run is recorded in the run store, named "<sweep> <label>" and tagged
`sweep:<sweep>`. Ray is imported only when it is used, and its workers get plain config JSON (or
one shared copy of an in-memory dataset) and send back plain values the driver records.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import replace
from pathlib import Path

from protscope import settings
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.errors import ProtScopeError
from protscope.owners import Owner, command_line_owner
from protscope.run_folder import RunFolder
from protscope.runs.sweeps import SweepRun
from protscope.status import Status


def run_sweep(runs: list[SweepRun], data=None, store=None, tags=(), runs_dir=None, backend: str = "local",
              ray_address: str | None = None, on_result=None, ray_cpus: int | None = None,
              gpus_per_run: float = 0.0, parallel: int = 1, owner: Owner | None = None) -> list[dict]:
    """Train and record every run; returns {run_id, label, status, message, metrics, task} per run, in order.

    `data`: a ProteinData used for every run, a DataConfig that replaces every run's data section,
    or None for each run's own. `on_result(report)` is called as each run ends. The runs belong to
    `owner` (default: the operating-system user, as for the command line).
    """
    from protscope.runs.store import open_store
    from protscope.runs.store import runs_dir as default_runs_dir

    if not runs:
        return []
    if isinstance(data, DataConfig):
        runs, data = [replace(r, config=r.config.replace(data=data)) for r in runs], None
    store = store if store is not None else open_store()
    root = Path(runs_dir) if runs_dir else default_runs_dir()
    tags = tuple(tags)
    owner = owner or command_line_owner()
    if backend == "local":
        return _run_local(runs, data, store, tags, root, on_result, parallel, owner.as_origin("sweep"))
    if backend == "ray":
        return _run_ray(runs, data, store, tags, root, ray_address, on_result, ray_cpus, gpus_per_run,
                        owner.as_origin("ray"))
    raise ProtScopeError(f"unknown sweep backend '{backend}'", fix="use local or ray")


def _run_local(runs, data, store, tags, root: Path, on_result, parallel: int, owner: Owner) -> list[dict]:
    from protscope.data.builtin import load_data
    from protscope.data.splits import make_split
    from protscope.runs.jobs import JobManager

    loaded: dict[str, tuple] = {}  # data section JSON -> (data, split): loaded once per distinct data section
    for run in runs:  # all loaded and checked before the first run trains, so a bad one fails fast
        key = json.dumps(run.config.data.to_dict(), sort_keys=True)
        if key not in loaded:
            chosen = data if data is not None else load_data(run.config.data)
            loaded[key] = (chosen, make_split(chosen, run.config.data))
        try:
            run.config.resolve(loaded[key][0].task)
        except ProtScopeError as exc:
            raise ProtScopeError(f"sweep run '{run.label}' cannot train on this data: {exc.problem}",
                                 fix=exc.fix) from None
    # Runs are server-style jobs: `parallel` train at once in background threads, the rest wait as
    # "queued" in the store (so progress shows), and Ctrl-C stops them all, keeping what finished.
    jobs = JobManager(root, max_concurrent=parallel, store=store)
    submitted = []
    for run in runs:
        chosen, split = loaded[json.dumps(run.config.data.to_dict(), sort_keys=True)]
        submitted.append(jobs.submit(run.config, chosen, split, label=f"{run.sweep} {run.label}", owner=owner,
                                     tags=(f"sweep:{run.sweep}", *tags)))
    reports = []
    try:
        for run, job in zip(runs, submitted):
            result = job.trainer.wait()
            job.finished_recording.wait(30)
            reports.append({"run_id": job.run_id, "label": run.label, "status": result.status,
                            "message": result.message, "metrics": result.metrics, "task": job.data.task})
            if on_result:
                on_result(reports[-1])
    except KeyboardInterrupt:
        jobs.stop_all()
        raise
    return reports


def _run_ray(runs, data, store, tags, root: Path, address, on_result, cpus, gpus_per_run, owner: Owner) -> list[dict]:
    import ray

    from protscope.train.trainer import new_run_id

    started_here = not ray.is_initialized()
    if started_here:
        # Workers must import `protscope` whatever folder the driver runs in (a cluster without the editable
        # install finds it through the checkout).
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(settings.PROJECT_ROOT),
                                                                         os.environ.get("PYTHONPATH")]))}}
        if address:
            ray.init(address=address, runtime_env=env, log_to_driver=False)
        else:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a local cluster has no reason to phone home
            ray.init(num_cpus=cpus or min(len(runs), os.cpu_count() or 1), include_dashboard=False,
                     log_to_driver=False, runtime_env=env)
    try:
        task = ray.remote(num_cpus=1, num_gpus=gpus_per_run)(train_remote)
        shared = ray.put(data) if data is not None else None  # one copy in the object store, not one per run
        pending = {}
        for i, run in enumerate(runs):
            run_id = new_run_id()
            pending[task.remote(_absolute_paths(run.config).to_json(), run_id, shared)] = (i, run, run_id)
        reports: list = [None] * len(runs)
        while pending:
            [ref], _ = ray.wait(list(pending), num_returns=1)
            i, run, run_id = pending.pop(ref)
            try:
                out = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a lost worker fails this run, not the whole sweep
                out = _failure(run_id, run.config, f"the Ray task failed: {exc}")
            _record_remote(store, run, out, root, tags, owner)
            reports[i] = {"label": run.label, **{k: out[k] for k in ("run_id", "status", "message", "metrics",
                                                                    "task")}}
            if on_result:
                on_result(reports[i])
        return reports
    finally:
        if started_here:
            ray.shutdown()


def _absolute_paths(config: RunConfig) -> RunConfig:
    """Data files named from the driver's folder, since a worker may run in another."""
    paths = {k: str(Path(v).resolve()) for k in ("path", "label_path") if (v := getattr(config.data, k))}
    return config.replace(data=config.data.replace(**paths)) if paths else config


def _failure(run_id: str, config: RunConfig, message: str) -> dict:
    now = time.time()
    return {"run_id": run_id, "status": Status.FAILED, "message": message, "history": [], "metrics": {},
            "best_epoch": 0,
            "config": config.to_dict(), "dataset": config.data.dataset or config.data.path, "fingerprint": "",
            "task": config.data.task, "device": "", "parameters": 0, "started": now, "ended": now, "checkpoint": b"",
            "classes": [], "predictions": {}, "curves": {}}


def train_remote(config_json: str, run_id: str, data=None) -> dict:
    """One run on a Ray worker: loads its data from the config (unless given), trains, and returns plain
    values (the checkpoint as bytes) for the driver to record."""
    import tempfile

    from protscope.data.builtin import load_data
    from protscope.runs.outputs import curves_of, learned_bytes, predictions_bytes
    from protscope.train.trainer import Trainer

    config = RunConfig.from_json(config_json)
    try:
        data = data if data is not None else load_data(config.data)
        with tempfile.TemporaryDirectory() as folder:
            trainer = Trainer(config, data, run_dir=folder, run_id=run_id)
            result = trainer.run()
            checkpoint = Path(result.checkpoint).read_bytes() if result.checkpoint else b""
    except Exception as exc:  # noqa: BLE001 - reported as the run's failure, with its reason
        return _failure(run_id, config, str(exc))
    began = trainer.snapshot().started
    return {"run_id": run_id, "status": result.status, "message": result.message, "history": result.history,
            "metrics": result.metrics, "best_epoch": result.best_epoch, "config": result.config.to_dict(),
            "dataset": data.name, "fingerprint": data.fingerprint(), "task": data.task,
            "device": began.device if began else "", "parameters": began.parameters if began else 0,
            "started": began.time if began else time.time(), "ended": time.time(), "checkpoint": checkpoint,
            "classes": list(data.classes), "curves": curves_of(trainer.snapshot()),
            "internals": trainer.snapshot().internals(), "learned": learned_bytes(trainer.snapshot()),
            "predictions": {split: predictions_bytes(p, data.ids, data.sequences)
                            for split, p in result.predictions.items()}}


def _record_remote(store, run: SweepRun, out: dict, root: Path, tags: tuple, owner: Owner) -> None:
    """Write a remote run's folder on the driver side and record it in the store."""
    from protscope.runs.outputs import CURVES, INTERNALS, LEARNED, PREDICTIONS

    run_dir = root / out["run_id"]
    folder = RunFolder(run_dir)
    folder.write_config(json.dumps(out["config"], indent=2))
    checkpoint = ""
    if out["checkpoint"]:
        checkpoint = str(folder.checkpoint)
        folder.checkpoint.write_bytes(out["checkpoint"])
    folder.write_outcome(out["status"], out["message"], out["best_epoch"], out["metrics"], out["history"])
    store.create_run(out["run_id"], f"{run.sweep} {run.label}", out["config"], out["dataset"], out["fingerprint"],
                     out["task"], run_dir, device=out["device"], parameters=out["parameters"], started=out["started"],
                     tags=(f"sweep:{run.sweep}", *tags), owner=owner.id, owner_name=owner.name, origin=owner.origin,
                     classes=out["classes"])
    for row in out["history"]:
        store.add_epoch(out["run_id"], row)
    for split, blob in out["predictions"].items():
        store.save_artifact(out["run_id"], split, PREDICTIONS, blob)
    if out["curves"]:
        store.save_artifact(out["run_id"], "", CURVES, out["curves"])
    if (out.get("internals") or {}).get("records"):
        store.save_artifact(out["run_id"], "", INTERNALS, out["internals"])
    if out.get("learned"):
        store.save_artifact(out["run_id"], "", LEARNED, out["learned"])
    store.finish_run(out["run_id"], out["status"], out["message"], out["best_epoch"], out["metrics"], checkpoint,
                     ended=out["ended"])
