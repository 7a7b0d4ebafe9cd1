"""The device is chosen here, once: `auto` is CUDA when present, else the CPU."""

from __future__ import annotations

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
