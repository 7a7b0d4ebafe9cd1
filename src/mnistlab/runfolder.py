"""The run folder: the unit users copy, compare, resume, evaluate, serve and export.

    runs/NAME/
      config.toml              the resolved config (defaults < preset < file < flags)
      model.json               `RunMeta`: what rebuilds and feeds the model besides the config
      model.safetensors        the final weights
      checkpoint.safetensors   weights + optimizer + schedule + epoch, for --resume
      metrics.csv              one row per epoch
      events.jsonl             the machine-readable log (start, step, epoch and end events)
      result.json              final test metrics, time, whether the target was reached
      .lock                    held (flock) by the one process training into the folder

This module is the folder's one home: training writes through `Run`, and evaluate, predict, export,
report, compare, TensorBoard and the web read through it. It imports no training code, so
`import mnistlab.predict` stays light.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import math
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from mnistlab.config import Config
from mnistlab.errors import MnistlabError
from mnistlab.files import atomic_path, remove_stale_temps, write_json, write_text

CONFIG = "config.toml"
META = "model.json"
WEIGHTS = "model.safetensors"
CHECKPOINT = "checkpoint.safetensors"
METRICS = "metrics.csv"
EVENTS = "events.jsonl"
RESULT = "result.json"
LOCK = ".lock"

METRIC_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds", "elapsed"]

# How a user's picture becomes the model's input: "mnist" redoes MNIST's own preparation (invert to
# white-on-black, crop to the ink, fit in 20x20, centre by mass), right for the IDX datasets whose
# images were made that way; "resize" is what folder: datasets did to their training images
# (transparency on white, the run's colour mode, a plain resize to the input size).
Preprocess = Literal["mnist", "resize"]


@dataclass(frozen=True)
class RunMeta:
    """model.json: the facts about a run that the config alone does not give."""

    dataset: str  # the dataset's resolved name, e.g. "mnist" or "folder:/data/shapes"
    classes: tuple[str, ...]
    input_shape: tuple[int, int, int]  # C, H, W
    output: str  # the head: "softmax" or "sigmoid"
    params: int
    mean: tuple[float, ...] | None = None  # per channel, for 0..1 pixels; None: no input normalisation
    std: tuple[float, ...] | None = None
    preprocess: Preprocess = "mnist"
    validation_size: int = 0  # images held out of the training split (data.validation_size resolved)
    threads: int = 0  # CPU threads the run trained with (0: not recorded); a resume uses the same
    format: int = 2

    @property
    def channels(self) -> int:
        return self.input_shape[0]

    @property
    def size(self) -> int:
        return self.input_shape[1]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def to_input(self, image):
        """A user's image (path, bytes, PIL image or array) -> uint8 [C, H, W], prepared as this run's
        training images were: the one path for predict, the web studio and report --image."""
        from mnistlab.data.images import to_input

        return to_input(image, self.preprocess, self.channels, self.size)

    def to_input_checked(self, image):
        """`to_input`, and why the picture is no digit at all (blank, or a dot), else None."""
        from mnistlab.data.images import to_input_checked

        return to_input_checked(image, self.preprocess, self.channels, self.size)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict, source: str = META) -> RunMeta:
        try:
            d = dict(d)
            if "preprocess" not in d:  # format 1 runs: folder datasets were always resized
                d["preprocess"] = "resize" if str(d.get("dataset", "")).startswith("folder:") else "mnist"
            if not isinstance(d.get("classes"), (list, tuple)) or not isinstance(d.get("input_shape"), (list, tuple)):
                raise ValueError("classes and input_shape must be lists")
            known = {f.name for f in dataclasses.fields(cls)}
            meta = cls(**{k: v for k, v in d.items() if k in known})
            meta = dataclasses.replace(
                meta, classes=tuple(map(str, meta.classes)), input_shape=tuple(int(v) for v in meta.input_shape),
                mean=None if meta.mean is None else tuple(map(float, meta.mean)),
                std=None if meta.std is None else tuple(map(float, meta.std)))
            if len(meta.input_shape) != 3 or not meta.classes or meta.output not in ("softmax", "sigmoid") \
                    or meta.preprocess not in ("mnist", "resize"):
                raise ValueError("bad values")
            _check_meta(meta)
            return meta
        except (TypeError, ValueError, AttributeError) as e:
            raise MnistlabError("run.bad_meta", source=source, error=e) from None


MAX_SIDE = 1024  # pixels: no MNIST-family input is anywhere near; a larger one is a damaged model.json


def _check_meta(meta: RunMeta) -> None:
    """Values a damaged or hand-edited model.json could hold that would crash or exhaust memory later."""
    c, h, w = meta.input_shape
    if c not in (1, 3) or not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ValueError(f"input_shape {list(meta.input_shape)} is not 1 or 3 channels of 1..{MAX_SIDE} pixels")
    for name in ("mean", "std"):
        value = getattr(meta, name)
        if value is not None and (len(value) != c or not all(math.isfinite(v) for v in value)
                                  or (name == "std" and min(value) <= 0)):
            raise ValueError(f"{name} {list(value)} is not {c} finite number{'s' if c > 1 else ''}"
                             f"{' above 0' if name == 'std' else ''}")
    for name in ("params", "validation_size", "threads", "format"):
        value = getattr(meta, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{name} = {value!r} is not a count")


def default_run_dir(root: str | Path = "runs") -> Path:
    """runs/<timestamp>, with a suffix if two runs start in the same second."""
    base = Path(root) / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_run_name(name: str) -> str:
    """Run names travel in URLs and paths: letters, digits, '.', '_' and '-', no path separators."""
    if not _NAME.match(name) or ".." in name:
        raise MnistlabError("run.bad_name", name=name)
    return name


def is_run(path: str | Path) -> bool:
    """A folder that `mnistlab train` started (it may still be training or unfinished)."""
    return (Path(path) / CONFIG).is_file()


def weights_stamp(path: str | Path) -> tuple | None:
    """What identifies the weights on disk (final weights, else the latest checkpoint), to notice changes."""
    for name in (WEIGHTS, CHECKPOINT):
        try:
            st = (Path(path) / name).stat()
        except FileNotFoundError:
            continue
        return name, st.st_mtime_ns, st.st_size
    return None


@contextlib.contextmanager
def locked(path: str | Path) -> Iterator[Path]:
    """Hold the run folder `path` for writing (an flock on its .lock file), creating the folder if needed.

    A second writer is refused at once with one line. The lock goes with the process, so a killed
    trainer never leaves the folder locked. While it is held nobody else writes here, so every temp
    file of a killed write is removed. A folder this call created is removed again if nothing but
    the lock file was written into it (a run refused before it started leaves no trace)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the folder checks still refuse a finished run
        fcntl = None
    path = Path(path)
    for folder in (path, *path.parents):
        if folder.exists():
            if not folder.is_dir():
                raise MnistlabError("run.out_is_file", folder=folder)
            break
    created = not path.exists()
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise MnistlabError("run.in_use", path=path) from None
    try:
        remove_stale_temps(path, min_age=0)
        yield path
    finally:
        if created and {p.name for p in path.iterdir()} <= {LOCK}:
            (path / LOCK).unlink(missing_ok=True)
            with contextlib.suppress(OSError):
                path.rmdir()
        os.close(fd)  # releases the lock


