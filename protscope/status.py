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


LIVE = (Status.QUEUED, Status.RUNNING, Status.PAUSED)  # a run in one of these may still change
