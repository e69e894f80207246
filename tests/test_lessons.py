"""The lessons (protscope/lessons): every one builds valid runs, quotes its section of the course notes, runs end
to end on a small subset, and writes its paragraph from the runs' own numbers (changed runs, changed text)."""
from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path

import pytest

from protscope.cli.main import main
from protscope.lessons import inside, summaries, tasks
from protscope.lessons.catalog import LESSONS, TOPICS
from protscope.lessons.lesson import LessonRun, base_config, lesson_runs, note_text
from protscope.lessons.reading import spread
from protscope.lessons.runner import collect, launches, run_lesson
from protscope.runs.store import RunStore
from protscope.settings import notes_dir

# a small subset (and a narrow CNN): every lesson in seconds
SMALL = {"epochs": 2, "max_batches": 2, "max_length": 150, "channels": 16, "embedding_dim": 16}
NUMBER = re.compile(r"\d\.\d")


def test_every_lesson_is_on_the_page_once_and_builds_valid_runs():
    listed = [name for names in TOPICS.values() for name in names]
    assert sorted(listed) == sorted(LESSONS) and len(listed) == len(set(listed))
    for lesson in LESSONS.values():
        for size in ("class", "full"):
            runs = lesson_runs(lesson, size)
            assert len(runs) == lesson.run_count, lesson.name
            assert all(r.config.data.dataset == lesson.base["dataset"] for r in runs)
        assert lesson.budget_s > 0 and lesson.look_at and lesson.goal
        assert lesson.check or len({r.label for r in lesson_runs(lesson)}) == lesson.run_count


def test_data_settings_of_a_lesson_reach_its_runs():
    assert all(r.config.data.positive_share == 0.9 for r in lesson_runs(LESSONS["mcc-accuracy"]))
    splits = [r.config.data.split for r in lesson_runs(LESSONS["homology-split"])]
    assert splits == ["random"] * 3 + ["homology"] * 3
    assert [r.config.data.split_seed for r in lesson_runs(LESSONS["homology-split"])] == [0, 1, 2] * 2
    in_class, full = (base_config(LESSONS["optimizers"], size) for size in ("class", "full"))
    assert (in_class.training.max_batches, in_class.data.max_length) == (30, 256)
    assert (full.training.max_batches, full.data.max_length) == (0, 2000)


@pytest.mark.skipif(not notes_dir().is_dir(), reason="the course notes (../shared/seeds) are not on this machine")
def test_every_lesson_quotes_its_section_of_the_notes():
    for lesson in LESSONS.values():
        text = note_text(lesson.note)
        assert len(text) > 150, lesson.name
        assert "โ•" not in text and "ยฒ" not in text  # the notes' mis-decoded characters are mended or dropped
    assert note_text(LESSONS["optimizers"].note).startswith("Exercise 4: Optimizer Comparison")
    assert "Exercise 5" not in note_text(LESSONS["optimizers"].note)
    assert note_text(LESSONS["optimizers"].note, folder=Path("/nonexistent")) == ""


@pytest.mark.parametrize("name", list(LESSONS))
def test_every_lesson_runs_end_to_end_on_a_small_subset(name, tmp_path):
    lesson = LESSONS[name]
    store = RunStore(tmp_path / "protscope.db")
    outcome = run_lesson(lesson, store, extra=SMALL, runs_dir=tmp_path)
    assert outcome.summary and NUMBER.search(outcome.summary), outcome.summary
    if lesson.check:
        assert outcome.check is not None and not outcome.runs
    else:
        assert len(outcome.runs) == lesson.run_count
        assert all(r.status in ("completed", "early_stopped") for r in outcome.runs), [r.status for r in outcome.runs]
        assert launches(store, lesson) == [outcome.launch]
        assert collect(store, lesson, outcome.launch) == list(outcome.runs)
        assert "did not finish" not in outcome.summary
    json.dumps(outcome.to_dict())
    store.close()


# --- the paragraphs follow the runs ------------------------------------------------------------------

def run(values: dict, val_losses: list[float], status: str = "completed", **metrics) -> LessonRun:
    history = tuple({"epoch": i + 1, "train_loss": v * 0.9, "val_loss": v, "lr": 1e-3}
                    for i, v in enumerate(val_losses))
    return LessonRun(" ".join(f"{k}={v}" for k, v in values.items()), values, status, history, {"val": metrics,
                     "test": metrics})


def optimizer_runs(adam_end: float) -> list[LessonRun]:
    return [run({"optimizer": o, "seed": s}, [0.7, 0.6, base + 0.002 * s])
            for o, base in (("sgd", 0.65), ("adam", adam_end), ("adamw", 0.55)) for s in range(3)]


def test_the_optimizer_paragraph_names_the_winner_the_runs_show():
    adam_wins = summaries.optimizers(optimizer_runs(0.50))
    assert adam_wins.startswith("Adam reached the lowest validation loss, 0.502 ± 0.002 over 3 seeds")
    adamw_wins = summaries.optimizers(optimizer_runs(0.60))
    assert adamw_wins.startswith("AdamW reached the lowest validation loss, 0.552")
    assert "still falling at epoch 3" in adamw_wins
    close = summaries.optimizers([run({"optimizer": o, "seed": s}, [0.6, 0.55 + 0.02 * s + 0.001 * (o == "adam")])
                                  for o in ("adam", "sgd") for s in range(3)])
    assert "smaller than the seeds' spread" in close
    failed = optimizer_runs(0.5)[:-1] + [replace(optimizer_runs(0.5)[-1], status="diverged")]
    assert summaries.optimizers(failed).startswith("1 of 9 runs did not finish (optimizer=adamw seed=2: diverged)")


