"""The house style: every chart builder's figure is the one the plain, fully validated Plotly calls give."""
import base64
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.logic import chart_style, charts

X = np.arange(1.0, 301.0)
ROWS = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e, "train_accuracy": 0.6, "val_accuracy": 0.5}
        for e in range(1, 6)]
BINARY = ("accuracy", "mcc", "roc_auc", "f1")
NAN = float("nan")
LRS = np.logspace(-7, 1, 60)
BUILDERS = {
    "loss": lambda: charts.loss_curves(ROWS, [0.5, 1, 1.5], [1, 0.9, 0.8], best_epoch=3, stopped_epoch=5,
                                       validations=[(2.5, 0.7)]),
    "metrics": lambda: charts.metric_curves(ROWS, ("accuracy",), best_epoch=2),
    "metric panels": lambda: charts.metric_curves(binary_rows(), BINARY, best_epoch=3, train_too=BINARY[:1]),
    "six panels": lambda: charts.metric_curves(binary_rows(), BINARY + ("precision", "pr_auc")),
    "log series": lambda: charts.series_curve([1, 2, 3], [1e-3, 1e-4, 1e-5], "Learning rate", "lr", log_y=True),
    "lr finder": lambda: charts.lr_finder(LRS, 1 - 0.1 * np.log10(LRS) ** 2 / 49, 3e-4, raw=np.ones(60)),
    "lr finder, inconclusive": lambda: charts.lr_finder(LRS, np.ones(60), NAN),
    "confusion": lambda: charts.confusion([[3, 1], [0, 4]], ["a", "b"], normalised=False),
    "histogram": lambda: charts.histogram([1, 2, 3, 3], "t", "v", groups={"a": [1, 2], "b": [2, 3]}),
    "overlay": lambda: charts.overlay([{"name": f"r{i}", "x": X, "y": np.sin(X + i), "colour": charts.colour_of(i)}
                                       for i in range(5)], "val_loss", "epoch", "val_loss", smoothing=0.5),
    "bands": lambda: charts.mean_bands([{"name": "g", "x": X, "mean": np.sin(X), "sd": np.full(300, 0.1),
                                         "colour": charts.colour_of(0)}], "val_loss", "loss"),
    "parallel": lambda: charts.parallel([{"optimizer": "sgd", "lr": 0.01, "acc": 0.7},
                                         {"optimizer": "adam", "lr": 0.001, "acc": 0.8}], ["optimizer", "lr"], "acc"),
}


