"""Soak: a long live run with the dashboard open; does the server's memory keep growing? `make soak`.

Starts `streamlit run` on a free port with its own run folder, opens the Train page in Debian's
chromium (Playwright), presses Train on the first screen's own defaults (the course notes' CNN on
eSOL, many epochs) and keeps the page open, so the live fragment redraws every second, for
`--minutes` (15). The server's resident memory (VmRSS of its process) is sampled every 10 s.
Growth is measured from the first sample after `--warmup` seconds (imports, the first epoch's
allocations) to the end; the target is at most 100 MB. Writes the 'soak' section of
docs/RELIABILITY.md (full runs; `--minutes` below 15 only prints).
"""
from __future__ import annotations

import argparse
import datetime
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from report import update_readme  # noqa: E402

DOC = ROOT / "docs" / "RELIABILITY.md"
TARGET_MB = 100
LONG_RUN = "/train?epochs=1000&validate_every=15"


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def start_server(runs: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PROTSCOPE_RUNS": str(runs)}
    env.pop("PROTSCOPE_DB", None)
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                             "--server.port", str(port), "--server.headless", "true"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://localhost:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            return proc, url
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def soak(minutes: float, warmup: float) -> dict:
    from playwright.sync_api import sync_playwright

    runs = Path(tempfile.mkdtemp(prefix="protscope-soak-"))
    proc, url = start_server(runs)
    samples: list[tuple[float, float]] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-background-networking"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(120_000)
            page.goto(url + LONG_RUN)
            page.get_by_role("button", name="Train", exact=True).click()
            page.get_by_test_id("stProgress").wait_for()
            start = time.monotonic()
            while (elapsed := time.monotonic() - start) < minutes * 60:
                samples.append((elapsed, rss_mb(proc.pid)))
                page.wait_for_timeout(10_000)  # the page stays open and live meanwhile
            samples.append((time.monotonic() - start, rss_mb(proc.pid)))
            progress = page.get_by_test_id("stProgress").inner_text()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    after_warmup = next(mb for t, mb in samples if t >= warmup) if samples[-1][0] >= warmup else samples[0][1]
    return {"minutes": samples[-1][0] / 60, "start": samples[0][1], "after_warmup": after_warmup,
            "end": samples[-1][1], "peak": max(mb for _, mb in samples), "growth": samples[-1][1] - after_warmup,
            "samples": len(samples), "progress": re.sub(r"^[a-z]+_[a-z_]+\s*", "", progress.replace("\n", " "))}


def markdown(r: dict, warmup: float) -> str:
    verdict = "PASS" if r["growth"] <= TARGET_MB else "FAIL"
    return "\n".join([
        "| what | value |", "|---|---|",
        f"| live run with the Train page open | {r['minutes']:.1f} min ({r['progress']}) |",
        f"| server RSS at the first sample / after {warmup:.0f} s warm-up | {r['start']:.0f} MB / "
        f"{r['after_warmup']:.0f} MB |",
        f"| server RSS at the end / peak | {r['end']:.0f} MB / {r['peak']:.0f} MB |",
        f"| growth after warm-up (target ≤ {TARGET_MB} MB) | {r['growth']:+.0f} MB: **{verdict}** |",
        "", f"Measured by `make soak` ({r['samples']} samples, every 10 s) on "
        f"{datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M UTC}, {os.cpu_count()} cores.",
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
