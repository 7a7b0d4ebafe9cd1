"""The training loop: Data -> (Model -> logits -> Loss -> Optimizer), for `epochs` over shuffled batches.

The dataset is one in-memory tensor, converted to float once; a batch is a slice of the epoch's
permutation. Shuffling, dropout and augmentation are seeded from (seed, epoch) at every epoch start,
so an uninterrupted run and one resumed after epoch k see the same random numbers: resume is exact.
No `.item()` runs per step: loss and accuracy accumulate on-tensor and are read every `log_every` steps.
"""

from __future__ import annotations

import math
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from mnistlab import distributed
from mnistlab.config import Config
from mnistlab.data import Dataset, load_dataset, split_validation
from mnistlab.device import autocast_dtype, select_device
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import (
    evaluate,
    loss_from_logits,
    metrics_from_logits,
    predict_logits,
)
from mnistlab.files import write_json
from mnistlab.models import build_model, infer
from mnistlab.train import runs
from mnistlab.train.checkpoint import CHECKPOINT, load_checkpoint, save_checkpoint
from mnistlab.train.optim import make_optimizer, make_schedule

Callback = Callable[[dict], None]  # receives every event dict; may raise StopTraining


class StopTraining(Exception):
    """Raised by a callback to end training after the current event (e.g. a web 'cancel')."""


def epoch_seed(seed: int, epoch: int) -> int:
    return seed * 1_000_003 + epoch


def augment(x: torch.Tensor, shift: int, rotation: float, generator: torch.Generator) -> torch.Tensor:
    """Random shifts (pixels) and rotations (degrees) of a batch [N, C, H, W], as one affine resample."""
    n, _, h, w = x.shape
    angle = (torch.rand(n, generator=generator) * 2 - 1) * math.radians(rotation)
    # affine_grid works in [-1, 1] coordinates: a shift of s pixels is 2*s/size there.
    tx = torch.randint(-shift, shift + 1, (n,), generator=generator) * 2.0 / w
    ty = torch.randint(-shift, shift + 1, (n,), generator=generator) * 2.0 / h
    cos, sin = angle.cos(), angle.sin()
    theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1).to(x)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, padding_mode="zeros", align_corners=False)


