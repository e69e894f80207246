"""`python -m protscope runs list|rename|tag|untag|delete|export`: the recorded runs in the run store."""
from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from protscope.errors import ProtScopeError
from protscope.runs.archive import FORMATS, export_runs
from protscope.runs.store import RunStore, default_db_path, open_store
from protscope.serialise import clean_json

LISTED = ("id", "name", "status", "reason", "config", "metrics", "tags", "started", "ended", "dataset", "task",
          "best_epoch", "epochs", "checkpoint")


def add_runs_parser(sub) -> None:
    runs = sub.add_parser("runs", help="list, rename, tag and delete recorded training runs")
    actions = runs.add_subparsers(dest="action", required=True)
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", help="the run database (default: $PROTSCOPE_DB, else runs/protscope.db)")
    listing = actions.add_parser("list", parents=[db], help="list runs, newest first")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.add_argument("--status", help="only runs with this status, e.g. completed or interrupted")
    listing.add_argument("--tag", help="only runs with this tag")
    listing.add_argument("--name", dest="name_contains", help="only runs whose name or id contains this")
    listing.add_argument("--dataset", help="only runs on this dataset")
    listing.set_defaults(run=cmd_list)
    rename = actions.add_parser("rename", parents=[db], help="give a run a name")
    rename.add_argument("id")
    rename.add_argument("name")
    rename.set_defaults(run=lambda a: _change(a, RunStore.rename, a.name, f"renamed {a.id} to '{a.name}'"))
    for action, change, done in (("tag", RunStore.tag, "tagged"), ("untag", RunStore.untag, "untagged")):
        parser = actions.add_parser(action, parents=[db], help=f"{action} a run")
        parser.add_argument("id")
        parser.add_argument("tag")
        parser.set_defaults(run=lambda a, change=change, done=done: _change(a, change, a.tag,
                                                                             f"{done} {a.id} '{a.tag}'"))
    delete = actions.add_parser("delete", parents=[db], help="delete a run and its folder under the runs folder")
    delete.add_argument("id")
    delete.add_argument("--keep-files", action="store_true", help="keep the run's folder (checkpoint, config)")
    delete.set_defaults(run=cmd_delete)
    export = actions.add_parser("export", parents=[db], help="write runs as TensorBoard event files or CSV + JSON")
    export.add_argument("ids", metavar="ID", nargs="+")
    export.add_argument("--format", dest="fmt", choices=FORMATS, required=True)
    export.add_argument("--out", required=True, help="the folder to write <out>/<id>/ into")
    export.set_defaults(run=cmd_export)


def store_for(args) -> RunStore:
    """The store named by --db, which must exist (a typo should not silently make an empty one)."""
    if args.db and not Path(args.db).is_file():
        raise ProtScopeError("no run database here", where=args.db,
                             fix="check the path, or leave out --db to use " + str(default_db_path()))
    return open_store(args.db)


def cmd_list(args) -> int:
    runs = store_for(args).list_runs(status=args.status, tag=args.tag, name_contains=args.name_contains,
                                     dataset=args.dataset)
    if args.json:
        print(json.dumps(clean_json([{key: run[key] for key in LISTED} for run in runs])))
    elif not runs:
        filtered = args.status or args.tag or args.name_contains or args.dataset
        print("no recorded runs match" if filtered
              else "no runs recorded yet; train one with `python -m protscope train`")
    else:
        print(run_table(runs))
    return 0


def run_table(runs: list[dict]) -> str:
    """One aligned line per run: who, how it ended, what it trained and its main test metric."""
    from protscope.evaluation.metrics import MAIN_METRICS

    header = ("id", "name", "status", "dataset", "model", "epochs", "test", "started", "tags")
    lines = [header]
    for run in runs:
        main = MAIN_METRICS.get(run["task"], ("loss",))[0]
        value = run["metrics"].get("test", {}).get(main)
        lines.append((run["id"], run["name"], run["status"], run["dataset"],
                      run["config"].get("model", {}).get("name", ""), str(run["epochs"]),
                      f"{main} {value:.4g}" if isinstance(value, float) else "",
                      time.strftime("%Y-%m-%d %H:%M", time.localtime(run["started"])), ",".join(run["tags"])))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines)


def _change(args, change, value: str, done: str) -> int:
    change(store_for(args), args.id, value)
    print(done)
    return 0


def cmd_delete(args) -> int:
    store = store_for(args)
    folder = store.get_run(args.id)["run_dir"]
    removed = store.delete(args.id, files=not args.keep_files)
    print(f"deleted run {args.id}" + (" and its folder" if removed else ""))
    if folder and not removed and not args.keep_files and Path(folder).exists():
        print(f"kept its folder {folder}: it is not inside the runs folder {store.runs_root}")
    return 0


def cmd_export(args) -> int:
    for path in export_runs(store_for(args), args.ids, args.fmt, args.out):
        print(f"wrote {path}")
    return 0
