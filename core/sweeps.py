"""Sweeps: many runs made from one base config by a grid, random samples and seeds, recorded together.

    spec = SweepSpec(grid={"optimizer": ("sgd", "adam")}, seeds=3, name="optimizers")
    runs = expand(spec, base_config)          # 6 SweepRuns, every one validated before anything trains
    run_sweep(runs, None, store)              # one after another here, or backend="ray" on a Ray cluster

Within a run, later settings win: the base config, then the settings linked to a grid value
(`linked`, e.g. SGD's own learning rate), then the grid, random and seed values themselves.
Random samples are drawn once (seeded by `SweepSpec.seed`) and crossed with every grid point, so
grid values are compared on the same samples. Each run is recorded in the run store named
"<sweep> <label>" and tagged `sweep:<sweep>`, so the dashboard can group and compare them.
"""
from __future__ import annotations

import functools
import itertools
import json
import math
import os
import random as _random
import time
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path

from core.config import DataConfig, coerce
from core.errors import ProtScopeError
from core.run_config import SECTIONS, RunConfig, locate

MAX_RUNS = 10_000  # a typo such as a 7-field grid should fail at once, not hang while expanding
TUPLE_SEPARATOR = "x"  # parse_grid: hidden=64x32,128 sweeps two values, (64, 32) and (128,)


@dataclass(frozen=True)
class SweepSpec:
    base: dict | RunConfig = field(default_factory=dict)  # flat values on top of expand's base config
    grid: dict[str, tuple] = field(default_factory=dict)  # field -> values; every combination is run
    random: dict[str, tuple] = field(default_factory=dict)  # ("loguniform", a, b), ("uniform", a, b), ("choice", vs)
    samples: int = 0  # random points drawn
    seeds: int = 1  # >1: each point is run with seed 0..seeds-1; 1 keeps the base config's seed
    name: str = "sweep"
    linked: dict[str, dict] = field(default_factory=dict)  # grid field -> value -> {field: value} set with it
    seed: int = 0  # seeds the random sampling, not the runs


@dataclass(frozen=True)
class SweepRun:
    config: RunConfig
    label: str  # the varied values, e.g. "optimizer=sgd lr=0.01 momentum=0.9 seed=0"
    values: dict
    sweep: str


def count(spec: SweepSpec) -> int:
    """How many runs `spec` makes, without building or validating them."""
    points = math.prod(len(values) for values in spec.grid.values())
    return points * (spec.samples if spec.random else 1) * max(spec.seeds, 1)


def expand(spec: SweepSpec, base_config: RunConfig | None = None) -> list[SweepRun]:
    """Every run of the sweep, in order (first grid field outermost, seeds innermost), each a valid config."""
    _check_shape(spec)
    base = _base(spec, base_config)
    grid = {key: _values(key, values, "sweep grid") for key, values in spec.grid.items()}
    linked = _links(spec.linked, grid)
    samples = _samples(spec)
    seeds = [{"seed": s} for s in range(spec.seeds)] if spec.seeds > 1 else [{}]
    runs = []
    for combination in itertools.product(*grid.values()):
        point = dict(zip(grid, combination))
        for sample, seed in itertools.product(samples, seeds):
            swept = {**point, **sample, **seed}
            values: dict = {}
            for key, value in point.items():
                values[key] = value
                values.update({k: v for k, v in linked.get(key, {}).get(value, {}).items() if k not in swept})
            values.update({**sample, **seed})
            label = " ".join(f"{k}={show_value(v)}" for k, v in values.items())
            try:
                config = base.with_values(**values)
            except ProtScopeError as exc:
                raise ProtScopeError(f"sweep run '{label}' is not a valid config: {exc.problem}", where=exc.where,
                                     fix=exc.fix) from None
            runs.append(SweepRun(config, label, values, spec.name))
    return runs


def parse_grid(items: list[str]) -> dict[str, tuple]:
    """["optimizer=sgd,adam", "lr=1e-3,3e-3", "hidden=64x32,128"] -> typed, validated values per field."""
    grid: dict[str, tuple] = {}
    for item in items:
        key, text = _split_item(item, "--grid", "lr=1e-3,3e-3")
        if key in grid:
            raise ProtScopeError(f"'{key}' is given twice", where="--grid", fix=f"list all values once: {key}=a,b")
        grid[key] = _values(key, _alternatives(key, text, "--grid"), "--grid")
    return grid


