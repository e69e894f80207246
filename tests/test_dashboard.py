"""The dashboard's Data, Train and Predict pages in AppTest (no browser): they render, validate
uploads, train a tiny run to the end, and keep settings in the config's own field names."""
from dataclasses import fields
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from protscope.config.presets import PRESETS
from protscope.config.run_config import SECTIONS
from tests.conftest import csv_bytes, random_sequences

APP = str(Path(__file__).resolve().parent.parent / "dashboard" / "app.py")


pytestmark = pytest.mark.usefixtures("fresh_dashboard")


def app(**query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params.update(query)
    return at.run()


def ws(at: AppTest):
    """The session's Workspace: what its data, settings and live run are."""
    return at.session_state["ws"]


def set_setting(at: AppTest, key: str, value) -> AppTest:
    """Change a setting as a user does: through its widget on the current page."""
    from dashboard.widgets import describe_field

    meta = describe_field(key)
    if key == "lr":
        widget = at.select_slider(key=key)
    elif meta["choices"] is not None or key in ("encoding", "model", "loss", "monitor"):
        widget = at.selectbox(key=key)
    elif meta["type"] is bool:
        widget = at.toggle(key=key)
    elif meta["type"] in (int, float):
        widget = at.number_input(key=key)
    else:
        widget = at.text_input(key=f"{key}__text")
        value = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    return widget.set_value(value).run()


def upload(at: AppTest, name: str, content: bytes) -> AppTest:
    at.radio(key="source").set_value("upload").run()
    at.file_uploader(key="upload_file").set_value((name, content, "text/csv"))
    return at.run()


def test_data_page_summarises_the_default_dataset_and_its_split():
    at = app()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert [m.value for m in at.metric][:2] == ["3,147", "binary"]
    split_table = at.dataframe[-1].value
    assert list(split_table["split"]) == ["train", "val", "test"]
    assert split_table["proteins"].sum() == 3147 and split_table["proteins"].iloc[2] == 783
    at.selectbox(key="dataset").set_value("gb1").run()
    assert not at.exception and [m.value for m in at.metric][:2] == ["8,733", "regression"]


def test_a_random_split_follows_the_fractions_and_seed():
    at = app()
    at.selectbox(key="split").set_value("random").run()
    at.number_input(key="test_fraction").set_value(0.2).run()
    table = at.dataframe[-1].value
    assert not at.exception
    assert abs(table["proteins"].iloc[2] / 3147 - 0.2) < 0.01


def test_upload_of_a_good_file_detects_the_task_and_a_bad_one_says_where():
    seqs = random_sequences(40, seed=3)
    good = csv_bytes(["name", "seq", "value"], [[f"p{i}", s, i * 0.5] for i, s in enumerate(seqs)])
    at = upload(app(), "mine.csv", good)
    assert not at.exception and not at.error
    assert [m.value for m in at.metric][:2] == ["40", "regression"]
    bad = b"sequence,label\nMKTAYIAKQR,1\nMKT,1,extra,cells\n" + b"ACDEFGHIKL,0\n" * 30
    at.file_uploader(key="upload_file").set_value(("broken.csv", bad, "text/csv"))
    at.run()
    assert not at.exception
    assert "broken.csv" in at.error[0].value and "line 3" in at.error[0].value


def test_column_mapping_overrides_detection():
    seqs = random_sequences(30, seed=4)
    rows = [[s, i % 2, i % 3] for i, s in enumerate(seqs)]
    at = upload(app(), "two_labels.csv", csv_bytes(["sequence", "label", "group"], rows))
    assert [m.value for m in at.metric][1] == "binary"
    at.selectbox(key="label_col").set_value("group").run()
    assert not at.exception
    assert [m.value for m in at.metric][1:3] == ["multiclass", "3"]


def test_every_training_setting_has_exactly_one_control():
    from dashboard.controls import GROUPS

    listed = [key for keys in GROUPS.values() for key in keys]
    expected = [(section if f.name == "name" else f.name) for section, cls in SECTIONS.items() if section != "data"
                for f in fields(cls)]
    assert sorted(listed) == sorted(expected)


def test_train_page_shows_the_model_and_reflects_settings_in_the_url():
    at = app()
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.metric[0].label == "Trainable parameters"
    before = at.metric[0].value
    set_setting(at, "hidden", (16,))
    assert at.metric[0].value != before
    assert at.query_params["hidden"] == "16" and at.query_params["dataset"] == "esol"
    set_setting(at, "encoding", "aac")
    set_setting(at, "model", "transformer")
    assert ws(at).settings["encoding"] == "tokens"  # per-protein composition cannot feed it: changed, and said so
    assert any("encoding is now 'tokens'" in i.value for i in at.info)
    set_setting(at, "heads", 3)
    assert not at.exception
    assert "d_model 64 is not divisible by heads 3" in at.error[0].value
    assert next(b for b in at.button if b.label == "Train").disabled


def test_a_link_with_settings_reproduces_them_and_bad_values_are_reported():
    at = app(lr="0.03", model="mlp", encoding="aac", epochs="7", hidden="64,32", momentum="high")
    for key, value in dict(lr=0.03, model="mlp", encoding="aac", epochs=7, hidden=(64, 32)).items():
        assert ws(at).settings[key] == value
    assert any("momentum" in w.value for w in at.warning)
    at.switch_page("app_pages/compare.py").run()
    assert not any("momentum" in w.value for w in at.warning)  # reported once, not on every page


@pytest.mark.parametrize("name", PRESETS)
def test_a_preset_fills_every_control(name):
    at = app()
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="preset_choice").set_value(name).run()
    next(b for b in at.button if b.label == "Apply preset").click().run()
    assert not at.exception
    for key, value in PRESETS[name].values.items():
        assert (ws(at).dataset if key == "dataset" else ws(at).settings[key]) == value, key
    assert not at.error, [e.value for e in at.error]  # a valid config: Train is ready
    assert not next(b for b in at.button if b.label == "Train").disabled


