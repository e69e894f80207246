"""The status of a run, from queued to its end: one enum for the trainer, the run store, the command
line and the dashboard.

A `StrEnum`: each member is its own name as a string ("completed"), so the store's text column, the
saved JSON and the command line's output read the same as before, and `status == "failed"` still holds.
"""
from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"  # waiting for a free slot (jobs.py runs at most a few at once)
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"  # trained every epoch asked for
    EARLY_STOPPED = "early_stopped"  # the monitored metric stopped improving for `patience` epochs
    STOPPED = "stopped"  # the user pressed Stop
    DIVERGED = "diverged"  # the loss or a gradient became NaN or infinite
    FAILED = "failed"  # an exception: its message is kept
    INTERRUPTED = "interrupted"  # the server stopped while it trained; the store says so when it reopens

    @property
    def live(self) -> bool:
        return self in LIVE

    @property
    def ended_early(self) -> bool:
        """Ended for a reason other than reaching its last epoch or early stopping."""
        return self in (Status.STOPPED, Status.DIVERGED, Status.FAILED, Status.INTERRUPTED)


LIVE = (Status.QUEUED, Status.RUNNING, Status.PAUSED)
ENDED = tuple(s for s in Status if s not in LIVE)
