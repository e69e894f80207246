"""Pick the training device and precision, degrading cleanly to what this machine has."""
from __future__ import annotations

import os

import torch

from core.errors import ProtScopeError


def usable_cpus() -> int:
    """CPU cores this process may run on: its affinity mask (a container's or taskset's limit), not the
    machine's count, so thread pools are not oversubscribed."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def available_devices() -> list[str]:
    """Devices this machine can train on, best first (always ends with cpu)."""
    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return found + ["cpu"]


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then Apple MPS, then CPU; a named device must exist."""
    devices = available_devices()
    if name == "auto":
        return torch.device(devices[0])
    if name not in devices:
        raise ProtScopeError(f"device '{name}' is not available on this machine",
                             fix=f"choose auto or one of: {', '.join(devices)}")
    return torch.device(name)


def resolve_precision(precision: str, device: torch.device) -> tuple[torch.dtype | None, str]:
    """The autocast dtype (None: full fp32) and a note when the request could not be honoured."""
    if precision == "fp32":
        return None, ""
    if device.type != "cuda":
        return None, f"mixed precision ({precision}) needs CUDA; training in fp32 on {device.type}"
    if precision == "bf16" and not torch.cuda.is_bf16_supported():
        return torch.float16, "this GPU has no bf16; using fp16 with loss scaling"
    return (torch.bfloat16 if precision == "bf16" else torch.float16), ""
