"""Sweeps: many runs made from one base config by a grid, random samples and seeds, recorded together.

    spec = SweepSpec(grid={"optimizer": ("sgd", "adam")}, seeds=3, name="optimizers")
    runs = expand(spec, base_config)          # 6 SweepRuns, every one validated before anything trains
    protscope.runs.sweep_runner.run_sweep(runs, None, store)   # one after another here, or backend="ray" on Ray

Within a run, later settings win: the base config, then the settings linked to a grid value
(`linked`, e.g. SGD's own learning rate), then the grid, random and seed values themselves.
Random samples are drawn once (seeded by `SweepSpec.seed`) and crossed with every grid point, so
grid values are compared on the same samples. Each run is recorded in the run store named
"<sweep> <label>" and tagged `sweep:<sweep>`, so the dashboard can group and compare them.
"""
from __future__ import annotations

import functools
import itertools
import math
import random as _random
import types
import typing
from dataclasses import dataclass, field

from protscope.config.run_config import SECTIONS, RunConfig, locate
from protscope.config.setting import coerce
from protscope.errors import ProtScopeError

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
