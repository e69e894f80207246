"""Take the README's screenshots from the real app: `python scripts/screenshots.py`.

Starts `streamlit run` on a free port, opens it in Debian's chromium (Playwright), and with the
first screen's own defaults (eSOL, the course notes' CNN) presses Train. It captures the Train page
mid-run, stops the run after a few epochs, and captures the Data and Evaluate pages.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, runs: str) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "dashboard/app.py", "--server.port", str(port),
                             "--server.headless", "true"], cwd=ROOT, env={**os.environ, "PROTSCOPE_RUNS": runs},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=1)
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("streamlit did not start")


def settle(page) -> None:
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1200)  # let Plotly finish drawing


def main() -> None:
    port = free_port()
    server = start_server(port, tempfile.mkdtemp(prefix="protscope-shots-"))
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
            page.set_default_timeout(180_000)
            page.goto(f"http://localhost:{port}/")
            settle(page)
            page.screenshot(path=str(DOCS / "screenshot-data.png"))
            nav = page.get_by_test_id("stSidebarNav")
            nav.get_by_text("2 · Train", exact=True).click()
            settle(page)
            page.get_by_role("button", name="Train", exact=True).click()
            progress = page.get_by_test_id("stProgress")
            progress.get_by_text(re.compile(r"epoch 3/10")).wait_for()
            page.mouse.move(700, 5)  # no tooltip over the picture
            page.wait_for_timeout(4000)
            page.get_by_test_id("stProgress").evaluate("e => e.scrollIntoView({block: 'start'})")
            page.wait_for_timeout(1500)
            page.screenshot(path=str(DOCS / "screenshot-train.png"))
            progress.get_by_text(re.compile(r"epoch 4/10")).wait_for()
            page.get_by_role("button", name="Stop", exact=True).click()
            page.get_by_text(re.compile(r"stopped")).first.wait_for()
            nav.get_by_text("3 · Evaluate", exact=True).click()
            settle(page)
            page.screenshot(path=str(DOCS / "screenshot-evaluate.png"))
            browser.close()
    finally:
        server.terminate()
    print("wrote", *(p.name for p in sorted(DOCS.glob("screenshot-*.png"))))


if __name__ == "__main__":
    main()
