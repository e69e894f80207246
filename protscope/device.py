"""Pick the training device and precision, degrading cleanly to what this machine has."""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
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


BF16_FLAGS = ("avx512_bf16", "amx_bf16")  # x86 instructions that compute bfloat16 natively


def cpu_has_bf16(cpuinfo: str | None = None) -> bool:
    """Whether this CPU has native bfloat16 arithmetic (AVX512-BF16 or AMX-BF16, from /proc/cpuinfo's flags).
    Elsewhere (no /proc/cpuinfo, ARM, Apple) it is not assumed: emulated bf16 is slower than fp32.
    PROTSCOPE_CPU_BF16=0 or 1 overrides the detection."""
    forced = os.environ.get("PROTSCOPE_CPU_BF16", "")
    if forced in ("0", "1"):
        return forced == "1"
    flags = _this_cpus_flags() if cpuinfo is None else _flags(cpuinfo)
    return any(flag in flags for flag in BF16_FLAGS)


@functools.cache  # read once: the Train page asks on every rerun, and /proc/cpuinfo has a block per core
def _this_cpus_flags() -> frozenset[str]:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as file:
            return _flags(file.read())
    except OSError:
        return frozenset()


def _flags(cpuinfo: str) -> frozenset[str]:
    return frozenset(next((line.split(":", 1)[1].split() for line in cpuinfo.splitlines()
                           if line.startswith("flags")), []))


def resolve_precision(precision: str, device: torch.device,
                      cpu_bf16_pays: bool = True) -> tuple[torch.dtype | None, str]:
    """The autocast dtype (None: full fp32) and a note saying what was chosen when it is not plain fp32, or
    why a request could not be honoured. "auto" is bf16 where the hardware computes it natively (a CUDA GPU
    with bf16, a CPU with AVX512-BF16/AMX, for a model where that pays: `cpu_bf16_pays`), else fp32; fp16
    (with loss scaling) is for CUDA only."""
    if precision == "fp32":
        return None, ""
    if device.type == "cuda":
        if precision == "auto":
            return (torch.bfloat16, "mixed precision: bf16 autocast on this GPU") if torch.cuda.is_bf16_supported() \
                else (None, "")
        if precision == "bf16" and not torch.cuda.is_bf16_supported():
            return torch.float16, "this GPU has no bf16; using fp16 with loss scaling"
        return (torch.bfloat16 if precision == "bf16" else torch.float16), ""
    if device.type == "cpu" and precision in ("auto", "bf16"):
        native = cpu_has_bf16()
        if native and (precision == "bf16" or cpu_bf16_pays):
            return torch.bfloat16, "mixed precision: bf16 autocast on this CPU (it has native bf16 instructions)"
        if precision == "auto":
            return None, ("precision auto: fp32, as bf16 was measured slower than fp32 for this kind of model on a CPU"
                          if native else "precision auto: fp32, as this CPU has no native bf16 instructions")
        return None, ("bf16 needs a CPU with native bf16 instructions (AVX512-BF16 or AMX) and this one has none; "
                      "training in fp32, which is faster here than emulated bf16")
    if precision == "auto":
        return None, ""
    return None, f"mixed precision ({precision}) needs CUDA; training in fp32 on {device.type}"


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


def lower_priority(niceness: int) -> None:
    """Give this thread (and the threads it starts: torch's intra-op pool when it has none yet) a lower CPU
    priority, so the web server's own threads answer first on a busy machine. Linux sets nice per thread;
    elsewhere, or without permission, it stays as it is."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        current = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), min(19, current + niceness))
    except OSError:
        pass
