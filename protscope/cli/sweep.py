"""`python -m protscope sweep`: many training runs over a grid, random samples and seeds, recorded as one sweep.

    python -m protscope sweep --dataset esol --grid optimizer=sgd,adam,adamw --grid lr=1e-3,3e-3 --seeds 3 --dry-run
    python -m protscope sweep --preset optimizer-comparison --epochs 5 --ray      # on a local Ray cluster

The base config is built as `train` builds it (defaults, --preset, --config, the data, the flags);
the sweep then varies it. A preset with a sweep supplies its grid, linked settings and seeds;
--grid and --seeds win over the preset's, and a flag such as --lr wins over the preset's linked
values, as flags win over presets everywhere. Runs are tagged `sweep:NAME` in the run store.
"""
from __future__ import annotations

import json
import sys
import time

from protscope.cli.flags import add_section_flags
from protscope.errors import ProtScopeError
from protscope.status import Status


def add_sweep_parser(sub) -> None:
    from protscope.config.run_config import SECTIONS

    sweep = sub.add_parser("sweep", help="train many runs over a grid of settings and seeds",
                           description="Train one run per combination of --grid values (x --samples random points "
                                       "x --seeds), each recorded in the run store with the tag sweep:NAME.")
    sweep.add_argument("--grid", action="append", default=[], metavar="FIELD=V1,V2",
                       help="values to try for a setting, e.g. lr=1e-3,3e-3; parts of a list setting joined by x, "
                            "e.g. hidden=64x32,128 (repeatable)")
    sweep.add_argument("--random", action="append", default=[], metavar="FIELD=DIST",
                       help="draw a setting at random: loguniform:1e-4:1e-2, uniform:0:0.5 or choice:a,b (repeatable)")
    sweep.add_argument("--samples", type=int, help="random points to draw (with --random)")
    sweep.add_argument("--sweep-seed", type=int, default=0, help="seed of the random draws (default 0)")
    sweep.add_argument("--seeds", type=int, help="train every point with seeds 0..N-1 (default 1: the config's seed)")
    sweep.add_argument("--name", dest="sweep_name", help="the sweep's name (default: the preset, or the swept "
                                                         "settings and the time)")
    sweep.add_argument("--tag", dest="run_tags", action="append", default=[], help="tag every run (repeatable)")
    sweep.add_argument("--data", dest="path", help="a CSV, TSV or FASTA file to train on")
    sweep.add_argument("--preset", help="a named preset, e.g. optimizer-comparison")
    sweep.add_argument("--config", help="a run config JSON as the base")
    sweep.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    sweep.add_argument("--ray", nargs="?", const="", metavar="ADDRESS",
                       help="train the runs as Ray tasks: alone, on a local Ray instance started for the sweep; with "
                            "an address, on that cluster (auto: the one this machine belongs to, or ray://HEAD:10001)")
    sweep.add_argument("--ray-cpus", type=int, help="CPUs of the local Ray cluster (default: one per run, at most "
                                                    "all); each run takes one")
    sweep.add_argument("--gpus-per-run", type=float, default=0.0,
                       help="GPUs each Ray run reserves, e.g. 0.5 (default 0: Ray hides the GPUs from the run, so it "
                            "trains on the CPU)")
    sweep.add_argument("--parallel", type=int, default=1, metavar="N",
                       help="without --ray: runs that train at once in background threads (default 1: on a CPU, "
                            "two runs at once each go at less than half speed)")
    sweep.add_argument("--dry-run", action="store_true", help="list the runs and their count; train nothing")
    sweep.add_argument("--json", action="store_true", help="print only a JSON list on stdout (progress on stderr)")
    for name, section in SECTIONS.items():
        add_section_flags(sweep, section, skip=("path",), name_flag=name)
    sweep.set_defaults(run=cmd_sweep)


