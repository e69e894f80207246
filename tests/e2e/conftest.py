"""Fixtures of the trust tests (test_trust.py, test_trust_runs.py: issue 15's problems 1-9): one server
per module, with one training slot and sessions that Streamlit forgets 3 s after their browser goes
away, so that "idle past server.disconnectedSessionTTL" takes seconds, not minutes; and two users.
Other browser tests define their own `server`. A failed browser test's pages are kept by tests/conftest.py."""
import pytest

from tests.conftest import csv_bytes, random_sequences
from tests.e2e.browser import TTL_S, start
from tools.serve import Server


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