def binary_rows(epochs=5):
    """A binary run whose MCC is undefined (NaN, or None as read back from the store) for two epochs."""
    rows = []
    for e in range(1, epochs + 1):
        row = {"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e}
        for i, m in enumerate(BINARY):
            row[f"train_{m}"], row[f"val_{m}"] = 0.5 + 0.05 * e + 0.01 * i, 0.45 + 0.04 * e
        rows.append(row)
    rows[0]["val_mcc"], rows[1]["val_mcc"], rows[0]["train_mcc"] = NAN, None, NAN
    return rows


def validated_style(fig, title="", x="", y="", height=320, **layout):
    """The style as plain Plotly calls set it, every property validated on the way."""
    fig.update_layout(template=chart_style.TEMPLATE, title=dict(text=title, font=dict(size=15)), height=height,
                      margin=dict(l=50, r=20, t=45 if title else 20, b=45), legend=dict(orientation="h", y=-0.22),
                      font=dict(family="Inter, Segoe UI, sans-serif", size=12), hovermode="x unified")
    fig.layout.xaxis.title.text = x
    fig.layout.yaxis.title.text = y
    fig.update_layout(**layout)
    return fig


def spec(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())  # what st.plotly_chart sends to the browser


@pytest.mark.parametrize("name", BUILDERS)
def test_every_chart_is_the_figure_the_validated_calls_make(name, monkeypatch):
    fast = spec(BUILDERS[name]())
    monkeypatch.setattr(charts, "styled", validated_style)
    assert fast == spec(BUILDERS[name]())
    house = go.Figure(layout=dict(template="plotly_white"))
    house.update_layout(template_layout_xaxis=dict(showgrid=True, gridcolor=chart_style.GRID),
                        template_layout_yaxis=dict(showgrid=True, gridcolor=chart_style.GRID))
    assert fast["layout"]["template"] == spec(house)["layout"]["template"]  # plotly_white, grid on every axis


def test_each_figure_has_its_own_template_and_is_still_validated():
    first, second = charts.styled(go.Figure(), "a"), charts.styled(go.Figure(), "b")
    first.layout.template.layout.paper_bgcolor = "black"
    assert second.layout.template.layout.paper_bgcolor == "white"
    assert pio.templates[chart_style.TEMPLATE].layout.paper_bgcolor == "white"
    with pytest.raises(ValueError):
        second.update_layout(hovermode="sideways")
    with pytest.raises(ValueError):
        second.layout.template = {"layout": {"paper_bgcolor": 12j}}


# --- metric small multiples


def panel_titles(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations if a.xref == "paper"]


def test_metric_curves_draw_one_panel_per_metric_on_its_own_axis_over_one_epoch_axis():
    fig = charts.metric_curves(binary_rows(), BINARY, best_epoch=3)
    assert panel_titles(fig) == ["<b>accuracy</b>", "<b>MCC</b>", "<b>ROC AUC</b>", "<b>F1</b>"]
    ys = [fig.layout[f"yaxis{i}"] for i in ("", 2, 3, 4)]
    xs = [fig.layout[f"xaxis{i}"] for i in ("", 2, 3, 4)]
    assert [y.anchor for y in ys] == ["x", "x2", "x3", "x4"] and [x.matches for x in xs] == [None, "x", "x", "x"]
    assert len({tuple(y.domain) for y in ys}) == 1  # one row: 4 panels side by side, none overlapping
    assert all(a.domain[1] < b.domain[0] for a, b in zip(xs, xs[1:]))
    assert [x.title.text for x in xs] == ["epoch"] * 4
    assert [tuple(y.range) for y in ys] == [(-0.03, 1.03), (-1.06, 1.06), (-0.03, 1.03), (-0.03, 1.03)]
    for trace in fig.data:  # each metric's curves on its own panel, in its colour; train dotted, val solid
        if trace.showlegend is False:
            split, name = trace.name.split(" ", 1)
            panel = ["accuracy", "MCC", "ROC AUC", "F1"].index(name)
            suffix = str(panel + 1) if panel else ""
            assert (trace.xaxis, trace.yaxis) == (f"x{suffix}", f"y{suffix}")
            assert trace.line.color == charts.PALETTE[panel]
            assert trace.line.dash == ("dot" if split == "train" else None)


def test_more_than_four_metrics_wrap_onto_a_second_row():
    fig = charts.metric_curves(binary_rows(), BINARY + ("precision", "pr_auc"))
    ys = [fig.layout[f"yaxis{i}"] for i in ("", 2, 3, 4, 5, 6)]
    assert len({tuple(y.domain) for y in ys[:4]}) == 1 and len({tuple(y.domain) for y in ys[4:]}) == 1
    assert ys[4].domain[1] < ys[0].domain[0]  # the second row below the first
    assert [fig.layout[f"xaxis{i}"].title.text for i in ("", 2, 3, 4, 5, 6)] == ["", "", "epoch", "epoch",
                                                                                "epoch", "epoch"]
    assert fig.layout.height > charts.metric_curves(binary_rows(), BINARY).layout.height


def test_only_metrics_in_train_too_get_a_training_curve_and_the_legend_explains_the_styles_once():
    fig = charts.metric_curves(binary_rows(), BINARY, best_epoch=3, train_too=BINARY[:1])
    curves = [t.name for t in fig.data if t.showlegend is False]
    assert curves == ["train accuracy", "val accuracy", "val MCC", "val ROC AUC", "val F1"]
    legend = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in legend] == ["validation (solid)", "training (dotted)"]
    assert [t.line.dash for t in legend] == [None, "dot"]
    no_train = charts.metric_curves(binary_rows(), BINARY, train_too=())
    assert [t.name for t in no_train.data if t.showlegend is not False] == ["validation (solid)"]


def test_the_best_epoch_is_marked_in_every_panel_and_named_once_in_the_legend():
    fig = charts.metric_curves(binary_rows(), BINARY, best_epoch=3)
    lines = fig.layout.shapes
    assert [(s.x0, s.x1, s.xref, s.yref) for s in lines] == [(3, 3, f"x{i}", f"y{i} domain") for i in ("", 2, 3, 4)]
    assert [s.showlegend for s in lines] == [True, False, False, False] and lines[0].name == "best epoch 3"
    assert not charts.metric_curves(binary_rows(), BINARY).layout.shapes


