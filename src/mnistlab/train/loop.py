"""The training loop: Data -> (Model -> logits -> Loss -> Optimizer), for `epochs` over shuffled batches.

`fit` reads as the notes draw it: prepare (data, model, optimizer, run folder), then per epoch
`train_epoch` (the step is the ten lines in the middle), `validate`, `save_epoch`; then `finish`
(final weights, test metrics, result.json). `Training` holds what those steps share.

The training images are one in-memory tensor, converted to float once; a batch is a slice of the
epoch's shuffled copy. Shuffling, dropout and augmentation are seeded from (seed, epoch) at every
epoch start, so an uninterrupted run and one resumed after epoch k see the same random numbers:
resume is exact. All seeding happens inside `torch.random.fork_rng`, so the caller's random state is
left as it was. No `.item()` runs per step: loss and accuracy accumulate on-tensor and are read
every `log_every` steps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from mnistlab import distributed, i18n
from mnistlab.config import Config
from mnistlab.data import Dataset, load_dataset, split_validation
from mnistlab.data.augment import augment
from mnistlab.data.dataset import epoch_order, epoch_seed, limit_training_set, pixel_stats, validation_count
from mnistlab.device import autocast_dtype, select_device, set_process_threads, threads
from mnistlab.errors import MnistlabError, MnistlabWarning
from mnistlab.evaluate import evaluate, loss_from_logits, metrics_from_logits, predict_logits
from mnistlab.models import build_model
from mnistlab.resources import CoreWatch, check_memory, check_threads, free_cores, usable_cores
from mnistlab.runfolder import CHECKPOINT, META, RESULT, WEIGHTS, Run, RunMeta, locked, step_position
from mnistlab.train.checkpoint import load_checkpoint, save_checkpoint
from mnistlab.train.optim import Optimizer, Schedule, make_optimizer, make_schedule

Callback = Callable[[dict], None]  # receives every event dict; may raise StopTraining

# Settings a resumed run may change: how long it trains, where its data lives, what it runs on.
# Anything else would make the resumed run a different run.
RESUMABLE_KEYS = ("train.epochs", "data.data_dir", "train.device", "train.threads", "train.compile",
                  "train.eval_batch_size", "train.log_every")

class StopTraining(Exception):
    """Raised by a callback to end training after the current event (e.g. a web 'cancel')."""


@dataclass
class TrainState:
    """What a checkpoint stores besides tensors: enough to continue exactly where an epoch ended."""

    epoch: int = 0
    elapsed: float = 0.0  # seconds of training before this process started (resumes add up)
    target_epoch: int | None = None
    target_seconds: float | None = None
    history: list[dict] = field(default_factory=list)  # metrics.csv rows
    events: list[dict] = field(default_factory=list)  # events.jsonl


def fit(config: Config, out: str | Path, *, dataset: Dataset | None = None, resume: bool = False,
        progress: bool = True, callbacks: Iterable[Callback] = (), lang: str = "en") -> dict:
    """Train `config`, writing the run folder `out`; returns result.json's content.

    `dataset` skips loading (tests, sweeps); `resume=True` continues `out` from its checkpoint, with
    `config` equal to the run's own except for `RESUMABLE_KEYS` (e.g. more epochs extend the run).
    `lang` is the language of the progress lines and of the errors that refuse or stop the run (see mnistlab.i18n).
    Under torchrun this is one of several data-parallel processes (see mnistlab.distributed).
    """
    if config.train.threads:
        check_threads(config.train.threads)
    replica = distributed.from_env()
    follow = not config.train.threads and not replica.enabled  # the count follows the load (Training.follow_load)
    # one writer per run folder: a second `train --out` of the same folder is refused while this one runs
    lock = locked(out) if replica.is_main else contextlib.nullcontext()
    # prepare picks the thread count once it has read the run folder (_training_threads); `threads(0)` leaves
    # the count as it is until then and gives the caller its own back afterwards
    with lock, threads(0), torch.random.fork_rng(devices=_cuda_devices(config.train.device)):
        t = Training.prepare(config, Path(out), dataset, resume, progress, list(callbacks), lang)
        t.cores = CoreWatch() if follow and t.device.type == "cpu" else None
        stop_reason = None
        for epoch in range(t.state.epoch + 1, config.train.epochs + 1):
            stop_reason = t.run_epoch(epoch)
            if stop_reason:
                break
        return t.finish(stop_reason)


@dataclass
class Training:
    """One training run in progress: what prepare, the epochs and finish share."""

    config: Config
    run: Run | None  # None on ranks other than 0 under torchrun: they write nothing
    ddp: distributed.Replica
    device: torch.device
    model: torch.nn.Module  # the network itself (its weights are what gets saved)
    train_model: torch.nn.Module  # what the step calls: `model`, or DDP/torch.compile around it
    optimizer: Optimizer
    schedule: Schedule
    dataset: Dataset
    train: tuple[torch.Tensor, torch.Tensor]  # uint8 [N, C, H, W] (channels_last), int64 [N], on the device
    val: tuple[torch.Tensor, torch.Tensor]  # uint8 [V, C, H, W], int64 [V]
    steps_per_epoch: int
    state: TrainState
    callbacks: list[Callback]
    progress: bool
    started: float  # perf_counter() when this process began preparing: the run's seconds include set-up
    lang: str = "en"  # of the progress lines and the errors
    cores: CoreWatch | None = None  # set when the thread count follows the load (train.threads = 0, CPU)

    # -- prepare --------------------------------------------------------------------------------
    @classmethod
    def prepare(cls, config: Config, out: Path, dataset: Dataset | None, resume: bool, progress: bool,
                callbacks: list[Callback], lang: str = "en") -> Training:
        started, tc, dc = time.perf_counter(), config.train, config.data
        ddp, device = distributed.setup(select_device(tc.device))  # a single process outside torchrun
        progress = progress and ddp.is_main  # rank 0 prints, writes files and calls callbacks for all
        previous = _check_folder(out, config, resume, lang) if ddp.is_main else None
        set_process_threads(_training_threads(tc, previous, out, resume, ddp))  # inside fit's `threads` block
        ds = limit_training_set(dataset or load_dataset(dc.dataset, dc.data_dir, color=dc.color, progress=progress),
                                dc.train_limit)
        # an impossible stack, or one larger than this machine's memory, fails before any allocation
        check_memory(config, ds.input_shape, ds.num_classes, _device_memory(device))
        _check_metrics(config, ds, lang)
        n_val = validation_count(dc.validation_size, len(ds.train_images), lang)
        (train_x, train_y), val = split_validation(ds.train_images, ds.train_labels, n_val)
        mean, std = pixel_stats(train_x) if dc.normalize else (None, None)

        torch.manual_seed(tc.seed)  # weight initialisation (inside fit's fork_rng)
        model = build_model(config.model, ds.input_shape, ds.num_classes, mean, std).to(device)
        # channels_last (NHWC in memory) is what oneDNN's and cuDNN's fast convolution kernels want: 1.3-1.6x
        # faster on a CPU (benchmarks/RESULTS.md). Set before DDP records the parameters' layout.
        model.to_channels_last()
        optimizer = make_optimizer(model.parameters(), tc)
        steps_per_epoch = _steps_per_epoch(ddp.steps_per_epoch(len(train_x), tc.batch_size), tc, lang)
        schedule = make_schedule(optimizer, steps_per_epoch, tc)
        params = sum(p.numel() for p in model.parameters())

        run, state = None, TrainState()
        if ddp.is_main:
            meta = RunMeta(dataset=ds.name, classes=tuple(ds.classes), input_shape=tuple(ds.input_shape),
                           output=config.model.output, params=params,
                           mean=mean and tuple(mean), std=std and tuple(std), preprocess=_preprocess(ds.name),
                           validation_size=n_val, threads=torch.get_num_threads())
            run = Run.create(out, config, previous.meta if previous else meta)
        if resume:
            state = TrainState(**load_checkpoint(out / CHECKPOINT, model, optimizer, schedule, device))
        train_model = ddp.wrap(model, device)  # DistributedDataParallel under torchrun, else `model` itself
        if tc.compile == "always" or (tc.compile == "auto" and device.type == "cuda"):
            train_model = torch.compile(train_model)  # shares `model`'s parameters: checkpoints are unchanged
        # uint8 in the model's channels_last layout; each batch becomes float as it is used, which costs
        # nothing measurable and keeps no 4x larger float copy (plus its per-epoch shuffle) in memory
        x = train_x.to(device).contiguous(memory_format=torch.channels_last)
        t = cls(config, run, ddp, device, model, train_model, optimizer, schedule, ds, (x, train_y.to(device)), val,
                steps_per_epoch, state, callbacks if ddp.is_main else [], progress, started, lang)
        t.emit({"event": "start", "epochs": tc.epochs, "steps_per_epoch": steps_per_epoch, "train_size": len(train_x),
                "validation_size": n_val, "params": params, "device": str(device), "resumed_from": state.epoch})
        return t

    # -- one epoch ------------------------------------------------------------------------------
    def run_epoch(self, epoch: int) -> str | None:
        """Train, validate, save and report one epoch; returns why training should stop, if it should."""
        t0 = time.perf_counter()
        train_row = self.train_epoch(epoch)
        val_row = self.validate() if self.ddp.is_main else {}
        row = {"epoch": epoch, **train_row, **val_row, "seconds": time.perf_counter() - t0,
               "elapsed": self.state.elapsed + time.perf_counter() - self.started}
        stop_reason = self._check_target(row)
        self.state.history.append(row)
        self.state.epoch = epoch
        self.state.events.append({"event": "epoch", **row})
        if self.ddp.is_main:
            self.save_epoch()
        try:  # callbacks see an epoch whose checkpoint is already on disk (and may load it)
            self.notify(self.state.events[-1])
        except StopTraining:
            stop_reason = stop_reason or "cancelled"
        if self.progress:
            print(epoch_line(row, self.lang), flush=True)
        return self.ddp.from_main(stop_reason)  # rank 0 saw the validation accuracy and the callbacks

    def train_epoch(self, epoch: int) -> dict:
        """One pass over the shuffled training set: the running loss/accuracy and learning rates."""
        tc, dc, ddp = self.config.train, self.config.data, self.ddp
        model, optimizer, schedule = self.train_model, self.optimizer, self.schedule
        x_all, y_all = self.train
        torch.manual_seed(epoch_seed(tc.seed, epoch))  # dropout
        order, gen = epoch_order(len(x_all), tc.seed, epoch, tc.shuffle)  # gen goes on to draw augmentation
        # One shuffled copy per epoch, then contiguous slices: faster than gathering every batch (~10%).
        # It is uint8: a quarter of the memory traffic of shuffling floats.
        xs, ys = x_all[order.to(self.device)], y_all[order.to(self.device)]
        ddp.reseed(gen, epoch_seed(tc.seed, epoch))  # ranks share the permutation, not dropout/augmentation
        amp = autocast_dtype(self.device, tc.precision)
        loss_sum = torch.zeros((), device=self.device)
        correct = torch.zeros((), dtype=torch.long, device=self.device)
        lrs = [optimizer.param_groups[0]["lr"]]
        desc = i18n.t("train.bar", self.lang, epoch=epoch, epochs=tc.epochs)
        bar = _progress(self.progress, self.steps_per_epoch, desc)
        model.train()
        for step in range(self.steps_per_epoch):
            lo, hi = step * tc.batch_size, min((step + 1) * tc.batch_size, len(xs))
            a, b = ddp.part(lo, hi)  # this rank's part of the global batch (all of it in one process)
            xb, yb = xs[a:b].float().div_(255), ys[a:b]  # [B, C, H, W] in 0..1, channels_last
            if dc.shift or dc.rotation:
                xb = augment(xb, dc.shift, dc.rotation, gen)

            with torch.autocast(self.device.type, dtype=amp, enabled=amp is not None):
                logits = model(xb)
            loss = loss_from_logits(logits.float(), yb, tc.loss, tc.label_smoothing)  # the loss in float32
            optimizer.zero_grad()
            (loss * ddp.grad_weight(b - a, hi - lo) if ddp.enabled else loss).backward()
            optimizer.step()
            schedule.step()

            loss_sum += loss.detach() * (b - a)
            correct += (logits.detach().argmax(1) == yb).sum()
            lrs.append(optimizer.param_groups[0]["lr"])
            if (step + 1) % tc.log_every == 0 or step + 1 == self.steps_per_epoch:
                row = self._running_means(loss_sum, correct, min(hi, len(x_all)), epoch)
                bar.set_postfix(loss=f"{row['loss']:.4f}", acc=f"{row['accuracy']:.4f}", refresh=False)
                bar.update(step + 1 - bar.n)  # after the postfix, so the bar shows this step's numbers
                self.emit({"event": "step", "epoch": epoch, "step": step + 1,
                           "global_step": (epoch - 1) * self.steps_per_epoch + step + 1,
                           "epochs_done": round(step_position(epoch, step + 1, self.steps_per_epoch), 6),
                           **row, "learning_rate": lrs[-1]})
            self.follow_load(epoch, step + 1)
        bar.close()
        # learning_rate: where the epoch ended; _min/_max: the range the schedule swept within it
        return {**row, "learning_rate": lrs[-1], "learning_rate_min": min(lrs), "learning_rate_max": max(lrs)}

    def follow_load(self, epoch: int, step: int) -> None:
        """One thread per core that other programs leave free, re-measured every half second (a clock read
        per step in between): a program that starts mid-run takes a thread away before the threads stall
        each other for long, and one that ends gives it back. Logged as a `threads` event."""
        free = self.cores.free() if self.cores else None
        if free and free != torch.get_num_threads():
            set_process_threads(free)  # inside fit's `threads` block, which restores the caller's count
            self.emit({"event": "threads", "epoch": epoch, "step": step, "threads": free})

    def _running_means(self, loss_sum, correct, seen: int, epoch: int) -> dict:
        total_loss, total_correct = self.ddp.all_sum(loss_sum, correct)  # over all ranks' parts
        row = {"loss": total_loss.item() / seen, "accuracy": total_correct.item() / seen}
        if not math.isfinite(row["loss"]):
            lr = self.config.train.learning_rate
            if epoch == 1:
                raise MnistlabError("train.nan_loss_first", lang=self.lang, loss=row["loss"], epoch=epoch,
                                    learning_rate=lr)
            path = self.run.path if self.run else ""  # other ranks under torchrun write nothing, know no folder
            raise MnistlabError("train.nan_loss", lang=self.lang, loss=row["loss"], epoch=epoch, last=epoch - 1,
                                path=path, learning_rate=lr)
        return row

    def validate(self) -> dict:
        """val_loss, val_accuracy and the other train.metrics on the held-out images (none held out: {}).
        val_loss is the training loss, label smoothing included, as in Keras: the two curves compare."""
        val_x, val_y = self.val
        if len(val_x) == 0:
            return {}
        tc = self.config.train
        m = metrics_from_logits(predict_logits(self.model, val_x, tc.eval_batch_size), val_y, tc.loss,
                                list(self.dataset.classes), label_smoothing=tc.label_smoothing)
        return {"val_loss": m["loss"], "val_accuracy": m["accuracy"], **{f"val_{name}": m[name] for name in tc.metrics}}

    def _check_target(self, row: dict) -> str | None:
        target, state = self.config.train.target_accuracy, self.state
        monitored = row.get("val_accuracy", row["accuracy"])
        if target is None or state.target_epoch is not None or monitored < target:
            return None
        state.target_epoch, state.target_seconds = row["epoch"], row["elapsed"]
        return "target_accuracy"

    def save_epoch(self) -> None:
        # Ctrl-C while the three files are written would leave them disagreeing: hold it until done.
        s = dataclasses.replace(self.state, elapsed=self.state.history[-1]["elapsed"])
        with _no_interrupt():
            save_checkpoint(self.run.checkpoint, self.model, self.optimizer, self.schedule, dataclasses.asdict(s))
            self.run.write_metrics(self.state.history)
            self.run.write_events(self.state.events)

    # -- finish ---------------------------------------------------------------------------------
    def finish(self, stop_reason: str | None) -> dict:
        """Final weights, test metrics and result.json (rank 0); every rank returns the result."""
        result = self._write_result(stop_reason) if self.ddp.is_main else None
        result = self.ddp.from_main(result)
        self.ddp.close()
        return result

    def _write_result(self, stop_reason: str | None) -> dict:
        tc, ds, state, run = self.config.train, self.dataset, self.state, self.run
        run.save_weights(self.model)
        test = evaluate(self.model, ds.test_images, ds.test_labels, tc.loss, list(ds.classes), tc.eval_batch_size,
                        label_smoothing=tc.label_smoothing)
        history = state.history
        result = {
            "status": {"target_accuracy": "reached_target", "cancelled": "cancelled"}.get(stop_reason, "completed"),
            "epochs_run": state.epoch,
            "test_accuracy": test["accuracy"], "test_loss": test["loss"],
            "test_top5_accuracy": test.get("top5_accuracy"), "test_f1": test["f1"],
            # every metric asked for, on the test set too: with no validation split, the only place it shows
            **{f"test_{name}": test[name] for name in tc.metrics},
            "val_accuracy": history[-1].get("val_accuracy") if history else None,
            "seconds": state.elapsed + time.perf_counter() - self.started,
            "target_accuracy": tc.target_accuracy,
            "target_reached": state.target_epoch is not None,
            "target_epoch": state.target_epoch, "target_seconds": state.target_seconds,
            "params": run.meta.params,
            "dataset": ds.name, "train_size": len(self.train[1]), "validation_size": len(self.val[1]),
        }
        self.emit({"event": "end", **result})
        run.write_events(state.events)
        run.write_result(result)
        if self.progress:
            print(result_line(result, "val_accuracy" if len(self.val[1]) else "accuracy", self.lang))
        return result

    # -- events ---------------------------------------------------------------------------------
    def notify(self, event: dict) -> None:
        for cb in self.callbacks:
            cb(event)

    def emit(self, event: dict) -> None:
        self.state.events.append(event)
        self.notify(event)


# -- checks before training ------------------------------------------------------------------------
def _check_folder(out: Path, config: Config, resume: bool, lang: str) -> Run | None:
    """The run being resumed (checked against `config`), or None for a new run in a free folder."""
    never_trained = (out / META).exists() and not (out / CHECKPOINT).exists() and not (out / WEIGHTS).exists()
    if not resume:
        if never_trained:  # killed, or NaN, during its first epoch: nothing to keep, so start it again here
            warnings.warn(i18n.t("train.restart_in_place", lang, out=out), MnistlabWarning, stacklevel=2)
            return None
        if (out / META).exists():
            raise MnistlabError("train.folder_taken", lang=lang, out=out)
        return None
    if never_trained:
        raise MnistlabError("train.resume_never_trained", lang=lang, out=out, config=out / "config.toml")
    if not (out / CHECKPOINT).is_file():
        raise MnistlabError("train.resume_no_checkpoint", lang=lang, out=out, checkpoint=CHECKPOINT)
    run = Run.open(out)
    changed = [k for k in _changed_keys(run.config.to_dict(), config.to_dict()) if k not in RESUMABLE_KEYS]
    if changed:
        raise MnistlabError("train.resume_changed", lang=lang, out=out, changed=", ".join(changed),
                            allowed=", ".join(RESUMABLE_KEYS))
    done = run.metrics()[-1]["epoch"] if run.metrics() else 0
    if config.train.epochs < done:
        raise MnistlabError("train.resume_fewer_epochs", lang=lang, epochs=config.train.epochs, out=out,
                            done=epoch_count(done), done_count=done)
    result = run.result()
    if result and result["status"] != "cancelled" and config.train.epochs == run.config.train.epochs:
        raise MnistlabError("train.resume_finished", lang=lang, out=out, status=result["status"],
                            ran=epoch_count(result["epochs_run"]), more=result["epochs_run"] + 1)
    (out / RESULT).unlink(missing_ok=True)  # an extended run is unfinished again until it ends
    return run


def _changed_keys(old: dict, new: dict, prefix: str = "") -> list[str]:
    keys = []
    for k in sorted(set(old) | set(new)):
        a, b, where = old.get(k), new.get(k), f"{prefix}{k}"
        if isinstance(a, dict) and isinstance(b, dict):
            keys += _changed_keys(a, b, where + ".")
        elif a != b:
            keys.append(where)
    return keys


def _check_metrics(config: Config, ds: Dataset, lang: str) -> None:
    if "top5_accuracy" in config.train.metrics and ds.num_classes <= 5:
        raise MnistlabError("train.top5_few_classes", lang=lang, dataset=ds.name, classes=ds.num_classes)


def _steps_per_epoch(whole: int, tc, lang: str) -> int:
    """The batches an epoch trains on: train.steps_per_epoch, at most the `whole` training set's."""
    if tc.steps_per_epoch is None:
        return whole
    if tc.steps_per_epoch > whole:
        raise MnistlabError("train.steps_too_many", lang=lang, steps=tc.steps_per_epoch, whole=whole,
                            batch_size=tc.batch_size)
    return tc.steps_per_epoch


