"""Comparing runs: pure functions from stored runs (dicts from protscope.runs.store) to tables and series.

Runs that differ only in their seed form one group, drawn as a mean line with a ±1 sd band, and
summarised as mean ± sd of the final metrics: the spread over seeds is how big a difference between
settings has to be before it means anything.
"""
from __future__ import annotations

import json
import math

import numpy as np

from protscope.serialise import clean_json, csv_text

SEED_FIELD = "seed"


def flat_config(config: dict) -> dict:
    """{"optimizer": {"name": "sgd", "lr": 0.01}, ...} -> {"optimizer": "sgd", "lr": 0.01, ...}."""
    flat = {}
    for section, values in config.items():
        for key, value in values.items():
            flat[section if key == "name" else key] = tuple(value) if isinstance(value, list) else value
    return flat


def final_metrics(run: dict) -> dict:
    """Final metrics flattened: {"test_accuracy": ..., "val_loss": ...}."""
    return {f"{split}_{name}": value for split, values in (run.get("metrics") or {}).items()
            for name, value in values.items()}


def run_rows(runs: list[dict]) -> list[dict]:
    """One row per run: who it is, how it ended, every setting and every final metric."""
    # The dataset's name last: the config's own `dataset` field is empty for a file or an upload.
    return [{"id": r["id"], "name": r.get("name") or r["id"], "status": r.get("status", ""),
             "reason": r.get("message", r.get("reason", "")), **flat_config(r.get("config") or {}),
             "dataset": r.get("dataset", ""), **final_metrics(r)} for r in runs]


def config_keys(runs: list[dict]) -> list[str]:
    keys: list[str] = []
    for run in runs:
        keys += [k for k in flat_config(run.get("config") or {}) if k not in keys]
    return keys


def differing(rows: list[dict], keys: list[str]) -> list[str]:
    """The keys whose values are not all equal across `rows`."""
    return [k for k in keys if len({_hashable(r.get(k)) for r in rows}) > 1]


def group_key(run: dict) -> tuple:
    """Everything about a run's settings except its seed."""
    flat = flat_config(run.get("config") or {})
    return tuple(sorted((k, _hashable(v)) for k, v in flat.items() if k != SEED_FIELD)) + (("data", run.get(
        "dataset", "")),)


def seed_groups(runs: list[dict]) -> list[list[dict]]:
    """Runs grouped by everything but the seed, in first-seen order."""
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        groups.setdefault(group_key(run), []).append(run)
    return list(groups.values())


def group_label(group: list[dict], varying: list[str]) -> str:
    """The settings that set this group apart, e.g. 'optimizer sgd · lr 0.01 (3 seeds)'."""
    text = _settings_text(group[0], [k for k in varying if k != SEED_FIELD]) or (group[0].get("name") or group[0]["id"])
    return f"{text} ({len(group)} seeds)" if len(group) > 1 else text


def group_labels(groups: list[list[dict]], varying: list[str]) -> list[str]:
    """group_label of each group, told apart by dataset (or a run's name or id) where two would be equal."""
    return _tell_apart([group_label(g, varying) for g in groups],
                       [[f"data {g[0].get('dataset') or '?'}", g[0].get("name") or "", g[0]["id"]] for g in groups])


def line_label(run: dict, varying: list[str]) -> str:
    """A legend entry: only the settings in `varying` (those that differ among the runs shown), short, e.g.
    'optimizer sgd · lr 0.01'; the run's name (or id) when none differs."""
    return _settings_text(run, varying) or run.get("name") or run["id"]


def line_labels(runs: list[dict], varying: list[str], lead: str | None = None) -> list[str]:
    """line_label of each run, `lead` (the setting lines are coloured by) first, and unique: runs that
    would share a label get their name, seed or id added."""
    order = [k for k in varying if k == lead] + [k for k in varying if k != lead]
    seeds = [flat_config(r.get("config") or {}).get(SEED_FIELD) for r in runs]
    return _tell_apart([line_label(r, order) for r in runs],
                       [[r.get("name") or "", "" if seed is None else f"seed {seed}", r["id"]]
                        for r, seed in zip(runs, seeds)])


def setting_text(key: str, value) -> str:
    """One setting, short: 'lr 3e-4', 'optimizer sgd', 'hidden 256,128,64,…', 'residual on'."""
    return f"{key.replace('_', ' ')} {_short(value)}"


