"""Comparing runs: differences only, seed groups with mean ± sd, aligned curves, exports, and the charts."""
import csv
import io
import json
import math

import numpy as np
import pytest

from dashboard.logic import charts
from dashboard.logic.comparison import (
    config_keys,
    curves_csv,
    differing,
    final_metrics,
    flat_config,
    group_label,
    group_labels,
    line_label,
    line_labels,
    mean_band,
    metric_names,
    run_rows,
    runs_json,
    seed_groups,
    series,
    setting_text,
    summary_rows,
)


def run(i, optimizer, seed, lr=1e-3, accuracy=0.7, epochs=3):
    config = {"optimizer": {"name": optimizer, "lr": lr}, "training": {"seed": seed, "epochs": epochs},
              "model": {"name": "cnn", "hidden": [64, 32]}}
    history = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.2 / e + seed * 0.01, "val_accuracy": accuracy,
                "seconds": 2.0} for e in range(1, epochs + 1)]
    return {"id": f"r{i}", "name": "", "status": "completed", "message": "trained", "dataset": "esol",
            "config": config, "metrics": {"test": {"accuracy": accuracy}, "val": {"loss": 0.5}}}, history


def test_flat_config_and_rows_name_fields_as_the_config_does():
    r, _ = run(0, "sgd", 0)
    assert flat_config(r["config"]) == {"optimizer": "sgd", "lr": 1e-3, "seed": 0, "epochs": 3, "model": "cnn",
                                        "hidden": (64, 32)}
    assert final_metrics(r) == {"test_accuracy": 0.7, "val_loss": 0.5}
    row = run_rows([r])[0]
    assert row["name"] == "r0" and row["optimizer"] == "sgd" and row["test_accuracy"] == 0.7


def test_differences_only_hides_what_all_runs_share():
    runs = [run(0, "sgd", 0)[0], run(1, "adam", 0)[0], run(2, "adam", 1)[0]]
    rows = run_rows(runs)
    assert differing(rows, config_keys(runs)) == ["optimizer", "seed"]


def test_runs_that_differ_only_in_seed_are_grouped_with_mean_and_sd():
    runs = [run(0, "sgd", 0, accuracy=0.6)[0], run(1, "sgd", 1, accuracy=0.8)[0], run(2, "adam", 0, accuracy=0.75)[0]]
    groups = seed_groups(runs)
    assert [len(g) for g in groups] == [2, 1]
    rows = summary_rows(groups, ["optimizer", "seed"], ["test_accuracy"])
    assert rows[0]["group"] == "optimizer sgd (2 seeds)" and rows[1]["group"] == "optimizer adam"
    assert rows[0]["test_accuracy"] == pytest.approx(0.7)
    assert rows[0]["test_accuracy sd"] == pytest.approx(np.std([0.6, 0.8], ddof=1))
    assert rows[0]["test_accuracy (mean ± sd)"] == "0.7000 ± 0.1414"
    assert math.isnan(rows[1]["test_accuracy sd"]) and rows[1]["test_accuracy (mean ± sd)"] == "0.7500"


def test_mean_band_aligns_runs_of_different_lengths_by_epoch():
    histories = [run(0, "sgd", 0, epochs=3)[1], run(1, "sgd", 1, epochs=2)[1]]
    epochs, mean, sd = mean_band(histories, "val_loss")
    assert list(epochs) == [1, 2, 3]
    assert mean[0] == pytest.approx((1.2 + 1.21) / 2) and mean[2] == pytest.approx(0.4)
    assert sd[2] == 0.0 and sd[0] == pytest.approx(np.std([1.2, 1.21], ddof=1))


def per_epoch_band(histories, metric):
    """mean_band as first written: np.mean and np.std(ddof=1) over the finite values of each epoch."""
    by_epoch = {}
    for history in histories:
        for h in history:
            value = h.get(metric)
            if isinstance(value, (int, float)) and math.isfinite(value):
                by_epoch.setdefault(int(h["epoch"]), []).append(float(value))
    epochs = sorted(by_epoch)
    return (np.array(epochs, dtype=float), np.array([np.mean(by_epoch[e]) for e in epochs]),
            np.array([np.std(by_epoch[e], ddof=1) if len(by_epoch[e]) > 1 else 0.0 for e in epochs]))


