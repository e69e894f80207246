"""The cost of recording what a model learned (`training.learned`): first-layer filters and the learned space
of up to 500 validation proteins at each epoch's end.

Cases: the course notes' solubility CNN (tokens, embedding 64, two Conv1d of 128, batch 32) and the
composition MLP (aac_length, 256-64), on the built-in eSOL split, CPU, 2 torch threads. Two measures:
- direct: what one epoch's record adds to the epoch's validation pass (the chosen validation proteins'
  rows copied out of the output layer's input, caught by a hook, and the first layer copied), timed
  inside those calls, median of repeats, against the fastest median epoch time (training and
  validation) of the runs without recording;
- end to end: whole runs with `learned` on and off, interleaved (on off, off on, ...), the fastest round of
  each (on a shared machine another process can slow one round several times over).
And the store: writing the learned artifact of a run at its 30-epoch limit (`save_learned`, done by the
recorder's thread at each epoch's end).

Run: `python -m bench.bench_learned` (writes its section of bench/README.md), `--quick` for a smoke run.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from bench.report import Row, bench_main, fmt_bytes, fmt_time, machine_info, section_markdown, text_table
from protscope.config.presets import get_preset
from protscope.config.run_config import RunConfig
from protscope.data.builtin import config_for, load_data
from protscope.data.splits import make_split
from protscope.runs.outputs import learned_bytes, save_learned
from protscope.runs.store import RunStore
from protscope.train.events import MAX_LEARNED_EPOCHS
from protscope.train.inference import predict
from protscope.train.learned import LearnedRecorder
from protscope.train.prepare import prepare
from protscope.train.trainer import Trainer

NAME = "learned"
README = Path(__file__).resolve().parent / "README.md"
THREADS = 2
TARGET = 0.03  # the direct cost of a record at most 3 % of an epoch
SIZES = {"full": {"rounds": 5, "repeats": 7, "cnn": dict(epochs=2), "mlp": dict(epochs=6)},
         "quick": {"rounds": 1, "repeats": 2, "cnn": dict(epochs=1, max_batches=3), "mlp": dict(epochs=1)}}
CASES = {"cnn": ("solubility-cnn", "the course CNN (tokens, 2 x Conv1d 128, batch 32)"),
         "mlp": ("solubility-mlp", "the composition MLP (aac_length, 256-64, batch 32)")}


def config_of(case: str, size: dict, **values) -> RunConfig:
    preset = {k: v for k, v in get_preset(CASES[case][0]).values.items() if k != "dataset"}
    return RunConfig().with_values(**{**preset, **size[case], "early_stopping": False, "scheduler": "none",
                                      "validate_every": 0, "layer_stats": False, **values})


def timed_run(config: RunConfig, data, split) -> tuple[float, float]:
    """(whole-run seconds, median epoch seconds)."""
    trainer = Trainer(config, data, split)
    began = time.perf_counter()
    trainer.run()
    return time.perf_counter() - began, statistics.median(e.seconds for e in trainer.snapshot().history)


def record_seconds(config: RunConfig, data, split, repeats: int) -> tuple[float, int]:
    """(median seconds one epoch's record adds, points recorded): the time spent in `seen` during a validation
    pass and in `record`, on the model as initialised (the same work as trained). Timed directly: the
    difference of two whole validation passes is below the noise of a shared machine."""
    p = prepare(config, data, split)
    recorder = LearnedRecorder(p, data)
    spent = [0.0]

    def seen(index, batch) -> None:
        began = time.perf_counter()
        recorder.seen(index, batch)
        spent[0] += time.perf_counter() - began

    times = []
    for epoch in range(1, repeats + 1):
        spent[0] = 0.0
        with recorder.watching():
            predict(p.model, p.dd, p.rows["val"], p.config.encoding, data.task, split="val", after_batch=seen)
        began = time.perf_counter()
        recorder.record(epoch)
        times.append(spent[0] + time.perf_counter() - began)
    return statistics.median(times), len(recorder.point_protein)


def store_seconds(config: RunConfig, data, split) -> tuple[float, int]:
    """(seconds to write the learned artifact at MAX_LEARNED_EPOCHS epochs, its bytes)."""
    p = prepare(config, data, split)
    recorder = LearnedRecorder(p, data)
    with recorder.watching():
        predict(p.model, p.dd, p.rows["val"], p.config.encoding, data.task, split="val", after_batch=recorder.seen)
    event = recorder.record(1)
    records = tuple({**event.record, "epoch": e} for e in range(1, MAX_LEARNED_EPOCHS + 1))
    trainer = Trainer(config, data, split)
    snapshot = replace(trainer.snapshot(), learned_points=event.points, learned_records=records)
    with tempfile.TemporaryDirectory() as folder:
        store = RunStore(Path(folder) / "runs.db", runs_root=folder)
        store.create_run("bench", "", config.to_dict(), data.name, "", data.task, folder)
        began = time.perf_counter()
        save_learned(store, "bench", snapshot)
        took = time.perf_counter() - began
        store.close()
    return took, len(learned_bytes(snapshot))


def run(quick: bool = False, log=print) -> dict:
    size = SIZES["quick" if quick else "full"]
    torch.set_num_threads(THREADS)
    info = machine_info()
    data = load_data(config_for("esol"))
    split = make_split(data, config_for("esol"))
    rows, notes = [], []
    for case, (_, title) in CASES.items():
        timed_run(config_of(case, size, epochs=1, max_batches=2), data, split)  # warm-up: allocator, first imports
        results = {True: [], False: []}
        for r in range(size["rounds"]):
            for on in ((True, False) if r % 2 == 0 else (False, True)):
                results[on].append(timed_run(config_of(case, size, learned=on), data, split))
                log(f"{case} learned={on}: {results[on][-1][0]:.2f} s, epoch {results[on][-1][1]:.3f} s")
        wall = {on: min(x[0] for x in results[on]) for on in results}  # the least disturbed round of each
        epoch = min(x[1] for x in results[False])
        one, points = record_seconds(config_of(case, size), data, split, size["repeats"])
        rows.append(Row(f"{title}: what one epoch's record adds ({points} validation proteins) vs an epoch",
                        fmt_time(one), fmt_time(epoch), f"{100 * one / epoch:.1f} %", f"≤ {100 * TARGET:.0f} %",
                        one / epoch <= TARGET))
        rows.append(Row(f"{title}: whole run, learned on vs off (interleaved, fastest of {size['rounds']})",
                        fmt_time(wall[True]), fmt_time(wall[False]), f"{100 * (wall[True] / wall[False] - 1):+.1f} %"))
        took, size_bytes = store_seconds(config_of(case, size), data, split)
        rows.append(Row(f"{title}: writing the learned artifact at {MAX_LEARNED_EPOCHS} epochs (recorder thread)",
                        fmt_time(took), "—", fmt_bytes(size_bytes)))
        notes.append(f"{title}: settings {size[case]}, validation split {len(split.index('val'))} proteins.")
    notes.insert(0, "The direct measure is the one to read: the end-to-end difference is within the noise of a "
                    "shared machine (the same setting varies by a few % from round to round).")
    info["torch threads"] = str(torch.get_num_threads())
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("Learned filters and space", "`python -m bench.bench_learned` — what recording the "
                            "first layer and the learned space at each epoch's end costs (docs/INTERNALS.md).",
                            report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
