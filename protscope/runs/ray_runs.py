"""Server runs as Ray tasks (PROTSCOPE_RAY_ADDRESS): each run trains on a cluster worker and streams its events
back, so the job list, the live pages, the broadcast and the run store treat it as they treat a local run.

    trainer = RayTrainer(config, data, split, run_dir=folder, run_id=run_id, address="10.0.0.5:6379")
    trainer.run()    # in the job's thread, as Trainer.run; snapshot(), pause(), resume(), stop() as ever

The worker trains an ordinary Trainer in a temporary folder and yields what it published (epochs, batch
progress, layer records...) every STREAM_EVERY seconds, through a Ray streaming generator; its last item
carries the result and the checkpoint's bytes, which are written here, in the run's own folder, before the end
is published. Stop, pause and resume reach the worker through a small actor it reads at the same pace. A worker
lost mid-run (killed, or its machine gone) ends the run "interrupted" with the epochs it had streamed, as a
server killed mid-run leaves its runs; an error in the run itself ends it "failed", with its reason.
"""
from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

from protscope import settings
from protscope.errors import ProtScopeError
from protscope.run_folder import RunFolder
from protscope.status import Status
from protscope.train.events import EpochEnd, EventChannel, RunFinished, RunStarted
from protscope.train.trainer import RunResult, Trainer

STREAM_EVERY = 0.25  # seconds between the worker's batches of events, and its look at the controls
CPUS_PER_RUN = 1  # Ray gives a task this many CPUs and sets its torch threads to match
PROBE_S = 60.0  # how long connecting waits for a first task to come back (a cold worker starts in seconds)