def _training_threads(tc, previous: Run | None, out: Path, resume: bool, ddp: distributed.Replica) -> int:
    """The CPU threads to train with: an explicit train.threads; else the count a resumed run started with
    (float sums depend on it); else one per core that other programs leave free (threads that share a busy
    core stall each other); under torchrun a new run keeps the launcher's (0: unchanged)."""
    if tc.threads:
        return tc.threads
    if resume:
        # rank 0 has the run _check_folder opened; other ranks under torchrun, which skip that check, read it here
        recorded = previous.meta.threads if previous else _recorded_threads(out)
        if recorded:
            return min(recorded, usable_cores())
    return free_cores() if not ddp.enabled else 0


def _recorded_threads(out: Path) -> int:
    try:
        return Run.open(out).meta.threads
    except MnistlabError:
        return 0  # rank 0's _check_folder says what is wrong with the folder


def _device_memory(device: torch.device) -> int | None:
    """Free memory of a GPU; None on the CPU (then `check_memory` asks the operating system)."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    return None


def _cuda_devices(device: str) -> list[int]:
    """The GPUs whose random state fork_rng must save and restore (none on a CPU run)."""
    if device == "cpu" or not torch.cuda.is_available():
        return []
    return [torch.cuda.current_device()]


def _preprocess(dataset_name: str) -> str:
    """How user pictures must be prepared for this run (see runfolder.Preprocess)."""
    return "resize" if dataset_name.startswith("folder:") else "mnist"


# -- what the terminal shows -----------------------------------------------------------------------
def epoch_count(n: int) -> i18n.Message:
    """"1 epoch" / "3 epochs", in whichever language it is read."""
    return i18n.Message("train.epoch_one") if n == 1 else i18n.Message("train.epochs", n=n)


def epochs(n: int, lang: str = "en") -> str:
    return epoch_count(n).text(lang)


def result_line(r: dict, monitored: str, lang: str = "en") -> str:
    ran = epochs(r["epochs_run"], lang)
    line = i18n.t("train.result", lang, accuracy=f"{r['test_accuracy']:.4f}", loss=f"{r['test_loss']:.4f}", ran=ran,
             seconds=f"{r['seconds']:.1f}")
    if r["target_accuracy"] is not None:
        if r["target_reached"]:
            line += "\n" + i18n.t("train.target_reached", lang, metric=monitored, target=r["target_accuracy"],
                             epoch=r["target_epoch"], seconds=f"{r['target_seconds']:.1f}")
        else:
            line += "\n" + i18n.t("train.target_missed", lang, metric=monitored, target=r["target_accuracy"], ran=ran)
    return line


def epoch_line(row: dict, lang: str = "en") -> str:
    text = i18n.t("train.epoch_line", lang, epoch=row["epoch"], loss=f"{row['loss']:.4f}",
                  accuracy=f"{row['accuracy']:.4f}")
    if "val_loss" in row:
        text += i18n.t("train.epoch_val", lang, val_loss=f"{row['val_loss']:.4f}",
                       val_accuracy=f"{row['val_accuracy']:.4f}")
    return text + i18n.t("train.epoch_tail", lang, lr=lr_range(row), seconds=f"{row['seconds']:.1f}")


def lr_range(row: dict) -> str:
    """The learning rate an epoch used: one value, or the range a schedule swept ("0.0008-0.02")."""
    lo, hi = row.get("learning_rate_min", row["learning_rate"]), row.get("learning_rate_max", row["learning_rate"])
    return f"{hi:.3g}" if math.isclose(lo, hi) else f"{lo:.3g}-{hi:.3g}"


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
    from tqdm.auto import tqdm  # notebooks get a widget, terminals a text bar

    return tqdm(total=total, desc=desc, disable=not enabled, leave=False, dynamic_ncols=True)