def test_a_preset_trains_from_the_dashboard():
    from dashboard.state import job_manager

    at = app()
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="preset_choice").set_value("solubility-mlp").run()
    next(b for b in at.button if b.label == "Apply preset").click().run()
    set_setting(at, "epochs", 2)
    next(b for b in at.button if b.label == "Train").click().run()
    job = job_manager().list()[0]
    assert job.trainer.wait(120).status == "completed"
    c = job.config
    assert (c.data.dataset, c.encoding.name, c.model.hidden, c.optimizer.lr) == ("esol", "aac_length", (256, 64), 3e-4)


def tiny_training(at: AppTest) -> AppTest:
    at.switch_page("app_pages/train.py").run()
    at.selectbox(key="model").set_value("mlp").run()
    at.selectbox(key="encoding").set_value("aac").run()
    for key, value in dict(epochs=2, max_batches=4, validate_every=2).items():
        set_setting(at, key, value)
    return at


def test_a_tiny_run_trains_live_to_the_end_with_curves_and_a_diagnosis():
    from dashboard.state import job_manager, run_store

    at = tiny_training(app())
    next(b for b in at.button if b.label == "Train").click().run()
    assert not at.exception
    job = job_manager().list()[0]
    set_setting(at, "epochs", 9)  # changing a setting mid-run neither stops nor changes the run
    assert job.config.training.epochs == 2 and job.config.model.name == "mlp"
    assert job.trainer.wait(120).status == "completed"
    at.run()
    assert not at.exception
    assert any("completed" in s.value for s in at.success)
    assert len(at.get("plotly_chart")) >= 4  # loss, metrics, learning rate, gradient norm
    assert any("Diagnosis" in m.value for m in at.markdown)
    runs = at.dataframe[-1].value
    assert list(runs["run"]) == [job.run_id] and runs["epochs"].iloc[0] == 2
    snap = job.snapshot()
    assert len(snap.validations) > 0 and len(snap.batch_losses) > 0
    stored = wait_stored(job.run_id)
    assert stored["name"] == job.label and len(run_store().history(job.run_id)) == 2


