"""The Workspace: one object for what a browser holds (data, settings, live run), its links and its saving."""
import pytest

from dashboard.logic.setting_values import default_settings
from dashboard.logic.workspace import Workspace, new_upload
from protscope.config.presets import PRESETS
from protscope.config.run_config import RunConfig
from protscope.errors import ProtScopeError

DATASETS = {"esol", "gb1", "ss3"}


def test_a_new_workspace_starts_from_the_config_defaults():
    ws = Workspace("a" * 32)
    assert ws.settings == default_settings()
    assert ws.config() == RunConfig().replace(data=RunConfig().data.replace(dataset="esol"))
    assert ws.link() == {"dataset": "esol"}  # nothing differs from the defaults


def test_set_checks_the_value_and_counts_changes():
    ws = Workspace("a" * 32)
    assert ws.set("lr", "0.03") and ws.settings["lr"] == 0.03 and ws.changes == 1
    assert not ws.set("lr", 0.03) and ws.changes == 1
    with pytest.raises(ProtScopeError, match="between"):
        ws.set("epochs", 0)
    with pytest.raises(ProtScopeError):
        ws.set("no_such_setting", 1)
    assert ws.settings["epochs"] == default_settings()["epochs"]


def test_a_link_reproduces_every_setting_and_reports_what_it_cannot_use():
    ws = Workspace("a" * 32)
    ws.set_many({"lr": 0.03, "model": "cnn", "encoding": "tokens", "hidden": (64, 32), "validate_every": 15})
    ws.choose_builtin("gb1")
    link = ws.link()
    assert link == {"dataset": "gb1", "lr": "0.03", "model": "cnn", "encoding": "tokens", "hidden": "64,32",
                    "validate_every": "15"}
    other = Workspace("b" * 32)
    other.set("epochs", 3)  # not in the link: back to its default
    changed, problems = other.apply_link({**link, "momentum": "high", "colour": "red"}, DATASETS)
    assert not {"lr", "model", "epochs"} - set(changed)
    assert other.config() == ws.config()
    assert len(problems) == 2 and any("momentum" in p for p in problems) and any("colour" in p for p in problems)


def test_a_link_made_with_an_upload_asks_for_that_file(tmp_path):
    ws = Workspace("a" * 32)
    upload = new_upload("mine.csv", b"sequence,label\n", tmp_path)
    ws.choose_upload(upload)
    link = ws.link()
    assert link["path"] == "mine.csv" and link["sha256"] == upload.sha256 and "dataset" not in link
    other = Workspace("b" * 32)
    other.apply_link(link, DATASETS)
    assert other.source == "upload" and other.upload is None
    assert other.wanted == {"name": "mine.csv", "sha256": upload.sha256}
    assert other.link()["sha256"] == upload.sha256  # still the same link until the file comes
    other.choose_upload(new_upload("mine.csv", b"sequence,label\n", tmp_path))
    assert other.wanted is None and other.config().data.sha256 == upload.sha256


def test_uploads_are_kept_by_content_hash_never_by_their_name(tmp_path):
    stored = new_upload("../../etc/passwd", b"x", tmp_path / "uploads")
    assert stored.name == "../../etc/passwd" and stored.stored.startswith(str(tmp_path / "uploads"))
    assert stored.stored.endswith(f"{stored.sha256}.bin")


def test_a_new_file_clears_the_old_files_column_choices_and_the_data_change_is_news(tmp_path):
    ws = Workspace("a" * 32)
    ws.choose_upload(new_upload("a.csv", b"a", tmp_path))
    ws.set("label_col", "activity")
    ws.choose_upload(new_upload("b.csv", b"b", tmp_path))
    assert ws.settings["label_col"] == ""
    assert any("a.csv" in news and "b.csv" in news for news in ws.data_news)
    ws.run_started("r1")
    assert ws.data_news == [] and ws.live_run == "r1"


def test_a_preset_sets_every_control_but_keeps_the_split():
    ws = Workspace("a" * 32)
    ws.set("val_fraction", 0.2)
    ws.set("momentum", 0.5)
    preset = PRESETS["solubility-mlp"]
    ws.apply_preset(preset.values)
    for key, value in preset.values.items():
        assert (ws.dataset if key == "dataset" else ws.settings[key]) == value
    assert ws.settings["val_fraction"] == 0.2 and ws.settings["momentum"] == default_settings()["momentum"]


def test_saving_and_restoring_keeps_everything_and_says_what_it_could_not(tmp_path):
    ws = Workspace("a" * 32, owner_name="Ada")
    ws.set_many({"lr": 0.01, "hidden": (64,)})
    ws.choose_upload(new_upload("mine.csv", b"data", tmp_path))
    ws.live_run = "20260101-000000-abcdef"
    back, problems = Workspace.from_dict(ws.to_dict())
    assert back == ws and problems == []
    saved = ws.to_dict()
    saved["settings"]["gone_setting"] = 1
    saved["settings"]["epochs"] = -5
    back, problems = Workspace.from_dict(saved)
    assert back.settings["epochs"] == default_settings()["epochs"]
    assert len(problems) == 2 and any("gone_setting" in p for p in problems) and any("epochs" in p for p in problems)


def test_a_lesson_link_fixes_what_it_locks_and_hides_and_says_what_it_cannot():
    teacher = Workspace("t" * 32)
    teacher.set_many({"lr": 0.03, "optimizer": "sgd"})
    link = teacher.exercise_link(lock=("dataset", "seed", "lr"), hide=("optimizer",))
    assert link == {"dataset": "esol", "lr": "0.03", "optimizer": "sgd", "seed": "0",  # the default seed, written out
                    "lock": "dataset,seed,lr", "hide": "optimizer"}
    student = Workspace("s" * 32)
    _, problems = student.apply_link({**link, "lock": "dataset,seed,lr,colour"}, DATASETS)
    assert problems == ["`lock=colour`: `colour` is not a ProtScope setting"]
    assert (student.locked, student.hidden) == (("dataset", "seed", "lr"), ("optimizer",))
    assert student.link() == link and student.config() == teacher.config()
    for key, value in (("lr", 0.1), ("optimizer", "adam"), ("seed", 3)):
        with pytest.raises(ProtScopeError, match=f"this exercise fixes {key}"):
            student.set(key, value)
    with pytest.raises(ProtScopeError, match="fixes dataset"):
        student.choose_builtin("gb1")
    assert student.set("epochs", 5)  # what the link leaves open stays open
    student.apply_preset(PRESETS["solubility-cnn"].values)  # a preset changes only what is not fixed
    assert (student.settings["lr"], student.settings["optimizer"], student.dataset) == (0.03, "sgd", "esol")
    assert student.settings["model"] == "cnn"
    restored, _ = Workspace.from_dict(student.to_dict())
    assert (restored.locked, restored.hidden) == (student.locked, student.hidden)  # a reload keeps the exercise
    student.leave_exercise()
    assert student.set("lr", 0.1) and student.link().keys().isdisjoint({"lock", "hide"})
    student.apply_link({"lr": "0.01"}, DATASETS)  # a plain link: no exercise
    assert student.set("optimizer", "sgd")
