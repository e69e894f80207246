"""Settings as the dashboard and links hold them: flat keys (the config's field names), their defaults, and
text read into typed, checked values. No Streamlit here."""
from __future__ import annotations

from dataclasses import fields

from protscope.config.run_config import SECTIONS, RunConfig, locate
from protscope.errors import ProtScopeError

# Data fields that say *which* data (the dataset, a file and its content hash): a Workspace keeps them
# as its data choice, not as settings.
DATA_IDENTITY = ("dataset", "path", "label_path", "sha256", "label_sha256")


def setting_names() -> list[str]:
    """Every setting's key: the section name for a `name` field (model, optimizer...), else the field."""
    names = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            names.append(section if f.name == "name" else f.name)
    return [n for n in names if n not in DATA_IDENTITY]


def default_settings() -> dict:
    """The config defaults: the one set of defaults the app, the command line and links share."""
    config = RunConfig()
    out = {}
    for key in setting_names():
        section, name = locate(key)
        out[key] = getattr(getattr(config, section), name)
    return out


def parse_setting(key: str, value):
    """`value` (text from a link, or a widget's value) as the field's type, checked by its section."""
    section, name = locate(key)
    return getattr(SECTIONS[section].from_dict({name: value}), name)


def read_settings(items: dict, unknown, bad) -> tuple[dict, list[str]]:
    """The config defaults with `items` (setting -> text or value) read in, and what could not be used, in
    words: `unknown(key)` for a setting that does not exist, `bad(key, value, error)` for a value refused
    (that setting keeps its default)."""
    values, problems = default_settings(), []
    for key, value in items.items():
        if key not in values:
            problems.append(unknown(key))
            continue
        try:
            values[key] = parse_setting(key, value)
        except ProtScopeError as exc:
            problems.append(bad(key, value, exc))
    return values, problems