def test_mean_band_equals_the_mean_and_sd_of_each_epoch():
    rng = np.random.default_rng(0)
    histories = []
    for length in (300, 280, 250, 40, 1):  # early stopping: later epochs have fewer runs, the last ones one
        values = rng.normal(1.0, 0.3, length) * 10.0 ** rng.integers(-3, 3)
        values[rng.random(length) < 0.05] = np.nan  # a diverged epoch does not count
        history = [{"epoch": e, "val_loss": float(v)} for e, v in zip(range(1, length + 1), values)]
        history[::7] = [{"epoch": h["epoch"], "val_loss": None} for h in history[::7]]  # NaN read back from JSON
        histories.append(history[::-1] if length == 250 else history)  # order within a run does not matter
    histories.append([{"epoch": e, "train_loss": 0.5} for e in range(1, 400)])  # a run without the metric
    epochs, mean, sd = mean_band(histories, "val_loss")
    expected = per_epoch_band(histories, "val_loss")
    assert np.array_equal(epochs, expected[0]) and epochs.dtype == float
    assert np.allclose(mean, expected[1], rtol=1e-12, atol=0) and np.allclose(sd, expected[2], rtol=1e-9, atol=1e-15)
    assert sd[-1] == 0.0 and np.all(np.isfinite(sd))
    assert [a.size for a in mean_band(histories, "val_mcc")] == [0, 0, 0]


def test_exports_are_every_curve_row_as_csv_and_runs_with_curves_as_json():
    runs = [run(0, "sgd", 0, epochs=2)[0] | {"name": "=cmd"}, run(1, "adam", 1, epochs=3)[0]]
    histories = {"r0": run(0, "sgd", 0, epochs=2)[1], "r1": run(1, "adam", 1, epochs=3)[1]}
    histories["r1"][1]["val_loss"] = None
    histories["r0"][0]["note"] = "=HYPERLINK()"
    rows = list(csv.DictReader(io.StringIO(curves_csv(histories))))
    assert [(r["run"], r["epoch"]) for r in rows] == [("r0", "1"), ("r0", "2"), ("r1", "1"), ("r1", "2"), ("r1", "3")]
    assert rows[0]["note"] == "'=HYPERLINK()" and rows[1]["note"] == "" and rows[3]["val_loss"] == ""
    assert float(rows[2]["val_loss"]) == histories["r1"][0]["val_loss"]
    runs[1]["metrics"]["val"]["loss"] = float("nan")
    document = json.loads(runs_json(runs, histories))
    assert document["runs"][0]["name"] == "=cmd" and document["runs"][1]["metrics"]["val"]["loss"] is None
    assert document["curves"] == histories and list(document["curves"]) == ["r0", "r1"]
    assert curves_csv({}) == "" and json.loads(runs_json([], {})) == {"runs": [], "curves": {}}


def test_series_by_epoch_or_by_wall_time():
    _, history = run(0, "sgd", 0)
    assert list(series(history, "val_accuracy")[0]) == [1, 2, 3]
    assert list(series(history, "val_accuracy", x="time")[0]) == [2.0, 4.0, 6.0]
    assert metric_names([history])[:2] == ["val_loss", "train_loss"]


def test_comparison_charts_draw_every_run_and_band():
    lines = [{"name": f"run {i}", "x": [1, 2, 3], "y": [3, 2, 1], "colour": charts.colour_of(i)} for i in range(3)]
    assert len(charts.overlay(lines, "Loss", "epoch", "loss", smoothing=0.5).data) == 3
    bands = charts.mean_bands([{"name": "sgd", "x": [1, 2], "mean": [1, 0.5], "sd": [0.1, 0.1],
                                "colour": charts.colour_of(0)}], "val_loss", "loss")
    assert len(bands.data) == 2 and list(bands.data[0].y) == pytest.approx([1.1, 0.6, 0.4, 0.9])
    rows = [{"optimizer": "sgd", "lr": 0.01, "acc": 0.7}, {"optimizer": "adam", "lr": 0.001, "acc": 0.8}]
    par = charts.parallel(rows, ["optimizer", "lr"], "acc")
    dims = par.data[0].dimensions
    assert [d.label for d in dims] == ["optimizer", "lr", "acc"] and list(dims[0].ticktext) == ["adam", "sgd"]


# --- legend labels


def shown(runs):
    """What the Compare page passes: the runs and the settings that differ among them."""
    return runs, differing(run_rows(runs), config_keys(runs))


def test_line_labels_show_only_the_settings_that_differ_among_the_runs_shown():
    runs, varying = shown([run(0, "sgd", 0, lr=0.01)[0], run(1, "adam", 0, lr=3e-4)[0]])
    assert varying == ["optimizer", "lr"]
    assert line_labels(runs, varying) == ["optimizer sgd · lr 0.01", "optimizer adam · lr 3e-4"]
    assert line_label(runs[0], varying) == "optimizer sgd · lr 0.01"
    assert "hidden" not in line_labels(runs, varying)[0] and "epochs" not in line_labels(runs, varying)[0]
    assert line_labels(runs, varying, lead="lr") == ["lr 0.01 · optimizer sgd", "lr 3e-4 · optimizer adam"]