def channel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 images scaled to 0..1 (the input normalisation)."""
    x = images.float().div_(255).transpose(0, 1).reshape(images.shape[1], -1)
    return x.mean(1).tolist(), x.std(1).clamp(min=1e-6).tolist()


def fit(config: Config, out: str | Path, *, dataset: Dataset | None = None, resume: bool = False,
        progress: bool = True, callbacks: Iterable[Callback] = ()) -> dict:
    """Train `config`, writing the run folder `out`; returns result.json's content.

    `dataset` skips loading (tests, sweeps); `resume=True` continues `out` from its checkpoint.
    Under torchrun this is one of several data-parallel processes (see mnistlab.distributed).
    """
    out = Path(out)
    tc, dc = config.train, config.data
    ddp, device = distributed.setup(select_device(tc.device, tc.threads))  # a single process outside torchrun
    progress = progress and ddp.is_main  # rank 0 prints, writes files and calls callbacks for all
    if resume and not (out / CHECKPOINT).is_file():
        raise MnistlabError(f"{out}: nothing to resume (no {CHECKPOINT}); start a new run instead of --resume")
    if not resume and ddp.is_main and (out / "model.json").exists():
        raise MnistlabError(f"{out} already holds a run; pick another --out, or continue it with --resume {out}")
    started = time.perf_counter()
    ds = dataset or load_dataset(dc.dataset, dc.data_dir, color=dc.color, progress=progress)
    infer(config.model, ds.input_shape, ds.num_classes)  # an impossible stack fails before any other work
    if dc.validation_size >= len(ds.train_images):
        raise MnistlabError(f"data.validation_size = {dc.validation_size} leaves no training images out of "
                            f"{len(ds.train_images)}; set data.validation_size below {len(ds.train_images)}")
    (train_x, train_y), (val_x, val_y) = split_validation(ds.train_images, ds.train_labels, dc.validation_size)
    mean, std = channel_stats(train_x) if dc.normalize else (None, None)

    torch.manual_seed(tc.seed)  # weight initialisation
    model = build_model(config.model, ds.input_shape, ds.num_classes, mean, std).to(device)
    # channels_last (NHWC in memory) is what oneDNN's and cuDNN's fast convolution kernels want: 1.3-1.6x
    # faster on a CPU (benchmarks/RESULTS.md). Set before DDP records the parameters' layout.
    model.to(memory_format=torch.channels_last)
    optimizer = make_optimizer(model.parameters(), tc)
    steps_per_epoch = ddp.steps_per_epoch(len(train_x), tc.batch_size)
    schedule = make_schedule(optimizer, steps_per_epoch, tc)
    params = sum(p.numel() for p in model.parameters())
    if ddp.is_main:
        out.mkdir(parents=True, exist_ok=True)
        runs.write_config(out, config)
        runs.write_model_meta(out, {
            "format": 1, "dataset": ds.name, "classes": list(ds.classes), "input_shape": list(ds.input_shape),
            "mean": mean, "std": std, "output": config.model.output, "params": params,
        })

    state = {"epoch": 0, "history": [], "events": [], "elapsed": 0.0, "target_epoch": None, "target_seconds": None}
    if resume:
        state = load_checkpoint(out / CHECKPOINT, model, optimizer, schedule, device)
    history, events = state["history"], state["events"]
    callbacks = list(callbacks) if ddp.is_main else []
    train_model = ddp.wrap(model, device)  # DistributedDataParallel under torchrun, else `model` itself
    if tc.compile == "always" or (tc.compile == "auto" and device.type == "cuda"):
        train_model = torch.compile(train_model)  # shares `model`'s parameters: checkpoints are unchanged

    def notify(event: dict) -> None:
        for cb in callbacks:
            cb(event)

    def emit(event: dict) -> None:
        events.append(event)
        notify(event)

    # [N, C, H, W] floats, once, not per batch, in the model's channels_last layout
    x_all = train_x.to(device).float().div_(255).contiguous(memory_format=torch.channels_last)
    y_all = train_y.to(device)
    amp = autocast_dtype(device, tc.precision)
    classes = list(ds.classes)
    elapsed_before = state["elapsed"]
    emit({"event": "start", "epochs": tc.epochs, "steps_per_epoch": steps_per_epoch, "train_size": len(train_x),
          "validation_size": len(val_x), "params": params, "device": str(device), "resumed_from": state["epoch"]})
    model.train()
    stop_reason = None
    for epoch in range(state["epoch"] + 1, tc.epochs + 1):
        t0 = time.perf_counter()
        torch.manual_seed(epoch_seed(tc.seed, epoch))  # dropout
        gen = torch.Generator().manual_seed(epoch_seed(tc.seed, epoch))  # shuffle + augmentation
        order = (torch.randperm(len(x_all), generator=gen) if tc.shuffle else torch.arange(len(x_all))).to(device)
        # One shuffled copy per epoch, then contiguous slices: faster than gathering every batch (~10%).
        xs, ys = x_all[order], y_all[order]
        ddp.reseed(gen, epoch_seed(tc.seed, epoch))  # ranks share the permutation, not dropout/augmentation
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        bar = _progress(progress, steps_per_epoch, f"epoch {epoch}/{tc.epochs}")
        for step in range(steps_per_epoch):
            lo, hi = step * tc.batch_size, min((step + 1) * tc.batch_size, len(xs))
            a, b = ddp.part(lo, hi)  # this rank's part of the global batch (all of it in one process)
            xb, yb = xs[a:b], ys[a:b]
            if dc.shift or dc.rotation:
                xb = augment(xb, dc.shift, dc.rotation, gen)
            with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                logits = train_model(xb)
            loss = loss_from_logits(logits.float(), yb, tc.loss, tc.label_smoothing)  # the loss in float32
            optimizer.zero_grad(set_to_none=True)
            (loss * ddp.grad_weight(b - a, hi - lo) if ddp.enabled else loss).backward()
            optimizer.step()
            schedule.step()
            loss_sum += loss.detach() * (b - a)
            correct += (logits.detach().argmax(1) == yb).sum()
            if (step + 1) % tc.log_every == 0 or step + 1 == steps_per_epoch:
                seen = min((step + 1) * tc.batch_size, len(x_all))
                total_loss, total_correct = ddp.all_sum(loss_sum, correct)  # over all ranks' parts
                train_row = {"loss": total_loss.item() / seen, "accuracy": total_correct.item() / seen}
                _check_finite(train_row["loss"], epoch, out, tc.learning_rate)
                bar.update(step + 1 - bar.n)
                bar.set_postfix(loss=f"{train_row['loss']:.4f}", acc=f"{train_row['accuracy']:.4f}", refresh=False)
                emit({"event": "step", "epoch": epoch, "step": step + 1, **train_row,
                      "learning_rate": optimizer.param_groups[0]["lr"]})
        bar.close()
        val_row = _validation(model, val_x, val_y, tc, classes) if ddp.is_main else {}
        row = {"epoch": epoch, **train_row, **val_row,
               "learning_rate": optimizer.param_groups[0]["lr"], "seconds": time.perf_counter() - t0}
        row["elapsed"] = elapsed_before + time.perf_counter() - started
        history.append(row)
        monitored = row.get("val_accuracy", row["accuracy"])
        if tc.target_accuracy is not None and state["target_epoch"] is None and monitored >= tc.target_accuracy:
            state["target_epoch"], state["target_seconds"] = epoch, row["elapsed"]
            stop_reason = "target_accuracy"
        state.update(epoch=epoch, elapsed=row["elapsed"])
        events.append({"event": "epoch", **row})
        if ddp.is_main:
            _save_epoch(out, model, optimizer, schedule, state, history, events)
        try:  # callbacks see an epoch whose checkpoint is already on disk (and may load it)
            notify(events[-1])
        except StopTraining:
            stop_reason = stop_reason or "cancelled"
        if progress:
            _print_epoch(row, "val_accuracy" in row)
        stop_reason = ddp.from_main(stop_reason)  # rank 0 saw the validation accuracy and the callbacks
        if stop_reason:
            break

    result = _finish(out, config, model, ds, state, history, events, started, elapsed_before, stop_reason, emit,
                     progress) if ddp.is_main else None
    result = ddp.from_main(result)  # every rank returns rank 0's result
    ddp.close()
    return result


def _validation(model, val_x, val_y, tc, classes) -> dict:
    if len(val_x) == 0:
        return {}
    m = metrics_from_logits(predict_logits(model, val_x, tc.eval_batch_size), val_y, tc.loss, classes)
    row = {"val_loss": m["loss"], "val_accuracy": m["accuracy"]}
    for name in tc.metrics:
        if name != "accuracy":
            row[f"val_{name}"] = m[name]
    return row


def _save_epoch(out, model, optimizer, schedule, state, history, events) -> None:
    # Ctrl-C while the three files are written would leave them disagreeing: hold it until done.
    with _no_interrupt():
        save_checkpoint(out / CHECKPOINT, model, optimizer, schedule, state)
        runs.write_metrics(out, history)
        runs.write_events(out, events)


def _finish(out, config, model, ds, state, history, events, started, elapsed_before, stop_reason, emit, progress):
    tc = config.train
    runs.save_weights(out / "model.safetensors", model)
    test = evaluate(model, ds.test_images, ds.test_labels, tc.loss, list(ds.classes), tc.eval_batch_size)
    seconds = elapsed_before + time.perf_counter() - started
    result = {
        "status": {"target_accuracy": "reached_target", "cancelled": "cancelled"}.get(stop_reason, "completed"),
        "epochs_run": state["epoch"],
        "test_accuracy": test["accuracy"], "test_loss": test["loss"],
        "test_top5_accuracy": test.get("top5_accuracy"), "test_f1": test["f1"],
        "val_accuracy": history[-1].get("val_accuracy") if history else None,
        "seconds": seconds,
        "target_accuracy": tc.target_accuracy,
        "target_reached": state["target_epoch"] is not None,
        "target_epoch": state["target_epoch"], "target_seconds": state["target_seconds"],
        "params": sum(p.numel() for p in model.parameters()),
        "dataset": ds.name, "train_size": len(ds.train_images) - config.data.validation_size,
    }
    emit({"event": "end", **result})
    runs.write_events(out, events)
    write_json(out / "result.json", result)
    if progress:
        print(_result_line(result, "val_accuracy" if config.data.validation_size else "accuracy"))
    return result


def _result_line(r: dict, monitored: str) -> str:
    epochs = f"{r['epochs_run']} epoch{'s' if r['epochs_run'] != 1 else ''}"
    line = f"test accuracy {r['test_accuracy']:.4f}  test loss {r['test_loss']:.4f}  ({epochs}, {r['seconds']:.1f} s)"
    if r["target_accuracy"] is not None:
        if r["target_reached"]:
            line += (f"\ntarget {monitored} {r['target_accuracy']} reached at epoch {r['target_epoch']} "
                     f"after {r['target_seconds']:.1f} s")
        else:
            line += f"\ntarget {monitored} {r['target_accuracy']} was NOT reached in {epochs}"
    return line


def _print_epoch(row: dict, has_val: bool) -> None:
    text = f"epoch {row['epoch']}: loss {row['loss']:.4f} accuracy {row['accuracy']:.4f}"
    if has_val:
        text += f" | val_loss {row['val_loss']:.4f} val_accuracy {row['val_accuracy']:.4f}"
    print(text + f" | lr {row['learning_rate']:.2e} | {row['seconds']:.1f} s", flush=True)


def _check_finite(loss: float, epoch: int, out: Path, lr: float) -> None:
    if not math.isfinite(loss):
        kept = f"the last good checkpoint (epoch {epoch - 1}) is kept in {out}" if epoch > 1 else "no epoch finished"
        raise MnistlabError(f"the loss became {loss} during epoch {epoch}; {kept}; "
                            f"lower train.learning_rate (now {lr}) and train again")


class _no_interrupt:
    """Defer SIGINT until a block of writes is done (main thread only; elsewhere a no-op)."""

    def __enter__(self):
        self.pending, self.old = False, None
        try:
            self.old = signal.signal(signal.SIGINT, lambda *_: setattr(self, "pending", True))
        except ValueError:  # not the main thread
            pass

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
            if self.pending:
                raise KeyboardInterrupt


def _progress(enabled: bool, total: int, desc: str):
    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)
