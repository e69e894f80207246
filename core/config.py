"""Frozen, validated configuration sections. A run's config is made of these.

Each field is declared once with `setting(default, help, choices=..., between=...)`.
That one declaration drives validation (`__post_init__` raises ProtScopeError naming the field
and the allowed values), the command-line flags, and the dashboard's widgets and tooltips. Which
fields matter for the chosen model, loss, optimizer... is not declared here but by the registries
of those choices (see core.relevance.relevant_fields).
`from_dict` rejects unknown keys with a suggestion, so a typo in a JSON file or a flag is caught.
Field names are unique across sections, so `--lr`, `"lr"` in JSON and the `lr` widget agree.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, field, fields

from core.errors import ProtScopeError

TASKS = ("binary", "multiclass", "regression", "residue")
SPLIT_METHODS = ("auto", "random", "file", "homology")


def setting(default, help: str, *, choices=None, between=None):  # noqa: A002
    """A config field with its one-line help and allowed values."""
    meta = {"help": help, "choices": choices, "between": between}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple default")
    return field(default=default, metadata=meta)


class Section:
    """Shared behaviour of config sections: checks, dict round-trip, field descriptions."""

    @classmethod
    def section_name(cls) -> str:
        return cls.__name__.removesuffix("Config").lower()

    def __post_init__(self):
        for f in fields(self):
            value, meta = getattr(self, f.name), f.metadata
            choices = meta.get("choices")
            if callable(choices):
                choices = choices()
            if choices is not None and value not in choices:
                raise ProtScopeError(f"{self.section_name()}.{f.name} is '{value}'",
                                     fix=f"choose one of: {', '.join(map(str, choices))}")
            between = meta.get("between")
            if between and value is not None:
                values = value if isinstance(value, tuple) else (value,)
                if any(not (between[0] <= v <= between[1]) for v in values):
                    raise ProtScopeError(f"{self.section_name()}.{f.name} is {value}",
                                         fix=f"use a value between {between[0]} and {between[1]}")
        self.check()

    def check(self) -> None:
        """Checks across fields of this section; override where needed."""

    def to_dict(self) -> dict:
        return {f.name: list(v) if isinstance(v := getattr(self, f.name), tuple) else v
                for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict | None):
        values = dict(values or {})
        known = {f.name for f in fields(cls)}
        unknown = [k for k in values if k not in known]
        if unknown:
            hint = difflib.get_close_matches(unknown[0], known, n=1)
            raise ProtScopeError(f"unknown {cls.section_name()} setting '{unknown[0]}'",
                                 where=f"config section '{cls.section_name()}'",
                                 fix=f"did you mean '{hint[0]}'?" if hint else
                                 f"known settings: {', '.join(sorted(known))}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: coerce(v, hints[k], f"{cls.section_name()}.{k}") for k, v in values.items()})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    @classmethod
    def describe(cls) -> list[dict]:
        """Each field: name, default, type, help, choices and range."""
        hints = typing.get_type_hints(cls)
        out = []
        for f in fields(cls):
            choices = f.metadata.get("choices")
            out.append({"name": f.name, "default": f.default, "type": hints[f.name],
                        "help": f.metadata.get("help", ""),
                        "choices": choices() if callable(choices) else choices,
                        "between": f.metadata.get("between")})
        return out

    def relevant(self, name: str, task: str = "auto", **settings) -> bool:
        """Does field `name` matter for this section's current values, for `task` and the flat `settings`
        of the other sections (their defaults where not given)? See core.run_config.applies."""
        from core.relevance import applies  # late import: relevance builds on this module

        own = {self.section_name() if f.name == "name" else f.name: getattr(self, f.name) for f in fields(self)}
        return applies(self.section_name() if name == "name" else name, {**settings, **own}, task)


def coerce(value, hint, label: str):
    """Convert a JSON or command-line value to the field's declared type, or explain why not."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        empty = value is None or (isinstance(value, str) and value.lower() in ("none", "null", ""))
        if empty and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], label)
    if origin is tuple:
        items = value.replace(" ", "").split(",") if isinstance(value, str) else list(value)
        return tuple(coerce(v, args[0], label) for v in items if v != "")
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes", "on")
            return bool(value)
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError
            return int(float(value)) if isinstance(value, str) else int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise ProtScopeError(f"{label} must be {hint.__name__}, got {value!r}",
                             fix=f"give {label} a {hint.__name__} value") from None
    return value


