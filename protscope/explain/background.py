"""Long work on a finished run (the learned motifs: tens of seconds on a CPU) in a daemon thread a page polls.

    task = in_background(run_motifs, repo, run_id)      # `run_motifs` is called with progress=...
    task.progress, task.done, task.result, task.error   # from any thread, at any time

The thread never raises into the caller: a refusal (ProtScopeError) or a failure becomes `error`, in words.
"""
from __future__ import annotations

import threading
from collections.abc import Callable

from protscope.errors import ProtScopeError


class Background:
    """One call running in a daemon thread."""

    def __init__(self):
        self.result = None
        self.error = ""
        self._progress = 0.0
        self._lock = threading.Lock()
        self._done = threading.Event()

    @property
    def progress(self) -> float:
        with self._lock:
            return self._progress

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None):
        self._done.wait(timeout)
        return self.result

    def report(self, fraction: float) -> None:
        with self._lock:
            self._progress = max(self._progress, min(float(fraction), 1.0))

    def run(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        try:
            self.result = fn(*args, progress=self.report, **kwargs)
        except ProtScopeError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - the page polls for a message, never a traceback
            self.error = f"it failed with {type(exc).__name__}: {exc}"
        finally:
            self.report(1.0)
            self._done.set()


def in_background(fn: Callable, *args, **kwargs) -> Background:
    """Start `fn(*args, progress=..., **kwargs)` in a daemon thread and return at once."""
    task = Background()
    thread = threading.Thread(target=task.run, args=(fn, args, kwargs), name="explain-run", daemon=True)
    try:
        thread.start()
    except RuntimeError as exc:  # no thread could be started (a process limit)
        task.error = f"it could not start: {exc}"
        task.report(1.0)
        task._done.set()
    return task
