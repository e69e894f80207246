"""The Compare page over a real run store: every stored run listed, differences only, seed groups,
curves, parallel coordinates and exports."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from protscope.config.run_config import RunConfig

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


@pytest.fixture
def store(tmp_path, monkeypatch):
    from dashboard.state import job_manager, run_store
    from protscope.runs.store import open_store

    monkeypatch.setenv("PROTSCOPE_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("PROTSCOPE_DB", str(tmp_path / "runs" / "protscope.db"))
    run_store.clear()
    job_manager.clear()
    yield open_store(tmp_path / "runs" / "protscope.db")
    run_store.clear()
    job_manager.clear()


def add(store, run_id, optimizer, seed, accuracy, tags=()):
    config = RunConfig().with_values(optimizer=optimizer, seed=seed, epochs=3).to_dict()
    store.create_run(run_id, f"{optimizer}-{seed}", config, "esol", "f" * 8, "binary", None, tags=tags)
    for epoch in range(1, 4):
        store.add_epoch(run_id, {"epoch": epoch, "train_loss": 1 / epoch, "val_loss": 1.1 / epoch + seed / 100,
                                 "val_accuracy": accuracy - 0.1 / epoch, "lr": 1e-3, "grad_norm": 1.0,
                                 "seconds": 1.5})
    store.finish_run(run_id, "completed", "trained all 3 epochs", 3, {"test": {"accuracy": accuracy, "mcc": 0.3}})


def compare_page(whose: str = "everyone") -> AppTest:
    """The page showing everyone's runs: the runs here were stored by the tests, not by this session."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page("app_pages/compare.py").run()
    return at.radio(key="cmp_whose").set_value(whose).run()


def test_empty_store_says_what_to_do(store):
    at = compare_page()
    assert not at.exception
    assert "No stored runs yet" in at.info[0].value


def test_runs_grouped_by_seed_with_differences_only(store):
    for i, (opt, seed, acc) in enumerate([("sgd", 0, 0.6), ("sgd", 1, 0.64), ("adam", 0, 0.7), ("adam", 1, 0.74)]):
        add(store, f"r{i}", opt, seed, acc, tags=("sweep:opt",))
    at = compare_page()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 4
    assert "optimizer" in table.columns and "seed" in table.columns and "lr" not in table.columns
    assert "test_accuracy" in table.columns and "test_fraction" not in table.columns
    assert at.selectbox(key="cmp_metric").value == "val_loss"
    at.toggle(key="cmp_diff").set_value(False).run()
    assert "lr" in at.dataframe[0].value.columns
    summary = at.dataframe[1].value
    assert sorted(summary["group"]) == ["optimizer adam (2 seeds)", "optimizer sgd (2 seeds)"]
    assert "0.7200 ± 0.0283" in list(summary["test_accuracy"])
    charts = at.get("plotly_chart")
    assert len(charts) == 2  # seed bands and parallel coordinates
    at.toggle(key="cmp_group").set_value(False).run()
    at.radio(key="cmp_x").set_value("time").run()
    assert not at.exception and len(at.get("plotly_chart")) == 2


def test_filters_narrow_the_table(store):
    add(store, "a", "sgd", 0, 0.6, tags=("keep",))
    add(store, "b", "adam", 0, 0.7)
    at = compare_page()
    at.selectbox(key="cmp_tag").set_value("keep").run()
    assert list(at.dataframe[0].value["name"]) == ["sgd-0"]
    at.selectbox(key="cmp_tag").set_value("(any)").run()
    at.text_input(key="cmp_text").set_value("adam").run()
    assert list(at.dataframe[0].value["name"]) == ["adam-0"]


