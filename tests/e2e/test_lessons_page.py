"""The Lessons page in chromium: a lesson started with one click trains its runs on the server, its card then
says what they show (the paragraph computed from them) beside their curves, a reload keeps it, and the runs open
in Compare under their launch tag. Screenshots: tests/artifacts/lessons-*.png."""
import re

import pytest

from protscope.settings import notes_dir
from tests.e2e.browser import ARTIFACTS, open_page, start, wait_idle, wait_until
from tools.serve import Server


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    server = start(Server(runs, log=runs / "server.log"))
    yield server
    server.stop()


def test_a_lesson_runs_from_its_card_and_says_what_it_shows(server, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2000})
    page = open_page(context, f"{server.url}/lessons", ready=None)
    page.get_by_role("heading", name="Lessons").wait_for()
    page.get_by_role("tab", name="Optimizers and learning rates").click()
    wait_idle(page)
    card = page.locator(".st-key-lesson_accumulation")
    if notes_dir().is_dir():  # the course notes beside the checkout: the card quotes the exercise
        card.get_by_text("Read the exercise in the notes").click()
        card.get_by_text(re.compile("Exercise 3: Gradient Accumulation")).last.wait_for()
    card.get_by_role("button", name="Start").click()
    shown = card.get_by_text(re.compile("^Accumulating 4 batches"))
    shown.wait_for(timeout=180_000)
    assert re.search(r"gave the same curves: at most \d\.\de-\d+ apart", shown.inner_text())
    card.locator(".legendtext").nth(1).wait_for()  # plotly draws the chart after the paragraph appears
    legend = [t.text_content() for t in card.locator(".legendtext").all()]
    assert legend == ["accumulation 1", "accumulation 4"]
    card.scroll_into_view_if_needed()
    page.wait_for_timeout(800)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    card.screenshot(path=str(ARTIFACTS / "lessons-accumulation.png"))

    page.reload()  # a new session of the same browser: the card finds its launch in the run store
    page.get_by_role("tab", name="Optimizers and learning rates").click()
    wait_idle(page)
    card = page.locator(".st-key-lesson_accumulation")
    card.get_by_text(re.compile("^Accumulating 4 batches")).wait_for()
    assert card.get_by_role("button", name="Start again").is_enabled()
    card.get_by_role("button", name="Open these runs in Compare").click()
    page.get_by_role("heading", name="Compare").wait_for()
    wait_idle(page)
    tag = page.get_by_test_id("stSelectbox").filter(has_text="Tag").locator("input")
    wait_until(lambda: tag.input_value().startswith("launch:accumulation-"), timeout=30)  # the Tag filter: this launch
    grid = page.get_by_test_id("stDataFrame").first.locator("[role=grid]")
    wait_until(lambda: grid.get_attribute("aria-rowcount") == "3", timeout=30)  # the header and the lesson's 2 runs
    context.close()
