"""Evaluate's "What the model learned": the figure builders on hand-made arrays (no browser), and the view on
runs trained into the dashboard's own run store (AppTest)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from dashboard.logic import motif_charts as mc
from dashboard.logic import space_charts as sc
from protscope.alphabet import ALPHABET
from protscope.config.run_config import RunConfig

BACKGROUND = np.full(20, 0.05)


# --- figures ----------------------------------------------------------------------------------------------

def test_a_pure_position_carries_log2_of_one_over_its_background_and_an_empty_one_nothing():
    pwm = np.full((3, 20), np.nan)
    pwm[0] = np.eye(20)[ALPHABET.index("W")]
    pwm[1] = 0.05
    bits = mc.information(pwm, BACKGROUND)
    assert bits.loc[1, "W"] == pytest.approx(np.log2(20), rel=1e-3) and bits.loc[1].drop("W").abs().max() < 1e-9
    assert bits.loc[2].abs().max() < 1e-9 and bits.loc[3].abs().max() == 0  # uniform: no information; no letter: 0
    centred = mc.centred_weights(np.arange(40, dtype=float).reshape(2, 20))
    np.testing.assert_allclose(centred.sum(axis=1), 0.0, atol=1e-9)


def test_logo_columns_have_one_row_per_filter():
    weights = np.random.default_rng(0).normal(size=(4, 5, 20))
    fig = mc.weight_logos(weights, [3, 0], ["filter 3", "filter 0"])
    assert len(fig.axes) == 2 and fig.axes[0].get_title(loc="left") == "filter 3"
    pwm = np.random.default_rng(1).dirichlet(np.ones(20), size=5)
    assert len(mc.pwm_logos([pwm], BACKGROUND, ["p"]).axes) == 1


def test_unit_heat_maps_are_amino_acid_by_offset_with_the_weights_to_each_class():
    weights = np.random.default_rng(0).normal(size=(5, 13, 21))
    outgoing = np.arange(15, dtype=float).reshape(3, 5)
    fig = mc.unit_heatmaps(weights, [0, 4], ALPHABET + "-", np.arange(-6, 7), outgoing, ("H", "E", "C"))
    assert len(fig.data) == 2 and np.asarray(fig.data[1].z).shape == (21, 13)
    np.testing.assert_allclose(np.asarray(fig.data[1].z), weights[4].T)
    assert fig.layout.annotations[1].text == "unit 4 → H +4.00 E +9.00 C +14.00"
    assert fig.data[0].zmin == -fig.data[0].zmax == -np.abs(weights[[0, 4]]).max()


def test_the_space_is_one_frame_per_epoch_with_fixed_axes_and_traces_per_class():
    coords = np.random.default_rng(0).normal(size=(3, 10, 2)) * np.array([[[1.0]], [[2.0]], [[3.0]]])
    labels = np.array([0, 1] * 5)
    colour = sc.colouring(labels, "binary", ("insoluble", "soluble"))
    names = sc.hover_names(np.array([f"p{i}" for i in range(10)]), None, None)
    fig = sc.space_figure(coords, np.array([1, 5, 9]), colour, names, "pca", np.array([0.2, 0.5, 0.9]))
    assert [f.name for f in fig.frames] == ["1", "5", "9"] and len(fig.layout.sliders[0].steps) == 3
    assert [t.name for t in fig.data] == ["insoluble", "soluble"] and fig.layout.sliders[0].active == 2
    np.testing.assert_allclose(fig.data[1].x, coords[2, labels == 1, 0])
    assert sorted(np.concatenate([t.customdata for t in fig.frames[0].data]).tolist()) == list(range(10))
    assert fig.layout.xaxis.range[0] <= coords[..., 0].min() and fig.layout.xaxis.range[1] >= coords[..., 0].max()
    assert "90% of its spread" in fig.layout.title.text


def test_colouring_by_value_by_label_and_by_class():
    by_value = sc.colouring(np.array([0.5, 2.0]), "regression", ())
    assert by_value.groups == () and by_value.title == "value"
    fig = sc.space_figure(np.zeros((1, 2, 2)), np.array([1]), by_value, ["a", "b"], "umap", np.array([np.nan]))
    assert fig.data[0].marker.colorbar.title.text == "value" and fig.layout.xaxis.title.text == "UMAP 1"
    multi = sc.colouring(np.array([[1, 0], [0, 1]]), "multilabel", ("membrane", "enzyme"), label=1)
    assert multi.groups == ("not enzyme", "enzyme") and multi.values.tolist() == [0, 1]
    residues = sc.hover_names(np.array(["r1"]), np.array([11]), np.array(["K"]))
    assert residues == ["r1 · K12"]


def test_a_click_names_the_point_by_its_customdata():
    assert sc.chosen_point({"selection": {"points": [{"customdata": 7, "point_index": 2}]}}) == 7
    assert sc.chosen_point({"selection": {"points": [{"customdata": [3]}]}}) == 3
    assert sc.chosen_point({"selection": {"points": []}}) is None and sc.chosen_point(None) is None


# --- the view, on runs in the dashboard's store -------------------------------------------------------------

def learned_view(run_id: str) -> None:
    from dashboard import learned_view
    from dashboard.state import repository

    learned_view.section(repository().find(run_id), repository())


@pytest.fixture
def trained(fresh_dashboard, tiny, tmp_path):
    """Runs trained into the store the dashboard opens: a CNN, a window network, an MLP recorded without."""
    from protscope.runs.recorder import record
    from protscope.runs.store import open_store
    from protscope.train.trainer import Trainer

    store = open_store()
    ids = {}
    for name, task, settings in (("cnn", "binary", dict(model="cnn", encoding="tokens", channels=4, embedding_dim=8)),
                                 ("window", "residue", dict(model="window_mlp", encoding="window", hidden=(3,))),
                                 ("bare", "binary", dict(model="mlp", encoding="aac", learned=False))):
        data, split = tiny[task]
        trainer = Trainer(RunConfig().with_values(epochs=2, batch_size=16, **settings), data, split,
                          run_dir=tmp_path / name)
        trainer.start()
        record(trainer, store)
        ids[name] = trainer.run_id
    return ids


def test_a_cnn_run_finds_its_motifs_in_the_background_and_draws_its_space(trained):
    at = AppTest.from_function(learned_view, args=(trained["cnn"],), default_timeout=60).run()
    assert not at.exception and [e.label for e in at.expander][:2] == [
        "Learned motifs: what the first layer detects", "Learned space: how the validation proteins move as it trains"]
    assert not at.get("plotly_chart") and not at.get("image")  # closed: nothing built
    at.session_state["eval_motifs_open"] = at.session_state["eval_space_open"] = True
    at.run()
    space = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [f["name"] for f in space["frames"]] == ["1", "2"] and not at.exception
    at.button(key=f"motifs_start_{trained['cnn']}").click().run()
    task = next(iter(at.session_state["motif_tasks"].values()))
    assert task.wait(60) is not None and not task.error
    at.run()
    assert not at.exception and at.slider(key=f"motifs_shown_{trained['cnn']}").value == 4
    assert len(at.get("image")) == 2  # weights and PWMs
    at.select_slider(key=f"motifs_epoch_{trained['cnn']}").set_value(1).run()
    assert not at.exception and any("**Weights** (epoch 1)" in m.value for m in at.markdown)


def test_the_window_network_shows_its_units_and_an_unrecorded_run_says_so(trained):
    at = AppTest.from_function(learned_view, args=(trained["window"],), default_timeout=60)
    at.session_state["eval_motifs_open"] = True
    at.run()
    units = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert not at.exception and len(units["data"]) == 3 and units["data"][0]["type"] == "heatmap"
    bare = AppTest.from_function(learned_view, args=(trained["bare"],))
    bare.session_state["eval_space_open"] = True
    bare.run()
    assert len(bare.expander) == 1 and "not recorded for this run" in bare.info[0].value


def point_view(run_id: str, point: int) -> None:
    from dashboard import learned_view
    from dashboard.logic import space_charts
    from dashboard.state import repository

    repo = repository()
    record, learned = repo.find(run_id), repo.learned(run_id)
    colour = space_charts.colouring(learned.labels, record.task, record.classes)
    learned_view._point_view(record, repo, learned, point, colour)


def test_a_chosen_protein_is_named_and_its_prediction_explained(trained):
    from dashboard.state import repository

    learned = repository().learned(trained["cnn"])
    at = AppTest.from_function(point_view, args=(trained["cnn"], 1), default_timeout=60).run()
    assert not at.exception and at.markdown[0].value.startswith(f"**{learned.ids[1]}**: class ")
    at.button(key=f"space_explain_{trained['cnn']}").click().run()
    assert not at.exception
    bars = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert bars["data"][0]["type"] == "bar" and any("Explained: the log-odds" in c.value for c in at.caption)