def parse_random(items: list[str]) -> dict[str, tuple]:
    """["lr=loguniform:1e-4:1e-2", "dropout=uniform:0:0.5", "model=choice:mlp,cnn"] -> SweepSpec.random."""
    spec: dict[str, tuple] = {}
    for item in items:
        key, text = _split_item(item, "--random", "lr=loguniform:1e-4:1e-2")
        kind, _, rest = text.partition(":")
        raw = ("choice", tuple(_alternatives(key, rest, "--random"))) if kind == "choice" else (kind, *rest.split(":"))
        _distribution(key, raw, "--random")  # refuse a bad field, kind or range now, with the flag named
        spec[key] = ("choice", _values(key, raw[1], "--random")) if kind == "choice" else \
            (kind, *(_typed(key, a, "--random") for a in raw[1:]))
    return spec


def preset_sweep(preset) -> SweepSpec | None:
    """The sweep a preset describes (its `sweep` dict); `per_value` links settings to the first grid field."""
    sweep = getattr(preset, "sweep", None)
    if not sweep:
        return None
    grid = {key: tuple(values) for key, values in sweep.get("grid", {}).items()}
    linked = {next(iter(grid)): sweep["per_value"]} if sweep.get("per_value") and grid else {}
    return SweepSpec(grid=grid, random=dict(sweep.get("random", {})), samples=sweep.get("samples", 0),
                     seeds=sweep.get("seeds", 1), name=preset.name, linked=linked)


def show_value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, tuple):
        return TUPLE_SEPARATOR.join(map(show_value, value))
    return str(value)


# --- validation helpers ---------------------------------------------------------------------------

def _check_shape(spec: SweepSpec) -> None:
    both = sorted(set(spec.grid) & set(spec.random))
    problems = [
        (spec.seeds < 1 or spec.samples < 0, f"seeds is {spec.seeds} and samples {spec.samples}",
         "use at least 1 seed and 0 or more samples"),
        (spec.random and not spec.samples, "random settings are given but no samples", "e.g. --samples 8"),
        (spec.samples and not spec.random, f"{spec.samples} samples asked for, but nothing is random",
         "add e.g. --random lr=loguniform:1e-4:1e-2"),
        (both, f"'{both[0] if both else ''}' is both in the grid and random", "keep one"),
        (spec.seeds > 1 and "seed" in {*spec.grid, *spec.random}, "seed is swept and seeds is above 1",
         "sweep the seed one way only"),
        (count(spec) > MAX_RUNS, f"the sweep has {count(spec):,} runs, more than {MAX_RUNS:,}",
         "sweep fewer fields or values")]
    for failed, problem, fix in problems:
        if failed:
            raise ProtScopeError(problem, where="sweep", fix=fix)


def _base(spec: SweepSpec, base_config: RunConfig | None) -> RunConfig:
    if isinstance(spec.base, RunConfig) and base_config is not None:
        raise ProtScopeError("the base config is given twice", fix="give SweepSpec.base or base_config, not both")
    if isinstance(spec.base, RunConfig):
        return spec.base
    try:
        return (base_config or RunConfig()).with_values(**spec.base)
    except ProtScopeError as exc:
        raise _placed(exc, "sweep base") from None


@functools.cache
def _hints(section: str) -> dict:
    return typing.get_type_hints(SECTIONS[section])


def _hint(key: str, where: str):
    try:
        section, name = locate(key)
    except ProtScopeError as exc:
        raise _placed(exc, where) from None
    hint = _hints(section)[name]
    if typing.get_origin(hint) in (typing.Union, types.UnionType):  # float | None: sample the float
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    return section, name, hint


def _typed(key: str, value, where: str):
    """The value as its field's type, checked against the field's choices and range."""
    section, name, hint = _hint(key, where)
    try:
        value = coerce(value, _hints(section)[name], f"{section}.{name}")
        SECTIONS[section].from_dict({name: value})
    except ProtScopeError as exc:
        raise _placed(exc, where) from None
    return value


