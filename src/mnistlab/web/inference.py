"""Predictions for the web page: run folders -> cached models -> probabilities and feature maps.

A model is loaded once per run and kept (a few at most); each request only `stat`s the weights file
and reloads when it changed, so a run that is still training is drawn against its latest epoch.
Inference in eval mode under `inference_mode` mutates nothing, so one model serves many threads.
Images go through `mnistlab.predict.to_input`, the same preprocessing as `mnistlab predict`.
"""

from __future__ import annotations

import base64
import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnistlab.data.images import load_image
from mnistlab.device import select_device
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import probabilities
from mnistlab.models import Network, map_stages
from mnistlab.predict import to_input
from mnistlab.train.checkpoint import CHECKPOINT
from mnistlab.train.runs import Run, check_run_name

HEAD_NOTES = {
    "softmax": "softmax: the classes compete and the probabilities sum to 1",
    "sigmoid": "sigmoid: each class is its own yes/no question, scored 0..1 independently",
}


class UnknownRun(MnistlabError):
    """The run name is valid but no such run folder exists (HTTP 404)."""


def run_path(runs_dir: Path, name: str) -> Path:
    """The folder of run `name` inside `runs_dir`, refusing names that could leave it."""
    path = runs_dir / check_run_name(name)
    if not (path / "config.toml").is_file():
        raise UnknownRun(f"no run named {name!r} in {runs_dir}; pick one from /api/runs")
    return path


def weights_stamp(path: Path) -> tuple | None:
    """What identifies the weights on disk: final weights, else the latest checkpoint."""
    for name in ("model.safetensors", CHECKPOINT):
        try:
            st = (path / name).stat()
        except FileNotFoundError:
            continue
        return name, st.st_mtime_ns, st.st_size
    return None


@dataclass(frozen=True)
class ConvBlock:
    """A conv layer and the elementwise layers right after it; its picture is the last one's output."""

    first: int
    last: int
    label: str  # e.g. "conv2d → batchnorm → activation"
    settings: str


@dataclass(frozen=True)
class LoadedRun:
    run: Run
    model: Network
    stamp: tuple
    blocks: tuple[ConvBlock, ...]

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.run.meta["input_shape"])


def conv_blocks(model: Network) -> tuple[ConvBlock, ...]:
    infos = model.infos
    return tuple(ConvBlock(first, last, " → ".join(i.type for i in infos[first:last + 1]), infos[first].settings)
                 for first, last in map_stages(infos, types=("conv2d",)))


def inference_pool(workers: int | None = None) -> ThreadPoolExecutor:
    """Threads for predictions, each running PyTorch single-threaded: one small image gains nothing from
    intra-op threads, and on a busy machine their spin-waiting costs milliseconds. Requests run side by
    side instead, one per core."""
    return ThreadPoolExecutor(workers or os.cpu_count() or 2, thread_name_prefix="predict",
                              initializer=torch.set_num_threads, initargs=(1,))


class ModelCache:
    """Trained models by run name, reloaded when their weights file changes, at most `size` kept."""

    def __init__(self, runs_dir: Path, device: str = "cpu", size: int = 4):
        self.runs_dir, self.device, self.size = Path(runs_dir), select_device(device), size
        self._models: OrderedDict[str, LoadedRun] = OrderedDict()
        self._lock = threading.Lock()  # guards the dict; loading happens under it so a run loads once

    def get(self, name: str) -> LoadedRun:
        path = run_path(self.runs_dir, name)
        stamp = weights_stamp(path)
        if stamp is None:
            raise MnistlabError(f"run {name!r} has no weights yet (it has not finished an epoch); pick another run")
        with self._lock:
            loaded = self._models.get(name)
            if loaded is None or loaded.stamp != stamp:
                run = Run.open(path)
                model = run.load_model(self.device)
                loaded = LoadedRun(run, model, stamp, conv_blocks(model))
                self._models[name] = loaded
            self._models.move_to_end(name)
            while len(self._models) > self.size:
                self._models.popitem(last=False)
            return loaded


def _b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array, dtype=np.uint8).tobytes()).decode("ascii")


def _feature_maps(loaded: LoadedRun, outs: list[torch.Tensor]) -> list[dict]:
    """Each conv block's output [C, H, W] as uint8, scaled by the layer's own range (shared by its maps,
    so a weak map looks weak next to a strong one)."""
    maps = []
    for block in loaded.blocks:
        x = outs[block.last][0].float().cpu()
        lo, hi = float(x.min()), float(x.max())
        scaled = ((x - lo) * (255.0 / (hi - lo)) if hi > lo else torch.zeros_like(x)).round_().to(torch.uint8)
        maps.append({"layers": [block.first, block.last], "label": block.label, "settings": block.settings,
                     "shape": list(x.shape), "min": lo, "max": hi, "data": _b64(scaled.numpy())})
    return maps


@torch.inference_mode()
def predict_image(loaded: LoadedRun, data: bytes, features: bool = True, max_pixels: int | None = None) -> dict:
    """Image bytes -> the model's answer, the input it saw, and (optionally) every conv block's maps."""
    image = load_image(data) if max_pixels is None else load_image(data, max_pixels)
    channels, height, _ = loaded.input_shape
    x = to_input(image, channels, height)  # uint8 [C, H, W], exactly as `mnistlab predict` prepares it
    batch = torch.from_numpy(x[None]).to(next(loaded.model.parameters()).device).float().div_(255)
    outs = loaded.model.features(batch) if features and loaded.blocks else [loaded.model(batch)]
    probs = probabilities(outs[-1], loaded.run.output)[0].float().cpu()
    classes = loaded.run.classes
    order = probs.argsort(descending=True).tolist()
    return {
        "run": loaded.run.name,
        "head": loaded.run.output,
        "head_note": HEAD_NOTES[loaded.run.output],
        "classes": classes,
        "probabilities": probs.tolist(),
        "top": [{"class": classes[i], "index": i, "probability": float(probs[i])} for i in order],
        "blank": not x.any(),  # nothing that stands out as ink: the answer means nothing
        "input": {"shape": list(x.shape), "data": _b64(x)},
        "features": _feature_maps(loaded, outs) if features else [],
    }
