"""Training faults through the server's job queue and run store, as the dashboard runs them.

Each fault ends the run with a stated status and reason, the epochs before it stay in the store,
and the same job manager then trains the next run normally.
"""
import threading
import time

import pytest
import torch

from protscope.modeling import models
from protscope.runs.jobs import JobManager
from protscope.runs.store import open_store
from protscope.train import trainer as trainer_module
from tests.test_engine import config


@pytest.fixture
def server(tmp_path):
    """A job manager recording into its own run store, as dashboard.state builds them."""
    store = open_store(tmp_path / "runs.db")
    jobs = JobManager(tmp_path / "runs", max_concurrent=1, store=store)
    yield jobs, store
    jobs.stop_all()


def finish(job, timeout=120):
    result = job.trainer.wait(timeout)
    assert result is not None, "the run did not end"
    assert job.finished_recording.wait(30), "the run was not recorded"
    return result


def stored(store, job) -> tuple[dict, list[dict]]:
    return store.get_run(job.run_id), store.history(job.run_id)


def still_usable(jobs, store, tiny):
    data, split = tiny["binary"]
    job = jobs.submit(config(epochs=1, model="mlp", encoding="aac"), data, split)
    assert finish(job).status == "completed"
    assert stored(store, job)[0]["status"] == "completed"


def fail_from_call(monkeypatch, cls, after_calls: int, exc: Exception):
    """Make cls.forward raise `exc` once it has been called `after_calls` times (mid-run)."""
    original, calls = cls.forward, [0]

    def forward(self, x, mask):
        calls[0] += 1
        if calls[0] > after_calls:
            raise exc
        return original(self, x, mask)

    monkeypatch.setattr(cls, "forward", forward)


def test_divergence_ends_as_diverged_with_advice_and_its_epochs(server, tiny):
    jobs, store = server
    data, split = tiny["regression"]
    job = jobs.submit(config(epochs=30, lr=10.0, optimizer="sgd", momentum=0.9, model="mlp", encoding="onehot"),
                      data, split)
    result = finish(job)
    run, epochs = stored(store, job)
    assert result.status == run["status"] == "diverged"
    assert "learning rate (10) is probably too high" in run["reason"]
    assert len(epochs) == len(result.history)
    still_usable(jobs, store, tiny)


@pytest.mark.parametrize("exc, says", [
    (RuntimeError("boom inside the model"), "RuntimeError: boom inside the model"),
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), "ran out of memory"),
], ids=["exception", "out-of-memory"])
def test_a_failure_mid_run_keeps_the_epochs_before_it(server, tiny, monkeypatch, exc, says):
    jobs, store = server
    data, split = tiny["binary"]
    # tiny binary: 39 training proteins in batches of 16 = 3 training calls, then validation calls
    fail_from_call(monkeypatch, models.MLP, after_calls=12, exc=exc)
    job = jobs.submit(config(epochs=10, model="mlp", encoding="aac"), data, split)
    result = finish(job)
    run, epochs = stored(store, job)
    assert result.status == run["status"] == "failed"
    assert says in run["reason"]
    assert len(epochs) >= 1 and [e["epoch"] for e in epochs] == list(range(1, len(epochs) + 1))
    monkeypatch.undo()
    still_usable(jobs, store, tiny)


def test_stop_during_validation_ends_as_stopped_with_that_epoch(server, tiny, monkeypatch):
    jobs, store = server
    data, split = tiny["binary"]
    original, seen = trainer_module.predict, []

    def predict(*args, **kwargs):
        if kwargs.get("split") == "val":
            seen.append(1)
            if len(seen) == 2:  # the second epoch's validation is under way
                job.trainer.stop()
        return original(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "predict", predict)
    job = jobs.submit(config(epochs=50, model="mlp", encoding="aac"), data, split)
    result = finish(job)
    run, epochs = stored(store, job)
    assert result.status == run["status"] == "stopped" and "stopped by the user" in run["reason"]
    assert len(epochs) == 2  # the epoch whose validation was interrupted still completes and is kept
    monkeypatch.undo()
    still_usable(jobs, store, tiny)


def test_a_long_pause_then_resume_finishes_normally(server, tiny, monkeypatch):
    jobs, store = server
    data, split = tiny["residue"]
    # Paused from the training thread at its fifth batch: a pause sent from the test's thread raced a run
    # of well under a second, and under a loaded suite the run sometimes ended first.
    original, batches, box, submitted = trainer_module.make_batch, [], {}, threading.Event()

    def make_batch(*args, **kwargs):
        batches.append(1)
        if len(batches) == 5 and submitted.wait(30):
            box["job"].trainer.pause()
        return original(*args, **kwargs)

    monkeypatch.setattr(trainer_module, "make_batch", make_batch)
    box["job"] = job = jobs.submit(config(epochs=3, batch_size=4, model="cnn", encoding="onehot"), data, split)
    submitted.set()
    deadline = time.time() + 60
    while store.get_run(job.run_id)["status"] != "paused" and time.time() < deadline:
        time.sleep(0.05)
    assert store.get_run(job.run_id)["status"] == "paused"  # the pause is visible in the store
    frozen = len(batches), job.snapshot().progress
    time.sleep(3)  # long against a run of a few seconds
    assert (len(batches), job.snapshot().progress) == frozen and not job.done
    job.trainer.resume()
    result = finish(job)
    monkeypatch.undo()
    run, epochs = stored(store, job)
    assert result.status == run["status"] == "completed" and len(epochs) == 3 and len(batches) > 5
    still_usable(jobs, store, tiny)


def test_a_run_paused_while_queued_stays_paused_when_its_turn_comes(server, tiny):
    jobs, store = server
    data, split = tiny["binary"]
    holder = jobs.submit(config(epochs=2, model="mlp", encoding="aac"), data, split)
    deadline = time.time() + 60
    while holder.snapshot().status == "queued" and time.time() < deadline:  # it has the one slot
        time.sleep(0.005)
    waiting = jobs.submit(config(epochs=2, model="mlp", encoding="aac"), data, split)  # one slot: it queues
    waiting.trainer.pause()
    finish(holder)
    while waiting.snapshot().started is None and time.time() < deadline:
        time.sleep(0.01)
    assert waiting.snapshot().started is not None  # its setup ran...
    time.sleep(0.5)
    assert waiting.snapshot().status == "paused" and not waiting.snapshot().history  # ...and it waits, paused
    waiting.trainer.resume()
    assert finish(waiting).status == "completed"