def cmd_sweep(args) -> int:
    from protscope.cli.train import build_config, field_flags
    from protscope.runs.sweeps import expand

    flags = field_flags(args)
    base = build_config(args.preset, args.config, flags)
    spec = sweep_spec(args, {k for k, v in flags.items() if v is not None})
    runs = expand(spec, base)
    where = base.data.dataset or base.data.path
    if args.dry_run:
        if args.json:
            print(json.dumps([{"label": r.label, "values": r.values, "config": r.config.to_dict()} for r in runs]))
        else:
            print(f"sweep '{spec.name}' on {where}:")
            width = len(str(len(runs)))
            for i, run in enumerate(runs, start=1):
                print(f"  {i:>{width}}  {run.label or '(the base config)'}")
            print(f"{len(runs)} runs (dry run: nothing trained)")
        return 0
    return train_sweep(args, spec.name, runs, where)


def sweep_spec(args, flagged: set[str]):
    """The SweepSpec from the preset's sweep (if any) and the flags; flags and --grid win."""
    from protscope.config.presets import get_preset
    from protscope.runs.sweeps import SweepSpec, parse_grid, parse_random, preset_sweep, show_value

    preset = preset_sweep(get_preset(args.preset)) if args.preset else None
    preset = preset or SweepSpec()
    grid = {**preset.grid, **parse_grid(args.grid)}
    random = parse_random(args.random)
    # Links follow the preset's grid values still swept; a setting given as a flag is not overridden.
    linked = {}
    for key, by_value in preset.linked.items():
        swept = {show_value(v) for v in grid.get(key, ())}
        linked[key] = {value: {k: v for k, v in settings.items() if k not in flagged}
                       for value, settings in by_value.items() if show_value(value) in swept}
    linked = {key: by_value for key, by_value in linked.items() if by_value}
    if not (grid or random or args.seeds or preset.seeds > 1):
        raise ProtScopeError("nothing to sweep", fix="add --grid FIELD=V1,V2, --random FIELD=DIST with --samples N, "
                             "--seeds N, or a sweep preset such as --preset optimizer-comparison")
    name = args.sweep_name or (args.preset if args.preset and preset.grid else
                               f"{'-'.join([*grid, *random]) or 'seeds'}-{time.strftime('%Y%m%d-%H%M%S')}")
    return SweepSpec(grid=grid, random=random, samples=args.samples if args.samples is not None else preset.samples,
                     seeds=args.seeds if args.seeds is not None else preset.seeds, name=name, linked=linked,
                     seed=args.sweep_seed)


def train_sweep(args, name: str, runs: list, where: str) -> int:
    from protscope.evaluation.metrics import MAIN_METRICS
    from protscope.runs.store import open_store
    from protscope.runs.sweep_runner import run_sweep
    from protscope.serialise import clean_json

    out = sys.stderr if args.json else sys.stdout
    backend = "local" if args.ray is None else "ray"
    address = args.ray or None
    print(f"sweep '{name}' on {where}: {len(runs)} runs" + (" on Ray" if backend == "ray" else ""), file=out,
          flush=True)
    finished = []

    def progress(report: dict) -> None:
        finished.append(report)
        main = MAIN_METRICS.get(report["task"], ("loss",))[0]
        value = report["metrics"].get("test", {}).get(main)
        shown = f"test {main} {value:.4g}" if isinstance(value, float) else report["message"]
        print(f"[{len(finished)}/{len(runs)}] {report['label']}: {report['status']}  {shown}  ({report['run_id']})",
              file=out, flush=True)

    try:
        reports = run_sweep(runs, None, open_store(args.db), tags=args.run_tags, backend=backend,
                            ray_address=address, on_result=progress, ray_cpus=args.ray_cpus,
                            gpus_per_run=args.gpus_per_run, parallel=max(1, args.parallel))
    except ModuleNotFoundError as exc:
        if exc.name != "ray":
            raise
        raise ProtScopeError("the Ray backend needs the ray package, which is not installed",
                             fix="pip install -r requirements-ray.txt, or leave out --ray to train "
                                 "here") from None
    failed = sum(r["status"] == Status.FAILED for r in reports)
    if args.json:
        print(json.dumps(clean_json([{k: r[k] for k in ("run_id", "label", "status", "metrics")} for r in reports])))
    else:
        print(f"{len(reports) - failed} of {len(reports)} runs trained" + (f", {failed} failed" if failed else "")
              + f"; list them with `python -m protscope runs list --tag sweep:{name}`")
    return 1 if failed else 0
