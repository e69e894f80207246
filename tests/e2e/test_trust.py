"""In chromium, one test per way the dashboard once silently did the wrong thing (issue 15, problems 1-4;
5-9 are in test_trust_runs.py): each of these failed on the dashboard before the Workspace, the owners
and the run repository. The server (one training slot, sessions forgotten 3 s after their browser goes
away) and the users are tests/e2e/conftest.py's.
"""
import re
import time

from tests.e2e.browser import (
    LONG,
    QUICK,
    TTL_S,
    caption,
    go,
    open_expander,
    open_page,
    press,
    rows,
    run_id_on,
    shot,
    stop,
    upload,
    wait_idle,
    wait_until,
)


# --- 1 --------------------------------------------------------------------------------------------
def test_1_an_upload_stays_through_every_page_a_run_and_an_expired_session(server, context, mine):
    page = open_page(context, f"{server.url}/?{QUICK}", ready="")
    page.get_by_role("heading", name="Data").wait_for()
    upload(page, mine)
    go(page, "2 · Train")
    assert "mine.csv" in caption(page) and "esol" not in caption(page)
    press(page, "Train")
    page.get_by_text(re.compile("completed")).first.wait_for(timeout=120_000)
    for label in ("1 · Data", "3 · Evaluate", "4 · Compare", "5 · Predict", "1 · Data"):
        go(page, label)
        page.get_by_test_id("stSidebar").get_by_text(re.compile("mine.csv")).first.wait_for()
    page.get_by_text(re.compile("Using your file mine.csv")).wait_for()  # the uploader is empty, the file kept
    go(page, "2 · Train")
    assert "mine.csv" in caption(page)
    page.goto("about:blank")  # the browser goes away, and the server forgets its session
    time.sleep(TTL_S + 4)
    page.goto(f"{server.url}/train")
    assert "mine.csv" in caption(page)
    shot(page, "trust-1-upload-kept")


# --- 2 --------------------------------------------------------------------------------------------
def test_2_settings_survive_another_users_live_run_ticking_on_compare(server, context, other):
    busy = open_page(other, f"{server.url}/train?{LONG}")
    press(busy, "Train")
    run_id_on(busy)
    try:
        settings_kept_through_compare(server, context)
    finally:
        stop(busy)


def settings_kept_through_compare(server, context) -> None:
    page = open_page(context, f"{server.url}/train?epochs=7&lr=0.003")
    go(page, "4 · Compare")  # its curves redraw every 2 s while the other user's run trains
    page.get_by_text(re.compile("^Everyone's \\(classmates")).click()
    wait_idle(page)
    page.wait_for_timeout(6_000)
    go(page, "3 · Evaluate")
    go(page, "2 · Train")
    open_expander(page, "Training loop")
    assert page.locator(".st-key-epochs input").input_value() == "7"
    assert "3.0e-03" in page.locator(".st-key-lr").inner_text()
    assert "epochs=7" in page.url and "lr=0.003" in page.url


# --- 3 --------------------------------------------------------------------------------------------
def test_3_a_fresh_session_never_shows_another_users_run(server, context, other):
    ada = open_page(other, f"{server.url}/train?{QUICK}")
    ada.get_by_role("textbox", name="Your name, shown with your runs").fill("Ada")
    ada.keyboard.press("Enter")
    wait_idle(ada)
    press(ada, "Train")
    ada_run = run_id_on(ada)
    ada.get_by_text(re.compile("completed")).first.wait_for(timeout=120_000)

    page = open_page(context, f"{server.url}/train?{QUICK}")
    open_expander(page, "Training loop")  # the first click used to adopt the newest run of anyone
    page.wait_for_timeout(1_500)
    assert ada_run not in page.content()
    assert not page.get_by_role("heading", name=re.compile("^Run ")).count()
    for label in ("3 · Evaluate", "5 · Predict"):
        go(page, label)
        page.get_by_text(re.compile("You have no .* yet")).wait_for()
        assert ada_run not in page.content()
    go(page, "3 · Evaluate")  # asked for, another user's run is there, with its owner's name
    page.get_by_test_id("stCheckbox").get_by_text("Everyone's runs").click()
    wait_idle(page)
    page.get_by_text(re.compile("Confusion matrix")).first.wait_for()
    assert re.search(f"{ada_run}[^<]*· Ada", page.content())  # the run menu names its owner
    shot(page, "trust-3-evaluate-everyone")
    assert rows(server.db, "SELECT owner_name FROM runs WHERE id = ?", ada_run) == [("Ada",)]


# --- 4 --------------------------------------------------------------------------------------------
def test_4_a_reload_reattaches_the_running_run_and_stop_works(server, context):
    page = open_page(context, f"{server.url}/train?{LONG}")
    press(page, "Train")
    run_id = run_id_on(page)
    page.get_by_text(re.compile(r"running · epoch")).first.wait_for()
    page.reload()
    wait_idle(page)
    try:
        assert run_id_on(page) == run_id
        assert page.get_by_role("button", name="Stop").is_enabled()
    finally:
        stop(page)
    assert rows(server.db, "SELECT status FROM runs WHERE id = ?", run_id) == [("stopped",)] or wait_until(
        lambda: rows(server.db, "SELECT status FROM runs WHERE id = ?", run_id) == [("stopped",)], timeout=30)
