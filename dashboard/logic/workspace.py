"""What one browser holds in the dashboard: its data, every setting and its live run, in one object.

Widgets only show and edit a Workspace; they never hold a setting themselves. Streamlit forgets a
widget's value when the widget is not drawn in a rerun, and a rerun of a fragment on a page that
does not draw the settings (Compare's live curves, ticking while another user trains) dropped
every setting to its widget's minimum (docs/SESSIONS.md explains how). A setting in a
Workspace changes only through `set()`, called by the user's own widget callback, a preset, a link
or the learning-rate finder's button, and every change is counted in `changes`.

No Streamlit here: tests build, change and serialise workspaces directly.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass, field, fields

from dashboard.logic.setting_values import default_settings, parse_setting, read_settings
from protscope.config.run_config import RunConfig
from protscope.config.sections import DataConfig
from protscope.errors import ProtScopeError

DEFAULT_DATASET = "esol"
COLUMN_FIELDS = DataConfig.fields_in("columns")
SPLIT_FIELDS = DataConfig.fields_in("split")
LINK_DATA = ("dataset", "path", "sha256", "label_path", "label_sha256")  # data keys a link may carry
# A lesson link's own keys: the settings it fixes (shown, not editable) and those it also hides (comma lists).
LINK_EXERCISE = ("lock", "hide")


def named_columns(key: str, value: str) -> set[str]:
    """The columns a column setting names: one, or for label_cols a comma-separated list."""
    return {name.strip() for name in value.split(",") if name.strip()} if key == "label_cols" else {value}


@dataclass(frozen=True)
class StoredFile:
    """An uploaded file: its name (a label only, never a path), size, content hash and stored copy."""

    name: str
    sha256: str
    size: int
    stored: str  # where the server keeps the bytes (content-addressed, under the runs folder)
    uploaded: float

    @property
    def short(self) -> str:
        return self.sha256[:12]


def show(value) -> str:
    if value is None or value == "":
        return "(none)"
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class Workspace:
    owner: str
    owner_name: str = ""
    settings: dict = field(default_factory=default_settings)
    source: str = "builtin"  # builtin or upload
    dataset: str = DEFAULT_DATASET
    upload: StoredFile | None = None
    labels: StoredFile | None = None  # a label CSV joined to an uploaded FASTA
    wanted: dict | None = None  # {"name", "sha256"}: the file a link was made with, not uploaded yet
    live_run: str = ""
    changes: int = 0  # every change to the settings or the data counts one
    data_news: list = field(default_factory=list)  # changes to the data or its split since the last run began
    locked: tuple = ()  # what a lesson link fixes: settings, or "dataset" (README: Teaching with ProtScope)
    hidden: tuple = ()  # of those, what it also hides

    def fixed(self, key: str) -> bool:
        """A lesson link fixes `key`: no widget, preset or button of this session may change it."""
        return key in self.locked or key in self.hidden

    def exercise_id(self) -> str:
        """Which exercise this session is in ("" for none): the same link gives the same id, so the runs students
        submit from it meet on the class board."""
        if not (self.locked or self.hidden):
            return ""
        fixed = {*self.locked, *self.hidden, *LINK_EXERCISE}  # what students may change is not part of it
        part = sorted((k, v) for k, v in self.link().items() if k in fixed)
        return hashlib.sha256(repr(part).encode()).hexdigest()[:10]

    def leave_exercise(self) -> None:
        """Every setting editable again (the values stay as the exercise left them)."""
        if self.locked or self.hidden:
            self.locked, self.hidden = (), ()
            self.changes += 1

    def _refuse_fixed(self, key: str) -> None:
        if self.fixed(key):
            raise ProtScopeError(f"this exercise fixes {key.replace('_', ' ')}",
                                 fix="ask your instructor, or leave the exercise (the Train page's sidebar)")

    # --- changes ------------------------------------------------------------------------------
    def set(self, key: str, value) -> bool:
        """Set one setting (checked by its config section); True if it changed."""
        if key not in self.settings:
            raise ProtScopeError(f"unknown setting '{key}'")
        value = parse_setting(key, value)
        old = self.settings[key]
        if old == value:
            return False
        self._refuse_fixed(key)
        self.settings[key] = value
        self.changes += 1
        if key in DataConfig.__dataclass_fields__:
            self.data_news.append(f"{key.replace('_', ' ')} changed from {show(old)} to {show(value)}")
        return True

    def set_many(self, values: dict) -> list[str]:
        """Set several settings; the keys that changed."""
        return [key for key, value in values.items() if self.set(key, value)]

    def apply_preset(self, values: dict) -> list[str]:
        """A preset: every setting to its default, then the preset's values (its `dataset` chosen); the
        split settings are kept, as they describe the data. Returns the settings that changed."""
        base = default_settings()
        wanted = {k: v for k, v in {**base, **values}.items()
                  if k != "dataset" and k not in SPLIT_FIELDS and not self.fixed(k)}
        changed = self.set_many(wanted)
        if "dataset" in values and not self.fixed("dataset"):
            self.choose_builtin(values["dataset"])
        return changed

    def choose_builtin(self, name: str) -> bool:
        return self._choose("builtin", name, self.upload)

    def choose_upload(self, upload: StoredFile | None = None, columns=None) -> list[str]:
        """Use the uploaded file (a new `upload`, or the one kept). A new file drops the label file of the
        old one, and the column choices that name a column the new file does not have (all of them when
        its `columns` are not given). Returns the column choices dropped."""
        upload = upload if upload is not None else self.upload
        dropped = []
        if upload is not None and upload != self.upload:
            dropped = [k for k in COLUMN_FIELDS if self.settings[k] and (
                columns is None or not named_columns(k, self.settings[k]) <= set(columns))]
            self.settings.update(dict.fromkeys(dropped, ""))
            self.labels = None
            if self.wanted and upload.sha256 == self.wanted.get("sha256"):
                self.wanted = None
        self._choose("upload", self.dataset, upload)
        return dropped

    def _choose(self, source: str, dataset: str, upload: StoredFile | None) -> bool:
        if (source, dataset, upload) == (self.source, self.dataset, self.upload):
            return False
        if (source, dataset) != (self.source, self.dataset):
            self._refuse_fixed("dataset")
        before = self.data_label()
        self.source, self.dataset, self.upload = source, dataset, upload
        self._data_changed(before)
        return True

    def remove_upload(self) -> None:
        before = self.data_label()
        self.upload, self.labels = None, None
        self._data_changed(before)

    def set_labels(self, labels: StoredFile | None) -> None:
        if labels != self.labels:
            before = self.data_label()
            self.labels = labels
            self._data_changed(before)

    def _data_changed(self, before: str) -> None:
        self.changes += 1
        self.data_news.append(f"the data changed from {before} to {self.data_label()}")

    def run_started(self, run_id: str) -> None:
        """A run began with the data as it is now: the data news are old news."""
        self.live_run = run_id
        self.data_news = []

    # --- what it describes --------------------------------------------------------------------
    def has_data(self) -> bool:
        return self.source == "builtin" or self.upload is not None

    def data_label(self) -> str:
        """The data in words, e.g. 'eSOL (built-in)' or 'mine.csv (your file, sha256 1a2b3c4d5e6f)'."""
        if self.source == "builtin":
            return f"{self.dataset} (built-in)"
        if self.upload is None:
            return "no file uploaded yet"
        label = f"{self.upload.name} (your file, sha256 {self.upload.short})"
        return label + (f" with labels from {self.labels.name}" if self.labels else "")

    def data_values(self) -> dict:
        """The data section's identity fields: a built-in name, or the uploaded file's name and hash."""
        if self.source == "builtin":
            return {"dataset": self.dataset}
        values = {"path": self.upload.name, "sha256": self.upload.sha256} if self.upload else {}
        if self.labels is not None:
            values.update(label_path=self.labels.name, label_sha256=self.labels.sha256)
        return {k: v for k, v in values.items() if k in DataConfig.__dataclass_fields__}

    def config(self) -> RunConfig:
        """The run config these settings describe (ProtScopeError naming a bad field)."""
        values = {k: v for k, v in self.settings.items() if self.source == "upload" or k not in COLUMN_FIELDS}
        config = RunConfig().with_values(**values)
        return config.replace(data=config.data.replace(**self.data_values()))

    # --- links ----------------------------------------------------------------------------------
    def link(self) -> dict[str, str]:
        """Query parameters that reproduce this workspace: the data, every setting that differs from the
        config defaults, under its config name, and what a lesson link fixes."""
        return self.exercise_link(self.locked, self.hidden)

    def exercise_link(self, lock=(), hide=()) -> dict[str, str]:
        """This workspace as a lesson link that fixes the settings in `lock` and `hide` (hiding those in
        `hide`): their values are written out even where they are the defaults, which a later version may
        change."""
        out = {k: str(v) for k, v in self.data_values().items()}
        if self.source == "upload" and self.upload is None and self.wanted:
            out.update(path=self.wanted["name"], sha256=self.wanted["sha256"])
        base, fixed = default_settings(), {*lock, *hide}
        for key, value in self.settings.items():
            if (value != base[key] or key in fixed) and (self.source == "upload" or key not in COLUMN_FIELDS):
                out[key] = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
        hide = [k for k in hide if k]
        lock = [k for k in lock if k and k not in hide]
        out.update({name: ",".join(keys) for name, keys in (("lock", lock), ("hide", hide)) if keys})
        return out

    def apply_link(self, params: dict[str, str], known_datasets) -> tuple[list[str], list[str]]:
        """Make this workspace what a link describes: its settings, and the config defaults for the rest.

        Returns (the settings that changed, problems in words). Unknown keys and bad values are
        problems, never silently dropped.
        """
        self.locked, self.hidden = (), ()  # the link says what it fixes, if anything
        values, problems = read_settings({k: v for k, v in params.items() if k not in LINK_DATA + LINK_EXERCISE},
                                         lambda key: f"`{key}` is not a ProtScope setting",
                                         lambda key, text, exc: f"`{key}={text}`: {exc}")
        changed = [k for k in values if values[k] != self.settings[k]]
        if changed:
            self.settings.update(values)
            self.changes += 1
        dataset, path, sha = params.get("dataset", ""), params.get("path", ""), params.get("sha256", "")
        if path:
            same = self.upload if self.upload is not None and self.upload.sha256 == sha else None
            if same is None:  # not the link's file (or none yet): the Data page asks for the right one
                self.wanted = {"name": path, "sha256": sha}
            self._choose("upload", self.dataset, same)
        elif dataset in known_datasets:
            self._choose("builtin", dataset, self.upload)
        elif dataset:
            problems.append(f"there is no built-in dataset `{dataset}`")
        for name in LINK_EXERCISE:
            keys = [k.strip() for k in params.get(name, "").split(",") if k.strip()]
            problems += [f"`{name}={k}`: `{k}` is not a ProtScope setting" for k in keys
                         if k not in self.settings and k != "dataset"]
            setattr(self, "locked" if name == "lock" else "hidden",
                    tuple(k for k in keys if k in self.settings or k == "dataset"))
        return changed, problems

    # --- saving ---------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        out = asdict(self)
        out["settings"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.settings.items()}
        return out

    @classmethod
    def from_dict(cls, values: dict) -> tuple[Workspace, list[str]]:
        """A saved workspace, and what could not be restored in words: a setting this version no longer
        has, or a value it no longer accepts, which gets the config default."""
        defaults = default_settings()
        settings, problems = read_settings(values.get("settings") or {},
                                           lambda key: f"the saved setting `{key}` no longer exists",
                                           lambda key, _value, exc: f"the saved `{key}` was reset to "
                                                                   f"{show(defaults[key])}: {exc}")
        files = {k: StoredFile(**values[k]) if values.get(k) else None for k in ("upload", "labels")}
        known = {f.name for f in fields(cls)} - {"settings", "upload", "labels"}
        kept = {k: tuple(v) if k in ("locked", "hidden") else v for k, v in values.items() if k in known}
        return cls(**kept, settings=settings, **files), problems


def new_upload(name: str, content: bytes, folder) -> StoredFile:
    """Keep an uploaded file's bytes under `folder`, named by their hash (the user's name is a label)."""
    from pathlib import Path

    sha = digest(content)
    path = Path(folder) / f"{sha}.bin"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(content)
        tmp.replace(path)
    return StoredFile(name=name, sha256=sha, size=len(content), stored=str(path), uploaded=time.time())
