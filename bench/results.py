"""Reproduce the course case studies and published baselines: `make results` (python -m bench.results).

Trains every preset (protscope/config/presets.py) with 3 seeds on its dataset's published split, evaluates each
once on the held-out test set, fits the composition baseline (gradient-boosted trees on AAC + DPC +
log length, scikit-learn) and writes docs/RESULTS.md beside the published numbers.

Every run is saved to docs/results/runs.json as soon as it ends, so an interrupted job loses at most
one run: `--resume` keeps saved runs whose config is unchanged and trains only the rest, and
`--render` rewrites the table from the saved runs without training. `--only NAME` (repeatable)
retrains the named presets, variants or baselines and keeps the others' saved results. `--quick`
trains 1 epoch of 2 batches with 1 seed into a temporary folder: a smoke test of the whole script.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.report import marked_sections
from bench.results_table import CAPPED_EPOCHS, render
from protscope.cli.train import build_config
from protscope.config.presets import PRESETS
from protscope.config.run_config import RunConfig
from protscope.data.builtin import load_data
from protscope.data.splits import make_split
from protscope.runs.sweeps import expand, preset_sweep
from protscope.train.trainer import Trainer

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

OUT = ROOT / "docs" / "results" / "runs.json"

TABLE = ROOT / "docs" / "RESULTS.md"

SEEDS = 3


# Configurations that are not presets, trained to show what was tried on the way to the presets.
VARIANTS = {
    "esol-mlp-aac": ("esol", "MLP on AAC alone (no length)", dict(
        dataset="esol", encoding="aac", model="mlp", hidden=(256, 64), dropout=0.3, lr=3e-4, epochs=200,
        early_stopping=True, patience=20)),
    "esol-mlp-dpc": ("esol", "MLP on dipeptide composition (400 features)", dict(
        dataset="esol", encoding="dpc", model="mlp", hidden=(256, 64), dropout=0.3, lr=3e-4, epochs=200,
        early_stopping=True, patience=20)),
    "esol-linear": ("esol", "Logistic regression on AAC + length", dict(
        dataset="esol", encoding="aac_length", model="linear", lr=1e-3, epochs=200, early_stopping=True,
        patience=20)),
    "esol-regression-mlp-128": ("esol-regression", "MLP (128) on AAC + length, lr 1e-3", dict(
        dataset="esol-regression", encoding="aac_length", model="mlp", hidden=(128,), dropout=0.3, lr=1e-3,
        epochs=200, early_stopping=True, patience=20)),
}

BASELINES = ("esol", "esol-regression", "deepsol")


def runs_of(name: str, seeds: int, quick: bool) -> list[tuple[str, RunConfig]]:
    """(label, config) of every run of a preset or variant: a sweep's points times seeds, or seeds."""
    if name in VARIANTS:
        base = build_config(None, None, dict(VARIANTS[name][2]))
    else:
        base = build_config(name, None, {})
    changes = dict(epochs=1, max_batches=2) if quick else (
        {"epochs": CAPPED_EPOCHS[name]} if name in CAPPED_EPOCHS else {})
    base = base.with_values(**changes) if changes else base
    preset = PRESETS.get(name)
    spec = preset_sweep(preset) if preset and preset.sweep else None
    if spec is not None:
        from dataclasses import replace

        return [(r.label, r.config) for r in expand(replace(spec, seeds=seeds), base)]
    return [(f"seed={s}", base.with_values(seed=s)) for s in range(seeds)]


def train_one(config: RunConfig, data, split) -> dict:
    """Train in this thread (no second torch thread pool) and keep what the table needs."""
    start = time.perf_counter()
    result = Trainer(config, data, split).run()
    seconds = time.perf_counter() - start
    return {"config": config.to_dict(), "status": result.status, "message": result.message,
            "epochs": len(result.history), "best_epoch": result.best_epoch, "seconds": round(seconds, 2),
            "val": _floats(result.metrics.get("val", {})), "test": _floats(result.metrics.get("test", {}))}


def _floats(metrics: dict) -> dict:
    return {k: (None if not np.isfinite(v) else round(float(v), 5)) for k, v in metrics.items()
            if isinstance(v, (int, float))}


def composition_features(data) -> np.ndarray:
    """(N, 421): AAC (20), DPC (400) and log length, computed with the engine's own k-mer counts."""
    from protscope.modeling.encodings import as_tensor, kmer_counts

    tokens, lengths = as_tensor(data.tokens), as_tensor(data.lengths)
    return np.hstack([kmer_counts(tokens, lengths, 1).numpy(), kmer_counts(tokens, lengths, 2).numpy(),
                      np.log(np.maximum(data.lengths, 1))[:, None]])