def test_undefined_values_are_gaps_and_a_metric_undefined_throughout_says_so():
    fig = charts.metric_curves(binary_rows(), BINARY)
    mcc = next(t for t in fig.data if t.name == "val MCC")
    assert np.isnan(mcc.y[:2]).all() and np.isfinite(mcc.y[2:]).all()
    sent = next(t for t in spec(fig)["data"] if t["name"] == "val MCC")["y"]  # what the browser gets: NaN, a gap
    assert np.isnan(np.frombuffer(base64.b64decode(sent["bdata"]), dtype=sent["dtype"])[:2]).all()
    assert not [a for a in fig.layout.annotations if a.text in ("undefined", "not recorded")]
    rows = [{"epoch": e, "val_accuracy": 0.6, "val_mcc": NAN, "train_mcc": None} for e in (1, 2, 3)]
    fig = charts.metric_curves(rows, ("accuracy", "mcc", "f1"))
    notes = {a.text: a for a in fig.layout.annotations if a.xref != "paper"}
    assert set(notes) == {"undefined", "not recorded"}
    assert (notes["undefined"].xref, notes["undefined"].yref) == ("x2 domain", "y2 domain")
    assert "single class" in notes["undefined"].hovertext and notes["not recorded"].xref == "x3 domain"


def test_regression_panels_have_their_own_scales_and_r2_is_cut_at_minus_one():
    rows = [{"epoch": e, "val_r2": 0.9 - 40 / e ** 2, "val_spearman": 0.5, "val_rmse": 3 / e, "val_mae": 2 / e}
            for e in range(1, 11)]
    fig = charts.metric_curves(rows, ("r2", "spearman", "rmse", "mae"), train_too=())
    r2, spearman, rmse, mae = (fig.layout[f"yaxis{i}"] for i in ("", 2, 3, 4))
    assert r2.range == pytest.approx((-1.06, 1.06)) and "cut at −1" in panel_titles(fig)[0]
    assert min(fig.data[0].y) < -30  # the values themselves are kept: the hover shows them
    assert spearman.range == pytest.approx((-1.06, 1.06))
    assert rmse.rangemode == "tozero" and mae.rangemode == "tozero" and rmse.range is None
    fine = charts.metric_curves([{"epoch": e, "val_r2": 0.2 + e / 10} for e in (1, 2, 3)], ("r2",))
    assert fine.layout.yaxis.range == pytest.approx((-0.03, 1.03)) and panel_titles(fine) == ["<b>R²</b>"]
    early = charts.metric_curves([{"epoch": e, "val_r2": -0.5 + e / 10} for e in (1, 2, 3)], ("r2",))  # from -0.4
    assert early.layout.yaxis.range == pytest.approx((-0.4 - 0.042, 1.042))


@pytest.mark.parametrize("name, low, high", [("accuracy", 0, 1), ("balanced_accuracy", 0, 1), ("precision", 0, 1),
                                             ("recall", 0, 1), ("macro_f1", 0, 1), ("pr_auc", 0, 1), ("q3", 0, 1),
                                             ("q8", 0, 1), ("mcc", -1, 1), ("pearson", -1, 1)])
def test_bounded_metrics_have_fixed_ranges(name, low, high):
    _, axis = chart_style.metric_axis(name, [0.4, 0.5, NAN])
    pad = 0.03 * (high - low)
    assert axis["range"] == pytest.approx([low - pad, high + pad])


def test_metric_curves_stay_cheap_for_a_long_run():
    rows = binary_rows(300)
    assert all(len(t.x) == 300 for t in charts.metric_curves(rows, BINARY).data if t.showlegend is False)
    assert all(t.mode == "lines" for t in charts.metric_curves(rows, BINARY).data if t.showlegend is False)


# --- log axes


def test_log_axes_tick_whole_decades_labelled_like_1e_minus_4():
    axis = chart_style.log_axis([1e-5, 3e-4, 1e-3, 0, NAN])  # zero and NaN cannot be on a log axis: ignored
    assert axis["type"] == "log" and axis["ticktext"] == ["1e-5", "1e-4", "1e-3"]
    assert axis["tickvals"] == pytest.approx([1e-5, 1e-4, 1e-3]) and axis["range"] == pytest.approx([-5.06, -2.94])
    assert chart_style.log_axis([1.001e-3, 2e-6])["ticktext"] == ["1e-6", "1e-5", "1e-4", "1e-3"]
    assert chart_style.log_axis([1e-7, 10])["ticktext"][-3:] == ["1e-1", "1e0", "1e1"]
    assert chart_style.log_axis([2e-4, 8e-4])["ticktext"] == ["1e-4", "2e-4", "5e-4", "1e-3"]  # within a decade
    assert chart_style.log_axis([1e-3] * 3)["ticktext"] == ["5e-4", "1e-3", "2e-3"]  # a constant rate
    assert chart_style.log_axis([]) == {"type": "log"} and chart_style.log_axis([-1.0]) == {"type": "log"}


