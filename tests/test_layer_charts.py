"""The Layer health charts (dashboard/logic/layer_charts.py) on a real tiny run's statistics and on
synthetic ones (bench/bench_layer_health.py's, in the engine's format), and the view (AppTest)."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from bench.bench_layer_health import normal_hist, synthetic_internals, transformer_layers
from dashboard.logic import layer_charts as lc
from dashboard.logic import layer_distributions as ld
from protscope.config.run_config import RunConfig
from protscope.config.sections import TrainingConfig
from protscope.evaluation.layer_health import LayerWarning, health_rows, layer_warnings
from protscope.train.trainer import Trainer
from tests.test_charts import spec, validated_style

EMPTY = {"layers": [], "records": []}
LAYER = "encoder.1.feed_forward.0"


@pytest.fixture(scope="module")
def real(tiny) -> dict:
    """A tiny ReLU MLP's statistics at every step of 2 epochs: what the engine records."""
    data, split = tiny["binary"]
    cfg = RunConfig(training=TrainingConfig(epochs=2, batch_size=16, layer_stats_every=1)).with_values(
        encoding="aac", model="mlp", hidden=(16, 16), activation="relu", optimizer="adam", lr=1e-3)
    trainer = Trainer(cfg, data, split)
    trainer.run()
    return trainer.snapshot().internals()


@pytest.fixture(scope="module")
def synthetic() -> dict:
    return synthetic_internals(60)


