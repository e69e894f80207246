"""What the browser tests share: starting a server and chromium, waiting for Streamlit, the moves a user
makes (go to a page, upload a file, press a button) and reading the run store behind the server."""
from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

import pytest

from tools.serve import CHROMIUM, Server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
RUN_HEADING = re.compile(r"^Run \d{8}-\d{6}-[0-9a-f]{6}")


def browser_missing() -> str:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return "" if Path(CHROMIUM).exists() else f"no browser at {CHROMIUM} (apt-get install chromium)"


def need_browser() -> None:
    """Skip without a browser, except under CI, where that is a failure."""
    missing = browser_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"end-to-end tests need a browser under CI: {missing}")
        pytest.skip(missing)


def start(server: Server) -> Server:
    try:
        return server.start()
    except RuntimeError as exc:
        pytest.fail(str(exc))


def wait_idle(page) -> None:
    """Until Streamlit has finished the current script run."""
    page.wait_for_timeout(300)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)


def go(page, label: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(label, exact=True).click()
    wait_idle(page)


def open_page(context, url: str, ready: str = "Train"):
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(url)
    page.get_by_role("button", name=ready, exact=True).wait_for() if ready else None
    wait_idle(page)
    return page


def press(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def run_id_on(page) -> str:
    heading = page.get_by_role("heading", name=RUN_HEADING)
    heading.wait_for()
    return heading.inner_text().split()[1]


def stop(page) -> None:
    """Press Stop and wait until the run says so (closing the page at once could drop the click)."""
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(re.compile("stopped")).first.wait_for(timeout=60_000)


def pause(page) -> None:
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Resume").wait_for()


def upload(page, path: Path) -> None:
    """On the Data page: choose "My own file" and give it `path`."""
    page.get_by_text("My own file").click()
    wait_idle(page)
    page.locator("input[type=file]").first.set_input_files(str(path))
    page.get_by_text(re.compile(f"Using your file {re.escape(path.name)}")).wait_for()
    wait_idle(page)


def open_expander(page, title: str) -> None:
    summary = page.get_by_test_id("stExpander").filter(has_text=title).locator("summary").first
    if summary.get_attribute("aria-expanded") != "true":
        summary.click()
        wait_idle(page)


def progress_text(page) -> str:
    return page.get_by_test_id("stProgress").first.inner_text()


def rows(db: Path, sql: str, *args) -> list[tuple]:
    with sqlite3.connect(db, timeout=30) as conn:
        return conn.execute(sql, args).fetchall()


def wait_until(check, timeout=120.0, every=0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {check.__doc__ or check}")


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- the trust tests (test_trust.py, test_trust_runs.py) ---------------------------------------
TTL_S = 3  # seconds Streamlit keeps a session after its browser goes away, in the trust tests
QUICK = "model=mlp&encoding=aac&hidden=32&epochs=2"  # an eSOL epoch in a fraction of a second
LONG = "model=mlp&encoding=aac&hidden=32&epochs=10000"


def caption(page) -> str:
    text = page.get_by_text(re.compile("^Train will use"))
    text.wait_for()
    return text.inner_text()
