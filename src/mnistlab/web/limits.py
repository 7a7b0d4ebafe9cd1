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
from mnistlab.i18n import Message
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
                raise MnistlabError("web.no_data_dir", folder=folder)
            resolved.append(path.resolve())
        return cls(tuple(resolved))

    def rule(self) -> Message:
        folders = ", ".join(map(str, self.folders)) if self.folders else Message("web.no_data_dirs")
        return Message("web.data_rule", datasets=", ".join(SOURCES), folders=folders)

    def resolve(self, config: Config) -> Config:
        """`config` with its dataset allowed (else DataRefused) and data.data_dir set to the folder read."""
        name, given_dir = config.data.dataset, config.data.data_dir
        if given_dir is not None:
            raise DataRefused("web.data_dir_refused", given_dir=given_dir, rule=self.rule())
        kind, sep, rest = name.partition(":")
        if sep and kind in ("idx", "folder"):
            path = self._inside(rest, name)
            return config.replace(**{"data.dataset": f"{kind}:{path}"})
        if sep:
            raise DataRefused("web.data_not_allowed", name=name, rule=self.rule())
        try:
            source = get_source(name)
        except MnistlabError:
            raise DataRefused("web.data_unknown", name=name, rule=self.rule()) from None
        folder = next((f for f in self.folders if _has_files(f, source)), None)
        return config.replace(**{"data.data_dir": str(folder)}) if folder else config

    def _inside(self, raw: str, name: str) -> Path:
        raw = raw.strip()
        if not raw:
            raise DataRefused("web.data_no_folder", name=name, rule=self.rule())
        for folder in self.folders:
            path = (folder / raw).resolve()  # an absolute `raw` stays itself; links and .. are resolved
            if path == folder or folder in path.parents:
                return path
        raise DataRefused("web.data_outside", name=name, rule=self.rule())


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
            over.append(Message("web.over_params", params=parts["params"], limit=self.max_params))
        if parts["activations"] > self.max_batch_memory:
            over.append(Message("web.over_activations", activations=gib(parts["activations"]),
                                batch_size=config.train.batch_size, limit=gib(self.max_batch_memory)))
        if config.train.epochs > self.max_epochs:
            over.append(Message("web.over_epochs", epochs=config.train.epochs, limit=self.max_epochs))
        if train_limit is not None and train_limit > self.max_train_images:
            over.append(Message("web.over_train_limit", train_limit=train_limit, limit=self.max_train_images))
        if over:
            raise OverBudget("web.over_budget", over=over)
        check_memory(config, input_shape, num_classes)

    def check_images(self, n: int, name: str) -> None:
        """The training set actually loaded (its size is known only then)."""
        if n > self.max_train_images:
            raise OverBudget("web.over_images", name=name, n=n, limit=self.max_train_images)
