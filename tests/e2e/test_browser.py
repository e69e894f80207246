"""End to end in a real browser: Debian's chromium, driven by Playwright, against `streamlit run`.

A newcomer's flow: pick a built-in dataset, start a 3-epoch run, watch it update live, read the
Evaluate page, and upload a broken file. Screenshots of each page go to tests/artifacts/.
Without a browser the tests skip, except under CI, where they fail.
"""
import re

import pytest

from tests.e2e.browser import ARTIFACTS, ROOT, go, need_browser, open_expander, start, wait_idle
from tools.serve import FIRST_VALIDATION_DRAWN_JS, Server, launch_chromium

PASSWORD = "tea-time"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    need_browser()
    runs = tmp_path_factory.mktemp("runs")
    server = start(Server(runs, log=runs / "server.log", PROTSCOPE_INSTRUCTOR_PASSWORD=PASSWORD))
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1500, "height": 1100})
        page.set_default_timeout(60_000)
        yield page
        browser.close()


def test_train_live_then_evaluate(server, page):
    # A small CNN, 3 short epochs, validation every 10 batches: set through the link, as a shared URL would.
    page.goto(server + "/?model=cnn&encoding=tokens&epochs=3&channels=32&max_batches=30&validate_every=10")
    page.get_by_role("heading", name="Data").wait_for()
    page.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name=re.compile("eSOL", re.I)).first.click()
    wait_idle(page)
    page.get_by_text("Proteins").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "data.png"), full_page=True)

    go(page, "2 · Train")
    page.get_by_role("button", name="Train", exact=True).click()
    progress = page.get_by_test_id("stProgress")
    progress.get_by_text(re.compile(r"running · epoch [123]/3")).wait_for(timeout=60_000)
    first = progress.inner_text()
    # The live view redraws on its own while the run goes on: the progress line changes with no click.
    page.wait_for_function("(first) => document.querySelector('[data-testid=\"stProgress\"]').innerText !== first",
                           arg=first, timeout=120_000)
    page.screenshot(path=str(ARTIFACTS / "train-live.png"), full_page=True)
    page.get_by_text(re.compile("completed")).first.wait_for(timeout=180_000)
    wait_idle(page)
    page.wait_for_function(FIRST_VALIDATION_DRAWN_JS, arg=[])  # what bench_dashboard waits for: it must exist
    page.screenshot(path=str(ARTIFACTS / "train-done.png"), full_page=True)

    go(page, "3 · Evaluate")
    page.get_by_text(re.compile("Confusion matrix", re.I)).first.wait_for()
    page.get_by_text(re.compile("ROC", re.I)).first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "evaluate.png"), full_page=True)


