"""The run store's SQLite schema, as numbered migrations (PRAGMA user_version counts those applied).

Migration n takes the schema from version n-1 to n. Append; never edit one that has shipped, since
databases already at its version will not run it again.
"""
from __future__ import annotations

MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', config TEXT NOT NULL DEFAULT '{}',
            dataset TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL DEFAULT '', task TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', started REAL NOT NULL, ended REAL,
            device TEXT NOT NULL DEFAULT '', best_epoch INTEGER NOT NULL DEFAULT 0,
            metrics TEXT NOT NULL DEFAULT '{}', run_dir TEXT NOT NULL DEFAULT '',
            checkpoint TEXT NOT NULL DEFAULT '', parameters INTEGER NOT NULL DEFAULT 0, owner_pid INTEGER)""",
        "CREATE INDEX runs_by_status ON runs(status)",
        """CREATE TABLE epochs (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, epoch INTEGER NOT NULL,
            row TEXT NOT NULL, PRIMARY KEY (run_id, epoch)) WITHOUT ROWID""",
        """CREATE TABLE tags (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, tag TEXT NOT NULL,
            PRIMARY KEY (run_id, tag)) WITHOUT ROWID""",
        "CREATE INDEX tags_by_tag ON tags(tag)",
        """CREATE TABLE artifacts (
            run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, split TEXT NOT NULL, kind TEXT NOT NULL,
            data, PRIMARY KEY (run_id, split, kind))""",
    ),
    (
        # Whose run it is (a browser's owner id and the name its user gave, or the command line), where it
        # was started (dashboard, cli, sweep, ray), and the class names in index order, so a stored run can
        # be evaluated without its data.
        "ALTER TABLE runs ADD COLUMN owner TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN owner_name TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN origin TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE runs ADD COLUMN classes TEXT NOT NULL DEFAULT '[]'",
        "CREATE INDEX runs_by_owner ON runs(owner)",
        # What each browser holds in the dashboard (its data, settings and live run), so a reload, an
        # expired session or a server restart gives it back.
        """CREATE TABLE workspaces (
            owner TEXT PRIMARY KEY, state TEXT NOT NULL, updated REAL NOT NULL) WITHOUT ROWID""",
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)