def test_a_sweep_launched_from_the_page_queues_every_run_and_shows_them(store):
    from dashboard.state import job_manager

    at = compare_page(whose="mine")  # a sweep launched here is this user's
    for key, value in dict(model="mlp", encoding="aac", epochs=1, max_batches=2).items():
        at.session_state["ws"].set(key, value)  # as the Train page's widgets would
    at.run()
    at.multiselect(key="sweep_fields").set_value(["optimizer"]).run()
    at.text_input(key="sweep_values_optimizer").set_value("sgd,adam").run()
    at.number_input(key="sweep_seeds").set_value(2).run()
    assert at.metric[0].value == "4"
    next(b for b in at.button if b.label == "Launch 4 runs").click().run()
    assert not at.exception
    jobs = job_manager().list()
    assert len(jobs) == 4 and {j.config.optimizer.name for j in jobs} == {"sgd", "adam"}
    assert {j.config.training.seed for j in jobs} == {0, 1} and all(j.config.training.epochs == 1 for j in jobs)
    assert at.session_state["cmp_tag"] == "sweep:my-sweep"
    for job in jobs:  # the store is written after the trainer ends: wait for the recorder, not the trainer
        assert job.trainer.wait(120) is not None and job.finished_recording.wait(60)
    at.run()
    table = at.dataframe[0].value
    assert len(table) == 4 and set(table["optimizer"]) == {"sgd", "adam"}
    summary = at.dataframe[1].value
    assert len(summary) == 2 and set(summary["runs"]) == {2}


def test_a_bad_sweep_value_is_explained(store):
    at = compare_page()
    at.multiselect(key="sweep_fields").set_value(["lr"]).run()
    at.text_input(key="sweep_values_lr").set_value("0.01,fast").run()
    assert not at.exception
    assert "lr" in at.error[0].value and "fast" in at.error[0].value


def test_the_compare_optimizers_preset_runs_end_to_end_and_shows_bands(store, monkeypatch):
    import numpy as np

    from dashboard import sweep_form
    from dashboard.state import builtin_data, job_manager

    # 9 runs of the preset's 128-channel CNN: on 40 proteins of each of eSOL's own splits, not all 3,147,
    # so each run's validation and test pass take a moment, not seconds.
    esol = builtin_data("esol", "{}")
    rows = np.concatenate([np.flatnonzero(esol.file_split == part)[:40] for part in np.unique(esol.file_split)])
    monkeypatch.setattr(sweep_form, "builtin_data", lambda name, settings: esol.subset(rows))
    at = compare_page(whose="mine")
    at.session_state["ws"].set("max_batches", 2)  # a small budget: 9 runs of 2 batches
    at.number_input(key="sweep_preset_epochs").set_value(1).run()
    next(b for b in at.button if b.label.startswith("Compare optimizers")).click().run()
    assert not at.exception
    jobs = job_manager().list()
    assert len(jobs) == 9
    settings = {(j.config.optimizer.name, j.config.optimizer.lr, j.config.optimizer.momentum,
                 j.config.optimizer.weight_decay) for j in jobs}
    assert ("sgd", 0.01, 0.9, 0.0) in settings and ("adamw", 1e-3, 0.9, 0.01) in settings
    assert all(j.config.model.name == "cnn" and j.data.name == "esol" for j in jobs)
    for job in jobs:
        assert job.trainer.wait(300).status == "completed" and job.finished_recording.wait(60)
    at.run()
    assert at.session_state["cmp_tag"] == "sweep:optimizer-comparison"
    assert len(at.dataframe[0].value) == 9
    summary = at.dataframe[1].value
    assert len(summary) == 3 and set(summary["runs"]) == {3}
    assert all("±" in v for v in summary["test_accuracy"])
    bands = next(c for c in at.get("plotly_chart") if "fill" in c.proto.spec)
    assert bands is not None


def test_a_running_sweep_can_be_cancelled(store):
    from dashboard.state import job_manager

    at = compare_page(whose="mine")
    for key, value in dict(model="mlp", encoding="aac", epochs=500).items():
        at.session_state["ws"].set(key, value)
    at.run()
    at.multiselect(key="sweep_fields").set_value(["optimizer"]).run()
    at.text_input(key="sweep_values_optimizer").set_value("sgd,adam").run()
    next(b for b in at.button if b.label.startswith("Launch")).click().run()
    at.run()
    next(b for b in at.button if b.label.startswith("Cancel sweep:my-sweep")).click().run()
    for job in job_manager().list():
        assert job.trainer.wait(60).status == "stopped"


