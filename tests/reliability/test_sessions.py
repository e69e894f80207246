"""Several browsers at once, closed tabs and a killed server, in Debian's chromium against `streamlit run`.

- 4 sessions (one browser, 4 contexts) press Train at once: each sees its own run, and all 4
  finish and are stored. Runs beyond the 2 training slots (PROTSCOPE_MAX_RUNS=2) wait visibly.
- A tab closed mid-run leaves its run finishing and stored.
- kill -9 of the server mid-run: after a restart the finished runs are intact, the database passes
  `PRAGMA integrity_check`, and the killed run is "interrupted" with the epochs it finished.
"""
import re
import signal

import pytest

from tests.e2e.browser import rows, start, wait_until
from tools.serve import Server

# Small runs: an MLP on composition trains an eSOL epoch in a fraction of a second.
QUICK = "/train?model=mlp&encoding=aac&epochs=3&hidden=32"
# The same model for 10,000 epochs: it goes on for many minutes, committing an epoch every moment.
LONG = "/train?model=mlp&encoding=aac&epochs=10000&hidden=32"


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    """One server for the module (2 training slots); the kill -9 test, last, kills and restarts it."""
    server = start(Server(tmp_path_factory.mktemp("runs"), PROTSCOPE_MAX_RUNS="2"))
    yield server
    server.stop()


def open_train_page(context, url: str):
    return open_train_pages([context], url)[0]


def open_train_pages(contexts, url: str) -> list:
    """One Train page per context, loading side by side (each load is seconds of chromium's work)."""
    pages = [c.new_page() for c in contexts]
    for page in pages:
        page.set_default_timeout(90_000)
        page.goto(url, wait_until="commit")
    for page in pages:
        page.get_by_role("button", name="Train", exact=True).wait_for()
    return pages


def press_train(page) -> None:
    page.get_by_role("button", name="Train", exact=True).click()


def stop(page) -> None:
    """Press Stop and wait until the run says so (closing the page at once could drop the click)."""
    page.get_by_role("button", name="Stop").click()
    page.get_by_text(re.compile("stopped")).first.wait_for(timeout=60_000)


def pause(page) -> None:
    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="Resume").wait_for()


def run_id_on(page) -> str:
    heading = page.get_by_role("heading", name=re.compile(r"^Run \d{8}-\d{6}-[0-9a-f]{6}"))
    heading.wait_for()
    return heading.inner_text().split()[1]


def test_four_sessions_train_at_once_and_each_sees_its_own_run(browser, new_context, server):
    contexts = [new_context(viewport={"width": 1400, "height": 1000}) for _ in range(4)]
    pages = open_train_pages(contexts, server.url + QUICK)
    for page in pages:
        press_train(page)
    ids = [run_id_on(page) for page in pages]
    assert len(set(ids)) == 4, ids
    marks = ",".join("?" * len(ids))

    def all_stored():
        """all 4 runs stored as completed (first the engine and the store, then what each page shows)"""
        stored = rows(server.db, f"SELECT id, status FROM runs WHERE id IN ({marks})", *ids)
        return sorted(stored) == sorted((i, "completed") for i in ids)
    wait_until(all_stored, timeout=240)
    for page, run_id in zip(pages, ids):
        page.get_by_text(re.compile("completed")).first.wait_for(timeout=90_000)
        # the run this session shows is still its own, not another session's
        assert run_id_on(page) == run_id
    epochs = rows(server.db, f"SELECT run_id, COUNT(*) FROM epochs WHERE run_id IN ({marks}) GROUP BY run_id", *ids)
    assert sorted(epochs) == sorted((i, 3) for i in ids)


def test_runs_beyond_the_training_slots_wait_visibly_as_queued(browser, server):
    contexts = [browser.new_context() for _ in range(3)]
    try:
        pages = open_train_pages(contexts, server.url + LONG)
        for page in pages[:2]:  # both training slots taken, by paused runs (they keep their slot, idle)
            press_train(page)
            run_id_on(page)
            pause(page)
        press_train(pages[2])
        pages[2].get_by_text(re.compile("Queued: 1st in line")).wait_for(timeout=60_000)
        stop(pages[0])
        pages[2].get_by_text(re.compile(r"epoch \d+/10000")).first.wait_for(timeout=120_000)  # its turn came
        for page in pages[1:]:
            stop(page)
    finally:
        for c in contexts:
            c.close()


def test_a_closed_tab_leaves_its_run_finishing_and_stored(browser, server):
    context = browser.new_context()
    try:
        page = open_train_page(context, server.url + QUICK.replace("epochs=3", "epochs=20"))
        press_train(page)
        run_id = run_id_on(page)
        context.close()  # the user closes the tab straight away

        def finished():
            """the closed tab's run to be stored as completed"""
            return rows(server.db, "SELECT status FROM runs WHERE id = ?", run_id) == [("completed",)]

        wait_until(finished, timeout=180)
        assert rows(server.db, "SELECT COUNT(*) FROM epochs WHERE run_id = ?", run_id) == [(20,)]
    finally:
        if context.pages:
            context.close()


def test_kill_9_mid_run_then_restart_keeps_everything(browser, server):
    """Last in the module: it kills the shared server and restarts it."""
    finished = dict(rows(server.db, "SELECT id, status FROM runs"))
    epochs_of = lambda run_id: rows(server.db, "SELECT COUNT(*) FROM epochs WHERE run_id = ?", run_id)[0][0]  # noqa: E731
    counts = {run_id: epochs_of(run_id) for run_id in finished}
    assert "completed" in finished.values()  # the earlier tests' runs
    context = browser.new_context()
    try:
        page = open_train_page(context, server.url + LONG)
        press_train(page)
        killed_id = run_id_on(page)

        def two_epochs():
            """the long run to commit two epochs"""
            return epochs_of(killed_id) >= 2

        wait_until(two_epochs, timeout=120)
        server.stop(signal.SIGKILL)
        committed = epochs_of(killed_id)
    finally:
        context.close()
    assert rows(server.db, "SELECT status FROM runs WHERE id = ?", killed_id) == [("running",)]

    start(server)  # the restart: its first Train page opens the store, which recovers the killed run
    context = browser.new_context()
    try:
        open_train_page(context, server.url + "/train")

        def recovered():
            """the killed run to be marked interrupted"""
            return rows(server.db, "SELECT status FROM runs WHERE id = ?", killed_id) == [("interrupted",)]

        wait_until(recovered, timeout=30)
        assert rows(server.db, "PRAGMA integrity_check") == [("ok",)]
        assert dict(rows(server.db, "SELECT id, status FROM runs WHERE id != ?", killed_id)) == finished
        assert {run_id: epochs_of(run_id) for run_id in finished} == counts
        message = rows(server.db, "SELECT message FROM runs WHERE id = ?", killed_id)[0][0]
        assert "epochs so far are kept" in message
        assert epochs_of(killed_id) == committed >= 2
    finally:
        context.close()