def wait_stored(run_id: str) -> dict:
    """The run as the store has it, once the recorder has written its end."""
    import time

    from dashboard.state import run_store

    for _ in range(200):
        run = run_store().get_run(run_id)
        if run["status"] == "completed":
            return run
        time.sleep(0.05)
    raise AssertionError(f"run {run_id} was not stored as completed: {run}")


def test_pause_resume_and_stop_a_run_and_it_is_kept():
    from dashboard.state import job_manager

    at = tiny_training(app())
    set_setting(at, "epochs", 500)
    set_setting(at, "max_batches", 0)
    next(b for b in at.button if b.label == "Train").click().run()
    next(b for b in at.button if b.label == "Pause").click().run()
    assert not any(b.label == "Pause" for b in at.button)  # the button says what it does now
    job = job_manager().list()[0]
    assert job.snapshot().status == "paused"
    next(b for b in at.button if b.label == "Resume").click().run()
    assert job.snapshot().status == "running" and any(b.label == "Pause" for b in at.button)
    next(b for b in at.button if b.label == "Stop").click().run()
    assert job.trainer.wait(60).status == "stopped"
    at.run()
    assert not at.exception and any("stopped" in s.value for s in at.success)


def test_find_learning_rate_runs_in_the_background_and_its_suggestion_sets_the_slider():
    at = tiny_training(app())
    next(b for b in at.button if b.label == "Find learning rate").click().run()
    assert not at.exception
    task = at.session_state["check"]
    assert task.wait(120) and task.result is not None, task.error
    at.run()
    assert any("lr =" in m.value for m in at.success)
    use = next(b for b in at.button if b.label.startswith("Use lr"))
    suggested = use.label.removeprefix("Use lr = ")
    use.click().run()
    assert f"{ws(at).settings['lr']:.1e}" == suggested
    assert at.select_slider(key="lr").value == float(suggested)


def test_predict_page_reports_bad_rows_and_predicts_the_rest():
    from dashboard.state import job_manager

    at = app()
    at.switch_page("app_pages/predict.py").run()
    assert "no trained models yet" in at.info[0].value
    at = tiny_training(at)
    next(b for b in at.button if b.label == "Train").click().run()
    job_manager().list()[0].finished_recording.wait(120)
    at.switch_page("app_pages/predict.py").run()
    at.text_area(key="predict_text").set_value(">good\nMKVLAAGIVALLLAAGCSSSKEEKK\n>bad\nMKT1X\n>also\nACDEFGHIK\n")
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception
    problems = at.dataframe[0].value
    assert list(problems["row"]) == [2] and "not an amino-acid letter" in problems["problem"].iloc[0]
    table = at.dataframe[1].value
    assert list(table["id"]) == ["good", "also"]
    assert ((table["p_insoluble"] + table["p_soluble"]).round(5) == 1).all()


def test_a_failing_run_says_why_in_words(monkeypatch):
    from dashboard.state import job_manager
    from protscope.train.trainer import Trainer

    def broken_epoch(*args, **kwargs):
        raise RuntimeError("the model hit a wall")

    monkeypatch.setattr(Trainer, "_train_epoch", broken_epoch)
    at = tiny_training(app())
    next(b for b in at.button if b.label == "Train").click().run()
    assert job_manager().list()[0].trainer.wait(60).status == "failed"
    at.run()
    assert not at.exception
    assert "RuntimeError: the model hit a wall" in at.error[0].value
    assert "epochs so far are kept" in at.error[0].value


def test_a_homology_split_keeps_clusters_together():
    base = random_sequences(10, seed=7, low=60, high=90)
    # Four near-copies of each of 10 proteins: 40 rows in 10 families.
    rows = [[f"f{i}_{j}", s[:-j] if j else s, (i + j) % 2] for i, s in enumerate(base) for j in range(4)]
    at = upload(app(), "families.csv", csv_bytes(["id", "sequence", "label"], rows))
    at.selectbox(key="split").set_value("homology").run()
    assert not at.exception and not at.error
    assert at.slider(key="identity").value == 0.3
    table = at.dataframe[-1].value
    assert table["proteins"].sum() == 40
    assert all(n % 4 == 0 for n in table["proteins"])  # whole families only


