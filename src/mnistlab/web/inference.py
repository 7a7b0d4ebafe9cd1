"""Predictions for the web page: run folders -> cached models -> probabilities and feature maps.

A model is loaded once per run and kept (a few at most); each request only `stat`s the weights file
and reloads when it changed, so a run that is still training is drawn against its latest epoch.
Inference in eval mode under `inference_mode` mutates nothing, so one model serves many threads.
Images go through the run's own `RunMeta.to_input`, the same preparation as `mnistlab predict`.

`Predictor` runs them off the event loop. On a multi-core CPU it uses worker processes, each with
its own models: a prediction is mostly Python (decoding, preprocessing, a dozen small layers), so
threads of the server's own process queue on its GIL, behind the HTTP handling too, and one process
never fills more than one core. The training jobs stay in the server process; only predictions move.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import multiprocessing
import os
import threading
from collections import OrderedDict
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from mnistlab.data.images import load_image
from mnistlab.device import select_device, set_process_threads
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import probabilities
from mnistlab.models import Network, map_stages
from mnistlab.resources import usable_cores
from mnistlab.predict import top_classes
from mnistlab.runfolder import Run, check_run_name, is_run, weights_stamp

HEAD_NOTES = {
    "softmax": "softmax: the classes compete and the probabilities sum to 1",
    "sigmoid": "sigmoid: each class is its own yes/no question, scored 0..1 independently",
}


class UnknownRun(MnistlabError):
    """The run name is valid but no such run folder exists (HTTP 404)."""


def run_path(runs_dir: Path, name: str) -> Path:
    """The folder of run `name` inside `runs_dir`, refusing names that could leave it."""
    path = runs_dir / check_run_name(name)
    if not is_run(path):
        raise UnknownRun("web.unknown_run", name=name, runs_dir=runs_dir)
    return path


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
    device: torch.device

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.run.meta.input_shape


def conv_blocks(model: Network) -> tuple[ConvBlock, ...]:
    infos = model.infos
    return tuple(ConvBlock(first, last, " → ".join(i.type for i in infos[first:last + 1]), infos[first].settings)
                 for first, last in map_stages(infos, types=("conv2d",)))


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
            raise MnistlabError("web.no_weights", name=name)
        with self._lock:
            loaded = self._models.get(name)
            if loaded is None or loaded.stamp != stamp:
                run = Run.open(path)
                model = run.load_model(self.device)
                loaded = LoadedRun(run, model, stamp, conv_blocks(model), self.device)
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
        lo, hi = (float(v) for v in torch.aminmax(x))
        scaled = ((x - lo) * (255.0 / (hi - lo)) if hi > lo else torch.zeros_like(x)).round_().to(torch.uint8)
        maps.append({"layers": [block.first, block.last], "label": block.label, "settings": block.settings,
                     "shape": list(x.shape), "min": lo, "max": hi, "data": _b64(scaled.numpy())})
    return maps


@torch.inference_mode()
def predict_image(loaded: LoadedRun, data: bytes, features: bool = True, max_pixels: int | None = None) -> dict:
    """Image bytes -> the model's answer, the input it saw, and (optionally) every conv block's maps."""
    image = load_image(data) if max_pixels is None else load_image(data, max_pixels)
    x, not_a_digit = loaded.run.meta.to_input_checked(image)  # uint8 [C, H, W], as `mnistlab predict` prepares it
    batch = torch.from_numpy(x[None]).to(loaded.device).float().div_(255)
    outs = loaded.model.features(batch) if features and loaded.blocks else [loaded.model(batch)]
    probs = probabilities(outs[-1], loaded.run.output)[0].tolist()
    classes = loaded.run.classes
    return {
        "run": loaded.run.name,
        "head": loaded.run.output,
        "head_note": HEAD_NOTES[loaded.run.output],
        "classes": classes,
        "probabilities": probs,
        # all classes, best first, as `mnistlab predict`; none when the picture is no digit (blank, or a dot)
        "top": [] if not_a_digit else top_classes(probs, classes, len(classes)),
        "blank": bool(not_a_digit),  # nothing that looks like a digit: the probabilities mean nothing
        "note": not_a_digit,
        "input": {"shape": list(x.shape), "data": _b64(x)},
        "features": _feature_maps(loaded, outs) if features else [],
    }


# -- where predictions run ---------------------------------------------------------------------------
MAX_PROCESSES = 4  # the one HTTP process hands out about 1,000 predictions/s: more workers only idle

_worker_models: ModelCache | None = None  # a worker process's own models


def _start_worker(runs_dir: Path, device: str) -> None:
    global _worker_models
    set_process_threads(1)  # one small image gains nothing from intra-op threads; the workers fill the cores
    _worker_models = ModelCache(runs_dir, device)


def to_json(result: dict) -> bytes:
    """The response body, encoded as Starlette's JSONResponse would: done where the prediction ran, off the
    event loop, and a bytes object crosses a process boundary far more cheaply than a nested dict."""
    return json.dumps(result, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def _predict_in_worker(name: str, data: bytes, features: bool) -> bytes:
    return to_json(predict_image(_worker_models.get(name), data, features))


def _load_in_worker(name: str | None) -> None:
    if name:
        try:
            _worker_models.get(name)
        except MnistlabError:  # no weights yet: its first prediction says so
            pass


def default_processes(device: str = "cpu") -> int:
    """Worker processes for predictions: one per core (at most MAX_PROCESSES) on a multi-core CPU; none
    (threads) on one core, or on a GPU, where the device serialises the work and each process would hold a
    CUDA context of its own."""
    cores = usable_cores()
    return min(cores, MAX_PROCESSES) if cores > 1 and select_device(device).type == "cpu" else 0


class Predictor:
    """Predictions off the event loop: in `processes` worker processes, or with `processes=0` in threads
    of this process, each running PyTorch single-threaded."""

    def __init__(self, runs_dir: Path, device: str = "cpu", processes: int = 0):
        self.runs_dir, self.device, self.processes = Path(runs_dir), device, processes
        select_device(device)  # a bad device is refused here, not in every worker
        self.models = None if processes else ModelCache(runs_dir, device)
        self._pool = self._new_pool()

    def _new_pool(self) -> Executor:
        if not self.processes:
            # No thread count is set here: it is process-wide, and this process also trains.
            return ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="predict")
        # Not fork: this process may have run training threads, and a forked OpenMP pool deadlocks. The
        # fork server imports torch once, so each worker starts in milliseconds rather than seconds.
        if "forkserver" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload([__name__])
        else:  # Windows
            context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(self.processes, mp_context=context, initializer=_start_worker,
                                   initargs=(self.runs_dir, self.device))

    async def predict(self, name: str, data: bytes, features: bool = True) -> bytes:
        """`predict_image`'s answer as a JSON body."""
        loop = asyncio.get_running_loop()
        if self.models is not None:
            return await loop.run_in_executor(
                self._pool, lambda: to_json(predict_image(self.models.get(name), data, features)))
        call = functools.partial(_predict_in_worker, name, data, features)
        try:
            return await loop.run_in_executor(self._pool, call)
        except BrokenProcessPool:  # a worker died (killed, out of memory): start fresh ones and try once more
            pool, self._pool = self._pool, self._new_pool()
            pool.shutdown(wait=False)
            return await loop.run_in_executor(self._pool, call)

    async def start(self, name: str | None = None) -> None:
        """Start every worker process now, with run `name` loaded, so that the first requests do not wait
        for them (the pool would start them one at a time, as requests queue up)."""
        if not self.processes:
            return
        loop = asyncio.get_running_loop()
        await asyncio.gather(*(loop.run_in_executor(self._pool, _load_in_worker, name) for _ in range(self.processes)))

    def close(self) -> None:
        self._pool.shutdown(wait=bool(self.processes), cancel_futures=True)  # workers exit with the server
