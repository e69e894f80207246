"""Fixtures of the trust tests (test_trust.py, test_trust_runs.py: issue 15's problems 1-9): one server
per module, with one training slot and sessions that Streamlit forgets 3 s after their browser goes
away, so that "idle past server.disconnectedSessionTTL" takes seconds, not minutes; and two users.
Other browser tests define their own `server`."""
from pathlib import Path

import pytest

from tests.conftest import csv_bytes, random_sequences
from tests.e2e.browser import TTL_S, start
from tools.serve import Server

FAILED = Path(__file__).resolve().parents[1] / "artifacts" / "failed"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A browser test that fails leaves what every open page showed: a screenshot in tests/artifacts/failed/ and the
    page's text in the report (CI keeps a failed run's output, not its files)."""
    outcome = yield
    report = outcome.get_result()
    args = getattr(item, "funcargs", {})
    browser = args.get("browser") or (args["page"].context.browser if "page" in args else None)
    if report.when != "call" or not report.failed or browser is None:
        return
    FAILED.mkdir(parents=True, exist_ok=True)
    pages = [page for context in browser.contexts for page in context.pages]
    for i, page in enumerate(pages):
        try:
            page.screenshot(path=str(FAILED / f"{item.name}-{i}.png"), full_page=True)
            text = page.locator("body").inner_text(timeout=5_000)
        except Exception as error:  # a closed or hung page: say so, keep the test's own failure
            text = f"(could not read the page: {error})"
        report.sections.append((f"page {i} at {page.url}", text[:3000]))


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    server = start(Server(runs, log=runs / "server.log", PROTSCOPE_MAX_RUNS="1",
                          STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL=str(TTL_S)))
    yield server
    server.stop()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1500, "height": 1100}, accept_downloads=True)
    yield context
    context.close()


@pytest.fixture
def tall(browser):
    """A tall window, so that a screenshot shows a whole view (test_layer_health.py, test_explain_views.py)."""
    context = browser.new_context(viewport={"width": 1500, "height": 2200})
    yield context
    context.close()


@pytest.fixture
def other(browser):
    """A second user: another browser profile, with its own cookies."""
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    yield context
    context.close()


@pytest.fixture(scope="module")
def mine(tmp_path_factory):
    path = tmp_path_factory.mktemp("files") / "mine.csv"
    rows_ = [[f"p{i}", s, i % 2] for i, s in enumerate(random_sequences(80, seed=11))]
    path.write_bytes(csv_bytes(["id", "sequence", "label"], rows_))
    return path
