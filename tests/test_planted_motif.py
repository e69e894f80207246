"""The planted-motif check (protscope/explain/planted.py) and its lesson: a CNN trained on the synthetic dataset
finds W-H-[KR]-C-[YF] with its filters and its attributions.

Thresholds: the most influential filter's consensus spells at least 4 of the motif's 5 positions (a kernel of 5
may sit one residue off the motif: 4 is then all it can hold), and at least 80 % of the 5 highest-scoring
residues (Integrated Gradients) of 30 positive test proteins fall on the planted five. Measured over seeds 0-5:
4 or 5 positions, 98.7-100 %."""
import pytest

from protscope.explain.planted import alignment, check_planted
from protscope.lessons.catalog import LESSONS
from protscope.lessons.runner import run_lesson


def test_the_motif_is_aligned_at_its_best_offset():
    assert alignment("WHKCY") == (5, 0) and alignment("WHRCF") == (5, 0)
    assert alignment("LWHKC") == (4, 1)  # one residue before the motif: its last position falls outside
    assert alignment("HKCYA") == (4, -1) and alignment("AAAAA")[0] == 0


@pytest.fixture(scope="module")
def lesson(tmp_path_factory):
    from protscope.runs.store import open_store

    folder = tmp_path_factory.mktemp("planted")
    return run_lesson(LESSONS["planted-motif"], open_store(folder / "runs.db"), runs_dir=folder)


def test_a_trained_cnns_top_filter_and_attributions_fall_on_the_planted_motif(lesson):
    run = lesson.runs[0]
    assert run.status == "completed" and run.metrics["test"]["mcc"] > 0.95
    found = check_planted(run.checkpoint)
    assert found.matched >= 4 and found.filter_found, found
    assert found.on_motif >= 0.8 and found.proteins == 30, found


def test_the_lesson_says_what_its_run_found(lesson):
    assert "so the filter found the motif" in lesson.summary
    assert "the prediction rests on the motif" in lesson.summary and lesson.seconds < 60