def _values(key: str, values, where: str) -> tuple:
    if isinstance(values, (str, bytes)) or not values:
        raise ProtScopeError(f"'{key}' needs a list of values, got {values!r}", where=where,
                             fix=f"give e.g. {key}: (a, b)")
    typed = tuple(_typed(key, v, where) for v in values)
    repeated = [show_value(v) for i, v in enumerate(typed) if v in typed[:i]]
    if repeated:
        raise ProtScopeError(f"'{key}' lists {repeated[0]} twice", where=where, fix="list each value once")
    return typed


def _links(linked: dict, grid: dict) -> dict:
    out: dict = {}
    for key, by_value in linked.items():
        if key not in grid:
            raise ProtScopeError(f"settings are linked to values of '{key}', which the grid does not vary",
                                 where="sweep links", fix=f"add {key} to the grid, or drop the links")
        out[key] = {}
        for value, settings in by_value.items():
            typed = _typed(key, value, "sweep links")
            if typed not in grid[key]:
                raise ProtScopeError(f"settings are linked to {key}={show_value(typed)}, which the grid does not "
                                     "include", where="sweep links",
                                     fix=f"link only to {', '.join(map(show_value, grid[key]))}")
            out[key][typed] = {k: _typed(k, v, "sweep links") for k, v in settings.items()}
    return out


def _distribution(key: str, dist, where: str = "sweep random"):
    """A function drawing one value of `key` from a random.Random, after checking the distribution."""
    kind, *args = dist if isinstance(dist, (tuple, list)) else (dist,)
    if kind == "choice" and len(args) == 1 and isinstance(args[0], (tuple, list)):
        options = _values(key, args[0], where)
        return lambda rng: rng.choice(options)
    if kind not in ("loguniform", "uniform") or len(args) != 2:
        raise ProtScopeError(f"'{key}' has an unknown distribution {dist!r}", where=where,
                             fix="use loguniform:LOW:HIGH, uniform:LOW:HIGH or choice:A,B")
    _, _, hint = _hint(key, where)
    if hint not in (int, float):
        raise ProtScopeError(f"'{key}' is not a number, so it cannot be drawn from a range", where=where,
                             fix=f"use choice:A,B for {key}")
    low, high = (_typed(key, a, where) for a in args)
    if not low < high or (kind == "loguniform" and low <= 0):
        raise ProtScopeError(f"'{key}' has the range {low} to {high}", where=where,
                             fix="give LOW < HIGH" + (", both above 0 for loguniform" if kind == "loguniform" else ""))

    def draw(rng: _random.Random):
        x = math.exp(rng.uniform(math.log(low), math.log(high))) if kind == "loguniform" else rng.uniform(low, high)
        # Rounded so the label is the value the run used; clamped as rounding may step past a bound.
        return round(x) if hint is int else min(max(float(f"{x:.3g}"), low), high)
    return draw


def _samples(spec: SweepSpec) -> list[dict]:
    if not spec.random:
        return [{}]
    draws = {key: _distribution(key, dist) for key, dist in spec.random.items()}
    rng = _random.Random(spec.seed)
    return [{key: draw(rng) for key, draw in draws.items()} for _ in range(spec.samples)]


def _split_item(item: str, flag: str, example: str) -> tuple[str, str]:
    key, sep, text = item.partition("=")
    if not sep or not key.strip() or not text.strip():
        raise ProtScopeError(f"'{item}' is not FIELD=VALUES", where=flag, fix=f"write e.g. {flag} {example}")
    return key.strip(), text.strip()


def _alternatives(key: str, text: str, where: str) -> list[str]:
    """Comma-separated values; for tuple fields each value's parts are joined by TUPLE_SEPARATOR."""
    _, _, hint = _hint(key, where)
    items = [v.strip() for v in text.split(",")]
    return [v.replace(TUPLE_SEPARATOR, ",") for v in items] if typing.get_origin(hint) is tuple else items


def _placed(exc: ProtScopeError, where: str) -> ProtScopeError:
    return ProtScopeError(exc.problem, where=exc.where or where, fix=exc.fix)


# --- execution ------------------------------------------------------------------------------------