def test_seed_is_a_setting_like_any_other_when_it_differs():
    runs, varying = shown([run(0, "sgd", 0)[0], run(1, "sgd", 1)[0], run(2, "adam", 0)[0]])
    assert line_labels(runs, varying) == ["optimizer sgd · seed 0", "optimizer sgd · seed 1", "optimizer adam · seed 0"]


def test_runs_with_nothing_different_are_named_and_identical_labels_are_told_apart():
    same = [run(i, "sgd", 0)[0] for i in range(3)]
    runs, varying = shown(same)
    assert varying == [] and line_labels(runs, varying) == ["r0", "r1", "r2"]  # no name: the id
    runs[0]["name"], runs[1]["name"] = "baseline", "baseline again"
    assert line_labels(runs, varying) == ["baseline", "baseline again", "r2"]
    runs[1]["name"] = "baseline"
    assert line_labels(runs, varying) == ["baseline · r0", "baseline · r1", "r2"]
    # the same settings twice among others that differ: the name, then the seed, then the id tells them apart
    mixed = [run(0, "sgd", 0)[0] | {"name": "first"}, run(1, "sgd", 0)[0] | {"name": "second"}, run(2, "adam", 0)[0]]
    assert line_labels(mixed, ["optimizer"]) == ["optimizer sgd · first", "optimizer sgd · second", "optimizer adam"]
    seeded = [run(0, "sgd", 0)[0], run(1, "sgd", 1)[0], run(2, "adam", 0)[0]]
    assert line_labels(seeded, ["optimizer"]) == ["optimizer sgd · seed 0", "optimizer sgd · seed 1", "optimizer adam"]
    twins = [run(0, "sgd", 0)[0], run(1, "sgd", 0)[0], run(2, "adam", 0)[0]]
    labels = line_labels(twins, ["optimizer"])
    assert labels == ["optimizer sgd · r0", "optimizer sgd · r1", "optimizer adam"] and len(set(labels)) == 3


def test_labels_are_unique_for_many_runs_however_they_collide():
    runs = [run(i, ("sgd", "adam")[i % 2], i % 3, lr=(1e-3, 1e-2)[i % 4 // 2])[0] for i in range(24)]
    for varying in ([], ["optimizer"], ["optimizer", "lr"], differing(run_rows(runs), config_keys(runs))):
        labels = line_labels(runs, varying)
        assert len(set(labels)) == len(runs), varying


@pytest.mark.parametrize("key, value, text", [
    ("lr", 1e-4, "lr 1e-4"), ("lr", 3e-4, "lr 3e-4"), ("lr", 0.001, "lr 0.001"), ("lr", 0.01, "lr 0.01"),
    ("weight_decay", 2.5e-5, "weight decay 2.5e-5"), ("dropout", 0.1, "dropout 0.1"), ("epochs", 30, "epochs 30"),
    ("momentum", 0.0, "momentum 0"), ("ratio", 1 / 3, "ratio 0.3333"), ("residual", True, "residual on"),
    ("amp", False, "amp off"), ("hidden", (64, 32), "hidden 64,32"), ("hidden", (512, 256, 128, 64, 32),
                                                                   "hidden 512,256,128,…"),
    ("scheduler", None, "scheduler none"), ("model", "transformer_with_a_very_long_name", "model transformer_with_…"),
])
def test_settings_are_written_short_and_compact(key, value, text):
    assert setting_text(key, value) == text


def test_group_labels_use_the_same_short_form_and_are_unique():
    runs = [run(0, "sgd", 0, lr=3e-4)[0], run(1, "sgd", 1, lr=3e-4)[0], run(2, "adam", 0)[0]]
    groups = seed_groups(runs)
    assert group_label(groups[0], ["optimizer", "lr", "seed"]) == "optimizer sgd · lr 3e-4 (2 seeds)"
    assert group_label(groups[1], ["optimizer", "lr", "seed"]) == "optimizer adam · lr 0.001"
    other_data = [run(0, "sgd", 0)[0], run(1, "sgd", 0)[0] | {"dataset": "tm"}]  # same settings, other data
    groups = seed_groups(other_data)
    assert [group_label(g, []) for g in groups] == ["r0", "r1"]
    assert group_labels(groups, ["optimizer"]) == ["optimizer sgd · data esol", "optimizer sgd · data tm"]
    assert line_labels(other_data, ["dataset"]) == ["dataset esol", "dataset tm"]  # run fields count too
