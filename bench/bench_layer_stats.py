"""The cost of recording layer statistics: the same run with `layer_stats` on and off.

Cases: the course notes' solubility CNN (tokens, embedding 64, two Conv1d of 128, batch 32) and the
composition MLP (aac_length, 256-64), on the built-in eSOL split, CPU, 2 torch threads. The two
settings are interleaved (on off, off on, ...) and each is timed at its median round. The measure is
training throughput (the EpochEnd speed: proteins per second of training, validation left out, so the
overhead is not diluted by validation time), and whole-run wall time for information. The automatic
spacing (layer_stats_every 0, the default) is what users get; `every 1` (every step) is shown too.

Run: `python -m bench.bench_layer_stats` (writes its section of bench/README.md), `--quick` for a smoke run.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

from bench.report import Row, bench_main, machine_info, section_markdown, text_table
from protscope.config.presets import get_preset
from protscope.config.run_config import RunConfig
from protscope.data.builtin import config_for, load_data
from protscope.data.splits import make_split
from protscope.train.trainer import Trainer

NAME = "layer_stats"
README = Path(__file__).resolve().parent / "README.md"
THREADS = 2
TARGET = 0.10  # at most 10 % slower with recording on
SIZES = {"full": {"rounds": 5, "cnn": dict(epochs=2, max_batches=40), "mlp": dict(epochs=6)},
         "quick": {"rounds": 1, "cnn": dict(epochs=1, max_batches=3), "mlp": dict(epochs=1, max_batches=5)}}
CASES = {"cnn": ("solubility-cnn", "the course CNN (tokens, 2 x Conv1d 128, batch 32)"),
         "mlp": ("solubility-mlp", "the composition MLP (aac_length, 256-64, batch 32)")}


def config_of(case: str, size: dict, **values) -> RunConfig:
    preset = {k: v for k, v in get_preset(CASES[case][0]).values.items() if k != "dataset"}
    return RunConfig().with_values(**{**preset, **size[case], "early_stopping": False, "scheduler": "none",
                                      "validate_every": 0, **values})


def timed(config: RunConfig, data, split) -> tuple[float, float, int]:
    """(training proteins per second, whole-run seconds, layer records kept)."""
    trainer = Trainer(config, data, split)
    began = time.perf_counter()
    trainer.run()
    took = time.perf_counter() - began
    snap = trainer.snapshot()
    speed = statistics.mean(e.samples_per_s for e in snap.history)
    return speed, took, len(snap.layer_records)


def run(quick: bool = False, log=print) -> dict:
    size = SIZES["quick" if quick else "full"]
    torch.set_num_threads(THREADS)
    info = machine_info()
    data = load_data(config_for("esol"))
    split = make_split(data, config_for("esol"))
    rows, notes = [], []
    for case, (_, title) in CASES.items():
        variants = {"off": dict(layer_stats=False), "auto": dict(layer_stats=True),
                    "every step": dict(layer_stats=True, layer_stats_every=1)}
        results = {v: [] for v in variants}
        timed(config_of(case, size, epochs=1, max_batches=2), data, split)  # warm-up: allocator, first imports
        for r in range(size["rounds"]):
            order = list(variants) if r % 2 == 0 else list(reversed(variants))
            for v in order:
                results[v].append(timed(config_of(case, size, **variants[v]), data, split))
                log(f"{case} {v}: {results[v][-1][0]:.0f} proteins/s, {results[v][-1][1]:.2f} s, "
                    f"{results[v][-1][2]} records")
        speed = {v: statistics.median(x[0] for x in results[v]) for v in variants}
        wall = {v: statistics.median(x[1] for x in results[v]) for v in variants}
        for v in ("auto", "every step"):
            overhead = speed["off"] / speed[v] - 1
            rows.append(Row(f"{title}: training with layer statistics ({v}) vs off",
                            f"{speed[v]:.0f} proteins/s", f"{speed['off']:.0f} proteins/s",
                            f"{100 * overhead:+.1f} %", "≤ +10 %" if v == "auto" else "—",
                            overhead <= TARGET if v == "auto" else None))
        rows.append(Row(f"{title}: whole run, auto vs off", f"{wall['auto']:.2f} s", f"{wall['off']:.2f} s",
                        f"{100 * (wall['auto'] / wall['off'] - 1):+.1f} %"))
        notes.append(f"{title}: {results['auto'][-1][2]} records kept with automatic spacing, "
                     f"{results['every step'][-1][2]} when recording every step; settings {size[case]}.")
    notes.insert(0, "Overhead = throughput off / throughput on − 1, medians over interleaved rounds "
                    f"({size['rounds']}). The automatic spacing aims at 3 % per recorded interval; the first update "
                    "and each epoch's last are always recorded, which is most of the cost in short epochs.")
    info["torch threads"] = str(torch.get_num_threads())
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("Layer statistics", "`python -m bench.bench_layer_stats` — what recording each layer's "
                            "weights, gradients, update ratios and activations costs (docs/INTERNALS.md).", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
