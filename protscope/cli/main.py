"""Command line: `python -m protscope inspect PATH` and `python -m protscope datasets`.

Flags are made from the config sections, so `--label-col` sets DataConfig.label_col: the same
names as the JSON config and the dashboard. Bad input exits 2 with one `error: ...` line on
stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys

from protscope.cli.check import add_check_parser
from protscope.cli.explain import add_explain_parser
from protscope.cli.flags import add_section_flags, data_config
from protscope.cli.lessons import add_lessons_parser
from protscope.cli.runs import add_runs_parser
from protscope.cli.sweep import add_sweep_parser
from protscope.config.sections import DataConfig
from protscope.errors import ProtScopeError


def cmd_inspect(args) -> int:
    from protscope.data.builtin import load_data
    from protscope.data.summary import format_summary, summarise

    summary = summarise(load_data(data_config(args)))
    print(json.dumps(summary) if args.json else format_summary(summary))
    return 0


def cmd_datasets(args) -> int:
    from protscope.data.builtin import load_manifest

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
    parser = argparse.ArgumentParser(prog="python -m protscope", description="ProtScope from the command line.")
    sub = parser.add_subparsers(dest="command", required=True)
    inspect = sub.add_parser("inspect", help="validate a dataset and print a summary")
    inspect.add_argument("path", nargs="?", help="a CSV, TSV or FASTA file, or a built-in dataset name")
    inspect.add_argument("--json", action="store_true", help="print one JSON object")
    add_section_flags(inspect, DataConfig, skip=("path",))
    inspect.set_defaults(run=cmd_inspect)
    add_train_parser(sub)
    add_check_parser(sub)
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
    add_explain_parser(sub)
    add_lessons_parser(sub)
    return parser


def add_train_parser(sub) -> None:
    from protscope.config.run_config import SECTIONS

    train = sub.add_parser("train", help="train a model and print one line per epoch",
                           description="Train a model. Settings come from the defaults, then --preset, then "
                                       "--config, then the data, then the flags below.")
    train.add_argument("--data", dest="path", help="a CSV, TSV or FASTA file to train on")
    train.add_argument("--preset", help="a named preset (see protscope/config/presets.py), e.g. solubility-cnn")
    train.add_argument("--config", help="a run config JSON (e.g. runs/<id>/config.json)")
    train.add_argument("--json", action="store_true", help="end with one JSON object on the last line of stdout")
    train.add_argument("--name", dest="run_name", help="a name for the run in the run store")
    train.add_argument("--tag", dest="run_tags", action="append", default=[], help="tag the run (repeatable)")
    train.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    for name, section in SECTIONS.items():
        add_section_flags(train, section, skip=("path",), name_flag=name)
    train.set_defaults(run=lambda a: _run_module("cmd_train", a))


def _run_module(command: str, args) -> int:
    from protscope.cli import train as cli_run

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
