"""The Predict page's explanation: its figures on hand-made scores (no browser), and the view itself (AppTest)
on real tiny runs, the work in the background."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.logic import explain_charts as ec
from protscope.alphabet import ALPHABET
from tests.test_engine import config

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")

pytestmark = pytest.mark.usefixtures("fresh_dashboard")


# --- the figures -----------------------------------------------------------------------------------

def test_each_cell_names_its_mutation_and_the_wild_type_is_marked():
    effects = np.arange(20 * 3, dtype=float).reshape(20, 3) / 100 - 0.3
    labels = ec.mutation_labels("KAB", effects)
    assert labels.shape == (20, 3)
    assert labels[ALPHABET.index("A"), 0] == "K1A: -0.3000" and labels[ALPHABET.index("K"), 0] == "K1 (wild type)"
    assert labels[ALPHABET.index("A"), 1] == "A2 (wild type)"
    assert labels[0, 2] == "X3A: -0.2800"  # B was read as X: every substitution of it is a change


def test_the_heat_map_is_20_by_l_centred_at_zero():
    effects = np.zeros((20, 4))
    effects[3, 1], effects[5, 2] = 0.5, -2.0
    fig = ec.mutagenesis_heatmap("MKVX", effects, "log-odds of 'soluble'", "log-odds")
    heat, wild = fig.data
    assert np.asarray(heat.z).shape == (20, 4) and list(heat.y) == list(ALPHABET) and list(heat.x) == [1, 2, 3, 4]
    assert heat.zmid == 0 and (heat.zmin, heat.zmax) == (-2.0, 2.0) and heat.hovertemplate.startswith("%{text}")
    assert np.asarray(heat.text)[3, 1] == "K2E: +0.5000"
    assert list(wild.x) == [1, 2, 3] and list(wild.y) == ["M", "K", "V"]  # X has no row to mark
    assert "log-odds of 'soluble'" in fig.layout.title.text


def test_the_logo_draws_one_letter_per_residue_on_one_scale_wrapped_by_rows():
    scores = np.linspace(-1, 2, 130) + 0.001  # none exactly 0 (a letter of no height is not drawn)
    fig = ec.attribution_logo("ACDEFGHIKLMNPQRSTVWY" * 6 + "BKKKKKKKKK", scores, "title", "log-odds")
    axes = fig.axes
    assert len(axes) == 2 and all(ax.get_ylim() == pytest.approx((-2.161, 2.161), abs=1e-3) for ax in axes)
    assert [len(ax.patches) for ax in axes] == [100, 30]
    heights = [p.get_path().get_extents().height for p in axes[0].patches[:3]]
    assert heights[0] > heights[1] > heights[2]  # -1, -0.97, -0.94: the further from 0, the taller
    assert axes[1].get_xlim() == (100.5, 200.5)  # every row on the same scale
    assert ec.attribution_logo("MKV" * 10, np.ones(30), "", "value").axes[0].get_xlim() == (0.5, 30.5)


# --- the view ------------------------------------------------------------------------------------

def trained_run(tiny, tmp_path, task: str, run_id: str, **settings) -> str:
    """A finished run in the dashboard's run store, as the command line records one."""
    from dashboard.state import run_store
    from protscope.owners import command_line_owner
    from protscope.runs.recorder import record_in_background
    from protscope.train.trainer import Trainer

    data, split = tiny[task]
    trainer = Trainer(config(epochs=2, **settings), data, split, run_dir=tmp_path / "runs" / run_id, run_id=run_id)
    recorder = record_in_background(trainer, run_store(), owner=command_line_owner())
    trainer.run()
    recorder.join(30)
    return data.sequences[0]


def predict_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("app_pages/predict.py").run()
    at.toggle(key="predict_everyone").set_value(True).run()
    return at


def explain(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Explain").click().run()
    task = at.session_state["explain_task"]
    task.wait(60)
    assert task.done and not task.error, task.error
    return at.run()


def test_the_view_shows_the_logo_and_the_heat_map_of_the_pasted_sequence(tiny, tmp_path):
    sequence = trained_run(tiny, tmp_path, "binary", "cnn-run", model="cnn", encoding="tokens")
    at = predict_page()
    assert at.button(key="explain_go").disabled  # nothing to explain yet
    at.text_area(key="predict_text").set_value(f">mine\n{sequence}\n>other\nMKV\n").run()
    assert any("Explaining **mine**" in c.value for c in at.caption)
    at = explain(at)
    assert not at.exception
    assert any(m.value.startswith("**Prediction:** ") and "log-odds of '1'" in m.value for m in at.markdown)
    assert len(at.get("image")) == 1  # the logo
    heat = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]
    assert heat["type"] == "heatmap" and len(heat["y"]) == 20 and heat["zmid"] == 0
    assert any("The strongest: " in c.value for c in at.caption)
    assert any("the letters add up to" in c.value for c in at.caption)


def test_a_per_residue_run_asks_for_a_residue_and_says_when_it_is_past_the_end(tiny, tmp_path):
    trained_run(tiny, tmp_path, "residue", "window-run", model="window_mlp", encoding="window")
    at = predict_page()
    at.text_input(key="explain_sequence").set_value("MKVLAAGIVA").run()
    at.selectbox(key="explain_target").set_value("H")
    at.radio(key="explain_method").set_value("saliency")
    at.number_input(key="explain_position").set_value(12).run()
    next(b for b in at.button if b.label == "Explain").click().run()
    at.session_state["explain_task"].wait(60)
    at.run()
    assert not at.exception and "position 12 is not a residue of this 10-residue sequence" in at.error[0].value
    at.number_input(key="explain_position").set_value(4).run()
    at = explain(at)
    assert any("log-odds of 'H' at residue 4" in m.value for m in at.markdown)
    assert any("gradient × input" in c.value for c in at.caption)


class Unfinished:
    """A task whose attribution is ready and whose mutagenesis is still running."""

    def __init__(self, attribution):
        self.attribution, self.progress, self.done, self.error, self.result = attribution, 0.4, False, "", None
        self.stopped = False

    def stop(self):
        self.stopped = True


def test_the_logo_shows_while_the_mutagenesis_runs_and_it_can_be_stopped(tiny, tmp_path, monkeypatch):
    from dashboard import explain_view
    from protscope.explain.attribution import attribute

    sequence = trained_run(tiny, tmp_path, "regression", "mlp-run", model="mlp", encoding="aac")
    task = Unfinished(attribute(tmp_path / "runs" / "mlp-run" / "checkpoint.pt", sequence))
    monkeypatch.setattr(explain_view, "start_explanation", lambda *args, **kwargs: task)
    at = predict_page()
    assert "explain_target" not in [s.key for s in at.selectbox]  # a regression model has no class to choose
    at.text_input(key="explain_sequence").set_value(sequence).run()
    next(b for b in at.button if b.label == "Explain").click().run()
    assert not at.exception and len(at.get("image")) == 1 and not at.get("plotly_chart")
    assert at.get("progress")[0].proto.text == "Saturation mutagenesis: 40% …"
    assert any("predicted value" in m.value for m in at.markdown)
    at.button(key="explain_stop").click().run()
    assert task.stopped
