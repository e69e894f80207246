"""Runs as server jobs: queued for a free slot, run in the background, kept with their files."""
import json

import pytest

from protscope.runs.jobs import JobManager
from tests.test_engine import config


def test_jobs_queue_for_a_slot_and_all_finish_with_files(tiny, tmp_path):
    data, split = tiny["binary"]
    jobs = JobManager(tmp_path, max_concurrent=1)
    first = jobs.submit(config(epochs=2, batch_size=4), data, split, label="first")
    first.trainer.pause()  # hold the only slot
    second = jobs.submit(config(epochs=1), data, split)
    assert second.snapshot().status == "queued"
    assert [j.run_id for j in jobs.list()] == [second.run_id, first.run_id]
    assert set(j.run_id for j in jobs.active()) == {first.run_id, second.run_id}
    first.trainer.resume()
    for job in (first, second):
        assert job.trainer.events.wait(timeout=60)
    assert first.trainer.wait(30).status == "completed" and second.trainer.wait(30).status == "completed"
    assert [j.run_id for j in jobs.active()] == []
    assert len(jobs.finished()) == 2
    for job in (first, second):
        run_dir = tmp_path / job.run_id
        for _ in range(100):
            if (run_dir / "result.json").exists():
                break
            import time

            time.sleep(0.05)
        assert json.loads((run_dir / "result.json").read_text())["status"] == "completed"
        assert (run_dir / "config.json").exists() and (run_dir / "checkpoint.pt").exists()
    assert "mlp" in second.label


def test_stop_all_stops_running_and_queued_jobs(tiny, tmp_path):
    data, split = tiny["binary"]
    jobs = JobManager(tmp_path, max_concurrent=1)
    running = jobs.submit(config(epochs=50, batch_size=2), data, split)
    queued = jobs.submit(config(epochs=50, batch_size=2), data, split)
    jobs.stop_all()
    for job in (running, queued):
        assert job.trainer.events.wait(timeout=60)
        assert job.snapshot().status == "stopped"


def test_active_runs_are_bounded_with_a_clear_message(tiny, tmp_path, monkeypatch):
    from protscope.errors import ProtScopeError

    monkeypatch.setenv("PROTSCOPE_MAX_JOBS", "3")
    data, split = tiny["binary"]
    jobs = JobManager(tmp_path, max_concurrent=1)
    slow = config(epochs=10_000, model="mlp", encoding="aac")
    started = [jobs.submit(slow, data, split) for _ in range(3)]
    assert jobs.room() == 0
    with pytest.raises(ProtScopeError, match="3 runs are already queued or training") as refused:
        jobs.submit(slow, data, split)
    assert "stop runs you no longer need" in str(refused.value)
    started[0].trainer.stop()
    assert started[0].trainer.wait(30).status == "stopped"
    jobs.submit(config(epochs=1, model="mlp", encoding="aac"), data, split)  # a slot is free again
    jobs.stop_all()
    assert all(j.trainer.wait(30) is not None for j in jobs.list())


def test_on_a_class_server_each_student_queues_one_run_and_the_instructors_go_first(tiny, tmp_path, monkeypatch):
    from protscope.errors import ProtScopeError
    from protscope.owners import Owner

    monkeypatch.setenv("PROTSCOPE_MAX_RUNS_PER_STUDENT", "1")
    data, split = tiny["binary"]
    jobs = JobManager(tmp_path, max_concurrent=1)
    ada, bo, teacher = Owner("ada", "Ada"), Owner("bo", "Bo"), Owner("teacher", "T")
    holding = jobs.submit(config(epochs=2, batch_size=4), data, split, owner=Owner("cy"))
    holding.trainer.pause()  # the only slot is taken
    queued_ada = jobs.submit(config(epochs=1), data, split, owner=ada)
    assert jobs.room("ada") == 0 and jobs.room("bo") == 1
    with pytest.raises(ProtScopeError, match="you already have 1 run queued or training"):
        jobs.submit(config(epochs=1), data, split, owner=ada)
    queued_bo = jobs.submit(config(epochs=1), data, split, owner=bo)
    lesson = [jobs.submit(config(epochs=1), data, split, owner=teacher, first=True) for _ in range(2)]  # no limit
    assert [jobs.place(j) for j in (*lesson, queued_ada, queued_bo)] == [1, 2, 3, 4]  # ahead of the students, in order
    jobs.stop_all()
    for job in (holding, queued_ada, queued_bo, *lesson):
        job.trainer.resume()
        assert job.trainer.wait(60) is not None
    assert jobs.room("ada") == 1  # a finished run no longer counts


def test_a_server_jobs_training_thread_runs_at_a_lower_cpu_priority(tiny, tmp_path, monkeypatch):
    """Pages stay quick while runs train: the job's thread is niced (Linux), the server's own threads are not."""
    import os
    import threading

    from protscope.runs import jobs as jobs_module

    if not hasattr(os, "setpriority"):
        pytest.skip("no per-thread priority on this platform")
    seen = []

    def lowered_then_recorded(niceness):
        lowered(niceness)
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    lowered = jobs_module.lower_priority
    monkeypatch.setattr(jobs_module, "lower_priority", lowered_then_recorded)
    monkeypatch.setenv("PROTSCOPE_TRAIN_NICE", "5")
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    data, split = tiny["binary"]
    job = JobManager(tmp_path, max_concurrent=1).submit(config(epochs=1), data, split)
    assert job.trainer.wait(60) is not None
    assert seen == [min(19, mine + 5)] and os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
