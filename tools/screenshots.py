"""Take the README's screenshots from the real app: `python -m tools.screenshots`.

Starts `streamlit run` on a free port, opens it in Debian's chromium (Playwright), captures the first
screen, and presses its one-click start (the course notes' CNN on eSOL). It captures the Train page
mid-run, stops the run after a few epochs, and captures the Evaluate page; then it trains the dying-ReLU
lesson and captures its Layer health view, and a lesson card of the Lessons page after its runs.
"""
import re
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from tools.serve import Server, launch_chromium

ROOT = Path(__file__).resolve().parent.parent

DOCS = ROOT / "docs"


def settle(page) -> None:
    page.wait_for_timeout(500)
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000)
    page.wait_for_timeout(1200)  # let Plotly finish drawing


def main() -> None:
    server = Server(Path(tempfile.mkdtemp(prefix="protscope-shots-"))).start()
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            page = browser.new_page(viewport={"width": 1440, "height": 1000}, device_scale_factor=1)
            page.set_default_timeout(180_000)
            page.goto(server.url + "/")
            page.get_by_role("heading", name="Data").wait_for()
            page.get_by_text("Proteins").first.wait_for()
            settle(page)
            page.screenshot(path=str(DOCS / "screenshot-data.png"))
            nav = page.get_by_test_id("stSidebarNav")
            page.get_by_role("button", name=re.compile("Start: train the course")).click()
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
            layer_health(page, nav)
            lessons(page, nav)
            browser.close()
    finally:
        server.stop()
    print("wrote", *(p.name for p in sorted(DOCS.glob("screenshot-*.png"))))


def layer_health(page, nav) -> None:
    """The dying-ReLU lesson, trained to the end, and its Layer health view open."""
    nav.get_by_text("2 · Train", exact=True).click()
    settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Start from a preset").click()
    page.get_by_role("option", name=re.compile("Lesson: dying ReLUs")).click()
    settle(page)
    page.get_by_role("button", name="Apply preset").click()
    settle(page)
    page.get_by_role("button", name="Train", exact=True).click()
    page.get_by_test_id("stProgress").get_by_text(re.compile("completed")).wait_for()
    settle(page)
    view = page.get_by_test_id("stExpander").filter(has_text="Layer health: how each layer learns").first
    view.get_by_text("Layer health: how each layer learns").click()
    view.get_by_text("Gradient flow").first.wait_for()
    page.set_viewport_size({"width": 1440, "height": 2600})  # the whole view drawn at once
    page.mouse.move(700, 5)
    settle(page)
    view.screenshot(path=str(DOCS / "screenshot-layer-health.png"))


def lessons(page, nav) -> None:
    """The gradient-accumulation lesson, started from its card on the Lessons page, after its two runs."""
    nav.get_by_text("Lessons", exact=True).click()
    settle(page)
    page.get_by_role("tab", name="Optimizers and learning rates").click()
    settle(page)
    card = page.locator(".st-key-lesson_accumulation")
    card.get_by_role("button", name="Start").click()
    card.get_by_text("What it shows").wait_for()
    page.set_viewport_size({"width": 1440, "height": 2600})
    page.mouse.move(700, 5)
    settle(page)
    card.screenshot(path=str(DOCS / "screenshot-lessons.png"))


if __name__ == "__main__":
    main()
