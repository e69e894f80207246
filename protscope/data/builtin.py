"""Load data for a DataConfig: a built-in dataset from the manifest, a file, or uploaded bytes.

The manifest (`sample_data/datasets.toml`) names each built-in dataset with its files, columns,
task and published split. `config_for(name)` gives a DataConfig filled in from it, so a run's saved
config says exactly which columns and task were used.
"""
from __future__ import annotations

import gc
import hashlib
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from pathlib import Path

from protscope import settings
from protscope.config.sections import DataConfig
from protscope.data.columns import ColumnMap, Records, concat, detect_columns, join_labels, standardise
from protscope.data.dataset import ProteinData, build_dataset
from protscope.data.multilabel import label_columns, unused_binary_columns
from protscope.data.readers import RawTable, read_bytes, read_path
from protscope.errors import ProtScopeError

SAMPLE_DIR = settings.SAMPLE_DIR
MANIFEST = SAMPLE_DIR / "datasets.toml"
COLUMN_FIELDS = {"id": "id_col", "sequence": "sequence_col", "label": "label_col",
                 "residue_label": "residue_label_col", "mask": "mask_col", "split": "split_col"}


@dataclass(frozen=True)
class DatasetFile:
    path: str
    split: str = ""  # every row of this file goes to this split
    mask_col: str = ""  # overrides the dataset's mask column for this file
    sha256: str = ""  # the file's content hash, checked when it is read (derived files carry one)


@dataclass(frozen=True)
class DatasetSpec:
    """One built-in dataset as described in the manifest."""

    name: str
    title: str
    task: str
    files: tuple[DatasetFile, ...]
    description: str = ""
    citation: str = ""
    columns: dict = field(default_factory=dict)  # DataConfig column fields, e.g. label_col
    split_values: dict = field(default_factory=dict)
    drop_split_overlap: bool = False
    class_names: dict = field(default_factory=dict)  # label as written -> the name pages show
    wild_type: str = ""  # variants of one protein: the id of the wild-type row (mutation effects compare to it)


@lru_cache(maxsize=4)
def load_manifest(path: Path = MANIFEST) -> dict[str, DatasetSpec]:
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProtScopeError(f"cannot read the dataset manifest ({exc})", where=str(path)) from None
    specs = {}
    for name, entry in raw.items():
        entry = dict(entry)
        files = tuple(DatasetFile(**f) for f in entry.pop("files"))
        columns = {k: entry.pop(k) for k in list(entry) if k in DataConfig.fields_in("columns")}
        specs[name] = DatasetSpec(name=name, files=files, columns=columns, **entry)
    return specs


def dataset_names() -> list[str]:
    return list(load_manifest())


def get_spec(name: str) -> DatasetSpec:
    specs = load_manifest()
    if name not in specs:
        raise ProtScopeError(f"there is no built-in dataset '{name}'",
                             fix=f"choose one of: {', '.join(specs)}")
    return specs[name]


def config_for(name: str, **overrides) -> DataConfig:
    """A DataConfig for a built-in dataset, with its manifest columns, task and split settings."""
    spec = get_spec(name)
    values = {"dataset": name, "task": spec.task, "drop_split_overlap": spec.drop_split_overlap,
              **spec.columns, **overrides}
    return DataConfig.from_dict(values)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file becomes tables and arrays.

    Parsing makes container objects for every row (lists of cells) but no reference cycles, and each
    full collection those allocations set off walks every object the process holds: with torch (and
    the dashboard) loaded, 0.1-0.2 s each. That made loading 30k proteins 5x the time of 10k, not 3x.
    It is left off if something else turned it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _collector_paused(load):
    @wraps(load)
    def paused(*args, **kwargs):
        with collector_paused():
            return load(*args, **kwargs)
    return paused


@_collector_paused
def load_data(cfg: DataConfig) -> ProteinData:
    """Load, validate and tokenise the data a DataConfig names."""
    if cfg.dataset:
        return _load_builtin(cfg)
    if not cfg.path:
        raise ProtScopeError("no data given", fix="choose a built-in dataset or a file")
    table = read_checked(cfg.path, cfg.sha256, cfg.max_rows)
    labels = read_checked(cfg.label_path, cfg.label_sha256, cfg.max_rows) if cfg.label_path else None
    return _from_tables(table, labels, cfg)