def summary_rows(groups: list[list[dict]], varying: list[str], metrics: list[str]) -> list[dict]:
    """Per group: its label, size, and mean ± sd of each final metric (sd over seeds, n-1)."""
    rows = []
    for group, label in zip(groups, group_labels(groups, varying)):
        finals = [final_metrics(r) for r in group]
        row = {"group": label, "runs": len(group)}
        for m in metrics:
            values = np.array([f.get(m, np.nan) for f in finals], dtype=float)
            values = values[np.isfinite(values)]
            mean = float(values.mean()) if values.size else math.nan
            sd = float(values.std(ddof=1)) if values.size > 1 else math.nan
            row[m] = mean
            row[f"{m} sd"] = sd
            row[f"{m} (mean ± sd)"] = (f"{mean:.4f} ± {sd:.4f}" if math.isfinite(sd) else
                                       f"{mean:.4f}" if math.isfinite(mean) else "–")
        rows.append(row)
    return rows


def series(history: list[dict], metric: str, x: str = "epoch") -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of one metric over a run's epochs; x is the epoch or the wall time in seconds so far."""
    rows = [h for h in history if metric in h]
    y = np.array([_number(h[metric]) for h in rows], dtype=float)
    if x == "time":
        return np.cumsum([_number(h.get("seconds", 0.0)) for h in rows]), y
    return np.array([h["epoch"] for h in rows], dtype=float), y


def mean_band(histories: list[list[dict]], metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(epochs, mean, sd) over runs, epoch by epoch; an epoch counts the runs that reached it (early
    stopping ends runs at different epochs). An epoch only one run reached has sd 0."""
    epochs, values = [], []
    for history in histories:
        for h in history:
            value = _number(h.get(metric))
            if math.isfinite(value):
                epochs.append(int(h["epoch"]))
                values.append(value)
    # Sums per epoch with bincount, not np.mean/np.std per epoch: 300 epochs of 20 runs were 3,600 numpy calls.
    unique, slot = np.unique(np.array(epochs, dtype=int), return_inverse=True)
    values = np.array(values, dtype=float)
    count = np.bincount(slot, minlength=unique.size)
    mean = np.bincount(slot, weights=values, minlength=unique.size) / np.maximum(count, 1)
    squares = np.bincount(slot, weights=(values - mean[slot]) ** 2, minlength=unique.size)
    sd = np.sqrt(squares / np.maximum(count - 1, 1))  # as np.std(ddof=1); one run: squares are 0
    return unique.astype(float), mean, sd


def metric_names(histories: list[list[dict]]) -> list[str]:
    """Metrics present in the histories: val_loss and train_loss first, then validation metrics, then
    training ones."""
    names: list[str] = []
    for history in histories:
        for h in history[:1]:
            names += [k for k in h if k not in names and k not in ("epoch", "lr", "grad_norm", "seconds")]
    first = ("val_loss", "train_loss")
    return sorted(names, key=lambda n: (n not in first, first.index(n) if n in first else 0,
                                        not n.startswith("val_"), n))


def curves_csv(histories: dict[str, list[dict]]) -> str:
    """Every epoch row of every run, one CSV row each, led by the run's id."""
    return csv_text([{"run": run_id, **row} for run_id, history in histories.items() for row in history])


def runs_json(runs: list[dict], histories: dict[str, list[dict]]) -> str:
    """The runs as stored and their curves by run id, in one JSON document (NaN as null)."""
    return json.dumps(clean_json({"runs": runs, "curves": histories}))


def _number(value) -> float:
    try:
        return float(value) if value is not None else math.nan
    except (TypeError, ValueError):
        return math.nan


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _short(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (int, float)) and math.isfinite(value) and value and not 1e-3 <= abs(value) < 1e5:
        mantissa, exponent = f"{value:.2e}".split("e")  # 0.0003 -> 3e-4, as the settings are typed
        return f"{float(mantissa):g}e{int(exponent)}"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (tuple, list)):
        items = [_short(v) for v in value]
        return ",".join(items if len(items) <= 4 else items[:3] + ["…"])
    if value is None:
        return "none"
    text = str(value)
    return text if len(text) <= 18 else text[:17] + "…"


def _settings_text(run: dict, keys: list[str]) -> str:
    values = {**flat_config(run.get("config") or {}), "dataset": run.get("dataset")}
    return " · ".join(setting_text(k, values.get(k)) for k in keys)


def _tell_apart(labels: list[str], candidates: list[list[str]]) -> list[str]:
    """`labels` made unique: the items sharing one get the first of their candidate suffixes that differs
    among them all (the last candidate, an id, always does)."""
    out = list(labels)
    for label in {text for text in labels if labels.count(text) > 1}:
        twins = [i for i, text in enumerate(labels) if text == label]
        for option in range(len(candidates[twins[0]])):
            suffixes = [candidates[i][option] for i in twins]
            if all(suffixes) and len(set(suffixes)) == len(twins) and label not in suffixes:
                for i, suffix in zip(twins, suffixes):
                    out[i] = f"{label} · {suffix}"
                break
    return out