def test_malformed_upload_shows_the_error(server, page, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("sequence,label\nMKTAYIAKQR,1\nMKT,1,extra,cells\n" + "ACDEFGHIKL,0\n" * 30)
    page.goto(server)
    page.get_by_role("heading", name="Data").wait_for()
    page.get_by_text("My own file").click()
    wait_idle(page)
    page.locator("input[type=file]").first.set_input_files(str(bad))
    wait_idle(page)
    error = page.get_by_test_id("stAlertContentError").first
    error.wait_for()
    assert "broken.csv" in error.inner_text() and "line 3" in error.inner_text()
    page.screenshot(path=str(ARTIFACTS / "data-upload-error.png"), full_page=True)
    go(page, "5 · Predict")
    page.screenshot(path=str(ARTIFACTS / "predict.png"), full_page=True)


def test_a_lesson_link_opens_with_its_controls_locked_and_hidden(server, page):
    """An instructor's "Share as an exercise" link, opened by a student: the locked learning rate is shown but
    cannot be moved, the hidden optimizer is not there, and the sidebar says so."""
    page.goto(server + "/train?dataset=esol&lr=0.032&optimizer=sgd&seed=0&lock=dataset,seed,lr&hide=optimizer")
    page.get_by_role("button", name="Train", exact=True).wait_for()
    wait_idle(page)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text(re.compile("Exercise.*fixed by your link")).wait_for()
    slider = sidebar.get_by_test_id("stSlider").filter(has_text="learning rate")
    assert slider.locator("input[type=range]").is_disabled()
    assert "3.2e-02" in slider.inner_text()
    assert sidebar.get_by_test_id("stSelectbox").filter(has_text="optimizer").count() == 0
    assert not sidebar.get_by_test_id("stNumberInput").filter(has_text="epochs").locator("input").is_disabled()
    page.screenshot(path=str(ARTIFACTS / "lesson-link-locked.png"), full_page=True)
    sidebar.get_by_role("button", name="Leave the exercise").click()
    wait_idle(page)
    sidebar.get_by_test_id("stSelectbox").filter(has_text="optimizer").first.wait_for()  # shown and editable again
    assert "lock=" not in page.url


def test_the_instructors_broadcast_is_live_on_a_students_class_page(server, page):
    """The instructor signs in, trains and broadcasts; a student in another browser profile sees the run on the
    Class page, redrawn live; a student has no broadcast button of their own."""
    page.goto(server + "/train?model=mlp&encoding=aac&epochs=10000&hidden=32")
    page.get_by_role("button", name="Train", exact=True).wait_for()
    wait_idle(page)
    open_expander(page, "Instructor sign-in")
    page.get_by_label("Class password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Signed in as the instructor").wait_for()
    page.get_by_role("button", name="Train", exact=True).click()
    # This page (shared by the module's tests) still shows the first test's finished run until the new one runs:
    # broadcasting before then would put that finished run on the students' screens.
    page.get_by_test_id("stProgress").get_by_text(re.compile(r"running · epoch \d+")).wait_for()
    page.get_by_role("button", name="Broadcast to the class").click()
    page.get_by_text("Every student's Class page shows this run live").wait_for()
    student = page.context.browser.new_context(viewport={"width": 1500, "height": 1100})
    try:
        theirs = student.new_page()
        theirs.set_default_timeout(60_000)
        theirs.goto(server + "/class")
        theirs.get_by_text(re.compile("Live from the instructor: run")).wait_for()
        progress = theirs.get_by_test_id("stProgress")
        progress.get_by_text(re.compile(r"running · epoch \d+")).wait_for()
        first = progress.inner_text()
        theirs.wait_for_function("(first) => document.querySelector('[data-testid=\"stProgress\"]').innerText "
                                 "!== first", arg=first, timeout=60_000)  # live: redrawn with no click
        theirs.screenshot(path=str(ARTIFACTS / "class-broadcast.png"), full_page=True)
        theirs.goto(server + "/train")
        theirs.get_by_role("button", name="Train", exact=True).wait_for()
        wait_idle(theirs)
        assert theirs.get_by_role("button", name="Broadcast to the class").count() == 0
    finally:
        student.close()
        stop = page.get_by_role("button", name="Stop", exact=True)
        if stop.is_enabled():  # the run still going on the instructor's page (a stale page shows it disabled)
            stop.click()
            page.get_by_text(re.compile("stopped")).first.wait_for()


def test_a_student_has_no_delete_on_the_class_board_and_the_instructor_does(server, page):
    """A student trains from a lesson link; another student's Class page ranks that run with no way to hide or
    delete it; the instructor's (this module's page, signed in above) has both, and deleting works."""
    lesson = "/train?dataset=esol&model=linear&encoding=aac&epochs=3&seed=0&lock=dataset,seed,model,encoding"
    browser = page.context.browser
    first, second = (browser.new_context(viewport={"width": 1500, "height": 1100}) for _ in range(2))
    try:
        theirs = first.new_page()
        theirs.set_default_timeout(60_000)
        theirs.goto(server + lesson)
        theirs.get_by_role("button", name="Train", exact=True).click()
        theirs.get_by_text(re.compile("completed")).first.wait_for(timeout=120_000)
        other = second.new_page()
        other.set_default_timeout(60_000)
        other.goto(server + "/class")
        other.get_by_text("only the instructor can hide or delete others' runs").wait_for()
        other.get_by_test_id("stDataFrame").wait_for()
        wait_idle(other)
        assert other.get_by_role("button", name="Delete the run").count() == 0
        assert other.get_by_text("Hide or delete a run").count() == 0
    finally:
        first.close()
        second.close()
    go(page, "Class")  # through the page menu: the same session, still signed in (a new address is a new session)
    page.get_by_text("Hide or delete a run").wait_for()
    wait_idle(page)
    page.screenshot(path=str(ARTIFACTS / "class-board-instructor.png"), full_page=True)
    page.get_by_role("button", name="Delete the run").click()
    page.get_by_text(re.compile(r"Run \S+ was deleted")).wait_for()


def test_ci_installs_the_browser():
    """`.ci/run` installs chromium, so CI can never skip the tests above."""
    ci = (ROOT / ".ci" / "run").read_text()
    assert "apt-get install" in ci and "chromium" in ci
