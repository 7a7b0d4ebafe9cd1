"""The device and the training precision are chosen here, once: `auto` is CUDA when present, else the CPU."""

from __future__ import annotations

import functools
from pathlib import Path

import torch

from mnistlab.errors import MnistlabError


def select_device(name: str = "auto", threads: int = 0) -> torch.device:
    """Resolve `auto|cpu|cuda[:N]`; on the CPU, use `threads` threads (0 = PyTorch's default, one per core)."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise MnistlabError("device 'cuda' was asked for but PyTorch sees no CUDA GPU; use --device cpu or auto")
    if name != "cpu" and not name.startswith("cuda"):
        raise MnistlabError(f"device {name!r} is unknown; use auto, cpu or cuda")
    if threads > 0:
        torch.set_num_threads(threads)
    return torch.device(name)


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