def step_position(epoch: int, step: int, steps_per_epoch: int) -> float:
    """Where a logged step lies on a curve drawn in epochs: epoch 0 is the start of training."""
    return epoch - 1 + step / steps_per_epoch


@dataclass
class Run:
    """A run folder: written by training, read back by everything else."""

    path: Path
    config: Config
    meta: RunMeta

    # -- opening and creating ----------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> Run:
        path = Path(path)
        if not is_run(path):
            raise MnistlabError("run.not_a_run", path=path, config=CONFIG)
        try:
            config = Config.from_toml(_read_text(path / CONFIG), source=str(path / CONFIG))
        except MnistlabError as e:  # a wrongly typed value: say which file holds it
            if CONFIG in str(e):  # it names the file already
                raise
            raise MnistlabError("run.bad_config", path=path / CONFIG, error=e.message) from None
        except OSError as e:
            raise MnistlabError("run.unreadable", path=path / CONFIG, error=e.strerror or e) from None
        if not (path / META).is_file():
            raise MnistlabError("run.no_meta", path=path, meta=META)
        try:
            meta = json.loads(_read_text(path / META))
        except OSError as e:
            raise MnistlabError("run.unreadable", path=path / META, error=e.strerror or e) from None
        except ValueError:
            raise MnistlabError("run.meta_not_json", path=path / META) from None
        if not isinstance(meta, dict):
            raise MnistlabError("run.meta_not_object", path=path / META)
        return cls(path, config, RunMeta.from_dict(meta, str(path / META)))

    @classmethod
    def create(cls, path: str | Path, config: Config, meta: RunMeta) -> Run:
        """Start a run folder: the resolved config and the metadata, written before any training."""
        run = cls(Path(path), config, meta)
        run.path.mkdir(parents=True, exist_ok=True)
        run.write_config(config)
        write_json(run.path / META, meta.to_dict())
        return run

    def write_config(self, config: Config) -> None:
        """(Re)write config.toml, e.g. when a resumed run is extended to more epochs."""
        self.config = config
        write_text(self.path / CONFIG, config.to_toml())

    # -- what the run is ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def classes(self) -> list[str]:
        return list(self.meta.classes)

    @property
    def output(self) -> str:
        return self.config.model.output

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.meta.input_shape

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT

    def has_weights(self) -> bool:
        return weights_stamp(self.path) is not None

    def is_finished(self) -> bool:
        return (self.path / RESULT).is_file()

    # -- the model ---------------------------------------------------------------------------
    def build(self):
        """The untrained network of this run (models.Network), with its input normalisation."""
        from mnistlab.models import build_model

        m = self.meta
        return build_model(self.config.model, m.input_shape, m.num_classes, m.mean, m.std)

    def load_model(self, device="cpu"):
        """The trained network in eval mode (final weights, else the last checkpoint's)."""
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        model = self.build()
        for name, prefix in ((WEIGHTS, ""), (CHECKPOINT, "model.")):
            file = self.path / name
            if file.is_file():
                break
        else:
            raise MnistlabError("run.no_weights", path=self.path, weights=WEIGHTS)
        try:
            state = {k[len(prefix):]: v for k, v in load_file(str(file)).items() if k.startswith(prefix)}
        except (SafetensorError, OSError, ValueError) as e:
            raise MnistlabError("run.bad_weights", path=file, error=str(e).splitlines()[0]) from None
        try:
            model.load_state_dict(state)
        except RuntimeError as e:
            raise MnistlabError("run.weights_mismatch", path=file, config=CONFIG,
                                error=str(e).splitlines()[0]) from None
        return model.to(device).to_channels_last().eval()

    def save_weights(self, model) -> None:
        from safetensors.torch import save_file

        with atomic_path(self.path / WEIGHTS) as tmp:
            save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))

    # -- the logs ----------------------------------------------------------------------------
    def metrics(self) -> list[dict]:
        """metrics.csv: one dict per finished epoch."""
        path = self.path / METRICS
        if not path.is_file():
            return []
        try:
            rows = list(csv.DictReader(io.StringIO(_read_text(path), newline="")))
        except (csv.Error, OSError) as e:
            raise MnistlabError("run.damaged_file", path=path, error=e) from None
        table = [{k: _num(v) for k, v in row.items()} for row in rows if None not in row]
        if len(table) != len(rows) or any(not isinstance(row.get("epoch"), int) or
                                           any(isinstance(v, str) for v in row.values()) for row in table):
            raise MnistlabError("run.bad_metrics", path=path)
        return table

    def write_metrics(self, history: list[dict]) -> None:
        columns = METRIC_COLUMNS + sorted({k for row in history for k in row} - set(METRIC_COLUMNS))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        for row in history:
            writer.writerow({k: _fmt(row.get(k, "")) for k in columns})
        write_text(self.path / METRICS, buf.getvalue())

    def events(self) -> list[dict]:
        """events.jsonl, skipping a line cut short by a kill (the log is rewritten whole at each epoch)."""
        try:
            lines = _read_text(self.path / EVENTS).splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict) and "event" in event:
                out.append(event)
        return out

    def write_events(self, events: list[dict]) -> None:
        write_text(self.path / EVENTS, "".join(json.dumps(e) + "\n" for e in events))

    def steps(self) -> list[dict]:
        """Every logged step event, each with `x`: its position in epochs (see `step_position`)."""
        out, per_epoch = [], None
        for e in self.events():
            if e["event"] == "start":
                per_epoch = e.get("steps_per_epoch")
            elif e["event"] == "step" and per_epoch:
                out.append({**e, "x": step_position(e["epoch"], e["step"], per_epoch)})
        return out

    def result(self) -> dict | None:
        path = self.path / RESULT
        if not path.is_file():
            return None
        try:
            result = json.loads(_read_text(path))
        except ValueError:
            raise MnistlabError("run.result_not_json", path=path) from None
        if not isinstance(result, dict) or not isinstance(result.get("status"), str):
            raise MnistlabError("run.bad_result", path=path)
        return result

    def write_result(self, result: dict) -> None:
        write_json(self.path / RESULT, result)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r}, {self.meta.dataset}, {len(self.meta.classes)} classes, {self.output})"

    def _repr_html_(self) -> str:  # Jupyter: the results, the curves and the per-epoch numbers
        from mnistlab.display import run_html

        return run_html(self)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MnistlabError("run.not_utf8", path=path) from None


def _fmt(v):
    return f"{v:.6g}" if isinstance(v, float) else v


def _num(v: str):
    if v == "":
        return None
    try:
        return int(v)
    except ValueError:
        try:
            return float(v)
        except ValueError:
            return v


__all__ = ["CHECKPOINT", "CONFIG", "EVENTS", "LOCK", "META", "METRICS", "RESULT", "WEIGHTS", "Run", "RunMeta",
           "check_run_name", "default_run_dir", "is_run", "locked", "step_position", "weights_stamp"]
