"""Server runs on a Ray cluster (PROTSCOPE_RAY_ADDRESS): a real local cluster of two nodes, a head and a worker
node, each its own raylet with 2 CPUs, started with `ray start` as an instructor would on two machines.

A run submitted to the server trains on the cluster, streams its events back live and is stored as a local run
is (epochs, checkpoint in its own folder, predictions); four train at once; stop, pause and resume reach the
worker; a worker killed mid-run leaves the run "interrupted" with its epochs."""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from protscope.runs.jobs import JobManager
from protscope.runs.store import RunStore
from protscope.status import Status
from tests.test_engine import config

ray = __import__("ray") if os.environ.get("CI") else pytest.importorskip("ray")  # CI installs it: must not skip
RAY = str(Path(sys.executable).with_name("ray"))
FOLDER = f"/tmp/ps-ray-{os.getpid()}"  # the cluster's own: short, as Ray's socket paths must fit in 107 bytes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes(containing: str) -> list[int]:
    """The pids whose command line contains `containing` (Ray writes "ray::<task>" there while a task runs)."""
    return [pid for pid, (_, line) in table().items() if containing in line]


def table() -> dict[int, tuple[int, str]]:
    """{pid: (parent pid, command line)} of every process we can read."""
    out = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit():
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                out[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError, IndexError):  # gone meanwhile, or not ours to read
            pass
    return out


def cluster_processes(folder: str) -> list[int]:
    """The cluster's daemons (their command lines name its folder) and everything they started (agents, workers,
    whose command lines Ray renames); another test's Ray is left alone."""
    procs = table()
    found = {pid for pid, (_, line) in procs.items() if folder in line}
    grew = True
    while grew:
        more = {pid for pid, (parent, _) in procs.items() if parent in found} - found
        found |= more
        grew = bool(more)
    return sorted(found)


def kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # gone already
        os.kill(pid, signal.SIGKILL)


def driver_auth_mode() -> str:
    """Ray's authentication mode in this process: "token" or "disabled" (Ray keeps it in its own config, and a local
    `ray.init()` switches it on for the rest of the process)."""
    from ray._raylet import AuthenticationMode, get_authentication_mode

    return "token" if get_authentication_mode() == AuthenticationMode.TOKEN else "disabled"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = FOLDER
    port = free_port()
    # In the authentication mode this process is in, as an instructor's cluster must be: a driver in token mode and a
    # cluster without it (or the reverse) connect, then hang without a word (a local Ray sweep earlier in this process,
    # tests/test_sweeps.py, turns token mode on for the whole process: how make test once hung here).
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_AUTH_MODE": driver_auth_mode()}
    common = ["--num-cpus", "2", "--disable-usage-stats"]
    subprocess.run([RAY, "start", "--head", "--port", str(port), "--temp-dir", folder, "--include-dashboard", "false",
                    *common], check=True, env=env, capture_output=True)
    subprocess.run([RAY, "start", "--address", f"127.0.0.1:{port}", *common], check=True, env=env,
                   capture_output=True)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        if ray.is_initialized():
            ray.shutdown()
        for pid in cluster_processes(folder):
            kill(pid)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def server(cluster, tmp_path, monkeypatch):
    """A server's job manager and run store, as the dashboard builds them, with the cluster's address set."""
    monkeypatch.setenv("PROTSCOPE_RAY_ADDRESS", cluster)
    monkeypatch.delenv("PROTSCOPE_MAX_RUNS", raising=False)
    store = RunStore(tmp_path / "runs" / "protscope.db")
    return JobManager(tmp_path / "runs", store=store), store