def notes(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


# --- the table ------------------------------------------------------------------------------------

def test_the_table_has_one_row_per_layer_in_network_order_with_its_checks(real):
    rows = health_rows(real)
    table = lc.health_table(rows, layer_warnings(real))
    assert list(table.columns) == lc.TABLE_COLUMNS
    assert list(table["layer"]) == [layer["name"] for layer in real["layers"]] and list(table["#"]) == [1, 2, 3]
    assert list(table["activation"]) == ["relu", "relu", "none"]  # the head has none
    assert all(set(cell) <= set(lc.HEALTH_LABELS) and cell for cell in table["health"])
    assert table["dead %"].iloc[0] == pytest.approx(100 * rows[0]["dead"]) and math.isnan(table["dead %"].iloc[2])
    steps = len(real["records"])
    assert len(table["gradient trend"].iloc[0]) == steps  # a sparkline point per record
    assert table["ratio trend"].iloc[0][-1] == pytest.approx(math.log10(rows[0]["ratio"]))  # log10: -3 is 1e-3


def test_the_health_column_names_what_is_wrong_and_how_badly():
    layers = transformer_layers(1)
    internals = synthetic_internals(4, layers)
    for record in internals["records"]:
        record["layers"]["encoder.0.feed_forward.0"]["dead"] = 0.5  # bad: >= 25 %
        record["layers"]["encoder.0.attention"]["ratio"] = 0.05  # watch: above 3e-2, below 1e-1
        record["layers"]["head"]["ratio"] = None
        record["layers"]["head"]["g_norm"] = None
    warning = LayerWarning("vanishing", ("embed",), 4, 0.2, "embed barely updates", "warning")
    table = lc.health_table(health_rows(internals), [warning]).set_index("layer")
    assert table.loc["encoder.0.feed_forward.0", "health"] == ["✖ dead units"]
    assert table.loc["encoder.0.attention", "health"] == ["▲ update ratio"]
    assert table.loc["embed", "health"] == ["✖ vanishing"]
    assert table.loc["encoder.0.norm1", "health"] == ["✓ fine"]
    assert table.loc["head", "health"] == ["○ not measured"]
    assert len(lc.HEALTH_COLOURS) == len(lc.HEALTH_LABELS)
    colour = dict(zip(lc.HEALTH_LABELS, lc.HEALTH_COLOURS))
    assert colour["✖ dead units"] == lc.STATUS_COLOUR["bad"] and colour["✓ fine"] == lc.STATUS_COLOUR["good"]
    assert "rule of thumb" in lc.RULES_OF_THUMB.lower() and "1e-3" in lc.RULES_OF_THUMB


# --- re-binning and the recent window ------------------------------------------------------------

def test_rebinning_keeps_every_count_and_matches_spreading_each_bin_evenly():
    rng = np.random.default_rng(3)
    hists = []
    for i in range(40):
        lo = float(rng.normal(0, 1))
        hi = lo if i % 8 == 0 else lo + float(rng.uniform(0.01, 3))  # some constant tensors
        hists.append({"lo": lo, "hi": hi, "counts": rng.integers(0, 60, 24).tolist()})
    edges = np.linspace(-1.0, 1.5, ld.GRID_BINS + 1)  # narrower than many of them: their tails go to the edges
    grid, outside = ld.rebin(hists, edges)
    assert grid.shape == (40, ld.GRID_BINS)
    assert np.allclose(grid.sum(axis=1), [sum(h["counts"]) for h in hists])
    for h, row, out in zip(hists, grid, outside):
        if h["hi"] > h["lo"]:
            cdf = np.interp(edges, np.linspace(h["lo"], h["hi"], 25), np.r_[0, np.cumsum(h["counts"])])
            assert np.allclose(row[1:-1], np.diff(cdf)[1:-1])
            assert out == pytest.approx(cdf[0] + sum(h["counts"]) - cdf[-1])
        else:  # every value at one point: one bin has them all
            assert np.count_nonzero(row) <= 1
    one = {"lo": 0.2, "hi": 0.2, "counts": [0] * 23 + [7]}
    grid, outside = ld.rebin([one], np.linspace(0, 1, 11))
    assert grid[0, 2] == 7 and outside[0] == 0


def test_the_value_axes_follow_the_recent_records_so_an_early_spike_does_not_squash_them():
    spiky = synthetic_internals(60, spike=True)
    plain = synthetic_internals(60)
    hists = [h for _, h in ld.hists_of(spiky, LAYER, "weights")]
    assert hists[1]["hi"] > 20 * hists[-1]["hi"]  # the spike is really there
    lo, hi = ld.recent_window(hists)
    assert lo == min(h["lo"] for h in hists[-18:]) and hi == max(h["hi"] for h in hists[-18:])
    heat = ld.distribution_heatmap(spiky, LAYER, "weights")
    centres = np.asarray(heat.data[0].y)
    assert centres.min() > lo and centres.max() < hi and centres.size == ld.GRID_BINS
    assert np.asarray(heat.data[0].z).shape == (ld.GRID_BINS, 60)  # values x steps
    assert "of the values lie outside it, counted in the edge rows" in notes(heat)[0]
    assert "every value is inside it" in notes(ld.distribution_heatmap(plain, LAYER, "weights"))[0]
    bands = ld.percentile_bands({"spiky": spiky}, LAYER, "gradients")
    g_hists = [h for _, h in ld.hists_of(spiky, LAYER, "gradients")]
    assert bands.layout.yaxis.range[1] < 0.1 * g_hists[1]["hi"]  # not stretched to the spike
    assert bands.layout.yaxis.range[1] >= max(h["pct"][8] for h in g_hists[-18:])


def test_the_heat_map_counts_are_log1p_of_the_rebinned_counts(real):
    name = real["layers"][0]["name"]
    heat = ld.distribution_heatmap(real, name, "gradients")
    z, counts = np.asarray(heat.data[0].z), np.asarray(heat.data[0].customdata)
    assert np.allclose(z, np.log1p(counts))
    assert np.allclose(counts.sum(axis=0), [sum(r["layers"][name]["g_hist"]["counts"]) for r in real["records"]])
    assert list(heat.data[0].x) == [r["step"] for r in real["records"]]


# --- overlays -------------------------------------------------------------------------------------

def test_overlays_draw_one_trace_group_per_run(synthetic):
    runs = {"seed 1": synthetic, "seed 2": synthetic_internals(60, seed=1), "seed 3": synthetic_internals(40, seed=2)}
    flow = lc.gradient_flow(runs)
    assert [t.legendgroup for t in flow.data] == list(runs)
    assert list(flow.data[0].y) == [layer["name"] for layer in synthetic["layers"]]  # input at the top
    assert flow.layout.yaxis.autorange == "reversed" and flow.layout.xaxis.type == "log"
    assert flow.data[2].name == "seed 3 (step 1200)"
    bands = ld.percentile_bands(runs, LAYER, "weights")
    assert {t.legendgroup for t in bands.data} == set(runs)
    for run in runs:  # overlaid: two filled bands (16-84, 7-93 %) and the median line, in the run's colour
        group = [t for t in bands.data if t.legendgroup == run]
        assert len(group) == 3 and [t.fill for t in group[:2]] == ["toself"] * 2
        assert group[2].showlegend is not False and all(t.showlegend is False for t in group[:2])
    assert len(ld.percentile_bands({"alone": synthetic}, LAYER, "weights").data) == 5  # alone: all four bands
    assert len({t.line.color for t in bands.data if t.showlegend is not False}) == 3
    ratio = lc.ratio_over_time(runs, LAYER)
    assert [t.name for t in ratio.data] == list(runs)


def test_the_ratio_chart_has_the_rule_of_thumb_guide_and_highlights_one_layer(synthetic):
    every = lc.ratio_over_time({"run": synthetic})
    assert len(every.data) == len(synthetic["layers"])
    guide = [s for s in every.layout.shapes if s.type == "line"]
    assert [(s.y0, s.y1) for s in guide] == [(-3, -3)]
    assert notes(every) == ["rule of thumb ≈ 1e-3"]
    assert "1e-3" in every.layout.yaxis.ticktext
    one = lc.ratio_over_time({"run": synthetic}, highlight=LAYER)
    assert [t.name for t in one.data] == ["other layers", LAYER]  # the others in one grey trace
    assert one.data[0].line.color == lc.GREY
    y = np.asarray(one.data[1].y)
    ratios = [r["layers"][LAYER]["ratio"] for r in synthetic["records"]]
    assert np.allclose(y, np.log10(ratios))


# --- nothing, or not everything, recorded --------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda i: lc.gradient_flow({"run": i}), lambda i: lc.ratio_over_time({"run": i}),
    lambda i: ld.distribution_heatmap(i, "head", "weights"), lambda i: ld.percentile_bands({"run": i}, "head")])
