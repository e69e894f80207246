"""Evaluate's explanations: the best and worst predicted proteins (protscope/evaluation/per_protein.py) explained
as on Predict, and GB1's predicted mutation effects beside the measured ones (dashboard/explain_tests.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from protscope.config.run_config import RunConfig
from protscope.evaluation.per_protein import extremes, protein_errors
from protscope.explain.measured import Comparison
from protscope.train.inference import Predictions


def test_each_task_has_its_per_protein_error():
    regression = Predictions("test", np.arange(3), np.array([1.0, 2.0, 0.0]), np.array([1.5, 2.0, 3.0]))
    assert protein_errors(regression, "regression").tolist() == [0.5, 0.0, 3.0]
    proba = np.array([[0.9, 0.1], [0.3, 0.7], [0.8, 0.2]])
    binary = Predictions("test", np.arange(3), proba, np.array([0, 0, 1]))
    np.testing.assert_allclose(protein_errors(binary, "binary"), [0.1, 0.7, 0.8])
    multilabel = Predictions("test", np.arange(2), np.array([[0.9, 0.2], [0.5, 0.5]]), np.array([[1, 0], [0, 1]]))
    np.testing.assert_allclose(protein_errors(multilabel, "multilabel"), [0.15, 0.5])
    residues = Predictions("test", np.arange(3), np.array([[1.0, 0.0], [0.4, 0.6], [0.0, 1.0]]), np.array([0, 0, 1]),
                           protein=np.array([0, 0, 2]), position=np.array([0, 1, 0]))
    errors = protein_errors(residues, "residue")  # protein 1 has no labelled residue
    np.testing.assert_allclose(errors[[0, 2]], [0.3, 0.0]) and np.isnan(errors[1])


def test_the_best_come_best_first_and_the_worst_worst_first_never_both():
    best, worst = extremes(np.array([0.3, np.nan, 0.1, 0.9, 0.5]), 2)
    assert best.tolist() == [2, 0] and worst.tolist() == [3, 4]
    best, worst = extremes(np.array([0.2, 0.1, 0.4]), 5)  # fewer than 2k: shared, none twice
    assert best.tolist() == [1, 0] and worst.tolist() == [2]


def test_predicted_and_measured_are_two_heat_maps_with_the_correlation_in_the_title():
    from dashboard.logic.explain_charts import measured_heatmaps

    measured = np.full((20, 2), np.nan)
    measured[0] = [0.5, -0.2]
    found = Comparison(np.array([38, 39]), "M" * 38 + "VD", np.zeros((20, 2)), measured, 0.61, 0.7, 3)
    fig = measured_heatmaps(found, "fitness")
    assert [t.type for t in fig.data] == ["heatmap", "scatter", "heatmap", "scatter"]
    assert list(fig.data[0].x) == ["V39", "D40"] and fig.data[2].text[0][0] == "V39A: +0.500"
    assert fig.data[2].text[1][0] == "V39C: not measured" and "Spearman 0.61 over 3" in fig.layout.title.text


def evaluate_part(run_id: str, split: str) -> None:
    from dashboard import explain_tests
    from dashboard.state import repository

    repo = repository()
    explain_tests.section(repo.find(run_id), repo.predictions(run_id, split), split)


def _train(config: RunConfig, data, split, run_dir) -> str:
    from protscope.runs.recorder import record
    from protscope.runs.store import open_store
    from protscope.train.trainer import Trainer

    trainer = Trainer(config, data, split, run_dir=run_dir)
    trainer.start()
    record(trainer, open_store())
    return trainer.run_id


def test_the_worst_predicted_test_protein_is_explained_residue_by_residue(fresh_dashboard, tiny, tmp_path):
    data, split = tiny["binary"]
    run = _train(RunConfig().with_values(model="cnn", encoding="onehot", channels=4, epochs=2, batch_size=16),
                 data, split, tmp_path / "cnn")
    at = AppTest.from_function(evaluate_part, args=(run, "test"), default_timeout=60).run()
    assert not at.exception and [e.label for e in at.expander] == [
        "Residues behind the predictions: the best and worst predicted proteins"]  # not a regression: no GB1 part
    at.session_state["eval_explain_open"] = True
    at.run()
    options = at.selectbox(key="eval_explain_protein").options
    assert len(options) == min(10, int((split.assignment == 2).sum())) and options[0].startswith("worst predicted: ")
    at.button(key="eval_explain_go").click().run()
    at.session_state["eval_explain_task"].wait(60)
    at.run()
    assert not at.exception
    assert at.get("imageList") or at.get("image")  # the logo (st.pyplot)
    assert any("Prediction:" in m.value for m in at.markdown)
    assert json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["type"] == "heatmap"  # the mutagenesis


@pytest.fixture(scope="module")
def gb1():
    from protscope.data.builtin import config_for, load_data
    from protscope.data.splits import make_split

    data = load_data(config_for("gb1"))
    return data, make_split(data, config_for("gb1"))


def test_gb1s_predicted_effects_sit_beside_the_measured_ones(fresh_dashboard, gb1, tmp_path):
    from protscope.config.layering import layered
    from protscope.data.builtin import config_for

    config = layered(preset=dict(encoding="onehot", model="mlp", hidden=(16,), epochs=1, max_batches=5),
                     data=config_for("gb1").to_dict())
    run = _train(config, *gb1, tmp_path / "gb1")
    at = AppTest.from_function(evaluate_part, args=(run, "test"), default_timeout=60)
    at.session_state["eval_measured_open"] = True
    at.run()
    assert not at.exception and at.text_input(key=f"measured_wild_{run}").value == "VDGV"  # from the manifest
    figure = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert figure["data"][0]["x"] == ["V39", "D40", "G41", "V54"] and "Spearman" in figure["layout"]["title"]["text"]
    assert [m.value for m in at.metric][2] == "27" and not at.warning
    at.text_input(key=f"measured_wild_{run}").set_value("").run()  # nothing named: the consensus, said to be assumed
    assert not at.exception and (any("wild type is assumed" in w.value for w in at.warning) or at.info)
