"""Command-line flags made from the config sections: `--label-col` sets DataConfig.label_col, the same
names as the JSON config and the dashboard. Every subcommand that takes settings builds its flags here.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from protscope.config.sections import DataConfig
from protscope.config.setting import Section
from protscope.errors import ProtScopeError


def flag(field_name: str) -> str:
    return "--" + field_name.replace("_", "-")


def add_section_flags(parser: argparse.ArgumentParser, section: type[Section], skip=(), name_flag: str = "") -> None:
    """One flag per field of `section` (its `name` field as --<name_flag>); values are checked by the
    section itself when the config is built."""
    group = parser.add_argument_group(f"{section.section_name()} settings")
    for f in dataclasses.fields(section):
        if f.name in skip:
            continue
        dest = name_flag if f.name == "name" else f.name
        help_text = f.metadata.get("help", "")
        choices = f.metadata.get("choices")
        choices = choices() if callable(choices) else choices
        if choices:
            help_text += f" One of: {', '.join(map(str, choices))}."
        group.add_argument(flag(dest), dest=dest, default=None, metavar=dest.upper(),
                           help=f"{help_text} (default: {_show(f.default)})".replace("%", "%%"))


def _show(value) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else repr(value)


def section_from_args(section: type[Section], args: argparse.Namespace, base: dict | None = None):
    values = dict(base or {})
    for f in dataclasses.fields(section):
        if getattr(args, f.name, None) is not None:
            values[f.name] = getattr(args, f.name)
    return section.from_dict(values)


def data_config(args: argparse.Namespace) -> DataConfig:
    """The DataConfig for `PATH` or `--dataset NAME` plus any column or task flags."""
    from protscope.data.builtin import config_for, dataset_names

    path = getattr(args, "path", None)
    dataset = args.dataset
    if path and not Path(path).exists() and path in dataset_names():
        dataset, path = path, None
    if dataset:
        base = config_for(dataset).to_dict()
    elif path:
        base = {"path": path}
    else:
        raise ProtScopeError("no data given", fix="give a file path, or --dataset NAME "
                             "(see `python -m protscope datasets`)")
    args.dataset = None
    return section_from_args(DataConfig, args, base)
