"""GPU: the engine against the bare loop on CUDA, bf16 autocast against fp32, and GPU utilisation.

Only where torch sees a CUDA device; elsewhere (CI, this project's CPU machines) the section says it
was skipped and why, and the script exits 0.
1. Engine vs bare loop on CUDA, as bench_engine does on the CPU: the MLP on AAC (whole eSOL split,
   10 epochs) and the CNN on one-hot (train 1,024 proteins, 3 epochs), proteins per second of the
   whole run, median of ROUNDS interleaved rounds. Target 0.95x.
2. The CNN (256 channels, kernel 9, 3 layers, batch 64) in the engine with precision bf16 against fp32:
   the fastest epoch's training proteins per second.
3. GPU utilisation: `nvidia-smi` sampled every 0.2 s during the fp32 CNN run (mean of the samples).
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import torch

from bench.report import Row, bench_main, fmt_time, machine_info, section_markdown, text_table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

README = BENCH / "README.md"

NAME = "gpu"

ROUNDS = {"full": 5, "quick": 1}

SIZES = {"full": dict(mlp_epochs=10, cnn_epochs=3, cnn_subset=(1024, 236, 256), amp_epochs=2, amp_channels=256),
         "quick": dict(mlp_epochs=1, cnn_epochs=1, cnn_subset=(32, 16, 16), amp_epochs=1, amp_channels=16)}


class Utilisation:
    """Mean GPU utilisation (%) from nvidia-smi, sampled in a thread while the block runs."""

    def __init__(self, every: float = 0.2):
        self.every, self.samples, self._stop = every, [], threading.Event()

    def _sample(self) -> None:
        if not shutil.which("nvidia-smi"):
            return
        while not self._stop.wait(self.every):
            done = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits",
                                   "-i", "0"], capture_output=True, text=True)
            if done.returncode == 0 and done.stdout.strip().isdigit():
                self.samples.append(int(done.stdout.strip()))

    def __enter__(self):
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    @property
    def mean(self) -> float | None:
        return sum(self.samples) / len(self.samples) if self.samples else None


def on(parts: dict, device: str) -> dict:
    """The bare loop's pre-encoded splits, moved to `device`."""
    return {name: dataclasses.replace(part, x=part.x.to(device), y=part.y.to(device), lengths=part.lengths.to(device),
                                      mask=None if part.mask is None else part.mask.to(device))
            for name, part in parts.items()}


def measured(quick: bool, log, device: str = "cuda") -> tuple[list[Row], list[str], dict]:
    """Every GPU measurement; `device` is "cuda" here, and "cpu" only to test this code on a machine without one."""
    from bench import bench_engine as be
    from protscope.data.builtin import config_for, load_data
    from protscope.data.splits import make_split

    size, rounds = SIZES["quick" if quick else "full"], ROUNDS["quick" if quick else "full"]
    data_cfg = config_for("esol")
    data = load_data(data_cfg)
    split = make_split(data, data_cfg)
    cnn_data, cnn_split = be.subset(data, split, size["cnn_subset"], be.SEED, keep_width=True)
    rows: list[Row] = []

    def config_on(**values):
        values = {"device": device, "lr": be.LR, "batch_size": be.BATCH, "seed": be.SEED, **values}
        return be.RunConfig().replace(data=data_cfg).with_values(**values)

    mlp_data, mlp_split = (data, split) if not quick else be.subset(data, split, (64, 16, 16), be.SEED, False)
    cases = (("MLP on AAC, whole eSOL split" if not quick else "MLP on AAC, subset", mlp_data, mlp_split, config_on(encoding="aac", model="mlp",
                                                                         epochs=size["mlp_epochs"])),
             (f"CNN on one-hot (128 channels, kernel 5, 2 layers), train {size['cnn_subset'][0]:,}", cnn_data, cnn_split,
              config_on(encoding="onehot", model="cnn", channels=128, kernel_size=5, layers=2,
                          epochs=size["cnn_epochs"])))
    for title, d, s, config in cases:
        log(f"gpu: {title}")
        dims = be.model_dims(config.resolve(d.task), d)
        parts = on(be.pre_encode(config, d, s), device)
        runs = be.interleave({
            "engine": lambda config=config, d=d, s=s: be.run_engine(config, d, s),
            "bare": lambda config=config, dims=dims, parts=parts: be.timed_isolated(be.bare_run, config, dims, parts,
                                                                                    False, False, device)},
            rounds, log)
        epochs = config.training.epochs
        rows.append(be.speed_row(f"{title}, {epochs} epochs on CUDA: engine vs bare loop (tensors on the GPU), "
                                 "whole run", be.throughput(runs["engine"], epochs), be.throughput(runs["bare"], epochs),
                                 0.95))
    log("gpu: bf16 autocast vs fp32")
    amp = {}
    util = None
    for precision in ("fp32", "bf16"):
        config = config_on(encoding="onehot", model="cnn", channels=size["amp_channels"], kernel_size=9, layers=3, batch_size=64,
                             epochs=size["amp_epochs"], precision=precision)
        with Utilisation() as u:
            runs = [be.run_engine(config, cnn_data, cnn_split) for _ in range(rounds)]
        amp[precision] = be.epoch_throughput(runs, "train_times")
        if precision == "fp32":
            util = u.mean
    rows.append(be.speed_row(f"CNN ({size['amp_channels']} channels, kernel 9, 3 layers, batch 64) on CUDA: bf16 autocast vs fp32, "
                             "fastest epoch's training batches", amp["bf16"], amp["fp32"]))
    rows.append(Row("GPU utilisation during the fp32 CNN runs (nvidia-smi every 0.2 s, mean)",
                    "—" if util is None else f"{util:.0f}%"))
    info = {"gpu": torch.cuda.get_device_name(0), "cuda": torch.version.cuda or "?",
            "bf16 supported": str(torch.cuda.is_bf16_supported())} if device == "cuda" else {"device": device}
    return rows, [], info


def run(quick: bool = False, log=print) -> dict:
    info = machine_info()
    began = time.perf_counter()
    if not torch.cuda.is_available():
        rows = [Row("skipped: torch sees no CUDA device on this machine (torch.cuda.is_available() is False)", "—")]
        notes = ["Run `python -m bench.bench_gpu` on a machine with an NVIDIA GPU to fill this section."]
    else:
        rows, notes, gpu = measured(quick, log)
        info.update(gpu)
        if not shutil.which("nvidia-smi"):
            notes.append("nvidia-smi was not found, so utilisation was not sampled.")
    info["total run time"] = fmt_time(time.perf_counter() - began)
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("GPU", "`python -m bench.bench_gpu` — the engine against the bare loop on CUDA, bf16 autocast "
           "against fp32, and GPU utilisation (skipped without a CUDA device).", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