def run_sweep(runs: list[SweepRun], data=None, store=None, tags=(), runs_dir=None, backend: str = "local",
              ray_address: str | None = None, on_result=None, ray_cpus: int | None = None,
              gpus_per_run: float = 0.0) -> list[dict]:
    """Train and record every run; returns {run_id, label, status, message, metrics, task} per run, in order.

    `data`: a ProteinData used for every run, a DataConfig that replaces every run's data section,
    or None for each run's own. `on_result(report)` is called as each run ends.
    """
    from core.store import open_store
    from core.store import runs_dir as default_runs_dir

    if not runs:
        return []
    if isinstance(data, DataConfig):
        runs, data = [replace(r, config=r.config.replace(data=data)) for r in runs], None
    store = store if store is not None else open_store()
    root = Path(runs_dir) if runs_dir else default_runs_dir()
    tags = tuple(tags)
    if backend == "local":
        return _run_local(runs, data, store, tags, root, on_result)
    if backend == "ray":
        return _run_ray(runs, data, store, tags, root, ray_address, on_result, ray_cpus, gpus_per_run)
    raise ProtScopeError(f"unknown sweep backend '{backend}'", fix="use local or ray")


def _run_local(runs, data, store, tags, root: Path, on_result) -> list[dict]:
    from core.datasets import load_data
    from core.serialise import write_run_files
    from core.splits import make_split
    from core.store import record_in_background
    from core.trainer import Trainer, new_run_id

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
    reports = []
    for run in runs:
        chosen, split = loaded[json.dumps(run.config.data.to_dict(), sort_keys=True)]
        run_id = new_run_id()
        trainer = Trainer(run.config, chosen, split, run_dir=root / run_id, run_id=run_id)
        recorder = record_in_background(trainer, store, name=f"{run.sweep} {run.label}",
                                        tags=(f"sweep:{run.sweep}", *tags))
        result = trainer.run()
        write_run_files(trainer.run_dir, result)
        recorder.join()
        message = result.message + (f" (not fully recorded: {recorder.error})" if recorder.error else "")
        reports.append({"run_id": run_id, "label": run.label, "status": result.status, "message": message,
                        "metrics": result.metrics, "task": chosen.task})
        if on_result:
            on_result(reports[-1])
    return reports


def _run_ray(runs, data, store, tags, root: Path, address, on_result, cpus, gpus_per_run) -> list[dict]:
    import ray

    from core.trainer import new_run_id

    started_here = not ray.is_initialized()
    if started_here:
        # Workers must import `core` whatever folder the driver runs in.
        env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
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
            _record_remote(store, run, out, root, tags)
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
    return {"run_id": run_id, "status": "failed", "message": message, "history": [], "metrics": {}, "best_epoch": 0,
            "config": config.to_dict(), "dataset": config.data.dataset or config.data.path, "fingerprint": "",
            "task": config.data.task, "device": "", "parameters": 0, "started": now, "ended": now, "checkpoint": b""}


def train_remote(config_json: str, run_id: str, data=None) -> dict:
    """One run on a Ray worker: loads its data from the config (unless given), trains, and returns plain
    values (the checkpoint as bytes) for the driver to record."""
    import tempfile

    from core.datasets import load_data
    from core.trainer import Trainer

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
            "started": began.time if began else time.time(), "ended": time.time(), "checkpoint": checkpoint}


def _record_remote(store, run: SweepRun, out: dict, root: Path, tags: tuple) -> None:
    """Write a remote run's folder on the driver side and record it in the store."""
    from core.serialise import write_run_files

    run_dir = root / out["run_id"]
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(out["config"], indent=2))
    checkpoint = ""
    if out["checkpoint"]:
        checkpoint = str(run_dir / "checkpoint.pt")
        Path(checkpoint).write_bytes(out["checkpoint"])
    write_run_files(run_dir, types.SimpleNamespace(**out))
    store.create_run(out["run_id"], f"{run.sweep} {run.label}", out["config"], out["dataset"], out["fingerprint"],
                     out["task"], run_dir, device=out["device"], parameters=out["parameters"], started=out["started"],
                     tags=(f"sweep:{run.sweep}", *tags))
    for row in out["history"]:
        store.add_epoch(out["run_id"], row)
    store.finish_run(out["run_id"], out["status"], out["message"], out["best_epoch"], out["metrics"], checkpoint,
                     ended=out["ended"])