def baseline_one(dataset: str, seed: int, quick: bool) -> dict:
    """Gradient-boosted trees on composition, trained on train + val (the trees hold out their own
    10% for early stopping), scored once on the test split with the engine's metrics."""
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from protscope.data.builtin import config_for
    from protscope.evaluation.metrics import compute_metrics

    cfg = config_for(dataset)
    data = load_data(cfg)
    split = make_split(data, cfg)
    x = composition_features(data)
    fit_rows = np.concatenate([split.index("train"), split.index("val")])
    test = split.index("test")
    kind = HistGradientBoostingRegressor if data.task == "regression" else HistGradientBoostingClassifier
    trees = kind(max_iter=10 if quick else 500, learning_rate=0.05, early_stopping=True, random_state=seed)
    start = time.perf_counter()
    trees.fit(x[fit_rows], data.y[fit_rows])
    outputs = trees.predict(x[test]) if data.task == "regression" else trees.predict_proba(x[test])
    metrics = compute_metrics(data.task, data.y[test], np.asarray(outputs, dtype=np.float64))
    return {"dataset": dataset, "seed": seed, "seconds": round(time.perf_counter() - start, 2),
            "test": _floats(metrics), "trees": int(trees.n_iter_)}


def load_saved(path: Path) -> dict:
    if path.exists():
        return json.loads(path.read_text())
    return {"runs": {}, "baselines": {}}


def save(path: Path, saved: dict) -> None:
    """Write atomically, so a killed job leaves the previous file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(saved, indent=1, sort_keys=True))
    os.replace(tmp, path)


def run_all(names: list[str], saved: dict, out: Path, seeds: int, quick: bool, resume: bool) -> dict:
    cache: dict[str, tuple] = {}
    for name in names:
        if name in BASELINES and name not in PRESETS:
            continue
        for label, config in runs_of(name, seeds, quick):
            key = f"{name} {label}"
            old = saved["runs"].get(key)
            if resume and old and old["config"] == config.to_dict():
                continue
            data_key = json.dumps(config.data.to_dict(), sort_keys=True)
            if data_key not in cache:
                data = load_data(config.data)
                cache = {data_key: (data, make_split(data, config.data))}  # one dataset in memory at a time
            record = train_one(config, *cache[data_key])
            saved["runs"][key] = {"name": name, "label": label, **record}
            save(out, saved)
            print(f"{key}: {record['status']} in {record['seconds']:.0f} s, test "
                  + " ".join(f"{k} {v:.3f}" for k, v in record["test"].items()
                             if k in ("accuracy", "mcc", "roc_auc", "r2", "spearman", "q3") and v is not None),
                  flush=True)
    for dataset in BASELINES:
        if dataset not in names:
            continue
        for seed in range(seeds):
            key = f"trees {dataset} seed={seed}"
            if resume and key in saved["baselines"] and not quick:
                continue
            saved["baselines"][key] = baseline_one(dataset, seed, quick)
            save(out, saved)
            print(f"{key}: {saved['baselines'][key]['test']}", flush=True)
    return saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[], help="a preset, variant or baseline dataset")
    parser.add_argument("--resume", action="store_true", help="keep saved runs whose config is unchanged")
    parser.add_argument("--render", action="store_true", help="rewrite the table from saved runs only")
    parser.add_argument("--quick", action="store_true", help="1 epoch of 2 batches, 1 seed, into --out")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--out", type=Path, default=None, help="folder for runs.json and RESULTS.md")
    args = parser.parse_args(argv)
    # quick ones first, so an interrupted job has saved the most results
    slow = [n for n in PRESETS if PRESETS[n].values["model"] == "cnn"]
    known = [*(n for n in PRESETS if n not in slow), *VARIANTS, *BASELINES, *slow]
    unknown = [n for n in args.only if n not in known]
    if unknown:
        print(f"error: unknown name '{unknown[0]}'; choose from: {', '.join(dict.fromkeys(known))}", file=sys.stderr)
        return 2
    folder = args.out or (Path(tempfile.mkdtemp(prefix="protscope-results-")) if args.quick else None)
    out, table = (folder / "runs.json", folder / "RESULTS.md") if folder else (OUT, TABLE)
    saved = load_saved(out)
    seeds = 1 if args.quick else args.seeds
    if not args.render:
        names = args.only or list(dict.fromkeys(known))
        if args.only or args.resume:
            for name in args.only:  # retrain these from scratch
                saved["runs"] = {k: v for k, v in saved["runs"].items() if v["name"] != name}
                saved["baselines"] = {k: v for k, v in saved["baselines"].items() if v["dataset"] != name}
        else:
            saved = {"runs": {}, "baselines": {}}
        from bench.report import machine_info

        saved["quick"] = args.quick
        saved["machine"] = {k: v for k, v in machine_info().items() if not k.startswith("load")}
        started = time.time()
        saved = run_all(names, saved, out, seeds, args.quick, resume=args.resume or bool(args.only))
        saved.setdefault("jobs", []).append({"names": names, "seconds": round(time.time() - started),
                                             "finished": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())})
        save(out, saved)
    table.parent.mkdir(parents=True, exist_ok=True)
    kept = marked_sections(table.read_text()) if table.exists() else ""  # sections other scripts write
    table.write_text(render(saved) + kept)
    print(f"wrote {table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
