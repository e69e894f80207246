"""Long work (a sanity check, an explanation, the learned motifs: seconds to minutes on a CPU) in a daemon thread
that a page polls.

    task = in_background(run_motifs, repo, run_id)      # `run_motifs` is called with progress=...
    task.progress, task.done, task.result, task.error   # from any thread, at any time
    task.stop()                                         # asks work that reads `should_stop` to end early

The thread never raises into the caller: a refusal (ProtScopeError) or a failure becomes `error`, in words.
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable

from protscope.errors import ProtScopeError


class Background:
    """One call running in a daemon thread; `failed` begins the words of an unexpected error."""

    def __init__(self, failed: str = "it failed"):
        self.started = time.time()
        self.finished: float | None = None
        self.result = None
        self.error = ""
        self._failed = failed
        self._progress = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()

    @property
    def progress(self) -> float:
        with self._lock:
            return self._progress

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def stop(self) -> None:
        self._stop.set()

    def stop_requested(self) -> bool:
        return self._stop.is_set()

    def wait(self, timeout: float | None = None):
        self._done.wait(timeout)
        return self.result

    def report(self, fraction: float) -> None:
        with self._lock:
            self._progress = max(self._progress, min(float(fraction), 1.0))

    def fail(self, message: str) -> None:
        """End now with `message`, the call not run (or not started)."""
        self.error = message
        self._finish()

    def run(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        try:
            self.result = fn(*args, progress=self.report, **kwargs)
        except ProtScopeError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the page polls for a message, never a traceback
            self.error = f"{self._failed} with {type(exc).__name__}: {exc}"
        finally:
            self._finish()

    def _finish(self) -> None:
        self.report(1.0)
        self.finished = time.time()
        self._done.set()


def in_background(fn: Callable, *args, task: Background | None = None, name: str = "background",
                  **kwargs) -> Background:
    """Start `fn(*args, progress=..., **kwargs)` in a daemon thread (as `task`, when given) and return at once."""
    task = task or Background()
    thread = threading.Thread(target=task.run, args=(fn, args, kwargs), name=name, daemon=True)
    try:
        thread.start()
    except RuntimeError as exc:  # no thread could be started (a process limit)
        task.fail(f"it could not start: {exc}")
    return task
