"""The house style: every chart builder's figure is the one the plain, fully validated Plotly calls give."""
import json

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard import charts

X = np.arange(1.0, 301.0)
ROWS = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.1 / e, "train_accuracy": 0.6, "val_accuracy": 0.5}
        for e in range(1, 6)]
BUILDERS = {
    "loss": lambda: charts.loss_curves(ROWS, [0.5, 1, 1.5], [1, 0.9, 0.8], best_epoch=3, stopped_epoch=5,
                                       validations=[(2.5, 0.7)]),
    "metrics": lambda: charts.metric_curves(ROWS, ("accuracy",), best_epoch=2),
    "log series": lambda: charts.series_curve([1, 2, 3], [1e-3, 1e-4, 1e-5], "Learning rate", "lr", log_y=True),
    "confusion": lambda: charts.confusion([[3, 1], [0, 4]], ["a", "b"], normalised=False),
    "histogram": lambda: charts.histogram([1, 2, 3, 3], "t", "v", groups={"a": [1, 2], "b": [2, 3]}),
    "overlay": lambda: charts.overlay([{"name": f"r{i}", "x": X, "y": np.sin(X + i), "colour": charts.colour_of(i)}
                                       for i in range(5)], "val_loss", "epoch", "val_loss", smoothing=0.5),
    "bands": lambda: charts.mean_bands([{"name": "g", "x": X, "mean": np.sin(X), "sd": np.full(300, 0.1),
                                         "colour": charts.colour_of(0)}], "val_loss", "loss"),
    "parallel": lambda: charts.parallel([{"optimizer": "sgd", "lr": 0.01, "acc": 0.7},
                                         {"optimizer": "adam", "lr": 0.001, "acc": 0.8}], ["optimizer", "lr"], "acc"),
}


def validated_style(fig, title="", x="", y="", height=320):
    """The style as plain Plotly calls set it, every property validated on the way."""
    fig.update_layout(template="plotly_white", title=dict(text=title, font=dict(size=15)), height=height,
                      margin=dict(l=50, r=20, t=45 if title else 20, b=45), legend=dict(orientation="h", y=-0.22),
                      font=dict(family="Inter, Segoe UI, sans-serif", size=12), hovermode="x unified")
    fig.update_xaxes(title_text=x, showgrid=True, gridcolor="#eef2f7")
    fig.update_yaxes(title_text=y, showgrid=True, gridcolor="#eef2f7")
    return fig


def spec(fig: go.Figure) -> dict:
    return json.loads(fig.to_json())  # what st.plotly_chart sends to the browser


@pytest.mark.parametrize("name", BUILDERS)
def test_every_chart_is_the_figure_the_validated_calls_make(name, monkeypatch):
    fast = spec(BUILDERS[name]())
    monkeypatch.setattr(charts, "styled", validated_style)
    assert fast == spec(BUILDERS[name]())
    assert fast["layout"]["template"] == spec(go.Figure(layout=dict(template="plotly_white")))["layout"]["template"]


def test_each_figure_has_its_own_template_and_is_still_validated():
    first, second = charts.styled(go.Figure(), "a"), charts.styled(go.Figure(), "b")
    first.layout.template.layout.paper_bgcolor = "black"
    assert second.layout.template.layout.paper_bgcolor == "white"
    assert pio.templates[charts.TEMPLATE].layout.paper_bgcolor == "white"
    with pytest.raises(ValueError):
        second.update_layout(hovermode="sideways")
    with pytest.raises(ValueError):
        second.layout.template = {"layout": {"paper_bgcolor": 12j}}
