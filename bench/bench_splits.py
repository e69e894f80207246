"""The leak the course notes warn about, measured: the homology-split lesson's model tested on a random split and
on a homology-aware one (MMseqs2 clusters at 30 % identity kept whole), on eSOL and DeepSol, over five split seeds
each (each split seed draws another test set; the training seed is fixed).

Run: `python -m bench.bench_splits` (writes its section of docs/RESULTS.md, which `make results` keeps);
`--quick`: eSOL only, one split seed, 3 epochs.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import torch

from bench.report import Row, bench_main, machine_info, section_markdown, text_table
from protscope.config.layering import layered
from protscope.data.builtin import config_for, load_data
from protscope.data.splits import make_split
from protscope.lessons.catalog import LESSONS
from protscope.train.trainer import Trainer

NAME = "homology"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "RESULTS.md"
THREADS = 2
SIZES = {"full": {"datasets": ("esol", "deepsol"), "split_seeds": (0, 1, 2, 3, 4), "extra": {}},
         "quick": {"datasets": ("esol",), "split_seeds": (0,), "extra": {"epochs": 3}}}
METRICS = ("mcc", "roc_auc", "accuracy")


def scores(dataset: str, split: str, seed: int, extra: dict) -> tuple[dict, list[str]]:
    """Test metrics of the lesson's model on one split of `dataset`, and the split's notes."""
    data_config = {**config_for(dataset).to_dict(), "split": split, "split_seed": seed}
    config = layered(preset=LESSONS["homology-split"].base, data=data_config, flags=extra)
    data = load_data(config.data)
    split_rows = make_split(data, config.data)
    result = Trainer(config, data, split_rows).run()
    return result.metrics["test"], list(split_rows.notes)


def run(quick: bool = False, log=print) -> dict:
    torch.set_num_threads(THREADS)
    size = SIZES["quick" if quick else "full"]
    info, rows, notes = machine_info(), [], []
    for dataset in size["datasets"]:
        found = {}
        for split in ("random", "homology"):
            found[split] = []
            for seed in size["split_seeds"]:
                began = time.perf_counter()
                metrics, split_notes = scores(dataset, split, seed, size["extra"])
                found[split].append(metrics)
                log(f"{dataset} {split} split_seed {seed}: test MCC {metrics['mcc']:.3f} "
                    f"({time.perf_counter() - began:.0f} s)")
                if split == "homology" and seed == size["split_seeds"][0]:
                    notes.append(f"{dataset}: {split_notes[0]}")
        for metric in METRICS:
            (ra, rs), (ha, hs) = (_mean_sd([m[metric] for m in found[s]]) for s in ("random", "homology"))
            rows.append(Row(f"{dataset} test {metric}: random split against homology split (30 % identity)",
                            f"{ra:.3f} ± {rs:.3f}", f"{ha:.3f} ± {hs:.3f}", f"{ra - ha:+.3f}"))
    notes.insert(0, f"Model: the homology-split lesson's MLP (amino-acid composition and log length, 256-64, dropout "
                    f"0.3, Adam 3e-4, early stopping, ≤ 60 epochs); mean ± sd over split seeds "
                    f"{', '.join(map(str, size['split_seeds']))} (training seed 0). 'ours' is the random split, "
                    "'reference' the homology split, 'ratio' their difference: positive means the random split "
                    "reads better.")
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def markdown(report: dict) -> str:
    return section_markdown("Random against homology-aware splits", "`python -m bench.bench_splits` — the "
                            "`homology-split` lesson at full size: how much a random split flatters a model "
                            "when test proteins have relatives in training.", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, RESULTS, argv)


if __name__ == "__main__":
    sys.exit(main())
