"""What the studio may read and spend, checked before anything is loaded or allocated.

* Data: the known datasets by name (mnist, fashion-mnist, kmnist), read from the server's data folders
  (`serve --data-dir DIR`, repeatable) or its download cache; `idx:PATH` and `folder:PATH` only inside
  those folders (symbolic links resolved). Anything else is a 400 naming the rule, so a page cannot list
  the server's directories (`folder:/`) or probe its files.
* Budget: parameters, activation memory of one batch, epochs and training images, each with a default
  that lets every preset run on MNIST; and the machine's own memory (`resources.check_memory`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mnistlab.config import Config
from mnistlab.data.sources import SOURCES, get_source
from mnistlab.errors import MnistlabError
from mnistlab.resources import STUDIO_BUDGET, check_memory, gib, training_memory


class DataRefused(MnistlabError):
    """A dataset the studio may not read (HTTP 400)."""


class OverBudget(MnistlabError):
    """A recipe over the studio's budget (HTTP 400)."""


@dataclass(frozen=True)
class DataFolders:
    """The folders the studio may read datasets from (`serve --data-dir`)."""

    folders: tuple[Path, ...] = ()

    @classmethod
    def of(cls, folders) -> DataFolders:
        resolved = []
        for folder in folders or ():
            path = Path(folder).expanduser()
            if not path.is_dir():
                raise MnistlabError(f"--data-dir {folder}: no such folder; give a folder that holds datasets")
            resolved.append(path.resolve())
        return cls(tuple(resolved))

    def rule(self) -> str:
        where = ", ".join(map(str, self.folders)) if self.folders else "none were given"
        return (f"the studio reads the datasets {', '.join(SOURCES)} by name, and idx:/folder: datasets only inside "
                f"the folders given with `mnistlab serve --data-dir DIR` ({where})")

    def resolve(self, config: Config) -> Config:
        """`config` with its dataset allowed (else DataRefused) and data.data_dir set to the folder read."""
        name, given_dir = config.data.dataset, config.data.data_dir
        if given_dir is not None:
            raise DataRefused(f"data.data_dir {given_dir!r} cannot be chosen from the page; {self.rule()}")
        kind, sep, rest = name.partition(":")
        if sep and kind in ("idx", "folder"):
            path = self._inside(rest, name)
            return config.replace(**{"data.dataset": f"{kind}:{path}"})
        if sep:
            raise DataRefused(f"dataset {name!r} is not allowed here; {self.rule()}")
        try:
            source = get_source(name)
        except MnistlabError:
            raise DataRefused(f"dataset {name!r} is unknown; {self.rule()}") from None
        folder = next((f for f in self.folders if _has_files(f, source)), None)
        return config.replace(**{"data.data_dir": str(folder)}) if folder else config

    def _inside(self, raw: str, name: str) -> Path:
        raw = raw.strip()
        if not raw:
            raise DataRefused(f"dataset {name!r} names no folder; {self.rule()}")
        for folder in self.folders:
            path = (folder / raw).resolve()  # an absolute `raw` stays itself; links and .. are resolved
            if path == folder or folder in path.parents:
                return path
        raise DataRefused(f"dataset {name!r} is not inside a data folder of this studio; {self.rule()}")


def _has_files(folder: Path, source) -> bool:
    return any(all((d / f).is_file() for f in source.files.values()) for d in (folder, folder / source.name))


@dataclass(frozen=True)
class Budget:
    """The most one studio training job may ask for; the defaults let every preset run on MNIST."""

    max_params: int = STUDIO_BUDGET["max_params"]
    max_batch_memory: int = STUDIO_BUDGET["max_batch_memory"]  # bytes of activations (and gradients) for one batch
    max_epochs: int = STUDIO_BUDGET["max_epochs"]
    max_train_images: int = STUDIO_BUDGET["max_train_images"]

    def check(self, config: Config, input_shape, num_classes: int, train_limit: int | None = None) -> None:
        """Refuse a recipe over the budget, or over the machine's memory, before anything is allocated."""
        parts = training_memory(config, input_shape, num_classes)  # on the meta device: allocates nothing
        over = []
        if parts["params"] > self.max_params:
            over.append(f"{parts['params']:,} parameters (the limit is {self.max_params:,}): use fewer filters or units")
        if parts["activations"] > self.max_batch_memory:
            over.append(f"{gib(parts['activations'])} of activations for a batch of {config.train.batch_size} (the "
                        f"limit is {gib(self.max_batch_memory)}): use a smaller batch_size or smaller feature maps")
        if config.train.epochs > self.max_epochs:
            over.append(f"{config.train.epochs} epochs (the limit is {self.max_epochs})")
        if train_limit is not None and train_limit > self.max_train_images:
            over.append(f"train_limit {train_limit:,} (the limit is {self.max_train_images:,} training images)")
        if over:
            raise OverBudget(f"over this studio's budget: {'; '.join(over)}; the server's owner can raise it with "
                             "`mnistlab serve --max-params/--max-batch-memory/--max-epochs/--max-train-images`")
        check_memory(config, input_shape, num_classes)

    def check_images(self, n: int, name: str) -> None:
        """The training set actually loaded (its size is known only then)."""
        if n > self.max_train_images:
            raise OverBudget(f"{name} has {n:,} training images, over this studio's budget of "
                             f"{self.max_train_images:,}; set train_limit to at most {self.max_train_images:,} "
                             "(or restart the server with a larger --max-train-images)")
