"""Frozen, validated configuration sections. A run's config is made of these.

Each section is a frozen dataclass whose `__post_init__` checks its own fields and raises
ProtScopeError naming the field and the allowed values. `from_dict` rejects unknown keys (with a
suggestion) so a typo in a JSON file or a CLI flag is caught, not ignored. Field names are the
same in the JSON, on the command line (`--val-fraction`) and in the dashboard's widget keys.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import dataclass, fields

from core.errors import ProtScopeError

TASKS = ("binary", "multiclass", "regression", "residue")
SPLIT_METHODS = ("auto", "random", "file", "homology")


class Section:
    """Shared behaviour of config sections: dict round-trip and field checks."""

    @classmethod
    def section_name(cls) -> str:
        return cls.__name__.removesuffix("Config").lower()

    def to_dict(self) -> dict:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, values: dict | None):
        values = dict(values or {})
        known = {f.name: f for f in fields(cls)}
        unknown = [k for k in values if k not in known]
        if unknown:
            hint = difflib.get_close_matches(unknown[0], known, n=1)
            raise ProtScopeError(f"unknown {cls.section_name()} setting '{unknown[0]}'",
                                 where=f"config section '{cls.section_name()}'",
                                 fix=f"did you mean '{hint[0]}'?" if hint else
                                 f"known settings: {', '.join(known)}")
        hints = typing.get_type_hints(cls)
        return cls(**{k: coerce(v, hints[k], f"{cls.section_name()}.{k}") for k, v in values.items()})

    def replace(self, **changes):
        return dataclasses.replace(self, **changes)

    # --- checks used by __post_init__ of each section ---
    def _choice(self, name: str, allowed) -> None:
        value = getattr(self, name)
        if value not in allowed:
            raise ProtScopeError(f"{self.section_name()}.{name} is '{value}'",
                                 fix=f"choose one of: {', '.join(map(str, allowed))}")

    def _range(self, name: str, low, high) -> None:
        value = getattr(self, name)
        if value is not None and not (low <= value <= high):
            raise ProtScopeError(f"{self.section_name()}.{name} is {value}",
                                 fix=f"use a value between {low} and {high}")


def _plain(value):
    return list(value) if isinstance(value, tuple) else value


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
        items = value.split(",") if isinstance(value, str) else list(value)
        return tuple(coerce(v, args[0], label) for v in items if v != "")
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                return value.lower() in ("true", "1", "yes")
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

    dataset: str = ""  # a built-in dataset (sample_data/datasets.toml); "" when `path` is used
    path: str = ""  # CSV, TSV or FASTA file (optionally .gz)
    label_path: str = ""  # label CSV joined on id, for a FASTA without labels in its headers
    id_col: str = ""  # "" means detect automatically
    sequence_col: str = ""
    label_col: str = ""
    residue_label_col: str = ""
    mask_col: str = ""
    split_col: str = ""
    task: str = "auto"  # auto, binary, multiclass, regression, residue
    binarize_at: float | None = None  # turn a numeric label into a binary one: 1 when >= this
    unknown_residues: str = "map"  # X B Z J U O * - . : "map" to X, or "reject"
    max_length: int = 2000  # longer sequences are handled by `long_sequences`
    long_sequences: str = "truncate"  # truncate, drop or reject
    max_rows: int = 1_000_000
    drop_split_overlap: bool = False  # drop train/val rows whose sequence is also in test
    split: str = "auto"  # auto (the file's split if it has one, else random), random, file, homology
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    identity: float = 0.3  # homology split: MMseqs2 minimum sequence identity
    split_seed: int = 0

    def __post_init__(self):
        self._choice("task", ("auto", *TASKS))
        self._choice("unknown_residues", ("map", "reject"))
        self._choice("long_sequences", ("truncate", "drop", "reject"))
        self._choice("split", SPLIT_METHODS)
        self._range("max_length", 1, 100_000)
        self._range("max_rows", 1, 10_000_000)
        self._range("val_fraction", 0.01, 0.5)
        self._range("test_fraction", 0.01, 0.5)
        self._range("identity", 0.1, 1.0)
        if self.val_fraction + self.test_fraction > 0.8:
            raise ProtScopeError("val_fraction + test_fraction leaves less than 20% for training",
                                 fix="lower the validation or test fraction")
        if self.binarize_at is not None and self.task not in ("auto", "binary"):
            raise ProtScopeError(f"binarize_at makes a binary task, but task is '{self.task}'",
                                 fix="set task to binary or auto, or clear binarize_at")


@dataclass(frozen=True)
class EncodingConfig(Section):
    """How tokens become model inputs; see core.encodings.ENCODINGS for the choices."""

    name: str = "onehot"
    window: int = 6  # window encoding: residues on each side (w = 6 gives 13 positions)
    k: int = 3  # kmer encoding: k-mer length

    def __post_init__(self):
        from core.encodings import ENCODINGS  # late import: encodings imports torch

        self._choice("name", tuple(ENCODINGS))
        self._range("window", 0, 25)
        self._range("k", 1, 3)
