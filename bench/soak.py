"""Soak: a long live run with the dashboard open; does the server's memory keep growing? `make soak`.

Starts `streamlit run` on a free port with its own run folder, opens the Train page in Debian's
chromium (Playwright), presses Train on the first screen's own defaults (the course notes' CNN on
eSOL, many epochs) and keeps the page open, so the live fragment redraws every second, for
`--minutes` (15). The server's resident memory (VmRSS of its process) is sampled every 2 s. After
`--warmup` seconds (imports, the first epochs' allocations), the first and the last two minutes are
compared: the growth of their median RSS must be at most 100 MB; the growth of their peaks and
lowest samples is reported too. The samples go to bench/out/soak-samples.csv. Writes the 'soak'
section of docs/RELIABILITY.md (full runs; `--minutes` below 15 only prints).
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.report import update_readme
from tools.serve import Server, launch_chromium, rss_mb

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

DOC = ROOT / "docs" / "RELIABILITY.md"

TARGET_MB = 100

EVERY_S = 2

WINDOW_S = 120  # the first and the last two minutes after the warm-up are compared

LONG_RUN = "/train?epochs=1000&validate_every=15"

SAMPLES = BENCH / "out" / "soak-samples.csv"  # every sample of the last soak (bench/out is not committed)


def soak(minutes: float, warmup: float) -> dict:
    from playwright.sync_api import sync_playwright

    server = Server(Path(tempfile.mkdtemp(prefix="protscope-soak-"))).start()
    url, pid = server.url, server.pid
    samples: list[tuple[float, float]] = []
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url + LONG_RUN)
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_test_id("stProgress").wait_for()
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < minutes * 60:
                samples.append((elapsed, rss_mb(pid)))
                page.wait_for_timeout(EVERY_S * 1000)  # the page stays open and live meanwhile
            samples.append((time.monotonic() - start, rss_mb(pid)))
            progress = page.get_by_test_id("stProgress").inner_text()
            browser.close()
    finally:
        server.stop()
    SAMPLES.parent.mkdir(parents=True, exist_ok=True)
    SAMPLES.write_text("seconds,rss_mb\n" + "".join(f"{t:.1f},{mb:.1f}\n" for t, mb in samples))
    return summary(samples, warmup) | {
        "progress": re.sub(r"^[a-z]+_[a-z_]+\s*", "", progress.replace("\n", " "))}


def summary(samples: list[tuple[float, float]], warmup: float) -> dict:
    """Growth of the server's memory, robust to how it swings.

    A live run's RSS climbs for the first minute or two (each new batch width allocates) to a plateau
    near 1.7 GB, and glibc trims freed heap now and then, dropping it by hundreds of MB for a few
    seconds. So two single samples say little, and nor do window minima (one trim in one window moved
    them by 200-300 MB either way in three 10-minute runs). The first and the last WINDOW_S after the
    warm-up are compared by their medians, the level the server holds; a leak lifts it. Their lowest
    and highest samples are reported too.
    """
    kept = [(t, mb) for t, mb in samples if t >= warmup] or samples
    first = [mb for t, mb in kept if t < kept[0][0] + WINDOW_S]
    last = [mb for t, mb in kept if t > kept[-1][0] - WINDOW_S]
    return {"minutes": samples[-1][0] / 60, "start": samples[0][1], "first_peak": max(first), "last_peak": max(last),
            "first_trough": min(first), "last_trough": min(last), "first_median": statistics.median(first),
            "last_median": statistics.median(last), "peak": max(mb for _, mb in samples),
            "growth": statistics.median(last) - statistics.median(first), "peak_growth": max(last) - max(first),
            "trough_growth": min(last) - min(first), "samples": len(samples),
            "minute_medians": [statistics.median([mb for t, mb in samples if m * 60 <= t < (m + 1) * 60])
                               for m in range(int(samples[-1][0] // 60) + 1)
                               if any(m * 60 <= t < (m + 1) * 60 for t, _ in samples)]}


def markdown(r: dict, warmup: float) -> str:
    verdict = "PASS" if r["growth"] <= TARGET_MB else "FAIL"
    window = f"{WINDOW_S / 60:.0f} min"
    return "\n".join([
        "| what | value |", "|---|---|",
        f"| live run with the Train page open | {r['minutes']:.1f} min ({r['progress']}) |",
        f"| server RSS at the first sample / peak over the whole run | {r['start']:.0f} MB / {r['peak']:.0f} MB |",
        f"| peak RSS in the first {window} after {warmup:.0f} s warm-up / in the last {window} | "
        f"{r['first_peak']:.0f} MB / {r['last_peak']:.0f} MB |",
        f"| median RSS in the same two windows | {r['first_median']:.0f} MB / {r['last_median']:.0f} MB |",
        f"| lowest RSS in the same two windows | {r['first_trough']:.0f} MB / {r['last_trough']:.0f} MB |",
        f"| growth of the median RSS, first to last window (target ≤ {TARGET_MB} MB) | {r['growth']:+.0f} MB: "
        f"**{verdict}** |",
        f"| growth of the peak / lowest RSS, first to last window (for information) | {r['peak_growth']:+.0f} MB / "
        f"{r['trough_growth']:+.0f} MB |",
        "", f"Measured by `make soak` ({r['samples']} samples, every {EVERY_S} s) on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}, {os.cpu_count()} cores. RSS swings by "
        "hundreds of MB (allocator trims), so the medians of two windows are compared, not single samples.",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=120.0,
                        help="seconds before growth is counted (the first epochs allocate for each batch width)")
    args = parser.parse_args(argv)
    result = soak(args.minutes, args.warmup)
    text = markdown(result, args.warmup)
    print(text)
    if args.minutes >= 15:
        update_readme(DOC, "soak", text)
        print(f"wrote the 'soak' section of {DOC}")
    return 0 if result["growth"] <= TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