@dataclass(frozen=True)
class DataConfig(Section):
    """Which data to load, how to read it, and how to split it into train, val and test."""

    dataset: str = setting("", "A built-in dataset (see `python -m core datasets`); empty when a file is used.")
    path: str = setting("", "A CSV, TSV or FASTA file (optionally .gz).")
    sha256: str = setting("", "The SHA-256 of the file's content, checked when it is read (empty: not checked); "
                          "a dashboard upload's config names its file and this hash.")
    label_path: str = setting("", "A label CSV joined on id, for a FASTA file without labels in its headers.")
    label_sha256: str = setting("", "The SHA-256 of the label CSV's content (empty: not checked).")
    id_col: str = setting("", "Column with protein ids (empty: detect).")
    sequence_col: str = setting("", "Column with amino-acid sequences (empty: detect).")
    label_col: str = setting("", "Column with the label or value to predict (empty: detect).")
    residue_label_col: str = setting("", "Column with one label letter per residue (empty: detect).")
    mask_col: str = setting("", "Column of 1/0 per residue: 0 residues are not scored (empty: detect).")
    split_col: str = setting("", "Column with train / val / test (empty: detect).")
    task: str = setting("auto", "What to predict: detected from the labels, or set explicitly.",
                        choices=("auto", *TASKS))
    binarize_at: float | None = setting(None, "Turn a numeric label into a binary one: 1 when the value is at "
                                        "least this.")
    unknown_residues: str = setting("map", "X B Z J U O * - . in sequences: read them as unknown X, or refuse "
                                    "the file.", choices=("map", "reject"))
    max_length: int = setting(2000, "Longest sequence kept as is; longer ones follow `long_sequences`.",
                              between=(1, 100_000))
    long_sequences: str = setting("truncate", "What to do with sequences over max_length.",
                                  choices=("truncate", "drop", "reject"))
    max_rows: int = setting(1_000_000, "Refuse files with more rows than this.", between=(1, 10_000_000))
    drop_split_overlap: bool = setting(False, "Drop train/val rows whose sequence also occurs in the test split.")
    split: str = setting("auto", "How to split: the file's own split if it has one (auto), stratified random, "
                         "the file's split, or homology-aware clusters (MMseqs2).", choices=SPLIT_METHODS)
    val_fraction: float = setting(0.1, "Share of proteins held out for validation.", between=(0.01, 0.5))
    test_fraction: float = setting(0.1, "Share of proteins held out for the final test.", between=(0.01, 0.5))
    identity: float = setting(0.3, "Homology split: proteins at least this identical share a cluster.",
                              between=(0.1, 1.0))
    split_seed: int = setting(0, "Seed of the random or homology split.", between=(0, 2**31 - 1))

    def check(self):
        if self.val_fraction + self.test_fraction > 0.8:
            raise ProtScopeError("val_fraction + test_fraction leaves less than 20% for training",
                                 fix="lower the validation or test fraction")
        if self.binarize_at is not None and self.task not in ("auto", "binary"):
            raise ProtScopeError(f"binarize_at makes a binary task, but task is '{self.task}'",
                                 fix="set task to binary or auto, or clear binarize_at")


def _encoding_names():
    from core.encodings import ENCODINGS  # late import: encodings imports torch

    return tuple(ENCODINGS)


@dataclass(frozen=True)
class EncodingConfig(Section):
    """How tokens become model inputs; see core.encodings.ENCODINGS for the choices."""

    name: str = setting("onehot", "How each protein becomes numbers for the model.", choices=_encoding_names)
    window: int = setting(6, "Residues on each side of the centre (w = 6 gives 13 positions).", between=(0, 25))
    k: int = setting(3, "Length of the k-mers counted.", between=(1, 3))
    standardize: bool = setting(True, "Rescale each per-protein feature to mean 0 and sd 1 on the training set.")
