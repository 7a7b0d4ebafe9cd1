"""The device, the training precision and the CPU thread count are chosen here: `auto` is CUDA when present,
else the CPU; bf16 where the hardware multiplies it natively."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from pathlib import Path

import torch

from mnistlab.errors import MnistlabError


def select_device(name: str = "auto") -> torch.device:
    """Resolve `auto|cpu|cuda[:N]`."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise MnistlabError("device.no_cuda")
    if name != "cpu" and not name.startswith("cuda"):
        raise MnistlabError("device.unknown", name=name)
    return torch.device(name)


# The CPU thread count is process-wide state. It is set only here: by whoever owns the process (the
# `mnistlab` command, the web server, a worker process) through `set_process_threads`, or for the
# length of a block through `threads`, which restores the caller's count afterwards.


def set_process_threads(n: int) -> None:
    """Use `n` intra-op CPU threads from now on (0: leave PyTorch's default, one per core)."""
    if n > 0:
        torch.set_num_threads(n)


@contextlib.contextmanager
def threads(n: int) -> Iterator[None]:
    """Run a block with `n` intra-op CPU threads (0: as they are), then restore the previous count, also
    when it was `n` already or 0 was given: code inside the block may change the count itself (fit
    follows the machine's load), and the caller must get its own back either way."""
    before = torch.get_num_threads()
    if 0 < n != before:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if torch.get_num_threads() != before:
            torch.set_num_threads(before)


@functools.cache
def cpu_has_bf16() -> bool:
    """True when the CPU multiplies bf16 natively (AMX or AVX512-BF16); elsewhere bf16 is emulated and slow."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: stay with float32
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def autocast_dtype(device: torch.device, precision: str) -> torch.dtype | None:
    """The dtype the forward pass autocasts to, or None for plain float32."""
    if precision == "float32":
        return None
    if precision == "bfloat16":
        return torch.bfloat16
    native = torch.cuda.is_bf16_supported() if device.type == "cuda" else cpu_has_bf16()
    return torch.bfloat16 if native else None