def test_the_accumulation_paragraph_measures_how_far_apart_the_curves_are():
    same = [run({"accumulation": 1}, [0.7, 0.6]), run({"accumulation": 4}, [0.7, 0.6])]
    assert "gave the same curves" in summaries.accumulation(same)
    apart = [run({"accumulation": 1}, [0.7, 0.6]), run({"accumulation": 4}, [0.7, 0.5])]
    apart[1] = replace(apart[1], config={"training": {"max_batches": 2, "batch_size": 32}, "model": {}})
    text = summaries.accumulation(apart)
    assert "curves that differ" in text and "1.0e-01" in text and "max_batches 2" in text


def test_the_imbalance_paragraph_reports_accuracy_mcc_and_the_majority_share():
    runs = [replace(run({"class_weights": w}, [0.5]), config={"data": {"positive_share": 0.9}},
                    metrics={"val": {"accuracy": a, "mcc": m, "top_class_share": t}})
            for w, a, m, t in (("none", 0.91, 0.12, 0.98), ("balanced", 0.72, 0.31, 0.7))]
    text = summaries.mcc_vs_accuracy(runs)
    assert "accuracy 0.91 and MCC 0.12" in text and "about 0.90" in text and "disagree" in text
    runs[1] = replace(runs[1], metrics={"val": {"accuracy": 0.95, "mcc": 0.4, "top_class_share": 0.9}})
    assert "both scores moved the same way" in summaries.mcc_vs_accuracy(runs)


def test_the_homology_paragraph_calls_a_gap_only_beyond_the_seed_spread():
    def runs(homology_mcc):
        return [replace(run({"split": s, "split_seed": k}, [0.6]), metrics={"test": {"mcc": m + 0.01 * k,
                                                                                         "roc_auc": 0.7}})
                for s, m in (("random", 0.45), ("homology", homology_mcc)) for k in range(3)]
    assert "reads 0.150 MCC higher, more than the spread over seeds" in summaries.homology_split(runs(0.30))
    assert "within the spread over seeds" in summaries.homology_split(runs(0.445))
    assert "The homology split reads 0.150 MCC higher" in summaries.homology_split(runs(0.60))  # said, not hidden


def test_the_inside_the_network_paragraphs_read_the_layer_statistics():
    layers = [{"name": "a", "parameters": 100}, {"name": "head", "parameters": 100}]

    def stats(first_grad, dead):
        return {"layers": layers, "records": [{"step": 1, "epoch": 1, "layers": {
            "a": {"g_norm": first_grad, "dead": dead}, "head": {"g_norm": 1.0, "dead": None}}}]}
    vanishing = [replace(run({"activation": "sigmoid"}, [0.69]), internals=stats(1e-5, None)),
                 replace(run({"activation": "relu"}, [0.6]), internals=stats(0.1, 0.0))]
    assert "100,000× smaller" in inside.vanishing(vanishing) and "10× smaller" in inside.vanishing(vanishing)
    dying = [replace(run({"lr": 3.0}, [0.7]), internals=stats(0.0, 0.6)),
             replace(run({"lr": 0.1}, [0.6]), internals=stats(0.1, 0.05))]
    assert "60 % of the hidden units ended dead" in inside.dying_relu(dying)
    assert "not recorded" in inside.dying_relu([run({"lr": 3.0}, [0.7])])


def test_spread_says_how_many_runs_had_no_value():
    assert spread([0.5, 0.7, math.nan]) == "0.600 ± 0.141 over 2 seeds (1 undefined)"
    assert spread([math.nan]) == "undefined" and spread([0.25]) == "0.250"


def test_the_command_line_lists_shows_and_runs_a_lesson(tmp_path, capsys):
    assert main(["lessons"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in LESSONS) and "a sanity check" in listed
    assert main(["lessons", "show", "optimizers"]) == 0
    assert "Exercise 4: Optimizer Comparison" in capsys.readouterr().out
    assert main(["lessons", "run", "dying-relu", "--json", "--db", str(tmp_path / "p.db")]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["lesson"] == "dying-relu" and len(out["runs"]) == 2 and "learning rate 3" in out["summary"]
    assert main(["lessons", "run", "nope"]) == 2
    assert "there is no lesson 'nope'" in capsys.readouterr().err


def test_the_multilabel_paragraph_says_what_pos_weight_did_in_these_runs():
    def runs(balanced_macro):
        return [replace(run({"pos_weight": w}, [0.5]), metrics={"val": {
            "micro_f1": micro, "macro_f1": macro, "subset_accuracy": 0.5, "hamming_loss": 0.2,
            "roc_auc_helix": 0.9, "roc_auc_strand": 0.8}}) for w, micro, macro in (("none", 0.85, 0.70),
                                                                                    ("balanced", 0.82, balanced_macro))]
    assert "raised macro F1 and lowered micro F1" in tasks.multilabel(runs(0.75))
    assert "lowered both" in tasks.multilabel(runs(0.65))
    assert "ROC AUC helix 0.90, strand 0.80" in tasks.multilabel(runs(0.75))