def test_no_records_says_so_in_the_chart(build):
    fig = build(EMPTY)
    assert notes(fig) == ["no layer statistics recorded"] and not fig.data
    assert lc.health_table(health_rows(EMPTY)).empty


def test_missing_values_and_constant_tensors_are_drawn_not_dropped(real):
    internals = synthetic_internals(8)
    records = internals["records"]
    records[3]["layers"][LAYER]["ratio"] = None  # not measured at that step: a gap
    records[4]["layers"][LAYER]["g_norm"] = None
    records[5]["layers"][LAYER]["w_hist"] = {"lo": None, "hi": None, "counts": [], "pct": [None] * 9}  # not finite
    for record in records[6:]:
        record["layers"][LAYER]["w_hist"] = {"lo": 0.0, "hi": 0.0, "counts": [0] * 23 + [100], "pct": [0.0] * 9}
    ratio = lc.ratio_over_time({"run": internals}, LAYER)
    assert math.isnan(ratio.data[0].y[3]) and len(ratio.data[0].y) == 8
    heat = ld.distribution_heatmap(internals, LAYER, "weights")
    assert len(heat.data[0].x) == 7  # the non-finite record left out, the constant ones kept
    bands = ld.percentile_bands({"run": internals}, LAYER, "weights")
    assert bands.layout.yaxis.range[0] < bands.layout.yaxis.range[1]
    only_constant = {"layers": internals["layers"], "records": records[6:]}
    heat = ld.distribution_heatmap(only_constant, LAYER, "weights")
    assert np.asarray(heat.data[0].customdata).sum() == 200 and heat.layout.yaxis.title.text == "weight value"
    head = real["layers"][-1]["name"]
    assert "no activations recorded for head" in notes(ld.distribution_heatmap(real, head, "activations"))[0]
    assert "no activations" in notes(ld.percentile_bands({"run": real}, head, "activations"))[0]
    records[-1]["layers"][LAYER]["g_norm"] = None  # the latest record's: that layer is left a gap
    assert lc.gradient_flow({"run": internals}).data[0].x.count(None) == 1


def test_a_closed_view_says_what_the_rules_of_thumb_found(synthetic):
    dead = LayerWarning("dead_units", ("a",), 4, 0.2, "a: 60 % of units dead")
    assert lc.summary(synthetic, [dead]) == "Layer health: 1 warning (dead units)"
    assert lc.summary(synthetic, [dead, dead]) == "Layer health: 2 warnings (dead units)"
    assert lc.summary(synthetic, []) == "Layer health: no layer breaks a rule of thumb"
    assert lc.summary(EMPTY, []) == "Layer health: not recorded for this run"


def test_runs_with_the_same_layers_can_be_overlaid(real, synthetic):
    assert lc.same_layers(synthetic, synthetic_internals(3, seed=4))
    assert not lc.same_layers(synthetic, real) and not lc.same_layers(EMPTY, EMPTY)


