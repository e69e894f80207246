"""The leak the course notes warn about, measured: a model tested on a random split and on a homology-aware one
(MMseqs2 clusters at 30 % identity kept whole), on eSOL and DeepSol, over five split seeds each (each split seed
draws another test set; the training seed is fixed). Two models: the homology-split lesson's MLP on amino-acid
composition and length, and an MLP on 3-mer counts, which can recognise a relative's shared 3-mers.

The random splits are also read directly: their test proteins with a relative (same cluster) in training against
those without, pooled over the split seeds. That is the leak itself; the split-against-split difference also
carries how hard each draw of test proteins happens to be.

Run: `python -m bench.bench_splits` (writes its section of docs/RESULTS.md, which `make results` keeps);
`--quick`: eSOL only, one split seed, 3 epochs.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from bench.report import Row, bench_main, machine_info, section_markdown, text_table
from protscope.config.layering import layered
from protscope.data.builtin import config_for, load_data
from protscope.data.homology import cluster_sequences
from protscope.data.splits import make_split
from protscope.evaluation.metrics import compute_metrics
from protscope.lessons.catalog import LESSONS
from protscope.train.trainer import Trainer

NAME = "homology"
RESULTS = Path(__file__).resolve().parent.parent / "docs" / "RESULTS.md"
THREADS = 2
SIZES = {"full": {"datasets": ("esol", "deepsol"), "split_seeds": (0, 1, 2, 3, 4), "extra": {}},
         "quick": {"datasets": ("esol",), "split_seeds": (0,), "extra": {"epochs": 3}}}
IDENTITY = 0.3
METRICS = ("mcc", "roc_auc", "accuracy")
MODELS = {"composition MLP": LESSONS["homology-split"].base,
          "3-mer MLP": {**LESSONS["homology-split"].base, "encoding": "kmer", "k": 3, "hidden": (256,)}}


def trained(dataset: str, model: dict, split: str, seed: int, extra: dict):
    """(test Predictions, data, split rows) of `model` on one split of `dataset`."""
    data_config = {**config_for(dataset).to_dict(), "split": split, "split_seed": seed}
    config = layered(preset=model, data=data_config, flags=extra)
    data = load_data(config.data)
    rows = make_split(data, config.data)
    return Trainer(config, data, rows).run().predictions["test"], data, rows


def run(quick: bool = False, log=print) -> dict:
    torch.set_num_threads(THREADS)
    size = SIZES["quick" if quick else "full"]
    info, rows, notes = machine_info(), [], []
    for dataset in size["datasets"]:
        clusters = None
        for model_name, model in MODELS.items():
            found = {"random": [], "homology": []}
            with_relative, without = [], []  # random-split test predictions, by whether a relative is in training
            for split in found:
                for seed in size["split_seeds"]:
                    began = time.perf_counter()
                    preds, data, split_rows = trained(dataset, model, split, seed, size["extra"])
                    found[split].append(compute_metrics(data.task, preds.y_true, preds.outputs, data.classes))
                    log(f"{dataset} {model_name} {split} split_seed {seed}: test MCC {found[split][-1]['mcc']:.3f} "
                        f"({time.perf_counter() - began:.0f} s)")
                    if split == "homology" and seed == size["split_seeds"][0] and model_name == next(iter(MODELS)):
                        notes.append(f"{dataset}: {split_rows.notes[0]}")
                    if split == "random":
                        clusters = clusters if clusters is not None else cluster_sequences(data.sequences, IDENTITY)
                        trained_on = np.isin(clusters, clusters[split_rows.index("train")])
                        related = trained_on[preds.rows]
                        with_relative.append((preds.y_true[related], preds.outputs[related]))
                        without.append((preds.y_true[~related], preds.outputs[~related]))
            for metric in METRICS:
                (ra, rs), (ha, hs) = (_mean_sd([m[metric] for m in found[s]]) for s in found)
                rows.append(Row(f"{dataset}, {model_name}: test {metric}, random split against homology split",
                                f"{ra:.3f} ± {rs:.3f}", f"{ha:.3f} ± {hs:.3f}", f"{ra - ha:+.3f}"))
            pooled = [_pooled(data, group) for group in (with_relative, without)]
            rows.append(Row(f"{dataset}, {model_name}, random splits: test MCC of proteins with a relative in training "
                            f"({pooled[0][1]:,} over the split seeds) against those without ({pooled[1][1]:,})",
                            f"{pooled[0][0]:.3f}", f"{pooled[1][0]:.3f}", f"{pooled[0][0] - pooled[1][0]:+.3f}"))
    notes.insert(0, f"Models: {', '.join(MODELS)} (the homology-split lesson's MLP, 256-64 on amino-acid composition "
                    f"and log length; the same training on 3-mer counts, 256 units); dropout 0.3, Adam 3e-4, early "
                    f"stopping, ≤ 60 epochs. Mean ± sd over split seeds {', '.join(map(str, size['split_seeds']))} "
                    "(training seed 0). 'ours' is the random split (or the proteins with a relative in training), "
                    "'reference' the homology split (or those without); 'ratio' is their difference: positive means "
                    "the first reads better. A relative: a protein in the same MMseqs2 cluster (30 % identity, 80 % "
                    "coverage).")
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def _pooled(data, parts: list) -> tuple[float, int]:
    """MCC over the pooled (truth, outputs) of several splits' test proteins, and how many proteins."""
    truth = np.concatenate([t for t, _ in parts])
    outputs = np.concatenate([o for _, o in parts])
    return compute_metrics(data.task, truth, outputs, data.classes)["mcc"], int(truth.size)


def _mean_sd(values: list[float]) -> tuple[float, float]:
    return statistics.fmean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def markdown(report: dict) -> str:
    return section_markdown("Random against homology-aware splits", "`python -m bench.bench_splits` — the "
                            "`homology-split` lesson at full size, and a 3-mer model: how much a random split "
                            "flatters a model when test proteins have relatives in training.", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, RESULTS, argv)


if __name__ == "__main__":
    sys.exit(main())
