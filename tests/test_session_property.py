"""Property: a session's settings and data change only by its own widget actions.

Hypothesis drives random sequences of page visits, widget changes, idle reruns and another session's
activity (changing its own settings, training runs) through AppTest, and after every step checks
that this session's Workspace, and the widgets drawn from it, hold exactly what its own actions set.
"""
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from streamlit.testing.v1 import AppTest

from dashboard.logic.setting_values import default_settings

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")
PAGES = ("data", "train", "evaluate", "compare", "predict")
# Settings drawn on the Train page that do not change one another: (widget kind, values to try).
TRAIN_WIDGETS = {"epochs": ("number_input", (3, 7, 12)), "batch_size": ("number_input", (8, 16, 64)),
                 "dropout": ("number_input", (0.1, 0.5)), "lr": ("select_slider", (1e-4, 3.2e-3, 0.01)),
                 "early_stopping": ("toggle", (True, False)), "optimizer": ("selectbox", ("adam", "sgd", "adamw")),
                 "scheduler": ("selectbox", ("none", "cosine", "step"))}
DATA_WIDGETS = {"val_fraction": ("number_input", (0.1, 0.2)), "split_seed": ("number_input", (0, 5))}


pytestmark = pytest.mark.usefixtures("fresh_dashboard")


def new_session() -> AppTest:
    return AppTest.from_file(APP, default_timeout=90).run()


class OneSessionAmongOthers(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.me, self.other = new_session(), new_session()
        self.page = "data"
        self.expected, self.dataset = default_settings(), "esol"

    def go(self, page: str) -> None:
        self.me.switch_page(f"app_pages/{page}.py").run()
        self.page = page

    @rule(page=st.sampled_from(PAGES))
    def visit(self, page):
        self.go(page)

    @rule(key=st.sampled_from(sorted(TRAIN_WIDGETS)), pick=st.integers(0, 2))
    def change_a_training_setting(self, key, pick):
        if self.page != "train":
            self.go("train")
        kind, values = TRAIN_WIDGETS[key]
        value = values[pick % len(values)]
        getattr(self.me, kind)(key=key).set_value(value).run()
        self.expected[key] = value

    @rule(key=st.sampled_from(sorted(DATA_WIDGETS)), pick=st.integers(0, 1))
    def change_a_data_setting(self, key, pick):
        if self.page != "data":
            self.go("data")
        kind, values = DATA_WIDGETS[key]
        getattr(self.me, kind)(key=key).set_value(values[pick]).run()
        self.expected[key] = values[pick]

    @rule(name=st.sampled_from(("esol", "gb1")))
    def choose_a_dataset(self, name):
        if self.page != "data":
            self.go("data")
        self.me.selectbox(key="dataset").set_value(name).run()
        self.dataset = name

    @rule(seconds=st.sampled_from((0.0, 0.5, 1.5)))
    def sit_idle(self, seconds):
        time.sleep(seconds)
        self.me.run()

    @rule(epochs=st.integers(1, 50), train=st.booleans(), page=st.sampled_from(PAGES))
    def another_session_works(self, epochs, train, page):
        other = self.other
        other.switch_page("app_pages/train.py").run()
        other.number_input(key="epochs").set_value(epochs).run()
        other.selectbox(key="encoding").set_value("aac").run()
        if train:
            other.number_input(key="max_batches").set_value(2).run()
            next(b for b in other.button if b.label == "Train").click().run()
        other.switch_page(f"app_pages/{page}.py").run()

    @invariant()
    def only_my_own_actions_changed_my_settings(self):
        assert not self.me.exception, [e.value for e in self.me.exception]
        ws = self.me.session_state["ws"]
        assert ws.settings == self.expected
        assert (ws.source, ws.dataset) == ("builtin", self.dataset)
        if self.page == "train":
            for key, (kind, _) in TRAIN_WIDGETS.items():
                assert getattr(self.me, kind)(key=key).value == self.expected[key], key


OneSessionAmongOthers.TestCase.settings = settings(max_examples=3, stateful_step_count=10, deadline=None,
                                                   suppress_health_check=list(HealthCheck))
test_settings_change_only_by_the_users_own_actions = OneSessionAmongOthers.TestCase
