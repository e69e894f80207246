"""`streamlit run dashboard/app.py` as a child process on a free localhost port, with its own run folder.

For the browser tests, the benchmarks and the screenshot script: each gets a server of its own, so
their runs never mix with the user's runs/ folder. Imports nothing from Streamlit itself.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# In the browser, given the metric-chart keys that were on the page before (LIVE_CHART_KEYS_JS): true once
# a new run's metric chart (key metrics_<run id> in dashboard/live.py) has been drawn with a line, which
# happens only when an epoch has been validated. A chart already on the page (the run list shows the
# last run) does not count, or a second measurement in one server would stop at the old run's chart.
LIVE_CHART_KEYS_JS = """() => [...document.querySelectorAll('[class*="st-key-metrics_"]')]
    .map(e => [...e.classList].find(c => c.startsWith('st-key-metrics_')))"""
FIRST_VALIDATION_DRAWN_JS = """(before) => [...document.querySelectorAll('[class*="st-key-metrics_"]')]
    .filter(e => !before.some(key => e.classList.contains(key)))
    .some(e => e.querySelector('.js-plotly-plot .scatterlayer .trace path'))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One dashboard server: `start()`, `url`, `db`, `stop()` (SIGTERM, or SIGKILL to simulate a crash)."""

    def __init__(self, runs: Path, log: Path | None = None, **env: str):
        self.runs, self.log = Path(runs), log
        self.env = {**os.environ, "PROTSCOPE_RUNS": str(runs), **env}
        self.env.pop("PROTSCOPE_DB", None)
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def db(self) -> Path:
        return self.runs / "protscope.db"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 60) -> Server:
        """Start on a free port and wait until its health check answers; RuntimeError if it never does."""
        self.port = free_port()
        command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "app.py"),
                   "--server.port", str(self.port), "--server.headless", "true"]
        if self.log:
            with open(self.log, "ab") as out:  # the child keeps its own copy of the file
                self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        else:
            self.proc = subprocess.Popen(command, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.3)
        self.proc.kill()
        tail = self.log.read_text(errors="replace")[-2000:] if self.log and self.log.exists() else ""
        raise RuntimeError(f"streamlit did not start on port {self.port}\n{tail}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=20)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB (VmRSS)."""
    with open(f"/proc/{pid}/status") as f:
        kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return kb / 1024


def launch_chromium(playwright, *args: str):
    """Debian's chromium, headless, through Playwright (no browser download)."""
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=["--no-sandbox", "--disable-background-networking", *args])
