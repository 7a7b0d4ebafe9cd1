"""Data-parallel training with torchrun: one process per GPU (or per slice of CPU cores), one model.

torchrun starts the processes and tells each its place in environment variables: RANK (0..WORLD_SIZE-1
over all machines), WORLD_SIZE and LOCAL_RANK (the GPU index on this machine), plus MASTER_ADDR/PORT
where they meet. `fit` calls `setup`, which joins the process group when those variables say there is
more than one process (gloo on CPUs, nccl on GPUs), and gets back a `Replica` describing this process.

The division of work, which keeps a run's numbers the same as one process with the same config:
- every rank draws the same permutation each epoch and takes its own disjoint part of each global batch
  (`part`), so `train.batch_size` stays the global batch size and per-rank batches are batch_size / N
  (a final batch with fewer images than ranks is skipped); dropout and augmentation draw per rank;
- DistributedDataParallel averages the gradients over ranks during backward; `grad_weight` makes that
  average the mean over the global batch even when the parts differ in size (a final partial batch);
- loss and accuracy are summed over ranks (`all_sum`) before they are reported;
- only rank 0 validates, writes the run folder, prints and calls callbacks, and decides when to stop.
BatchNorm layers normalise with each rank's own part of the batch (as in plain DDP); their running
statistics are broadcast from rank 0 at each step, and rank 0's are saved.
"""

from __future__ import annotations

import atexit
import math
import os
import subprocess
import sys
from dataclasses import dataclass

import torch
import torch.distributed as dist

from mnistlab.errors import MnistlabError


@dataclass(frozen=True)
class Replica:
    """This process's place among the training processes; the default is a single process."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def steps_per_epoch(self, n: int, batch_size: int) -> int:
        """Global batches per epoch; a last batch with fewer images than ranks is skipped (a rank would get none)."""
        if batch_size < self.world_size:
            raise MnistlabError("distributed.batch_too_small", batch_size=batch_size, world_size=self.world_size)
        steps = math.ceil(n / batch_size)
        return steps - 1 if 0 < n % batch_size < self.world_size else steps

    def reseed(self, generator: torch.Generator, seed: int) -> None:
        """After the shared permutation is drawn, give each other rank its own dropout and augmentation draws."""
        if self.rank:
            seed += self.rank << 32  # a stream of its own per rank
            torch.manual_seed(seed)
            generator.manual_seed(seed)

    def part(self, lo: int, hi: int) -> tuple[int, int]:
        """This rank's contiguous, disjoint part [a, b) of the global batch [lo, hi) (sizes differ by at most one,
        the larger parts first, as torch.tensor_split)."""
        q, r = divmod(hi - lo, self.world_size)
        a = lo + self.rank * q + min(self.rank, r)
        return a, a + q + (self.rank < r)

    def grad_weight(self, part: int, batch: int) -> float:
        """Factor on this rank's mean loss so that DDP's average over ranks is the global batch mean."""
        return part * self.world_size / batch

    def all_sum(self, *values: torch.Tensor) -> list[torch.Tensor]:
        """Sum scalar tensors over all ranks (one collective for all of them)."""
        if not self.enabled:
            return list(values)
        packed = torch.stack([v.double() for v in values])
        dist.all_reduce(packed)
        return list(packed.unbind())

    def from_main(self, obj):
        """Rank 0's `obj` on every rank (stop decisions, the final result)."""
        if not self.enabled:
            return obj
        box = [obj]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def close(self) -> None:
        """Leave the process group together, once training is done: a rank that tears its connections down
        while another still uses them can make that one abort at exit."""
        if self.enabled and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()

    def wrap(self, model: torch.nn.Module, device: torch.device) -> torch.nn.Module:
        if not self.enabled:
            return model
        devices = [device.index] if device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(model, device_ids=devices)


def from_env(environ=os.environ) -> Replica:
    """The Replica torchrun's environment variables describe (a single process when they are absent)."""
    if "WORLD_SIZE" not in environ:
        return Replica()
    try:
        r = Replica(int(environ["RANK"]), int(environ["WORLD_SIZE"]), int(environ.get("LOCAL_RANK", 0)))
    except (KeyError, ValueError):
        raise MnistlabError("distributed.no_rank") from None
    if not 0 <= r.rank < r.world_size:
        raise MnistlabError("distributed.rank_range", rank=r.rank, last=r.world_size - 1)
    return r


def setup(device: torch.device) -> tuple[Replica, torch.device]:
    """Join torchrun's process group if there is one: (this replica, the device it trains on)."""
    replica = from_env()
    if not replica.enabled:
        return replica, device
    if device.type == "cuda":
        if replica.local_rank >= torch.cuda.device_count():
            raise MnistlabError("distributed.no_gpu", local_rank=replica.local_rank, gpus=torch.cuda.device_count())
        device = torch.device("cuda", replica.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        atexit.register(_destroy)  # after an error; a finished run leaves through Replica.close
    return replica, device


def _destroy() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def launch(argv: list[str], nproc: int) -> int:
    """Run the command line `mnistlab ARGV`, less its --nproc flag, under torchrun in `nproc` processes
    on this machine; returns torchrun's exit status (non-zero when any process failed)."""
    if nproc < 1:
        raise MnistlabError("distributed.nproc", nproc=nproc)
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            rest.append(arg)
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={nproc}",
               "-m", "mnistlab", *rest]
    # torchrun would give each process one thread; share the cores instead (train.threads still wins).
    env = {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // nproc)), **os.environ}
    return subprocess.run(command, env=env, check=False).returncode