def test_every_log_axis_has_decade_ticks_and_scientific_hover():
    lr = charts.series_curve([1, 2, 3], [1e-3, 3e-4, 1e-5], "Learning rate", "learning rate", log_y=True)
    assert lr.layout.yaxis.type == "log" and list(lr.layout.yaxis.ticktext) == ["1e-5", "1e-4", "1e-3"]
    assert list(lr.data[0].text) == ["1.0e-03", "3.0e-04", "1.0e-05"] and "%{text}" in lr.data[0].hovertemplate
    plain = charts.series_curve([1, 2], [3.0, 2.0], "Loss", "loss")
    assert plain.layout.yaxis.type is None and plain.data[0].text is None
    finder = BUILDERS["lr finder"]()
    assert finder.layout.xaxis.type == "log" and finder.layout.xaxis.ticktext[:2] == ("1e-7", "1e-6")
    assert all("lr %{text}" in t.hovertemplate and t.text[0] == "1.0e-07" for t in finder.data[:2])


# --- learning-rate range test


def test_lr_finder_draws_smoothed_and_faint_raw_losses_and_marks_the_suggestion():
    fig = BUILDERS["lr finder"]()
    raw, smoothed, mark = fig.data
    assert (raw.name, smoothed.name) == ("loss per step", "smoothed loss") and raw.opacity < 0.5
    assert mark.x == (3e-4,) and mark.name == "suggested 3.0e-04"
    assert fig.layout.shapes[0].x0 == 3e-4  # a shape on a log axis: the value itself
    note = fig.layout.annotations[0]
    assert note.text == "suggested 3.0e-04" and note.x == pytest.approx(np.log10(3e-4))  # an annotation: its log
    alone = charts.lr_finder(LRS, np.ones(60), 1e-3)
    assert [t.name for t in alone.data] == ["smoothed loss", "suggested 1.0e-03"]


def test_lr_finder_without_a_suggestion_says_inconclusive():
    fig = BUILDERS["lr finder, inconclusive"]()
    assert [a.text for a in fig.layout.annotations] == ["inconclusive: no clear descent"]
    assert not fig.layout.shapes and [t.name for t in fig.data] == ["smoothed loss"]
    assert charts.lr_finder([], [], NAN).layout.annotations[0].text == "inconclusive: no clear descent"


def test_lr_finder_keeps_the_descent_readable_when_the_loss_blows_up():
    losses = np.r_[np.linspace(1.0, 0.5, 50), np.geomspace(0.6, 50, 10)]
    low, high = charts.lr_finder(LRS, losses, 1e-4).layout.yaxis.range
    assert low < 0.5 and 1.5 <= high < 2  # up to as far above the start (1.0) as the descent went below it
    flat_low, flat_high = charts.lr_finder(LRS, np.ones(60), NAN).layout.yaxis.range
    assert flat_low < 1 < flat_high


# --- what the browser draws


def test_the_browser_draws_decade_ticks_and_the_panels(tmp_path):
    """Plotly.js itself, in Debian's chromium: the tick labels it draws and the axes it lays out."""
    from tests.e2e.browser import need_browser
    need_browser()
    from playwright.sync_api import sync_playwright
    from plotly.offline import get_plotlyjs

    from tools.serve import launch_chromium
    figs = {"lr": BUILDERS["log series"](), "finder": BUILDERS["lr finder"](), "panels": BUILDERS["metric panels"]()}
    page_html = "".join(fig.to_html(include_plotlyjs=False, full_html=False, div_id=name) for name, fig in figs.items())
    (tmp_path / "charts.html").write_text(f"<html><head><script>{get_plotlyjs()}</script></head>"
                                          f"<body>{page_html}</body></html>")
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page()
        page.goto((tmp_path / "charts.html").as_uri())
        page.wait_for_function("['lr', 'finder', 'panels'].every(id => document.getElementById(id)._fullLayout)")
        drawn = {name: page.evaluate("""(id) => Object.fromEntries(Object.entries(document.getElementById(id)
            ._fullLayout).filter(([k]) => /^[xy]axis\\d*$/.test(k)).map(([k, a]) => [k, {type: a.type,
            range: a.range, ticks: [...document.querySelectorAll(`#${id} .${k.replace('axis', '')}tick text`)]
            .map(t => t.textContent)}]))""", name) for name in figs}
        browser.close()
    assert drawn["lr"]["yaxis"]["type"] == "log" and drawn["lr"]["yaxis"]["ticks"] == ["1e-5", "1e-4", "1e-3"]
    assert drawn["finder"]["xaxis"]["ticks"] == [f"1e{k}" for k in range(-7, 2)]
    panels = drawn["panels"]
    assert sorted(panels) == ["xaxis", "xaxis2", "xaxis3", "xaxis4", "yaxis", "yaxis2", "yaxis3", "yaxis4"]
    assert panels["yaxis"]["range"] == pytest.approx([-0.03, 1.03]) and panels["yaxis2"]["ticks"][0] == "−1"
    assert panels["xaxis2"]["range"] == panels["xaxis"]["range"]  # one epoch axis