def test_curves_are_live_while_a_run_is_going_and_still_once_all_have_ended(store, monkeypatch):
    from protscope.runs import store as store_module

    monkeypatch.setattr(store_module, "RECORDING", {"going"})  # as if this process's recorder were writing it
    add(store, "done", "sgd", 0, 0.6)
    config = RunConfig().with_values(optimizer="adam", seed=0, epochs=3).to_dict()
    store.create_run("going", "adam-0", config, "esol", "f" * 8, "binary", None)
    store.add_epoch("going", {"epoch": 1, "train_loss": 1.0, "val_loss": 1.1, "val_accuracy": 0.5, "lr": 1e-3,
                              "grad_norm": 1.0, "seconds": 1.0})
    at = compare_page()
    assert not at.exception
    assert "Curves (live)" in [h.value for h in at.subheader]
    store.finish_run("going", "completed", "trained all 3 epochs", 1, {"test": {"accuracy": 0.7, "mcc": 0.3}})
    at.run()
    headings = [h.value for h in at.subheader]
    assert "Curves" in headings and "Curves (live)" not in headings


def test_exports_are_written_only_when_clicked_with_the_content_the_page_exported_before(store, monkeypatch):
    import json

    from streamlit.runtime.media_file_manager import MediaFileManager

    from dashboard.logic import comparison as cmp
    from protscope.serialise import clean_json, csv_text

    registered = {}

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        registered[file_name] = (data_callable, mimetype)
        return register(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    register = MediaFileManager.add_deferred
    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    writes = []

    def counted(name):
        write = getattr(cmp, name)
        return lambda *args: writes.append(name) or write(*args)

    for name in ("curves_csv", "runs_json"):
        monkeypatch.setattr(cmp, name, counted(name))
    for i, (opt, seed, acc) in enumerate([("sgd", 0, 0.6), ("sgd", 1, 0.64), ("adam", 0, 0.7)]):
        add(store, f"r{i}", opt, seed, acc)
    store.add_epoch("r1", {"epoch": 4, "train_loss": float("nan"), "val_loss": 0.3, "note": "=HYPERLINK()"})
    store.rename("r2", "=adam")
    at = compare_page()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == ["Run table (CSV)", "Curves (CSV)", "Runs and curves (JSON)"]
    assert all(b.proto.deferred_file_id and not b.proto.url for b in buttons) and writes == []
    assert set(registered) == {"protscope-runs.csv", "protscope-curves.csv", "protscope-runs.json"}

    # What the page exported before, built the way it built it on every rerun.
    runs = store.list_runs()
    rows = [{**row, "owner": "unknown", "note": ""} for row in cmp.run_rows(runs)]  # stored without an owner
    keys = cmp.config_keys(runs)
    metrics = sorted({k for r in runs for k in cmp.final_metrics(r)})
    columns = ["name", "owner", "status", "note", "reason", "dataset", *cmp.differing(rows, keys), *metrics]
    histories = {r["id"]: store.history(r["id"]) for r in runs}
    expected = {
        "protscope-runs.csv": (csv_text([{k: r.get(k) for k in columns} for r in rows]), "text/csv"),
        "protscope-curves.csv": (csv_text([{"run": rid, **h} for rid, history in histories.items() for h in history]),
                                 "text/csv"),
        "protscope-runs.json": (json.dumps(clean_json({"runs": runs, "curves": histories})), "application/json")}
    for file_name, (content, mimetype) in expected.items():
        write, registered_mimetype = registered[file_name]
        assert (write(), registered_mimetype) == (content, mimetype), file_name
    assert sorted(writes) == ["curves_csv", "runs_json"]
    assert "'=adam" in registered["protscope-runs.csv"][0]() and "'=HYPERLINK()" in expected["protscope-curves.csv"][0]
