"""The run store: every training run, its epochs, tags and artifacts, kept in one SQLite file.

    store = open_store()                              # runs/protscope.db (PROTSCOPE_DB overrides)
    record_in_background(trainer, store, name="cnn baseline")   # protscope.runs.recorder: written as it trains
    store.list_runs(status="completed", tag="esol")
    store.history(run_id)                             # epoch rows, each committed as its epoch ended
    store.histories(run_ids)                          # {run_id: rows} for many runs in one read

WAL mode lets readers (the dashboard, `python -m protscope runs list`) read while training threads
write. Writes take the write lock up front (BEGIN IMMEDIATE) and wait for it (busy_timeout), so a
busy database makes a writer wait instead of failing with "database is locked". sqlite3
connections may not cross threads, so each thread opens its own.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from protscope import settings
from protscope.errors import ProtScopeError
from protscope.runs.schema import MIGRATIONS, SCHEMA_VERSION
from protscope.serialise import clean_json
from protscope.status import LIVE, Status

DB_NAME = settings.DB_NAME
BUSY_TIMEOUT_MS = 30_000
POLL_SECONDS = 0.25  # how often record() looks for new events: an epoch reaches the database this soon after it ends
INTERRUPTED_MESSAGE = "the server stopped before the run ended; its epochs so far are kept"


# Runs this process is recording now: mark_interrupted must leave them alone.
RECORDING: set[str] = set()  # ids of runs this process is recording (protscope.runs.recorder)
RECORDING_LOCK = threading.Lock()


def runs_dir() -> Path:
    return settings.runs_dir()


def default_db_path() -> Path:
    return settings.db_path()


def open_store(path: str | Path | None = None, recover: bool = True) -> RunStore:
    """The store at `path` (default_db_path() if None); with `recover`, runs a stopped process left
    running are marked interrupted. Applications call this once when they start."""
    store = RunStore(path)
    if recover:
        store.mark_interrupted()
    return store


class RunStore:
    def __init__(self, path: str | Path | None = None, runs_root: str | Path | None = None):
        self.path = Path(path) if path else default_db_path()
        self.runs_root = Path(runs_root) if runs_root else self.path.parent  # delete() removes folders only here
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._connection().execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise ProtScopeError(f"cannot open the run database ({exc})", where=str(self.path),
                                 fix="check the path is a writable file location, or choose another with --db") from exc

    # --- connections and schema -------------------------------------------------------------------
    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, isolation_level=None)  # transactions are begun explicitly
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA synchronous = NORMAL")  # safe with WAL: a power cut loses at most the last commits
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
        return conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One snapshot for several SELECTs, so a run and its tags agree."""
        conn = self._connection()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def schema_version(self) -> int:
        return self._connection().execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        if self.schema_version() == SCHEMA_VERSION:
            return
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have migrated
            if version > SCHEMA_VERSION:
                raise ProtScopeError(f"the run database has schema version {version}, newer than this ProtScope's "
                                     f"{SCHEMA_VERSION}", where=str(self.path),
                                     fix="update ProtScope, or use another database with --db")
            for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- writing ----------------------------------------------------------------------------------
    def create_run(self, run_id: str, name: str, config: dict, dataset: str, fingerprint: str, task: str,
                   run_dir: str | Path | None, device: str = "", parameters: int = 0, status: str = Status.RUNNING,
                   started: float | None = None, tags: Iterable[str] = (), owner: str = "", owner_name: str = "",
                   origin: str = "", classes: Iterable[str] = ()) -> None:
        """Add a run; creating one that exists (e.g. queued earlier) updates it, keeping its name, owner,
        origin and classes where none are given."""
        keep = "CASE WHEN excluded.{0} IN ('', '[]') THEN {0} ELSE excluded.{0} END"
        with self._write() as conn:
            conn.execute(
                f"""INSERT INTO runs (id, name, config, dataset, fingerprint, task, run_dir, device, parameters,
                       status, started, owner_pid, owner, owner_name, origin, classes)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET name = {keep.format("name")},
                       config = excluded.config, dataset = excluded.dataset, fingerprint = excluded.fingerprint,
                       task = excluded.task, run_dir = excluded.run_dir, device = excluded.device,
                       parameters = excluded.parameters, status = excluded.status, started = excluded.started,
                       owner_pid = excluded.owner_pid, owner = {keep.format("owner")},
                       owner_name = {keep.format("owner_name")}, origin = {keep.format("origin")},
                       classes = {keep.format("classes")}""",
                (run_id, name.strip(), _json(config), dataset, fingerprint, task, _absolute(run_dir), device,
                 int(parameters), status, started or time.time(), os.getpid(), owner, owner_name.strip(), origin,
                 _json(list(classes))))
            conn.executemany("INSERT OR IGNORE INTO tags VALUES (?, ?)", [(run_id, _tag(t)) for t in tags])

    def add_epoch(self, run_id: str, row: dict) -> None:
        """Store one epoch's history row (EpochEnd.row()), committed at once."""
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("INSERT OR REPLACE INTO epochs VALUES (?, ?, ?)", (run_id, int(row["epoch"]), _json(row)))

    def set_status(self, run_id: str, status: str) -> None:
        self._update(run_id, "status = ?", status)

    def finish_run(self, run_id: str, status: str, message: str, best_epoch: int = 0, metrics: dict | None = None,
                   checkpoint: str = "", ended: float | None = None) -> None:
        self._update(run_id, "status = ?, message = ?, best_epoch = ?, metrics = ?, checkpoint = ?, ended = ?",
                     status, message, int(best_epoch), _json(metrics or {}), _absolute(checkpoint),
                     ended or time.time())

    def mark_interrupted(self) -> int:
        """Runs still marked queued, running or paused that no live process is recording become
        "interrupted", their epochs kept. Returns how many."""
        with self._write() as conn:
            marks = ",".join("?" * len(LIVE))
            rows = conn.execute(f"SELECT id, owner_pid FROM runs WHERE status IN ({marks})", LIVE)
            stale = [r["id"] for r in rows.fetchall() if not _being_recorded(r["id"], r["owner_pid"])]
            conn.executemany("UPDATE runs SET status = 'interrupted', message = ? WHERE id = ?",
                             [(INTERRUPTED_MESSAGE, run_id) for run_id in stale])
        return len(stale)

    def set_owner_name(self, owner: str, name: str) -> None:
        """The name shown for `owner` on every run of theirs (a user renamed themselves)."""
        with self._write() as conn:
            conn.execute("UPDATE runs SET owner_name = ? WHERE owner = ?", (name.strip(), owner))

    def save_workspace(self, owner: str, state: dict) -> None:
        """Keep what a browser holds in the dashboard (JSON-safe values), replacing what was kept."""
        with self._write() as conn:
            conn.execute("INSERT OR REPLACE INTO workspaces VALUES (?, ?, ?)", (owner, _json(state), time.time()))

    def load_workspace(self, owner: str) -> dict | None:
        row = self._connection().execute("SELECT state FROM workspaces WHERE owner = ?", (owner,)).fetchone()
        return json.loads(row["state"]) if row else None

    def rename(self, run_id: str, name: str) -> None:
        self._update(run_id, "name = ?", name.strip())

    def tag(self, run_id: str, tag: str) -> None:
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("INSERT OR IGNORE INTO tags VALUES (?, ?)", (run_id, _tag(tag)))

    def untag(self, run_id: str, tag: str) -> None:
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("DELETE FROM tags WHERE run_id = ? AND tag = ?", (run_id, tag.strip()))

    def save_artifact(self, run_id: str, split: str, kind: str, data) -> None:
        """Keep `data` (bytes, or lists, dicts and numbers: not numpy arrays) as the run's `kind` for `split`."""
        value = data if isinstance(data, bytes) else _json(data)
        with self._write() as conn:
            self._require(conn, run_id)
            conn.execute("INSERT OR REPLACE INTO artifacts VALUES (?, ?, ?, ?)", (run_id, split, kind, value))

    def delete(self, run_id: str, files: bool = True) -> bool:
        """Remove the run; with `files`, also its folder if that lies inside the runs folder. True if a
        folder was removed."""
        folder = self.get_run(run_id)["run_dir"]
        with self._write() as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))
        if not (files and folder and self._removable(Path(folder))):
            return False
        try:
            shutil.rmtree(folder)
        except OSError as exc:
            raise ProtScopeError(f"the run is deleted but its folder could not be removed ({exc})", where=folder,
                                 fix="remove the folder by hand") from exc
        return True

    # --- reading ----------------------------------------------------------------------------------
    def list_runs(self, status: str | None = None, tag: str | None = None, name_contains: str | None = None,
                  dataset: str | None = None, owner: str | None = None) -> list[dict]:
        """Runs, newest first; `name_contains` matches names and ids, ignoring case."""
        clauses = {"status = ?": [status], "dataset = ?": [dataset], "owner = ?": [owner],
                   "id IN (SELECT run_id FROM tags WHERE tag = ?)": [tag.strip() if tag else None],
                   "(instr(lower(name), lower(?)) > 0 OR instr(lower(id), lower(?)) > 0)": [name_contains] * 2}
        chosen = {sql: values for sql, values in clauses.items() if values[0]}
        return self._runs(" AND ".join(chosen) or "1", [value for values in chosen.values() for value in values])

    def get_run(self, run_id: str) -> dict:
        runs = self._runs("id = ?", [run_id])
        if not runs:
            raise self._unknown(run_id)
        return runs[0]

    def history(self, run_id: str) -> list[dict]:
        """The run's epoch rows in order (NaN values read back as None)."""
        return self.histories([run_id])[run_id]

    def histories(self, run_ids: Iterable[str]) -> dict[str, list[dict]]:
        """{run_id: history(run_id)} for several runs, in the order given, read in one query."""
        texts: dict[str, list[str]] = {run_id: [] for run_id in run_ids}
        with self._read() as conn:
            for run_id in texts:
                self._require(conn, run_id)
            cursor = conn.cursor()
            cursor.row_factory = None  # plain tuples: sqlite3.Row costs more than the query for thousands of rows
            # The ids as one JSON parameter, however many runs: SQLite caps the number of ? in a statement.
            for run_id, text in cursor.execute("SELECT run_id, row FROM epochs WHERE run_id IN (SELECT value FROM "
                                               "json_each(?)) ORDER BY run_id, epoch", (json.dumps(list(texts)),)):
                texts[run_id].append(text)
        # Every row is a JSON object, so a run's rows joined by commas are one JSON array: one decode per run.
        return {run_id: json.loads(f"[{','.join(rows)}]") for run_id, rows in texts.items()}

    def artifacts(self, run_id: str) -> list[dict]:
        """[{"split", "kind", "data"}] for the run, data as saved."""
        with self._read() as conn:
            self._require(conn, run_id)
            rows = conn.execute("SELECT split, kind, data FROM artifacts WHERE run_id = ? ORDER BY split, kind",
                                (run_id,)).fetchall()
        return [{"split": r["split"], "kind": r["kind"], "data": _loaded(r["data"])} for r in rows]

    def artifact(self, run_id: str, split: str, kind: str):
        """One artifact's data, or None if the run has none of that kind for that split."""
        row = self._connection().execute("SELECT data FROM artifacts WHERE run_id = ? AND split = ? AND kind = ?",
                                         (run_id, split, kind)).fetchone()
        return None if row is None else _loaded(row["data"])

    # --- helpers ----------------------------------------------------------------------------------
    def _runs(self, where: str, params: list) -> list[dict]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT *, (SELECT count(*) FROM epochs WHERE run_id = runs.id) AS epochs "
                                f"FROM runs WHERE {where} ORDER BY started DESC, id DESC", params).fetchall()
            tags: dict[str, list[str]] = {}
            for run_id, tag in conn.execute("SELECT run_id, tag FROM tags ORDER BY tag"):
                tags.setdefault(run_id, []).append(tag)
        return [_run_dict(row, tags.get(row["id"], [])) for row in rows]

    def _update(self, run_id: str, assignments: str, *values) -> None:
        with self._write() as conn:
            if conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?", (*values, run_id)).rowcount == 0:
                raise self._unknown(run_id)

    def _require(self, conn: sqlite3.Connection, run_id: str) -> None:
        if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
            raise self._unknown(run_id)

    def _unknown(self, run_id: str) -> ProtScopeError:
        return ProtScopeError(f"no run '{run_id}' in the run store", where=str(self.path),
                              fix="see the recorded runs with `python -m protscope runs list` "
                                  "(add --db for another store)")

    def _removable(self, folder: Path) -> bool:
        """Only a real folder strictly inside the runs folder, not holding the database: a stored path
        must never lead rmtree elsewhere (resolve() follows symlinks out)."""
        root, target = self.runs_root.resolve(), folder.resolve()
        return (folder.is_dir() and not folder.is_symlink() and target != root and target.is_relative_to(root)
                and not self.path.resolve().is_relative_to(target))


