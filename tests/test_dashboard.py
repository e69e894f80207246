"""The dashboard renders (AppTest, no browser) and shows a built-in dataset's summary."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


def test_home_page_lists_datasets_and_summarises_one():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "ProtScope"
    assert [m.value for m in at.metric][:2] == ["3,147", "binary"]
    at.selectbox(key="home_dataset").set_value("gb1").run()
    assert not at.exception
    assert [m.value for m in at.metric][:2] == ["8,733", "regression"]
