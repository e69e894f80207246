"""What the pages share: the server's job manager, cached datasets and splits, and the current
settings, kept in `st.session_state` under the config's own field names and mirrored in the URL.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from dataclasses import fields
from pathlib import Path

import streamlit as st

from core.config import DataConfig
from core.dataset import ProteinData
from core.datasets import config_for, load_bytes, load_data, load_manifest
from core.errors import ProtScopeError
from core.jobs import JobManager
from core.run_config import SECTIONS, RunConfig, locate
from core.splits import Split, make_split

DEFAULT_DATASET = "esol"
# A newcomer's first screen: the course notes' solubility CNN, short enough to watch to the end, with
# validation four times per eSOL epoch so the validation curve starts within seconds.
START = dict(model="cnn", encoding="tokens", embedding_dim=64, channels=128, kernel_size=5, layers=2,
             dropout=0.3, optimizer="adam", lr=1e-3, epochs=10, batch_size=32, validate_every=15)
# Data fields the Data page sets; the rest of the data section comes from the dataset itself.
DATA_FIELDS = ("task", "split", "val_fraction", "test_fraction", "identity", "split_seed", "max_length",
               "long_sequences", "unknown_residues", "binarize_at", "drop_split_overlap")
PAGE_KEYS = ("dataset", "source", "live_run", "eval_run", "eval_split", "threshold", "eval_normalised", "smoothing",
             "preset_choice", "predict_run")
COLUMN_FIELDS = ("id_col", "sequence_col", "label_col", "residue_label_col", "mask_col", "split_col")


def field_names() -> list[str]:
    """Every setting's key: section names for the `name` fields (model, optimizer...), else the field."""
    names = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            names.append(section if f.name == "name" else f.name)
    return [n for n in names if n not in ("dataset", "path", "label_path")]


def defaults() -> dict:
    config = RunConfig()
    out = {}
    for key in field_names():
        section, name = locate(key)
        out[key] = getattr(getattr(config, section), name)
    return out


def runs_folder() -> Path:
    return Path(os.environ.get("PROTSCOPE_RUNS", "runs"))


@st.cache_resource
def run_store():
    """The SQLite run store, opened once per server; runs left 'running' by a crash become 'interrupted'."""
    from core.store import open_store

    return open_store(os.environ.get("PROTSCOPE_DB") or runs_folder() / "protscope.db")


@st.cache_resource
def job_manager() -> JobManager:
    return JobManager(runs_folder(), store=run_store())


@st.cache_resource(show_spinner="Loading and validating the dataset…", max_entries=8)
def builtin_data(name: str, settings_json: str) -> ProteinData:
    base = DataConfig()  # only settings the user changed override the dataset's own (its task, say)
    changed = {k: v for k, v in _json(settings_json).items() if v != getattr(base, k)}
    cfg = DataConfig.from_dict({**config_for(name).to_dict(), **changed})
    return load_data(cfg)


# `digest` and `fingerprint` are the cache keys of the unhashed (underscored) arguments.
@st.cache_resource(show_spinner="Reading and validating your file…", max_entries=4)
def uploaded_data(digest: str, _content: bytes, filename: str, settings_json: str,  # noqa: ARG001
                  _labels: bytes | None = None) -> ProteinData:
    return load_bytes(_content, filename, DataConfig.from_dict(_json(settings_json)), label_data=_labels)


@st.cache_resource(show_spinner="Splitting into train, validation and test…", max_entries=8)
def cached_split(fingerprint: str,  # noqa: ARG001
                  settings_json: str, _data: ProteinData) -> Split:
    return make_split(_data, DataConfig.from_dict(_json(settings_json)))


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _json(text: str) -> dict:
    import json

    return json.loads(text)


def init_session() -> None:
    """Once per browser session: defaults, then whatever the URL says. Every run: keep widget values
    alive across pages (Streamlit drops the state of widgets not drawn on the current page)."""
    state = st.session_state
    if "session_id" not in state:
        state.session_id = uuid.uuid4().hex[:12]
        state.dataset = st.query_params.get("dataset", DEFAULT_DATASET)
        if state.dataset not in load_manifest():
            state.dataset = DEFAULT_DATASET
        state.url_problems = []
        for key, value in {**defaults(), **START}.items():
            state[key] = value
        for key, text in st.query_params.items():
            if key in state and key != "dataset":
                try:
                    state[key] = parse_value(key, text)
                except ProtScopeError as exc:
                    state.url_problems.append(f"Ignored `{key}={text}` from the link: {exc}")
    for key in (*field_names(), *PAGE_KEYS):
        if key in state:
            state[key] = state[key]


def parse_value(key: str, text: str):
    """A URL or text value converted to the field's type, checked by its section."""
    section, name = locate(key)
    cls = SECTIONS[section]
    return getattr(cls.from_dict({name: text}), name)


def settings() -> dict:
    return {key: st.session_state[key] for key in field_names() if key in st.session_state}


def data_settings() -> dict:
    """The Data page's choices as DataConfig fields (column overrides only for uploads)."""
    state = st.session_state
    values = {k: state[k] for k in DATA_FIELDS if k in state}
    if state.get("source") == "upload":
        values.update({k: state[k] for k in COLUMN_FIELDS if state.get(k)})
    return values


def current_config() -> RunConfig:
    """The run config the widgets describe. Raises ProtScopeError naming a bad field."""
    values = {k: v for k, v in settings().items() if k not in COLUMN_FIELDS}
    config = RunConfig().with_values(**values)
    data = config.data.replace(dataset=st.session_state.get("dataset", "")
                               if st.session_state.get("source", "builtin") == "builtin" else "")
    return config.replace(data=data)


def sync_url() -> None:
    """Mirror the settings that differ from the defaults in the address bar, so a link reproduces them."""
    base = defaults()
    wanted = {"dataset": st.session_state.get("dataset", DEFAULT_DATASET)}
    for key, value in settings().items():
        if key in COLUMN_FIELDS or value == base.get(key):
            continue
        wanted[key] = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)


def current_data() -> tuple[ProteinData | None, str]:
    """The dataset chosen on the Data page, and an error message when it cannot be loaded."""
    import json

    state = st.session_state
    values = json.dumps(data_settings(), sort_keys=True)
    try:
        if state.get("source") == "upload" and state.get("upload_bytes"):
            return uploaded_data(digest(state.upload_bytes + (state.get("label_bytes") or b"")),
                                 state.upload_bytes, state.upload_name, values, state.get("label_bytes")), ""
        return builtin_data(state.get("dataset", DEFAULT_DATASET), values), ""
    except ProtScopeError as exc:
        return None, str(exc)


def current_split(data: ProteinData) -> Split:
    import json

    split_values = {k: v for k, v in data_settings().items()
                    if k in ("split", "val_fraction", "test_fraction", "identity", "split_seed")}
    return cached_split(data.fingerprint(), json.dumps(split_values, sort_keys=True), data)