def _run_dict(row: sqlite3.Row, tags: list[str]) -> dict:
    run = dict(row)
    del run["owner_pid"]
    # `reason` repeats the message under the name the CLI's JSON and the compare helpers read.
    return {**run, "config": json.loads(run["config"]), "metrics": json.loads(run["metrics"]), "tags": tags,
            "classes": json.loads(run["classes"]), "reason": run["message"]}


def _json(value) -> str:
    return json.dumps(clean_json(value), allow_nan=False)


def _loaded(data):
    return data if isinstance(data, bytes) else json.loads(data)


def _absolute(path: str | Path | None) -> str:
    """Stored absolute, so delete() and the dashboard find it whatever their working folder."""
    return str(Path(path).resolve()) if path else ""


def _tag(tag: str) -> str:
    tag = tag.strip()
    if not tag:
        raise ProtScopeError("empty tag", fix="give a tag with at least one character, e.g. baseline")
    return tag


def _being_recorded(run_id: str, pid: int | None) -> bool:
    """Whether a run marked live is still recorded: by this process, or by another process still alive."""
    if pid is None:
        return False
    if pid == os.getpid():
        with RECORDING_LOCK:
            return run_id in RECORDING
    if os.name == "nt":
        return False  # os.kill(pid, 0) would end the process on Windows, not probe it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but another user's
    return True