def wait_for(check, timeout=90.0, what="the condition", every=0.1):
    """Wait until check() holds; past the timeout, fail with what the cluster was doing (CI keeps only the output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{cluster_report()}")


def cluster_report() -> str:
    """What the cluster was doing: its nodes and free resources as Ray sees them, and the tails of its daemons'
    logs and of what its workers printed to stderr (Ray's task-state API needs ray[default], not installed)."""
    lines = []
    try:
        lines += [f"node {n['NodeManagerAddress']} alive={n['Alive']} {n['Resources']}" for n in ray.nodes()]
        lines.append(f"free: {ray.available_resources()}")
    except Exception as error:  # the report must not hide the failure it reports
        lines.append(f"(could not ask the cluster: {error!r})")
    for log in sorted(Path(FOLDER).glob("session_latest/logs/*")):
        if log.name.startswith(("raylet.", "gcs_server.err", "python-core-driver", "worker-")) and \
                log.suffix != ".out" or log.name == "raylet.out":
            said = [line for line in log.read_text(errors="replace").splitlines() if not line.startswith(":")]
            if said:
                lines += [f"--- {log.name}", *said[-6:]]
    return "\n".join(lines)[-12000:]


def test_a_server_run_trains_on_the_cluster_streams_live_and_is_stored_like_a_local_run(server, tiny):
    jobs, store = server
    assert jobs.max_concurrent == 4  # two nodes of 2 CPUs, a CPU per run
    data, split = tiny["binary"]
    job = jobs.submit(config(epochs=100, batch_size=2), data, split, label="on the cluster")
    seen = set()

    def ended() -> bool:  # meanwhile: live epochs and batch progress arrive while it trains, not at the end
        snap = job.snapshot()
        seen.add((len(snap.history), snap.progress is not None))
        return job.done
    wait_for(ended, timeout=120, what="the run on the cluster to end", every=0.02)
    assert job.finished_recording.wait(60)
    result = job.result
    assert result.status == Status.COMPLETED and len(result.history) == 100, (result.message, job.snapshot().failed)
    assert any(0 < epochs < 100 for epochs, _ in seen), "no epoch arrived before the run ended"
    assert job.snapshot().progress is not None and job.snapshot().layer_records  # batch progress, layer health
    assert any("Ray task on the cluster's node" in note for note in job.snapshot().started.notes)  # says where
    assert Path(result.checkpoint).parent == jobs.runs_dir / job.run_id and Path(result.checkpoint).exists()
    assert set(result.predictions) == {"val", "test"}
    record = store.get_run(job.run_id)
    assert record["status"] == "completed" and record["checkpoint"] == result.checkpoint
    assert len(store.history(job.run_id)) == 100
    assert (jobs.runs_dir / job.run_id / "result.json").exists()


def test_four_runs_train_at_once_and_stop_pause_and_resume_reach_the_workers(server, tiny):
    jobs, _ = server
    data, split = tiny["binary"]
    runs = [jobs.submit(config(epochs=5000, batch_size=2), data, split) for _ in range(4)]
    wait_for(lambda: all(j.snapshot().status == Status.RUNNING and j.snapshot().history for j in runs),
             what="four runs training at once")
    paused = runs[0]
    paused.trainer.pause()
    wait_for(lambda: paused.snapshot().status == Status.PAUSED, what="the pause to reach the worker")
    held = len(paused.snapshot().history)
    time.sleep(1.5)
    assert len(paused.snapshot().history) <= held + 1  # at most the epoch it was finishing
    paused.trainer.resume()
    wait_for(lambda: paused.snapshot().status == Status.RUNNING, what="the resume to reach the worker")
    for job in runs:
        job.trainer.stop()
    for job in runs:
        wait_for(lambda job=job: job.done, what="the stopped runs to end")
        assert job.result.status == Status.STOPPED
        assert job.result.history  # its epochs are kept


def test_a_killed_worker_leaves_the_run_interrupted_with_its_epochs(server, tiny):
    jobs, store = server
    data, split = tiny["binary"]
    job = jobs.submit(config(epochs=5000, batch_size=2), data, split)
    wait_for(lambda: len(job.snapshot().history) >= 2, what="two epochs")
    workers = processes("ray::train_streaming")
    assert len(workers) == 1
    kill(workers[0])
    wait_for(lambda: job.done, what="the run to end once its worker was killed")
    assert job.finished_recording.wait(60)
    assert job.result.status == Status.INTERRUPTED and len(job.result.history) >= 2
    assert "Ray worker" in job.result.message and "epochs so far are kept" in job.result.message
    record = store.get_run(job.run_id)
    assert record["status"] == "interrupted" and len(store.history(job.run_id)) >= 2


def test_an_unreachable_cluster_is_named_with_what_to_do(monkeypatch):
    from protscope.errors import ProtScopeError
    from protscope.runs.ray_runs import connect

    if ray.is_initialized():
        ray.shutdown()
    with pytest.raises(ProtScopeError, match="could not reach the Ray cluster at 127.0.0.1:9") as caught:
        connect("127.0.0.1:9")
    assert "unset PROTSCOPE_RAY_ADDRESS" in caught.value.fix


@pytest.mark.skipif(not os.environ.get("PROTSCOPE_SLOW_TESTS"), reason="3.5 minutes on 2 cores (four browsers and "
                    "four runs): run it with PROTSCOPE_SLOW_TESTS=1; `make test` keeps to its 10 minutes")
def test_four_dashboard_runs_train_on_the_cluster_at_once_with_live_curves_in_the_browser(cluster, browser,
                                                                                          new_context, tmp_path):
    """The dashboard started with PROTSCOPE_RAY_ADDRESS: four students press Train; all four runs train at once on
    the cluster and every page redraws its own run's progress with no click."""
    import re

    from tests.e2e.browser import ARTIFACTS, start, wait_idle
    from tools.serve import Server

    server = start(Server(tmp_path / "runs", log=tmp_path / "server.log", PROTSCOPE_RAY_ADDRESS=cluster,
                          RAY_AUTH_MODE=driver_auth_mode()))
    contexts = [new_context(viewport={"width": 1500, "height": 1100}) for _ in range(4)]
    drawn = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].filter(
        c => [...c.querySelectorAll('path.js-line')].some(p => (p.getAttribute('d') || '').length > 40)).length >= 3"""
    try:
        pages = []
        for context in contexts:
            page = context.new_page()
            page.set_default_timeout(90_000)
            page.goto(server.url + "/train?model=mlp&encoding=aac&hidden=32&epochs=10000")
            page.get_by_role("button", name="Train", exact=True).click()
            pages.append(page)
        running = re.compile(r"running · epoch \d+")
        for page in pages:  # all four at once: none of them waits in a queue
            page.get_by_test_id("stProgress").get_by_text(running).wait_for()
        for page in pages:
            first = page.get_by_test_id("stProgress").inner_text()
            page.wait_for_function("(first) => document.querySelector('[data-testid=\"stProgress\"]').innerText "
                                   "!== first", arg=first)  # live: redrawn with no click
        assert all("Queued" not in page.inner_text("body") for page in pages)
        for page in pages:  # and its curves: lines drawn in the loss and metric charts, beside the schedule's
            page.wait_for_function(drawn)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)  # the page scrolls inside Streamlit's frame: show the run
        pages[0].get_by_role("heading", name=re.compile(r"^Run \d")).scroll_into_view_if_needed()
        pages[0].wait_for_function(drawn)  # drawn again after the scroll: a redraw on 2 busy cores takes a moment
        pages[0].screenshot(path=str(ARTIFACTS / "ray-run-live.png"))
        for page in pages:
            page.get_by_role("button", name="Stop", exact=True).click()
            page.get_by_text(re.compile("stopped")).first.wait_for()
            wait_idle(page)
    finally:
        server.stop()



def test_a_cluster_in_another_authentication_mode_is_named_not_left_hanging(cluster):
    """A dashboard started in the other mode than its cluster's (RAY_AUTH_MODE token against disabled, or the
    reverse) is told so when it connects, instead of submitting runs that never start."""
    other = "disabled" if driver_auth_mode() == "token" else "token"
    code = ("import protscope.runs.ray_runs as r; r.PROBE_S = 8\n"
            "from protscope.errors import ProtScopeError\n"
            f"try:\n    r.connect({cluster!r})\nexcept ProtScopeError as e:\n    print('REFUSED', e, e.fix)\n"
            "else:\n    print('CONNECTED')")
    began = time.monotonic()
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "RAY_AUTH_MODE": other}, timeout=120,
                         capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    assert "REFUSED" in out.stdout and "RAY_AUTH_MODE" in out.stdout, (out.stdout, out.stderr[-3000:])
    assert time.monotonic() - began < 45