def connect(address: str):
    """Ray, connected to the cluster at `address` once per process (a sweep started later shares it)."""
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise ProtScopeError(f"PROTSCOPE_RAY_ADDRESS is set ({address}) but Ray is not installed",
                             fix="pip install -r requirements-ray.txt, or unset PROTSCOPE_RAY_ADDRESS to train "
                                 "on this server") from exc
    if not ray.is_initialized():
        _check_reachable(address)
        # Workers must import `protscope` whatever folder they start in: they find it through the checkout.
        path = os.pathsep.join(filter(None, [str(settings.PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
        try:
            ray.init(address=address, runtime_env={"env_vars": {"PYTHONPATH": path}}, log_to_driver=False)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ProtScopeError(f"could not reach the Ray cluster at {address} (PROTSCOPE_RAY_ADDRESS): {exc}",
                                 fix="start it (`ray start --head` on its first machine); for a cluster with "
                                     "Ray's token authentication (its default) start the dashboard with "
                                     "RAY_AUTH_MODE=token and the cluster's token (~/.ray/auth_token or "
                                     "RAY_AUTH_TOKEN); or unset PROTSCOPE_RAY_ADDRESS to train on this "
                                     "server") from exc
        _check_answers(ray, address)
    return ray


def _check_reachable(address: str) -> None:
    """Fail at once, with what to do, when nothing answers at host:port: Ray itself waits minutes for it."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not host or not port.isdigit():  # "auto", or a form Ray resolves itself
        return
    try:
        socket.create_connection((host, int(port)), timeout=5).close()
    except OSError as exc:
        raise ProtScopeError(f"could not reach the Ray cluster at {address} (PROTSCOPE_RAY_ADDRESS): {exc}",
                             fix="start it (`ray start --head --port PORT` on its first machine) and check the "
                                 "address, or unset PROTSCOPE_RAY_ADDRESS to train on this server") from exc


def _check_answers(ray, address: str) -> None:
    """A streaming task's first item must come back: a driver and a cluster in different authentication modes (one
    with RAY_AUTH_MODE=token, the other without) connect, and then a run never streams anything and nothing says why
    (Ray 2.60: the cluster's calls to the driver are refused with InvalidAuthToken, in its own logs only)."""
    def answer():  # defined here, so that Ray sends it by value: the worker imports nothing of ours for it
        yield True

    # A streaming task, as a run is: its items are the worker's calls to this process, which are what hang.
    stream = ray.remote(num_cpus=0, max_retries=0)(answer).options(num_returns="streaming").remote()
    ready, _ = ray.wait([stream], timeout=PROBE_S)
    if not ready:
        ray.shutdown()  # the next run tries again from the start
        raise ProtScopeError(f"the Ray cluster at {address} (PROTSCOPE_RAY_ADDRESS) accepted the connection but ran "
                             f"no task within {PROBE_S:.0f} s",
                             fix="start the dashboard with the cluster's authentication mode: RAY_AUTH_MODE=token "
                                 "and its token (~/.ray/auth_token or RAY_AUTH_TOKEN) for a cluster started with "
                                 "Ray's default, RAY_AUTH_MODE=disabled for one started with it; or check that its "
                                 "nodes are alive (`ray status`)")
    ray.get(next(stream))


def cluster_slots(address: str) -> int:
    """How many runs the cluster trains at once: its CPUs over CPUS_PER_RUN, at least 1."""
    return max(1, int(connect(address).cluster_resources().get("CPU", 1)) // CPUS_PER_RUN)


class Controls:
    """The driver's stop, pause and resume for one remote run (a Ray actor the worker polls)."""

    def __init__(self, state: str = "run"):
        self.state = state

    def set(self, state: str) -> None:
        if self.state != "stop":  # a stop is final
            self.state = state

    def get(self) -> str:
        return self.state


class Relay(EventChannel):
    """The worker's event channel: it keeps every event published (batch progress included, which the channel
    itself only folds into its state) until the stream takes them."""

    def __init__(self, run_id: str, where: str = ""):
        super().__init__(run_id)
        self.where = where  # said among the run's notes: which node trains it
        self._outbox: list = []
        self._outbox_lock = threading.Lock()

    def publish(self, event) -> None:
        if isinstance(event, RunStarted) and self.where:
            event = replace(event, notes=(*event.notes, self.where))
        with self._outbox_lock:
            self._outbox.append(event)
        super().publish(event)

    def drain(self) -> list:
        with self._outbox_lock:
            out, self._outbox = self._outbox, []
        return out


def train_streaming(config_json: str, run_id: str, data, split, controls):
    """On a worker: train, yielding {"events": [...]} as they come and finally {"events", "result", "checkpoint"}."""
    import ray

    from protscope.config.run_config import RunConfig
    from protscope.device import lower_priority

    lower_priority(settings.training_niceness())  # as a server's own runs: a node that also serves pages answers
    with tempfile.TemporaryDirectory() as folder:
        trainer = Trainer(RunConfig.from_json(config_json), data, split, run_dir=folder, run_id=run_id)
        where = f"Training as a Ray task on the cluster's node {ray.util.get_node_ip_address()}."
        relay = trainer.events = Relay(run_id, where)
        applied = ray.get(controls.get.remote())
        if applied == "pause":  # paused while it waited in the server's queue: it starts paused
            trainer.pause()
        trainer.start()
        while True:
            ended = trainer.wait(STREAM_EVERY) is not None
            wanted = ray.get(controls.get.remote())
            if wanted != applied and not ended:
                {"stop": trainer.stop, "pause": trainer.pause, "run": trainer.resume}[wanted]()
                applied = wanted
            events = relay.drain()
            if ended:
                result = trainer.result
                checkpoint = Path(result.checkpoint).read_bytes() if result.checkpoint else b""
                yield {"events": events + relay.drain(), "result": replace(result, checkpoint=""),
                       "checkpoint": checkpoint}
                return
            if events:
                yield {"events": events}


class RayTrainer(Trainer):
    """A Trainer whose epochs run on a Ray worker: the same events, snapshots, controls and result."""

    def __init__(self, *args, address: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.address = address
        self._controls = None  # the worker's Controls actor, once the task is submitted

    def pause(self) -> None:
        if self._controls is None:  # still queued here: it starts paused when its turn comes
            return super().pause()
        if not self.snapshot().done:
            self._controls.set.remote("pause")  # the worker's trainer publishes the change, which streams back

    def resume(self) -> None:
        if self._controls is None:
            return super().resume()
        self._controls.set.remote("run")

    def stop(self) -> None:
        super().stop()
        if self._controls is not None:
            self._controls.set.remote("stop")

    def _run(self, epoch_box: list) -> RunResult:
        if self.stop_requested:  # stopped while queued: ends here at its first batch, as a local run does
            return super()._run(epoch_box)
        ray = connect(self.address)
        self._save_config()
        self._controls = ray.remote(num_cpus=0)(Controls).remote("run" if self._running.is_set() else "pause")
        task = ray.remote(num_cpus=CPUS_PER_RUN, max_retries=0)(train_streaming)
        stream = task.options(num_returns="streaming").remote(self.config.to_json(), self.run_id, ray.put(self.data),
                                                             self.split, self._controls)
        try:
            for ref in stream:
                item = ray.get(ref)
                if "result" in item:
                    return self._finish_remote(item)
                for event in item["events"]:
                    if isinstance(event, EpochEnd):
                        epoch_box[0] = event.epoch
                    self.events.publish(event)
        except ray.exceptions.RayTaskError as error:  # the run itself raised: fail with its own exception
            if not isinstance(error.cause, Exception):
                raise
            raise error.cause from None
        except ray.exceptions.RayError as error:  # the worker, its node or the connection went away
            return self._interrupted(error)
        raise RuntimeError("the Ray task ended without its result")

    def _finish_remote(self, item: dict) -> RunResult:
        """Write the checkpoint into this run's folder, then publish the end with the local path."""
        result, checkpoint = item["result"], ""
        if item["checkpoint"] and self.run_dir is not None:
            path = RunFolder(self.run_dir).checkpoint
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(item["checkpoint"])
            checkpoint = str(path)
        for event in item["events"]:
            self.events.publish(replace(event, checkpoint=checkpoint) if isinstance(event, RunFinished) else event)
        return replace(result, checkpoint=checkpoint)

    def _interrupted(self, error: Exception) -> RunResult:
        snap = self.snapshot()
        epochs = len(snap.history)
        best = snap.history[-1].best_epoch if snap.history else 0
        message = (f"the Ray worker training it was lost after {epochs} epoch{'s' if epochs != 1 else ''} "
                   f"({type(error).__name__}); its epochs so far are kept")
        elapsed = time.time() - snap.started.time if snap.started else 0.0
        self.events.publish(RunFinished(Status.INTERRUPTED, message, best, {}, "", elapsed))
        return RunResult(self.run_id, self.config, Status.INTERRUPTED, message, snap.rows(), best, {}, "")
