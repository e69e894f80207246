"""Checkpoints: weights plus everything needed to rebuild and use the model, and nothing that runs.

A checkpoint holds the weights, the run config, the token alphabet, the label mapping, the model's
shapes and the metrics; the output layer a loss brings (the harmonic loss's) is rebuilt from the config.
It is loaded with `torch.load(weights_only=True)`, so a crafted file cannot execute code, and the model
is rebuilt from the checkpoint alone.
"""
from __future__ import annotations

import pickle
from dataclasses import asdict
from pathlib import Path

import torch

from protscope.alphabet import TOKEN_LETTERS
from protscope.config.run_config import RunConfig
from protscope.errors import ProtScopeError
from protscope.modeling.losses import with_loss_head
from protscope.modeling.models import ModelDims, build_model

FORMAT = "protscope-checkpoint-1"


def save_checkpoint(path: Path, model: torch.nn.Module, config: RunConfig, dims: ModelDims,
                    classes: tuple[str, ...], metrics: dict, epoch: int) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    payload = {"format": FORMAT, "state_dict": state, "config": config.to_dict(), "dims": asdict(dims),
               "alphabet": TOKEN_LETTERS, "classes": list(classes), "metrics": metrics, "epoch": epoch}
    tmp = path.with_suffix(".tmp")
    torch.save(payload, tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a checkpoint


def load_checkpoint(path: str | Path, device: str | torch.device = "cpu"):
    """(model in eval mode, config, checkpoint dict) from a checkpoint file."""
    path = Path(path)
    if not path.is_file():
        raise ProtScopeError("checkpoint not found", where=str(path), fix="check the path")
    try:
        payload = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, OSError) as exc:
        raise ProtScopeError(f"this is not a checkpoint ProtScope can load safely ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0][:200]})", where=str(path),
                             fix="use a checkpoint saved by ProtScope; files that need pickled code are "
                                 "refused") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ProtScopeError("this file is not a ProtScope checkpoint", where=str(path),
                             fix="use the checkpoint.pt of a ProtScope run")
    if payload["alphabet"] != TOKEN_LETTERS:
        raise ProtScopeError("the checkpoint uses a different amino-acid alphabet", where=str(path),
                             fix="retrain the model with this version of ProtScope")
    config = RunConfig.from_dict(payload["config"])
    model = with_loss_head(build_model(config.model, ModelDims(**payload["dims"])), config.loss, config.data.task)
    model.load_state_dict(payload["state_dict"])
    return model.to(device).eval(), config, payload