def read_checked(path: str, sha256: str, max_rows: int) -> RawTable:
    """Read a file; with a content hash (a dashboard upload's config names its file and hash), only the
    very file the config was made with is accepted, and a missing one is named with its hash."""
    if not sha256:
        return read_path(path, max_rows=max_rows)
    file = Path(path)
    if not file.is_file():
        raise ProtScopeError(f"this config needs the file '{file.name}' (sha256 {sha256[:12]}…), which is not here",
                             where=str(path), fix="put that file next to the config file or in this folder, or "
                                                  "train on another file with --data PATH")
    content = file.read_bytes()
    found = hashlib.sha256(content).hexdigest()
    if found != sha256:
        raise ProtScopeError(f"'{file.name}' is not the file this config was made with: its content hash is "
                             f"{found[:12]}…, the config's {sha256[:12]}…", where=str(path),
                             fix="use the original file, or pass --data PATH to train on this one anyway")
    return read_bytes(content, file.name, max_rows=max_rows)


@_collector_paused
def load_bytes(data: bytes, filename: str, cfg: DataConfig, label_data: bytes | None = None,
               label_filename: str = "labels.csv", require_labels: bool = True) -> ProteinData:
    """Load an uploaded file (and optional label CSV) given as bytes."""
    table = read_bytes(data, filename, max_rows=cfg.max_rows)
    labels = read_bytes(label_data, label_filename, max_rows=cfg.max_rows) if label_data else None
    return _from_tables(table, labels, cfg, require_labels)


def read_columns(data: bytes, filename: str) -> tuple[list[str], ColumnMap]:
    """The columns of an uploaded file and the roles ProtScope would give them (for the UI)."""
    table = read_bytes(data, filename).with_header_labels()
    return table.columns, detect_columns(table)


def _from_tables(table: RawTable, labels: RawTable | None, cfg: DataConfig,
                 require_labels: bool = True) -> ProteinData:
    table = combined(table, labels, cfg.id_col)
    columns = detect_columns(table, _overrides(cfg), label_columns(cfg.label_cols))
    return build_dataset(standardise(table, columns), cfg, name=table.source,
                         notes=[*table.notes, *unused_binary_columns(table, columns)], require_labels=require_labels)


def combined(table: RawTable, labels: RawTable | None, id_col: str = "") -> RawTable:
    """One table from a sequence file and its label file; without one, the labels its headers carry."""
    if labels is None:
        return table.with_header_labels()
    if table.kind != "records":
        raise ProtScopeError("a separate label file is only used with a file of sequence records "
                             f"(FASTA, GenBank ...); this is {table.format}", where=labels.source,
                             fix="put the labels in a column of the table instead")
    return join_labels(table, labels, id_col if id_col in labels.values else "")


def _overrides(cfg: DataConfig) -> dict[str, str]:
    return {role: getattr(cfg, name) for role, name in COLUMN_FIELDS.items()}


def _load_builtin(cfg: DataConfig) -> ProteinData:
    spec = get_spec(cfg.dataset)
    parts, notes = [], []
    for file in spec.files:
        table = _read_sample(file, cfg.max_rows)
        overrides = _overrides(cfg)
        if file.mask_col:
            overrides["mask"] = file.mask_col
        if file.split:
            overrides.pop("split")
        columns = detect_columns(table, overrides, label_columns(cfg.label_cols))
        parts.append(standardise(table, columns, forced_split=file.split))
        notes += table.notes
    records: Records = concat(parts)
    data = build_dataset(records, cfg, name=cfg.dataset, split_values=spec.split_values, notes=notes)
    named = spec.class_names and data.classes and set(data.classes) <= set(spec.class_names)
    return data.named(spec.class_names) if named else data


def _read_sample(file: DatasetFile, max_rows: int) -> RawTable:
    """A built-in file; one the manifest gives a sha256 (a derived file) must be exactly the one it names."""
    path = SAMPLE_DIR / file.path
    if not file.sha256 or not path.is_file():
        return read_path(path, max_rows=max_rows)
    content = path.read_bytes()
    found = hashlib.sha256(content).hexdigest()
    if found != file.sha256:
        raise ProtScopeError(f"the built-in file {file.path} is not the one the manifest names: its sha256 is "
                             f"{found[:12]}…, the manifest's {file.sha256[:12]}…", where=str(path),
                             fix="restore sample_data from the repository, or run the script that made the file")
    return read_bytes(content, path.name, max_rows=max_rows)
