"""The Lessons page through AppTest: every card is drawn with its note and time; Start queues a lesson's runs as
server jobs tagged with its launch, and when they end the card shows the paragraph computed from them."""
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from protscope.lessons.catalog import LESSONS

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
pytestmark = pytest.mark.usefixtures("fresh_dashboard")


def lessons_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90).run()
    return at.switch_page("app_pages/lessons.py").run()


def test_every_lesson_has_a_card_with_its_note_and_time():
    at = lessons_page()
    assert not at.exception
    headings = [m.value for m in at.markdown if m.value.startswith("#### ")]
    assert sorted(h[5:] for h in headings) == sorted(lesson.title for lesson in LESSONS.values())
    captions = " ".join(c.value for c in at.caption)
    assert "Exercise 4: Optimizer Comparison · 9 runs, about" in captions and "a sanity check, about" in captions


def test_start_queues_the_runs_and_the_card_then_says_what_they_show():
    from dashboard.state import job_manager, run_store

    at = lessons_page()
    at.button(key="lesson_start_dying-relu").click().run()
    assert not at.exception
    tagged = run_store().list_runs(tag="lesson:dying-relu")
    assert len(tagged) == 2 and all(any(t.startswith("launch:dying-relu-") for t in r["tags"]) for r in tagged)
    for job in job_manager().list():
        job.trainer.wait(120)
        assert job.finished_recording.wait(60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any("learning rate 3" in i.value for i in at.info):
        at.run()
    summary = next(i.value for i in at.info if "learning rate 3" in i.value)
    assert "of the hidden units ended dead" in summary
    assert at.button(key="lesson_start_dying-relu").label == "Start again"
    at.button(key="lesson_compare_dying-relu").click().run()
    assert at.session_state["cmp_tag"].startswith("launch:dying-relu-")  # on Compare, its Tag filter