def test_histograms_made_for_the_bench_are_in_the_engines_format():
    hist = normal_hist(0.0, 0.1)
    assert len(hist["counts"]) == 24 and len(hist["pct"]) == 9 and hist["lo"] == hist["pct"][0]
    assert sum(hist["counts"]) == pytest.approx(32_768, rel=0.01)


@pytest.mark.parametrize("name", ["flow", "heat", "bands", "ratio", "empty"])
def test_each_chart_is_the_figure_the_validated_plotly_calls_make(name, synthetic, monkeypatch):
    build = {"flow": lambda: lc.gradient_flow({"a": synthetic}),
             "heat": lambda: ld.distribution_heatmap(synthetic, LAYER, "gradients"),
             "bands": lambda: ld.percentile_bands({"a": synthetic}, LAYER, "activations"),
             "ratio": lambda: lc.ratio_over_time({"a": synthetic}, highlight=LAYER),
             "empty": lambda: lc.empty("t", "nothing")}[name]
    fast = spec(build())
    monkeypatch.setattr(lc, "styled", validated_style)
    monkeypatch.setattr(ld, "styled", validated_style)
    assert fast == spec(build())


# --- the view, in AppTest -------------------------------------------------------------------------

def view(internals: dict, compare: dict | None) -> None:
    from dashboard import layer_health

    layer_health.show(internals, key="t", compare=compare, live=True)


def test_the_view_shows_the_warnings_the_table_and_the_first_flagged_layer():
    internals = synthetic_internals(10)
    for record in internals["records"]:
        record["layers"]["encoder.2.feed_forward.0"]["dead"] = 0.6
    at = AppTest.from_function(view, args=(internals, {"seed 2": synthetic_internals(10, seed=1)})).run()
    assert not at.exception
    assert any("60 % of units dead" in w.value for w in at.warning)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 17
    assert "step 300" in at.caption[0].value and "updating while it trains" in at.caption[0].value
    assert any("Layer 15: encoder.2.feed_forward.0" in m.value for m in at.markdown)  # the warned-about layer
    assert any("Karpathy's rule of thumb" in c.value for c in at.caption)
    at.radio(key="t_which").set_value("activations").run()
    assert not at.exception and len(at.get("plotly_chart")) == 4
    empty = AppTest.from_function(view, args=(EMPTY, None)).run()
    assert "after the first optimizer step" in empty.info[0].value


def stored_view(run_id: str) -> None:
    from dashboard import layer_health
    from dashboard.state import repository

    layer_health.section(repository().find(run_id), key="s")


def test_a_stored_run_offers_the_other_seeds_of_its_network_to_overlay(fresh_dashboard):
    from protscope.runs.store import open_store

    store = open_store()  # the one the dashboard opens (PROTSCOPE_RUNS, set by the fixture)
    for run_id, seed, hidden in (("s1", 1, (16,)), ("s2", 2, (16,)), ("other", 3, (32,)), ("bare", 4, (16,))):
        store.create_run(run_id, f"run {run_id}", RunConfig().with_values(seed=seed, hidden=hidden).to_dict(), "esol",
                         "f" * 8, "binary", None)
        if run_id != "bare":  # recorded before layer statistics were
            store.save_artifact(run_id, "", "internals", synthetic_internals(6, transformer_layers(1), seed=seed))
        store.finish_run(run_id, "completed", "trained all 2 epochs", 2, {})
    at = AppTest.from_function(stored_view, args=("s1",)).run()
    assert not at.exception and at.expander[0].label == "Layer health: no layer breaks a rule of thumb"
    assert not at.get("plotly_chart")  # closed: nothing built
    at.session_state["s_open"] = True
    at.run()
    overlay = at.multiselect(key="s_overlay")
    assert sorted(overlay.options) == ["run bare · seed 4", "run s2 · seed 2"]  # the same network, not "other"
    overlay.set_value(["s2", "bare"]).run()
    assert not at.exception
    flow = json.loads([c for c in at.get("plotly_chart") if c.proto.id.endswith("s_flow")][0].proto.spec)
    assert [t["name"] for t in flow["data"]] == ["run s1 · seed 1 (this run) (step 180)", "run s2 · seed 2 (step 180)"]
    assert any("run bare · seed 4 is not overlaid: it recorded no layer statistics" in c.value for c in at.caption)
    bare = AppTest.from_function(stored_view, args=("bare",))
    bare.session_state["s_open"] = True
    bare.run()
    assert bare.expander[0].label == "Layer health: not recorded for this run"
    assert "were not recorded for this run" in bare.info[0].value


