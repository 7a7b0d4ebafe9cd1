"""Data-parallel training: 2 CPU processes under torchrun (gloo) reproduce a single-process run.

The model has no BatchNorm (tiny_config: conv -> maxpool -> dense): with BatchNorm each rank would
normalise with its own half of the batch and the two runs would differ by design.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import REPO, tiny_config
from safetensors.torch import load_file

from mnistlab import distributed
from mnistlab.data import load_dataset
from mnistlab.errors import MnistlabError
from mnistlab.train import Run, fit

RUN_FILES = {"config.toml", "model.json", "model.safetensors", "checkpoint.safetensors", "metrics.csv",
             "events.jsonl", "result.json"}


# ------------------------------------------------------------------------------------------------
# The pieces, in one process
# ------------------------------------------------------------------------------------------------


def test_from_env_reads_torchrun_variables():
    assert distributed.from_env({}) == distributed.Replica()
    r = distributed.from_env({"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1"})
    assert (r.rank, r.world_size, r.local_rank, r.enabled, r.is_main) == (3, 4, 1, True, False)
    with pytest.raises(MnistlabError, match="RANK"):
        distributed.from_env({"WORLD_SIZE": "2"})
    with pytest.raises(MnistlabError, match="outside"):
        distributed.from_env({"RANK": "2", "WORLD_SIZE": "2"})


def test_parts_are_disjoint_and_cover_every_global_batch():
    lo, hi = 100, 137  # an uneven final batch of 37 images, as positions in the epoch's shuffled copy
    parts = [distributed.Replica(r, 3).part(lo, hi) for r in range(3)]
    assert parts == [(100, 113), (113, 125), (125, 137)]  # contiguous, in order, sizes 13, 12, 12
    assert [b - a for a, b in parts] == [len(t) for t in torch.arange(lo, hi).tensor_split(3)]
    # DDP averages the ranks' gradients: weighted, that average is the mean over all 37 images.
    per_image = torch.rand(1000).double()
    ddp_average = sum(distributed.Replica(r, 3).grad_weight(b - a, hi - lo) * per_image[a:b].mean()
                      for r, (a, b) in enumerate(parts)) / 3
    assert ddp_average.item() == pytest.approx(per_image[lo:hi].mean().item(), rel=1e-12)
    assert distributed.Replica(0, 2).grad_weight(32, 64) == 1.0


def test_steps_per_epoch_skips_a_last_batch_smaller_than_the_world():
    assert distributed.Replica().steps_per_epoch(1001, 100) == 11  # one process: every image
    assert distributed.Replica(0, 2).steps_per_epoch(1001, 100) == 10  # 1 image for 2 ranks: skipped
    assert distributed.Replica(0, 2).steps_per_epoch(1002, 100) == 11
    with pytest.raises(MnistlabError, match="batch_size"):
        distributed.Replica(0, 4).steps_per_epoch(1000, 2)


def test_launch_reruns_the_command_under_torchrun_without_nproc(monkeypatch):
    seen = {}
    monkeypatch.setattr(subprocess, "run", lambda cmd, env, check: seen.update(cmd=cmd, env=env) or
                        subprocess.CompletedProcess(cmd, 0))
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert distributed.launch(["train", "--nproc", "2", "--epochs", "1", "--nproc=2"], 2) == 0
    assert seen["cmd"][1:] == ["-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2",
                               "-m", "mnistlab", "train", "--epochs", "1"]
    assert int(seen["env"]["OMP_NUM_THREADS"]) >= 1


# ------------------------------------------------------------------------------------------------
# Two processes against one
# ------------------------------------------------------------------------------------------------


def _config(idx_dir, epochs=2):
    # threads=1: each of the two processes gets one of the machine's cores; float32: bf16 rounding would
    # differ between a batch of 64 and two parts of 32, and this test is about the arithmetic of the split
    return tiny_config(threads=1, epochs=epochs, precision="float32").replace(**{"data.dataset": f"idx:{idx_dir}"})


def _single_process(config, out, **kwargs):
    threads = torch.get_num_threads()  # fit sets the thread count: give this test process its own back
    try:
        return fit(config, out, dataset=load_dataset(config.data.dataset, progress=False), progress=False, **kwargs)
    finally:
        torch.set_num_threads(threads)


def _torchrun(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-m", "mnistlab", "train", "--nproc", "2", "--quiet", *args],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def _same_curve(a: Run, b: Run) -> None:
    ma, mb = a.metrics(), b.metrics()
    assert [r["epoch"] for r in ma] == [r["epoch"] for r in mb] == [1, 2]
    for ra, rb in zip(ma, mb):
        for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert rb[key] == pytest.approx(ra[key], rel=1e-3, abs=1e-6), (key, ra, rb)
    wa, wb = load_file(str(a.path / "model.safetensors")), load_file(str(b.path / "model.safetensors"))
    for name in wa:
        torch.testing.assert_close(wb[name], wa[name], rtol=1e-4, atol=1e-5)


def test_two_processes_match_one_with_the_same_global_batch(tmp_path, tiny_idx_dir):
    config = _config(tiny_idx_dir)
    (tmp_path / "config.toml").write_text(config.to_toml())
    single = tmp_path / "single"
    _single_process(config, single)
    ddp = tmp_path / "ddp"
    proc = _torchrun("--config", str(tmp_path / "config.toml"), "--out", str(ddp))

    assert proc.stdout.count("test accuracy") == 1  # rank 0 alone speaks
    assert RUN_FILES <= {p.name for p in ddp.iterdir()}
    assert not [p for p in ddp.iterdir() if p.name.endswith(".tmp")]
    events = [json.loads(line) for line in (ddp / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events].count("start") == 1 and events[-1]["event"] == "end"
    assert json.loads((ddp / "result.json").read_text())["epochs_run"] == 2
    _same_curve(Run.open(single), Run.open(ddp))


def test_two_processes_resume_a_checkpoint(tmp_path, tiny_idx_dir):
    """Epoch 1 in one process, epoch 2 resumed in two: the same as two epochs in one process."""
    config = _config(tiny_idx_dir)
    reference = tmp_path / "reference"
    _single_process(config, reference)
    half = tmp_path / "half"
    _single_process(_config(tiny_idx_dir, epochs=1), half)
    (half / "config.toml").write_text(config.to_toml())  # the interrupted run was meant to train 2 epochs
    (half / "result.json").unlink()
    (half / "model.safetensors").unlink()

    _torchrun("--resume", str(half))
    assert json.loads((half / "result.json").read_text())["epochs_run"] == 2
    _same_curve(Run.open(reference), Run.open(half))
