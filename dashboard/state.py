"""What the pages share: the server's run store, job manager and run repository, and the data and
split the session's Workspace (dashboard/logic/workspace.py) names, loaded once and cached.
"""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from dashboard.logic.workspace import COLUMN_FIELDS, SPLIT_FIELDS, Workspace
from protscope import settings
from protscope.config.sections import DataConfig
from protscope.data.builtin import config_for, load_bytes, load_data
from protscope.data.dataset import ProteinData
from protscope.data.splits import Split, make_split
from protscope.errors import ProtScopeError
from protscope.runs.jobs import JobManager
from protscope.runs.repository import RunRepository

# The data settings that change what is loaded (the split settings change only the split).
READING_FIELDS = DataConfig.fields_in("reading")


def runs_folder() -> Path:
    return settings.runs_dir()


def uploads_folder() -> Path:
    return runs_folder() / "uploads"


@st.cache_resource
def run_store():
    """The SQLite run store, opened once per server; runs left 'running' by a crash become 'interrupted'."""
    from protscope.runs.store import open_store

    return open_store(settings.db_path())


@st.cache_resource
def job_manager() -> JobManager:
    return JobManager(runs_folder(), store=run_store())


@st.cache_resource
def broadcast():
    """The run the instructor broadcasts to the Class page, one per server (protscope/runs/classroom.py)."""
    from protscope.runs.classroom import Broadcast

    return Broadcast()


def repository() -> RunRepository:
    """Every run every page shows: the store's, with this server's live jobs for their status."""
    return RunRepository(run_store(), job_manager())


@st.cache_resource(show_spinner="Loading and validating the dataset…", max_entries=8)
def builtin_data(name: str, settings_json: str) -> ProteinData:
    base = DataConfig()  # only settings the user changed override the dataset's own (its task, say)
    changed = {k: v for k, v in json.loads(settings_json).items() if v != getattr(base, k)}
    cfg = DataConfig.from_dict({**config_for(name).to_dict(), **changed})
    return load_data(cfg)


# The content hashes key the cache; the stored copies are read only when a file is not cached yet.
@st.cache_resource(show_spinner="Reading and validating your file…", max_entries=4)
def uploaded_data(sha256: str, stored: str, filename: str, settings_json: str, label_sha256: str = "",  # noqa: ARG001
                  label_stored: str = "", label_name: str = "") -> ProteinData:
    labels = Path(label_stored).read_bytes() if label_stored else None
    return load_bytes(Path(stored).read_bytes(), filename, DataConfig.from_dict(json.loads(settings_json)),
                      label_data=labels, label_filename=label_name or "labels.csv")


@st.cache_resource(show_spinner="Splitting into train, validation and test…", max_entries=8)
def cached_split(fingerprint: str, settings_json: str, _data: ProteinData) -> Split:  # noqa: ARG001
    return make_split(_data, DataConfig.from_dict(json.loads(settings_json)))


def reading_settings(ws: Workspace) -> dict:
    """The Data page's reading choices as DataConfig fields (column choices only for uploads)."""
    values = {k: ws.settings[k] for k in READING_FIELDS}
    if ws.source == "upload":
        values.update({k: ws.settings[k] for k in COLUMN_FIELDS if ws.settings[k]})
    return values


def current_data(ws: Workspace) -> tuple[ProteinData | None, str]:
    """The data the workspace names, and a message when there is none or it cannot be loaded."""
    values = json.dumps(reading_settings(ws), sort_keys=True)
    try:
        if ws.source == "upload":
            if ws.upload is None:
                wanted = f" (the link was made with **{ws.wanted['name']}**)" if ws.wanted else ""
                return None, f"No file uploaded yet{wanted}: upload one on the Data page, or choose a built-in dataset."
            if not Path(ws.upload.stored).is_file():
                return None, (f"The server no longer has your file **{ws.upload.name}** (its copy was removed): "
                              "upload it again on the Data page.")
            labels = ws.labels
            return uploaded_data(ws.upload.sha256, ws.upload.stored, ws.upload.name, values,
                                 labels.sha256 if labels else "", labels.stored if labels else "",
                                 labels.name if labels else ""), ""
        return builtin_data(ws.dataset, values), ""
    except (ProtScopeError, OSError) as exc:
        return None, str(exc)


def current_split(ws: Workspace, data: ProteinData) -> Split:
    values = {k: ws.settings[k] for k in SPLIT_FIELDS}
    return cached_split(data.fingerprint(), json.dumps(values, sort_keys=True), data)
