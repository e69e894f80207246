"""Server memory over a 10-minute live run with the Train page open in chromium (bench/soak.py).

What is measured is memory, not time, so `make bench` runs this beside the scale benchmark, each
pinned to its own CPU cores (run_all.py); run alone, it has the whole machine. After a 2-minute
warm-up, the median RSS of the first and the last two minutes are compared: target growth <= 100 MB.
`make soak` runs the same for 15 minutes and writes docs/RELIABILITY.md.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from bench import soak
from bench.report import Row, bench_main, core_count, fmt_time, machine_info, section_markdown, text_table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

README = BENCH / "README.md"

NAME = "soak"

SIZES = {"full": dict(minutes=10.0, warmup=120.0), "quick": dict(minutes=0.25, warmup=0.0)}


def run(quick: bool = False, log=print) -> dict:
    size = SIZES["quick" if quick else "full"]
    info = machine_info()
    info["cores"] = f"{core_count()} (CPUs {sorted(os.sched_getaffinity(0))} of {os.cpu_count()})"
    began = time.perf_counter()
    log(f"soak: {size['minutes']:g}-minute live run")
    r = soak.soak(size["minutes"], size["warmup"])
    rows = [Row(f"server memory over a {r['minutes']:.1f}-minute live run with the Train page open (VmRSS every "
                f"{soak.EVERY_S} s; after {size['warmup']:.0f} s warm-up, median {r['first_median']:.0f} -> "
                f"{r['last_median']:.0f} MB from the first to the last 2 minutes, lowest {r['first_trough']:.0f} -> "
                f"{r['last_trough']:.0f} MB, peak {r['first_peak']:.0f} -> {r['last_peak']:.0f} MB; {r['progress']})",
                f"{r['growth']:+.0f} MB", target=f"≤ {soak.TARGET_MB} MB", passed=r["growth"] <= soak.TARGET_MB)]
    notes = ["The run is the Train page's first screen (the course notes' CNN on eSOL, 1,000 epochs, validation "
             "every 15 batches), so the live fragment redraws every second and validation points keep coming.",
             "The growth compared is that of the median of the first and of the last 2 minutes after the "
             "warm-up: the level the server holds, which a leak lifts. Its RSS climbs while the training meets new "
             "batch widths, to a plateau (about 1 GB since batch widths are rounded to multiples of 64; 1.7 GB "
             "before), and glibc trims freed heap now and then, dropping it by hundreds of MB for a few seconds, "
             "so the lowest sample of a window depends on whether a trim fell in it (three 10-minute runs before "
             "the rounding moved it by -233, +77 and +235 MB). Every sample is in bench/out/soak-samples.csv.",
             "In `make bench` the server, its training thread and chromium share the CPUs this process was "
             "given (see 'cores'), so the run trains more slowly than it would alone; the memory it holds per "
             "epoch and per redraw is the same."]
    notes.append("Median RSS minute by minute: " + ", ".join(f"{mb:.0f}" for mb in r["minute_medians"]) + " MB.")
    info["total run time"] = fmt_time(time.perf_counter() - began)
    info["mode"] = "quick (smoke sizes)" if quick else "full"
    return {"rows": rows, "info": info, "notes": notes}


def markdown(report: dict) -> str:
    return section_markdown("Server memory", "`python -m bench.bench_soak` — the dashboard server's memory during a "
                            "10-minute live run, with the page open in chromium.", report)


def main(argv: list[str] | None = None) -> int:
    return bench_main(__doc__, run, markdown, text_table, NAME, README, argv)


if __name__ == "__main__":
    sys.exit(main())
