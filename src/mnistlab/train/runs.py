"""The run folder: the unit users copy, compare, resume, evaluate, serve and export.

    runs/NAME/
      config.toml              the resolved config (defaults < preset < file < flags)
      model.json               what rebuilds the model besides the config: classes, input shape, normalisation
      model.safetensors        the final weights
      checkpoint.safetensors   weights + optimizer + schedule + epoch, for --resume
      metrics.csv              one row per epoch
      events.jsonl             the machine-readable log (progress and epoch events)
      result.json              final test metrics, time, whether the target was reached

Everything after training reads a run through `Run`; nothing reaches into the trainer's memory.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from mnistlab.config import Config
from mnistlab.errors import MnistlabError
from mnistlab.files import atomic_path, write_json, write_text
from mnistlab.models import Network, build_model

METRIC_COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds", "elapsed"]


def default_run_dir(root: str | Path = "runs") -> Path:
    """runs/<timestamp>, with a suffix if two runs start in the same second."""
    base = Path(root) / time.strftime("%Y%m%d-%H%M%S")
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    return path


def write_metrics(path: Path, history: list[dict]) -> None:
    columns = METRIC_COLUMNS + sorted({k for row in history for k in row} - set(METRIC_COLUMNS))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in history:
        writer.writerow({k: _fmt(row.get(k, "")) for k in columns})
    write_text(path / "metrics.csv", buf.getvalue())


def _fmt(v):
    return f"{v:.6g}" if isinstance(v, float) else v


def write_events(path: Path, events: list[dict]) -> None:
    write_text(path / "events.jsonl", "".join(json.dumps(e) + "\n" for e in events))


def save_weights(path: Path, model: torch.nn.Module) -> None:
    with atomic_path(path) as tmp:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, str(tmp))


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_run_name(name: str) -> str:
    """Run names travel in URLs and paths: letters, digits, '.', '_' and '-', no path separators."""
    if not _NAME.match(name) or ".." in name:
        raise MnistlabError(f"run name {name!r} is not allowed: use letters, digits, '.', '_' and '-' only")
    return name


@dataclass
class Run:
    """A finished (or checkpointed) run folder, read back."""

    path: Path
    config: Config
    meta: dict

    @classmethod
    def open(cls, path: str | Path) -> Run:
        path = Path(path)
        if not (path / "config.toml").is_file():
            raise MnistlabError(f"{path}: not a run folder (no config.toml); pass a folder that `mnistlab train` wrote")
        config = Config.from_toml((path / "config.toml").read_text(), source=str(path / "config.toml"))
        if not (path / "model.json").is_file():
            raise MnistlabError(f"{path}: the run has no model.json yet; it did not get past setup, train it again")
        return cls(path, config, json.loads((path / "model.json").read_text()))

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def classes(self) -> list[str]:
        return self.meta["classes"]

    @property
    def output(self) -> str:
        return self.config.model.output

    def build(self) -> Network:
        m = self.meta
        return build_model(self.config.model, tuple(m["input_shape"]), len(m["classes"]), m.get("mean"), m.get("std"))

    def load_model(self, device: torch.device | str = "cpu") -> Network:
        """The trained network in eval mode (final weights, else the last checkpoint's)."""
        model = self.build()
        weights = self.path / "model.safetensors"
        if weights.is_file():
            state = load_file(str(weights))
        elif (self.path / "checkpoint.safetensors").is_file():
            state = {k[6:]: v for k, v in load_file(str(self.path / "checkpoint.safetensors")).items()
                     if k.startswith("model.")}
        else:
            raise MnistlabError(f"{self.path}: no weights yet (no model.safetensors or checkpoint); train it first")
        try:
            model.load_state_dict(state)
        except RuntimeError as e:
            raise MnistlabError(f"{weights}: weights do not match config.toml ({str(e).splitlines()[0]})") from None
        return model.to(device).eval()

    def metrics(self) -> list[dict]:
        path = self.path / "metrics.csv"
        if not path.is_file():
            return []
        with open(path, newline="") as f:
            return [{k: _num(v) for k, v in row.items()} for row in csv.DictReader(f)]

    def result(self) -> dict | None:
        path = self.path / "result.json"
        return json.loads(path.read_text()) if path.is_file() else None


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


def write_model_meta(path: Path, meta: dict) -> None:
    write_json(path / "model.json", meta)


def write_config(path: Path, config: Config) -> None:
    write_text(path / "config.toml", config.to_toml())
