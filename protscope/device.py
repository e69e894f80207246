"""Pick the training device and precision, degrading cleanly to what this machine has."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
import time

import torch

from protscope.errors import ProtScopeError


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


class _FreeMemory:
    """glibc's malloc_trim, called at most every `every_s` seconds (a no-op where there is no glibc).

    Training allocates activations of a new size at every batch width; glibc keeps the freed chunks,
    too scattered to give back by itself. In a long CNN run on eSOL the process held 200-290 MB in use
    and 1.0-1.3 GB free, so RSS crept up for minutes. A trim hands the free pages back.
    """

    def __init__(self, every_s: float = 10.0):
        name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(name) if name else None
        self.trim = getattr(libc, "malloc_trim", None)
        self.every_s, self.last, self.lock = every_s, 0.0, threading.Lock()

    def __call__(self) -> bool:
        with self.lock:
            if self.trim is None or time.monotonic() - self.last < self.every_s:
                return False
            self.last = time.monotonic()
        self.trim(0)
        return True


release_free_memory = _FreeMemory()

