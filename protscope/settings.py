"""Every environment variable ProtScope reads, and the folders they point to: read here and nowhere else.

    PROTSCOPE_RUNS      the run folder (default: runs/ in the working directory)
    PROTSCOPE_DB        the run database (default: <run folder>/protscope.db)
    PROTSCOPE_MAX_RUNS  runs that may train at once on this server (default: one per 4 cores)
    PROTSCOPE_MAX_JOBS  runs queued or training at once, all sessions together (default 200)
    PROTSCOPE_NOTES     the course notes' folder, whose sections the lessons quote (default ../shared/seeds)

Each is read when asked for, not at import, so a test or a server started with a different value
sees its own.
"""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # the checkout: sample_data/ and ../shared live beside it
SAMPLE_DIR = PROJECT_ROOT / "sample_data"
DB_NAME = "protscope.db"
# Runs queued or training at once, all sessions together: a closed tab's runs keep going (they are
# the server's), so this bounds what abandoned pages and runaway sweeps can pile up.
MAX_ACTIVE_JOBS = 200


def notes_dir() -> Path:
    return Path(os.environ.get("PROTSCOPE_NOTES") or PROJECT_ROOT.parent / "shared" / "seeds")


def runs_dir() -> Path:
    return Path(os.environ.get("PROTSCOPE_RUNS") or "runs")


def db_path() -> Path:
    return Path(os.environ["PROTSCOPE_DB"]) if os.environ.get("PROTSCOPE_DB") else runs_dir() / DB_NAME


def _whole_number(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return max(1, int(value)) if value.isdigit() else None


def max_parallel_runs() -> int | None:
    """PROTSCOPE_MAX_RUNS, or None for the engine's own choice."""
    return _whole_number("PROTSCOPE_MAX_RUNS")


def ray_address() -> str:
    """PROTSCOPE_RAY_ADDRESS: the Ray cluster that trains the server's runs (host:port, or "auto" for the one
    this machine belongs to); empty: they train here."""
    return os.environ.get("PROTSCOPE_RAY_ADDRESS", "").strip()


def max_active_jobs() -> int:
    return _whole_number("PROTSCOPE_MAX_JOBS") or MAX_ACTIVE_JOBS


def training_niceness() -> int:
    """PROTSCOPE_TRAIN_NICE: how much lower than the web server's the CPU priority of a server job's training
    thread is (Linux nice, 0-19; default 10), so pages stay quick while runs train. 0 keeps them equal."""
    value = os.environ.get("PROTSCOPE_TRAIN_NICE", "").strip()
    return min(19, int(value)) if value.isdigit() else 10


def max_jobs_per_owner() -> int:
    """PROTSCOPE_MAX_RUNS_PER_STUDENT: queued or training runs one owner may have at once (0 or unset: no limit;
    a class server sets 1, so 30 students share the slots fairly). The instructor's runs are not counted."""
    return _whole_number("PROTSCOPE_MAX_RUNS_PER_STUDENT") or 0
