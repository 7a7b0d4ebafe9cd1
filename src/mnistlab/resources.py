"""What this machine can give a run: CPU cores and memory, checked before anything is allocated.

`training_memory` estimates a recipe's peak memory from the shapes `models.infer` computes, walked on
PyTorch's "meta" device so that even a 100,000-filter stack costs nothing to size: the weights, their
gradients, the optimizer's state, and the activations of one batch (kept for the backward pass, plus
their gradients). `check_memory` refuses a recipe whose estimate exceeds the memory available now,
and `check_threads` a thread count above the cores this process may use.
"""

from __future__ import annotations

import os
import time

from mnistlab.errors import MnistlabError

# What one training job started from the web studio may ask for (`serve --max-...`): enough for every
# preset on MNIST (the largest has 1.2 M parameters, 15 epochs and 170 MiB of activations per batch).
STUDIO_BUDGET = {"max_params": 5_000_000, "max_batch_memory": 2 * 2**30, "max_epochs": 100, "max_train_images": 60_000}

FLOAT = 4  # bytes: weights, optimizer state and activations are float32
# float32 tensors of optimizer state per parameter (beyond the weight and its gradient)
OPTIMIZER_STATE = {"sgd": 1, "adam": 2, "adamw": 2, "rmsprop": 2, "adadelta": 2}


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, e.g. a container's cpuset)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def free_cores(interval: float = 0.05) -> int:
    """The usable cores that other programs leave free right now: all of them, less the CPU time others
    used over `interval` seconds (from /proc/stat, this process's own use taken out), rounded.

    Why: PyTorch's OpenMP threads spin at every parallel region while they wait for each other, so a
    thread that has to share its core with another busy program stalls all of them: with one busy
    program on a 2-core machine, 2 threads trained 16x slower than 1 (benchmarks/RESULTS.md)."""
    watch = CoreWatch()
    if watch.cores == 1:
        return 1
    time.sleep(interval)
    return watch.free(min_window=0.0) or watch.cores


class CoreWatch:
    """Free cores measured over the time between calls, for a loop that can ask at every step: a call
    sooner than `min_window` after the last measurement costs one clock read and returns None."""

    def __init__(self):
        self.cores = usable_cores()
        self._last = self._sample()

    @staticmethod
    def _sample() -> tuple[float, int, int] | None:
        try:
            return time.monotonic(), _cpu_busy(), _own_cpu()
        except (OSError, ValueError, IndexError):  # no /proc (not Linux): nothing to watch
            return None

    def free(self, min_window: float = 0.5) -> int | None:
        """The cores others left free since the last measurement (or since this watch began); None when
        that is under `min_window` seconds ago (too few clock ticks to tell) or /proc cannot be read."""
        if self.cores == 1:
            return 1
        if self._last is None or time.monotonic() - self._last[0] < min_window:
            return None
        now = self._sample()
        if now is None:
            return None
        (t0, busy0, own0), (t1, busy1, own1) = self._last, now
        self._last = now
        ticks = os.sysconf("SC_CLK_TCK") * max(t1 - t0, 1e-9)  # one busy core's ticks over the window
        others = max(0.0, (busy1 - busy0) - (own1 - own0)) / ticks
        return max(1, min(self.cores, round(self.cores - others)))


def _cpu_busy() -> int:
    """Ticks all cores spent running something (user, nice, system, irq, softirq, steal) since boot."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]  # the "cpu" line: user nice system idle iowait irq softirq steal
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return user + nice + system + irq + softirq + steal


def _own_cpu() -> int:
    """Ticks this process has run (user + system, all its threads)."""
    with open("/proc/self/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of proc(5))


def available_memory() -> int | None:
    """Bytes of memory available for new allocations (MemAvailable), or None where it cannot be told."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def check_threads(n: int) -> None:
    """train.threads may not exceed the usable cores (100,000 threads crash OpenMP; thousands hang)."""
    cores = usable_cores()
    if n > cores:
        raise MnistlabError("resources.threads", n=n, cores=cores)


def gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def model_shapes(model_cfg, input_shape, num_classes):
    """`models.infer`'s LayerInfos, computed on the meta device: no weight is allocated."""
    import torch

    from mnistlab.models import infer

    with torch.device("meta"):
        return infer(model_cfg, tuple(input_shape), num_classes)[1]


def training_memory(config, input_shape, num_classes: int) -> dict:
    """The estimated peak bytes of training `config` on inputs of `input_shape`, by part."""
    infos = model_shapes(config.model, input_shape, num_classes)
    params = sum(i.params for i in infos)
    batch = config.train.batch_size
    values = _numel(input_shape) + sum(_numel(i.output_shape) for i in infos)  # per image
    weights = params * FLOAT
    return {
        "params": params,
        "weights": weights,
        "gradients": weights,
        "optimizer": weights * OPTIMIZER_STATE.get(config.train.optimizer, 2),
        # each layer's output is kept for the backward pass, which makes a gradient of the same size
        "activations": 2 * batch * values * FLOAT,
    }


def _numel(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def check_memory(config, input_shape, num_classes: int, limit: int | None = None) -> dict:
    """Refuse a recipe whose estimated training memory exceeds `limit` (default: what is available now)."""
    parts = training_memory(config, input_shape, num_classes)
    total = sum(v for k, v in parts.items() if k != "params")
    limit = available_memory() if limit is None else limit
    if limit is not None and total > limit:
        raise MnistlabError("resources.memory", total=gib(total), params=parts["params"], weights=gib(parts["weights"]),
                            gradients=gib(parts["gradients"] + parts["optimizer"]),
                            activations=gib(parts["activations"]), batch_size=config.train.batch_size, limit=gib(limit))
    return {**parts, "total": total, "limit": limit}