def test_runs_from_before_a_restart_can_still_predict(tmp_path, tiny):
    """A run trained elsewhere (the command line, or before the server restarted) is read from the
    store, and its saved model predicts."""
    from dashboard.state import run_store
    from protscope.owners import command_line_owner
    from protscope.runs.recorder import record_in_background
    from protscope.train.trainer import Trainer
    from tests.test_engine import config

    data, split = tiny["binary"]
    trainer = Trainer(config(epochs=1), data, split, run_dir=tmp_path / "runs" / "cli-run", run_id="cli-run")
    recorder = record_in_background(trainer, run_store(), name="from the CLI", owner=command_line_owner())
    trainer.run()
    recorder.join(30)
    at = app()
    at.switch_page("app_pages/predict.py").run()
    assert "turn on **Everyone's runs**" in at.info[0].value  # not this user's: asked for, not the default
    at.toggle(key="predict_everyone").set_value(True).run()
    assert at.selectbox(key="predict_run").value == "cli-run"
    at.text_area(key="predict_text").set_value("MKVLAAGIVALLLAAGCSSSKEEKK\n")
    next(b for b in at.button if b.label == "Predict").click().run()
    assert not at.exception and list(at.dataframe[0].value["id"]) == ["seq1"]


def test_a_lesson_link_locks_and_hides_its_controls_and_the_server_refuses_a_forged_change():
    at = app(dataset="esol", lr="0.03", optimizer="sgd", seed="0", lock="dataset,seed,lr", hide="optimizer")
    at.switch_page("app_pages/train.py").run()
    assert not at.exception
    assert at.select_slider(key="lr").disabled and at.number_input(key="seed").disabled
    assert not [w for w in at.selectbox if w.key == "optimizer"]  # hidden
    assert not at.number_input(key="epochs").disabled  # what the link leaves open
    assert any("Exercise" in i.value and "1 hidden" in i.value for i in at.info)
    # A browser that sends a change anyway (a forged message: the widget is disabled) changes nothing: Streamlit
    # drops it, and the Workspace itself refuses to change a fixed setting (tests/test_workspace.py).
    forged = at.select_slider(key="lr")
    forged._assert_can_interact = lambda: None  # AppTest, like the browser, would not send it
    forged.set_value(0.1).run()
    assert ws(at).settings["lr"] == 0.03 and at.select_slider(key="lr").value == 0.03
    at.selectbox(key="preset_choice").set_value("solubility-cnn").run()  # the sidebar's preset: what is not fixed
    next(b for b in at.button if b.label == "Apply preset").click().run()
    assert (ws(at).settings["lr"], ws(at).settings["model"]) == (0.03, "cnn")
    assert any("Kept as this exercise fixes them: dataset, optimizer, lr." in i.value for i in at.info)
    assert at.query_params["lock"] == "dataset,seed,lr" and at.query_params["hide"] == "optimizer"  # a reload keeps it
    next(b for b in at.button if b.label == "Leave the exercise").click().run()
    assert not at.select_slider(key="lr").disabled and [w for w in at.selectbox if w.key == "optimizer"]


def test_share_as_an_exercise_makes_the_link_that_locks_what_was_chosen():
    at = app()
    at.switch_page("app_pages/train.py").run()
    set_setting(at, "lr", 0.032)
    at.multiselect(key="exercise_hide").set_value(["optimizer"]).run()
    link = at.code[-1].value
    assert link.startswith("http") and "/train?" in link
    from urllib.parse import parse_qs, urlsplit

    params = {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}
    assert params["lr"] == "0.032" and params["hide"] == "optimizer"
    assert params["lock"] == "dataset,split,split_seed,val_fraction,test_fraction,seed,lr"
