"""How a config section is declared: one `setting(default, help, choices=..., between=...)` per field.

That one declaration drives validation (`__post_init__` raises ProtScopeError naming the field
and the allowed values), the command-line flags, the JSON, and the dashboard's widgets, tooltips
and URL. `from_dict` rejects unknown keys with a suggestion, so a typo in a JSON file or a flag is
caught. Field names are unique across sections, so `--lr`, `"lr"` in JSON and the `lr` widget agree.
"""
from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from dataclasses import field, fields

from protscope.errors import ProtScopeError


def setting(default, help: str, *, choices=None, between=None, group: str = ""):  # noqa: A002
    """A config field with its one-line help, allowed values and group (what changing it changes)."""
    meta = {"help": help, "choices": choices, "between": between, "group": group}
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple default")
    return field(default=default, metadata=meta)


class Section:
    """Shared behaviour of config sections: checks, dict round-trip, field descriptions."""

    @classmethod
    def fields_in(cls, group: str) -> tuple[str, ...]:
        """The names of the fields declared with `group`, in declaration order."""
        return tuple(f.name for f in fields(cls) if f.metadata.get("group") == group)

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