def dead_internals(records: int = 10) -> dict:
    """Synthetic statistics in which one layer's ReLUs are 60 % dead from the start."""
    internals = synthetic_internals(records)
    for record in internals["records"]:
        record["layers"]["encoder.2.feed_forward.0"]["dead"] = 0.6
    return internals


def live_view(internals: dict) -> None:
    from types import SimpleNamespace

    from dashboard import layer_health
    from protscope.config.run_config import RunConfig

    job, snap = SimpleNamespace(run_id="r1", config=RunConfig()), SimpleNamespace(internals=lambda: internals)
    layer_health.live_section(job, snap, running=True)


def test_a_live_run_shows_its_worst_warning_with_the_view_closed():
    at = AppTest.from_function(live_view, args=(dead_internals(),)).run()
    assert not at.exception and not at.get("plotly_chart")  # closed: no chart built
    assert len(at.warning) == 1 and at.warning[0].value.startswith("**Inside the network:**")
    assert "60 % of units dead" in at.warning[0].value and "Open *Layer health* below" in at.warning[0].value
    quiet = AppTest.from_function(live_view, args=(synthetic_internals(10),)).run()
    assert not quiet.exception and not quiet.warning and not quiet.error


def test_evaluates_diagnosis_says_what_the_layer_statistics_show(fresh_dashboard):
    from protscope.runs.store import open_store

    store = open_store()
    store.create_run("dead", "dead relus", RunConfig().to_dict(), "esol", "f" * 8, "binary", None)
    for epoch, (train, val) in enumerate([(0.69, 0.69), (0.6, 0.62), (0.5, 0.58)], start=1):
        store.add_epoch("dead", {"epoch": epoch, "train_loss": train, "val_loss": val, "lr": 1e-3, "grad_norm": 1.0,
                                 "val_accuracy": 0.6, "val_mcc": 0.2})
    store.save_artifact("dead", "", "internals", dead_internals())
    store.finish_run("dead", "completed", "trained all 3 epochs", 3, {})
    at = AppTest.from_file(str(Path(lc.__file__).parents[1] / "app.py"), default_timeout=60)
    at.switch_page("app_pages/evaluate.py").run()
    at.toggle(key="eval_everyone").set_value(True).run()
    assert not at.exception
    inside = [m.value for m in at.markdown if m.value.startswith("**Inside the network**")]
    assert len(inside) == 1 and "60 % of units dead" in inside[0]
    assert any(e.label.startswith("Layer health: 1 warning (dead units)") for e in at.expander)


def test_the_redraw_benchmark_runs_at_smoke_sizes():
    from bench import bench_layer_health

    report = bench_layer_health.run(quick=True, log=lambda *a: None)
    timed = [row for row in report["rows"] if row.passed is not None]
    assert len(report["rows"]) == 9 and len(timed) == 2 and all(row.ours for row in report["rows"])
    assert "Layer health view" in bench_layer_health.markdown(report)


def test_gradients_and_updates_of_exactly_zero_are_drawn_at_the_edge_and_said():
    internals = synthetic_internals(6)
    for record in internals["records"][3:]:
        for stats in record["layers"].values():
            stats["g_norm"], stats["ratio"] = 0.0, 0.0
    flow = lc.gradient_flow({"run": internals})
    xs = flow.data[0].x
    assert None not in xs and len(set(xs)) == 1 and set(flow.data[0].marker.symbol) == {"x"}  # every layer, at one edge
    assert any("exactly 0" in n for n in notes(flow))
    ratio = lc.ratio_over_time({"run": internals}, LAYER)
    y = ratio.data[0].y
    assert not np.isnan(y).any() and y[3] == y[5] < ratio.layout.yaxis.range[0] + 0.2  # at the bottom, not a gap
    assert any("no change at all" in n for n in notes(ratio))
    highlighted = lc.ratio_over_time({"run": internals}, highlight=LAYER)
    assert any("no change at all" in n for n in notes(highlighted))
    assert not any("exactly 0" in n for n in notes(lc.gradient_flow({"run": synthetic_internals(6)})))
