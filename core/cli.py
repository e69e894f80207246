"""Command line: `python -m core inspect PATH` and `python -m core datasets`.

Flags are made from the config sections, so `--label-col` sets DataConfig.label_col: the same
names as the JSON config and the dashboard. Bad input exits 2 with one `error: ...` line on
stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from core.cli_runs import add_runs_parser
from core.config import DataConfig, Section
from core.errors import ProtScopeError


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
    from core.datasets import config_for, dataset_names

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
                             "(see `python -m core datasets`)")
    args.dataset = None
    return section_from_args(DataConfig, args, base)


def cmd_inspect(args) -> int:
    from core.datasets import load_data
    from core.summary import format_summary, summarise

    summary = summarise(load_data(data_config(args)))
    print(json.dumps(summary) if args.json else format_summary(summary))
    return 0


def cmd_datasets(args) -> int:
    from core.datasets import load_manifest

    specs = load_manifest()
    if args.json:
        print(json.dumps([{"name": s.name, "title": s.title, "task": s.task, "description": s.description,
                           "citation": s.citation, "files": [f.path for f in s.files]}
                          for s in specs.values()]))
        return 0
    width = max(map(len, specs))
    for s in specs.values():
        print(f"{s.name:<{width}}  {s.task:<10}  {s.title}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="ProtScope from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="validate a dataset and print a summary")
    inspect.add_argument("path", nargs="?", help="a CSV, TSV or FASTA file, or a built-in dataset name")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    add_section_flags(inspect, DataConfig, skip=("path",))
    inspect.set_defaults(run=cmd_inspect)
    add_train_parser(sub)
    from core.cli_check import add_check_parser  # here, not at the top: cli_check imports this module
    add_check_parser(sub)
    from core.cli_sweep import add_sweep_parser  # here, not at the top: cli_sweep imports this module

    add_sweep_parser(sub)
    predict = sub.add_parser("predict", help="predict new sequences with a trained checkpoint")
    predict.add_argument("--checkpoint", required=True, help="a checkpoint.pt saved by `train`")
    predict.add_argument("--data", dest="path", required=True, help="a CSV or FASTA of sequences")
    predict.add_argument("--output", help="write the predictions CSV here (default: standard output)")
    predict.add_argument("--device", default="cpu", help="cpu (default), cuda, mps or auto")
    predict.add_argument("--json", action="store_true", help="print one JSON object")
    predict.set_defaults(run=lambda a: _run_module("cmd_predict", a))
    datasets = sub.add_parser("datasets", help="list the built-in datasets")
    datasets.add_argument("--json", action="store_true", help="print a JSON list")
    datasets.set_defaults(run=cmd_datasets)
    add_runs_parser(sub)
    return parser


def add_train_parser(sub) -> None:
    from core.run_config import SECTIONS

    train = sub.add_parser("train", help="train a model and print one line per epoch",
                           description="Train a model. Settings come from the defaults, then --preset, then "
                                       "--config, then the data, then the flags below.")
    train.add_argument("--data", dest="path", help="a CSV, TSV or FASTA file to train on")
    train.add_argument("--preset", help="a named preset (see core/presets.py), e.g. solubility-cnn")
    train.add_argument("--config", help="a run config JSON (e.g. runs/<id>/config.json)")
    train.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    train.add_argument("--name", dest="run_name", help="a name for the run in the run store")
    train.add_argument("--tag", dest="run_tags", action="append", default=[], help="tag the run (repeatable)")
    train.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    for name, section in SECTIONS.items():
        add_section_flags(train, section, skip=("path",), name_flag=name)
    train.set_defaults(run=lambda a: _run_module("cmd_train", a))


def _run_module(command: str, args) -> int:
    from core import cli_run

    return getattr(cli_run, command)(args)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ProtScopeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still no traceback for the user
        print(f"error: internal error ({type(exc).__name__}: {exc}); please report it", file=sys.stderr)
        return 1
