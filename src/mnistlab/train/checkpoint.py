"""Resumable checkpoints in one safetensors file: no pickle, written atomically.

Tensors: the model's state (`model.*`), the optimizer's per-parameter state (`optim.<i>.<name>`).
Everything else (epoch, optimizer hyper-parameters, schedule step, metrics so far) is JSON in the
file's metadata. Shuffling and dropout are re-seeded from (seed, epoch) at every epoch start, so
no random-generator state is needed to resume bit-for-bit, and none is stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from mnistlab.errors import MnistlabError
from mnistlab.files import atomic_path



def save_checkpoint(path: Path, model, optimizer, scheduler, state: dict) -> None:
    tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    opt = optimizer.state_dict()
    scalars = {}
    for idx, pstate in opt["state"].items():
        for name, value in pstate.items():
            if torch.is_tensor(value):
                tensors[f"optim.{idx}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars[f"{idx}.{name}"] = value
    meta = {
        "state": state,
        "param_groups": opt["param_groups"],
        "optim_scalars": scalars,
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
    }
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata={"mnistlab": json.dumps(meta, default=_jsonable)})


def _jsonable(value):
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"cannot store {type(value).__name__} in a checkpoint")


def load_checkpoint(path: Path, model, optimizer, scheduler, device) -> dict:
    """Restore model, optimizer and schedule in place; return the saved training state."""
    if not Path(path).exists():
        raise MnistlabError("run.no_checkpoint", path=path)
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = json.loads(f.metadata()["mnistlab"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as e:  # safetensors raises several types for a damaged file
        raise MnistlabError("run.bad_checkpoint", path=path, error=e) from None
    model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    opt_state: dict = {}
    for key, value in tensors.items():
        if key.startswith("optim."):
            _, idx, name = key.split(".", 2)
            opt_state.setdefault(int(idx), {})[name] = value.to(device)
    for key, value in meta["optim_scalars"].items():
        idx, name = key.split(".", 1)
        opt_state.setdefault(int(idx), {})[name] = value
    groups = meta["param_groups"]
    for g in groups:
        if "betas" in g:
            g["betas"] = tuple(g["betas"])
    optimizer.load_state_dict({"state": opt_state, "param_groups": groups})
    if scheduler is not None and meta["scheduler"] is not None:
        scheduler.load_state_dict(meta["scheduler"])
    return meta["state"]
