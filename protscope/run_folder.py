"""A run's folder on disk, runs/<run id>/, and the files in it: the one place that names them.

    config.json     the RunConfig, written when the run starts
    checkpoint.pt   the best (or last) weights with the config and classes (protscope.train.checkpoint)
    history.json    one row of metrics per epoch, written when the run ends
    result.json     its status, message, best epoch and final metrics

The trainer, the job manager, the command line and the Ray sweep driver all write through this.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from protscope.serialise import clean_json


@dataclass(frozen=True)
class RunFolder:
    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def checkpoint(self) -> Path:
        return self.path / "checkpoint.pt"

    @property
    def history(self) -> Path:
        return self.path / "history.json"

    @property
    def result(self) -> Path:
        return self.path / "result.json"

    def write_config(self, config_json: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.config.write_text(config_json)

    def write_outcome(self, status: str, message: str, best_epoch: int, metrics: dict, history: list[dict]) -> None:
        """history.json and result.json beside the config and checkpoint; nothing when the folder is gone."""
        if not self.path.exists():
            return
        self.history.write_text(json.dumps(clean_json(history)))
        self.result.write_text(json.dumps(clean_json(
            {"status": status, "message": message, "best_epoch": best_epoch, "metrics": metrics})))


def write_result_files(run_dir: Path | None, result) -> None:
    """The outcome files of a finished RunResult (anything with its status, message, best_epoch, metrics and
    history), for a run that has a folder."""
    if run_dir is not None:
        RunFolder(Path(run_dir)).write_outcome(result.status, result.message, result.best_epoch, result.metrics,
                                               result.history)
