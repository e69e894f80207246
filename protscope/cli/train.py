"""`python -m protscope train` and `python -m protscope predict`.

The run config is built in layers, each overriding the last: the defaults, `--preset`, `--config
FILE.json`, the data (`--dataset NAME` or `--data PATH`, with the dataset's manifest settings), and
finally one flag per config field (`--lr 1e-3`, `--model cnn`, `--hidden 256,64`).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from protscope.config.layering import layered
from protscope.config.run_config import SECTIONS, RunConfig
from protscope.config.sections import DataConfig
from protscope.data.builtin import config_for, load_data
from protscope.errors import ProtScopeError
from protscope.owners import command_line_owner
from protscope.run_folder import write_result_files
from protscope.runs.recorder import record_in_background
from protscope.runs.store import open_store, runs_dir
from protscope.serialise import clean_json, escape_formulas
from protscope.status import Status
from protscope.train.events import EpochEnd


def build_config(preset: str | None, config_file: str | None, flags: dict) -> RunConfig:
    """The run config from a preset, a JSON file and flat flag values (None means not given)."""
    from protscope.config.presets import get_preset

    flags = {k: v for k, v in flags.items() if v is not None}
    preset_values = dict(get_preset(preset).values) if preset else {}
    sections: dict = {}
    if config_file:
        path = Path(config_file)
        if not path.is_file():
            raise ProtScopeError("config file not found", where=str(path), fix="check the path")
        sections = RunConfig.from_json(path.read_text()).to_dict() if path.suffix == ".json" else {}
    # The data: a file flag, else a dataset flag, the preset's dataset, or the saved config's data.
    dataset = flags.get("dataset") or preset_values.get("dataset") or sections.get("data", {}).get("dataset")
    path = flags.get("path")
    if path:  # a file given on the command line: the user's choice, whatever a config's hash says
        data = {**DataConfig().to_dict(), "path": path}
    elif dataset:
        data = config_for(dataset).to_dict()
    else:
        data = beside(dict(sections.get("data") or {}), Path(config_file).parent if config_file else None)
    if not data.get("dataset") and not data.get("path"):
        raise ProtScopeError("no data given",
                             fix="add --dataset NAME (see `python -m protscope datasets`) or --data PATH")
    return layered(preset=preset_values, saved=sections, data=data, flags=flags)


def beside(data: dict, folder: Path | None) -> dict:
    """A config's data files, found where it names them or, for a relative name (an upload's), next to
    the config file."""
    for key in ("path", "label_path"):
        name = data.get(key)
        if name and not Path(name).is_absolute() and not Path(name).exists() and folder is not None \
                and (folder / name).exists():
            data[key] = str(folder / name)
    return data


def cmd_train(args) -> int:
    from protscope.config.relevance import ignored_settings
    from protscope.data.splits import make_split
    from protscope.train.trainer import Trainer, new_run_id

    config = build_config(args.preset, args.config, field_flags(args))
    data = load_data(config.data)
    for note in ignored_settings(config, data.task):
        print(f"note: {note}", file=sys.stderr)
    split = make_split(data, config.data)
    run_id = new_run_id()
    store = open_store(args.db)
    trainer = Trainer(config, data, split, run_dir=runs_dir() / run_id, run_id=run_id).start()
    recorder = record_in_background(trainer, store, name=args.run_name or "", tags=args.run_tags,
                                    owner=command_line_owner())
    cursor = 0
    try:
        while True:
            done = trainer.events.wait(timeout=0.5)
            events, cursor = trainer.events.since(cursor)
            for event in events:
                if isinstance(event, EpochEnd):
                    print(progress_line(event, trainer.config.training.epochs, data.task), flush=True)
            if done:
                break
    except KeyboardInterrupt:
        print("stopping after the current batch…", file=sys.stderr)
        trainer.stop()
    result = trainer.wait()
    write_result_files(trainer.run_dir, result)
    recorder.join()
    if recorder.error is not None:
        print(f"warning: the run was not fully recorded in {store.path}: {recorder.error}", file=sys.stderr)
    if result.status == Status.FAILED:
        print(f"error: {result.message}", file=sys.stderr)
    from protscope.evaluation.diagnosis import chance_loss, diagnose_run
    from protscope.evaluation.layer_health import internals_summary

    internals = trainer.snapshot().internals()
    grad_clip = result.config.training.grad_clip
    diagnosis = diagnose_run(result.history, result.config.training.monitor, chance_loss(data.task, data.classes),
                             internals, grad_clip)
    summary = {"run_id": result.run_id, "config": result.config.to_dict(), "history": result.history,
               "best_epoch": result.best_epoch, "stopped_reason": result.status, "message": result.message,
               "metrics": result.metrics, "checkpoint": result.checkpoint, "diagnosis": diagnosis.to_dict(),
               "internals": internals_summary(internals, grad_clip)}
    if args.json:
        print(json.dumps(clean_json(summary)))
    else:
        print(f"{result.status}: {result.message}")
        for split, values in result.metrics.items():
            print(f"  {split:<5} " + "  ".join(f"{k} {v:.4g}" for k, v in values.items() if _short(k)))
        if result.checkpoint:
            print(f"  checkpoint: {result.checkpoint}")
        print(f"diagnosis: {diagnosis.title}. {diagnosis.explanation}")
        for line in diagnosis.inside:
            print(f"  inside the network: {line}")
    return 1 if result.status == Status.FAILED else 0


def cmd_predict(args) -> int:
    from protscope.train.predict import predict_sequences, read_sequences

    path = Path(args.path)
    if not path.is_file():
        raise ProtScopeError("file not found", where=str(path), fix="check the path")
    ids, seqs = read_sequences(path.read_bytes(), path.name)
    rows, problems, notes = predict_sequences(args.checkpoint, ids, seqs, device=args.device)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    for p in problems:
        print(f"skipped row {p.row} ({p.id}): {p.message}", file=sys.stderr)
    if args.json:
        print(json.dumps(clean_json({"predictions": rows, "problems": [vars(p) for p in problems]})))
    else:
        import contextlib
        import csv

        with (open(args.output, "w", newline="") if args.output else contextlib.nullcontext(sys.stdout)) as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["id", "sequence", "prediction"])
            writer.writeheader()
            writer.writerows(escape_formulas(r) for r in rows)
        if args.output:
            print(f"wrote {len(rows)} predictions to {args.output}", file=sys.stderr)
    return 0 if rows or not problems else 2


def progress_line(e: EpochEnd, epochs: int, task: str) -> str:
    from protscope.evaluation.metrics import MAIN_METRICS

    shown = "  ".join(f"val_{k} {e.metrics.get(f'val_{k}', float('nan')):.4f}" for k in MAIN_METRICS[task])
    return (f"epoch {e.epoch:>3}/{epochs}  train_loss {e.train_loss:.4f}  val_loss {e.val_loss:.4f}  {shown}  "
            f"lr {e.lr:.2e}  {e.seconds:.1f}s")


def _short(name: str) -> bool:
    """Left out of the text summary (kept in --json): per-class and per-label scores, and the log loss."""
    return not (any(part in name for part in ("precision_", "recall_", "log_loss"))
                or name.startswith(("f1_", "roc_auc_", "ap_")))


def field_flags(args) -> dict:
    """Flat {field: value} of every config flag given on the command line."""
    return {name: getattr(args, name, None) for name in flag_names()}


def flag_names() -> list[str]:
    from dataclasses import fields

    names = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            names.append(section if f.name == "name" else f.name)
    return names

