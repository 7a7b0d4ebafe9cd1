"""Load a whole dataset into memory as uint8 tensors, and describe or picture it.

The MNIST family is small (47 MB of pixels for MNIST's training set), so everything stays in
memory as uint8 [N, C, H, W] images and int64 [N] labels; training slices batches out of those
tensors directly instead of going through a per-sample Dataset/DataLoader, which is many times
faster on a CPU. The training loop converts the training split to float once per run; the
normalisation (mean/std) is the model's first layer.

`folder:PATH` datasets have no test split of their own, so every 6th image of each class, in
sorted file-name order (the 6th, 12th, ...), is held out as "test": one sixth, like MNIST's
10k of 70k, stratified by class, and the same on every run.
"""

from __future__ import annotations

import math
import warnings
import numbers
import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from mnistlab.data.download import FileRecord, cache_dir, locate_files, mnistlab_home
from mnistlab.data.idx import read_idx
from mnistlab.data.images import resize
from mnistlab.data.sources import IMAGE_SUFFIXES, Source, class_folders, get_source
from mnistlab.errors import MnistlabError, MnistlabWarning
from mnistlab.files import atomic_path
from mnistlab.i18n import t

COLORS = ("grayscale", "rgb")
FOLDER_TEST_EVERY = 6  # every 6th image per class is the test split of a folder: dataset
SPLITS = ("train", "test")


@dataclass(frozen=True, repr=False)
class Dataset:
    name: str
    classes: tuple[str, ...]
    train_images: torch.Tensor  # uint8 [N, C, H, W]  (C=1 grayscale, 3 for rgb)
    train_labels: torch.Tensor  # int64 [N]
    test_images: torch.Tensor  # uint8 [M, C, H, W]
    test_labels: torch.Tensor  # int64 [M]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.train_images.shape[1:])

    def split(self, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(images, labels) of "train" or "test"."""
        if split not in SPLITS:
            raise MnistlabError("data.unknown_split", split=split)
        return (self.train_images, self.train_labels) if split == "train" else (self.test_images, self.test_labels)

    def __repr__(self) -> str:  # the default would print tensor contents
        return (f"Dataset({self.name!r}, {self.num_classes} classes, input {self.input_shape}, "
                f"train {len(self.train_labels)}, test {len(self.test_labels)})")

    def _repr_html_(self) -> str:  # Jupyter: counts per class and a grid of samples
        from mnistlab.display import dataset_html

        return dataset_html(self)


def _check_options(color: str, image_size: int) -> None:
    if color not in COLORS:
        raise MnistlabError("data.unknown_color", color=color)
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or not 4 <= image_size <= 512:
        raise MnistlabError("data.image_size", image_size=image_size)


def _shape_images(images: torch.Tensor, color: str, image_size: int) -> torch.Tensor:
    """[N, 1, H, W] uint8 -> [N, C, image_size, image_size] uint8."""
    if images.shape[-1] != image_size or images.shape[-2] != image_size:
        out = torch.empty((len(images), images.shape[1], image_size, image_size), dtype=torch.uint8)
        for i in range(0, len(images), 4096):  # chunks keep the float copy small
            chunk = images[i : i + 4096].float()
            chunk = F.interpolate(chunk, size=(image_size, image_size), mode="bilinear", antialias=True)
            out[i : i + 4096] = chunk.round_().clamp_(0, 255).to(torch.uint8)
        images = out
    if color == "rgb" and images.shape[1] == 1:
        images = images.expand(-1, 3, -1, -1).contiguous()
    return images


def _idx_pair(records: dict[str, FileRecord], split: str) -> tuple[np.ndarray, np.ndarray]:
    images_path, labels_path = records[f"{split}_images"].path, records[f"{split}_labels"].path
    decoded = mnistlab_home() / "decoded"  # decompressed arrays, see read_idx
    images, labels = read_idx(images_path, decoded), read_idx(labels_path, decoded)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise MnistlabError("data.not_images", path=images_path, dtype=images.dtype, shape=images.shape)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise MnistlabError("data.not_labels", path=labels_path, dtype=labels.dtype, shape=labels.shape)
    if len(images) != len(labels):
        raise MnistlabError("data.count_mismatch", images=images_path.name, n_images=len(images),
                            labels=labels_path.name, n_labels=len(labels))
    return images, labels


def _load_idx(source: Source, data_dir, progress: bool) -> tuple[dict, dict[str, FileRecord]]:
    records = locate_files(source, data_dir, progress)
    arrays = {split: _idx_pair(records, split) for split in SPLITS}
    if arrays["train"][0].shape[1:] != arrays["test"][0].shape[1:]:
        raise MnistlabError("data.shape_mismatch", train=arrays["train"][0].shape[1:], test=arrays["test"][0].shape[1:])
    classes = source.classes
    if not classes:  # idx:DIR names none: "0".."N-1", N from the largest label, and none of them empty
        classes = _idx_classes([labels for _, labels in arrays.values()])
        _check_no_empty_classes(arrays, records, len(classes) - 1)
    for split, (_, labels) in arrays.items():
        bad = labels[(labels < 0) | (labels >= len(classes))]
        if len(bad):
            path = records[f"{split}_labels"].path
            raise MnistlabError("data.label_range", path=path, label=int(bad[0]), classes=len(classes),
                                last=len(classes) - 1)
    tensors = {
        split: (torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))
        for split, (images, labels) in arrays.items()
    }
    return {"classes": classes, **tensors}, records


def _idx_classes(labels: list[np.ndarray]) -> tuple[str, ...]:
    """The classes of an idx:DIR dataset, which names none: "0".."N-1", N from the largest label."""
    top = max((int(split.max()) for split in labels if len(split)), default=0)
    return tuple(str(i) for i in range(top + 1))


def _check_no_empty_classes(arrays: dict, records: dict, top: int) -> None:
    """idx:DIR counts its classes from the largest label, so one stray label (200 in a 0..9 file) would make
    a 201-class dataset with 190 classes no image has. Every class must have training images."""
    labels = arrays["train"][1]
    counts = np.bincount(labels[labels >= 0].astype(np.int64), minlength=top + 1) if len(labels) else np.zeros(top + 1)
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        split = next(s for s in SPLITS if len(arrays[s][1]) and int(arrays[s][1].max()) == top)
        path = records[f"{split}_labels"].path
        raise MnistlabError("data.empty_classes", path=path, top=top, classes=top + 1, n_empty=len(empty),
                            empty=", ".join(map(str, empty[:5])) + (", ..." if len(empty) > 5 else ""))


def _load_folder(source: Source, color: str, image_size: int) -> dict:
    channels = 1 if color == "grayscale" else 3
    parts = {split: ([], []) for split in SPLITS}
    folders = class_folders(source.path)
    for label, folder in enumerate(folders):
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise MnistlabError("data.empty_class_folder", folder=folder, suffixes=", ".join(IMAGE_SUFFIXES))
        for i, path in enumerate(files):
            split = "test" if i % FOLDER_TEST_EVERY == FOLDER_TEST_EVERY - 1 else "train"
            parts[split][0].append(resize(path, channels, image_size))
            parts[split][1].append(label)

    def stack(images, labels):
        if not images:
            return torch.empty((0, channels, image_size, image_size), dtype=torch.uint8), torch.empty(0, dtype=torch.int64)
        return torch.from_numpy(np.stack(images)), torch.tensor(labels, dtype=torch.int64)

    return {"classes": tuple(p.name for p in folders), **{split: stack(*parts[split]) for split in SPLITS}}


def _load(name: str, data_dir, color: str, image_size: int, progress: bool):
    _check_options(color, image_size)
    source = get_source(name)
    if source.kind == "folder":
        parts, records = _load_folder(source, color, image_size), {}
    else:
        parts, records = _load_idx(source, data_dir, progress)
    (train_x, train_y), (test_x, test_y) = parts["train"], parts["test"]
    dataset = Dataset(
        name=source.name,
        classes=tuple(parts["classes"]),
        train_images=_shape_images(train_x, color, image_size),
        train_labels=train_y,
        test_images=_shape_images(test_x, color, image_size),
        test_labels=test_y,
    )
    return dataset, source, records


def load_dataset(
    name: str, data_dir: str | None = None, *, color: str = "grayscale", image_size: int = 28, progress: bool = True
) -> Dataset:
    """Load dataset `name` (a known name, `idx:DIR` or `folder:PATH`) into memory.

    IDX images are resized (bilinear, antialiased) when `image_size` differs from theirs, and
    repeated to 3 channels when `color="rgb"`; folder images are resized to a square.
    """
    return _load(name, data_dir, color, image_size, progress)[0]


def limit_training_set(ds: Dataset, limit: int | None) -> Dataset:
    """The first `limit` training images (data.train_limit; the test set is kept whole, so test accuracy stays
    comparable). The name says so, and `fit` writes it to model.json and result.json."""
    if limit is None or limit >= len(ds.train_labels):
        return ds
    return dataclasses.replace(ds, name=f"{ds.name}[:{limit}]", train_images=ds.train_images[:limit],
                               train_labels=ds.train_labels[:limit])


VALIDATION_FRACTION = 1 / 12  # data.validation_size = "auto": MNIST's customary 5,000 of 60,000


def validation_count(setting: int | str, n_train: int, lang: str = "en") -> int:
    """How many of `n_train` training images `data.validation_size` holds out ("auto": 1/12 of them);
    `lang` is the language of the refusal or the warning."""
    n = round(n_train * VALIDATION_FRACTION) if setting == "auto" else int(setting)
    if n >= n_train:
        raise MnistlabError("data.validation_all", lang=lang, n=n, n_train=n_train)
    if n > n_train / 2:
        warnings.warn(t("data.validation_most", lang, n=n, n_train=n_train, left=n_train - n,
                        auto=round(n_train * VALIDATION_FRACTION)), MnistlabWarning, stacklevel=2)
    return n


def dataset_spec(name: str, color: str = "grayscale", image_size: int = 28) -> tuple[tuple[int, int, int], int]:
    """(input shape [C, H, W], class count) that `load_dataset` gives, without loading a single image.

    Images are made `image_size` square with 1 channel (3 for "rgb") whatever their stored size, so the
    shape needs no file. The class count of a known dataset is in sources.py (so this answers before it
    is downloaded, and needs no --data-dir); a folder: dataset has one class per sub-folder; an idx:
    dataset's is read from its two label files (one byte per image)."""
    _check_options(color, image_size)
    source = get_source(name)  # refuses an unknown name or a missing folder
    classes = source.classes
    if source.kind == "idx":
        records = locate_files(source, progress=False)
        classes = _idx_classes([read_idx(records[f"{split}_labels"].path) for split in SPLITS])
    return (3 if color == "rgb" else 1, image_size, image_size), len(classes)


# Runs seeded s and s+1 must never share an epoch's seed: a stride larger than any epoch count
# keeps every (seed, epoch) pair distinct.
_EPOCH_SEED_STRIDE = 1_000_003


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed of epoch `epoch`'s random draws (shuffle, augmentation, dropout) in a run seeded `seed`."""
    return seed * _EPOCH_SEED_STRIDE + epoch


def epoch_order(n: int, seed: int, epoch: int, shuffle: bool = True) -> tuple[torch.Tensor, torch.Generator]:
    """The order in which epoch `epoch` of a run seeded `seed` visits its `n` training images, and the
    generator it was drawn from: the trainer and the report's "what shuffle changed" share this."""
    generator = torch.Generator().manual_seed(epoch_seed(seed, epoch))
    return (torch.randperm(n, generator=generator) if shuffle else torch.arange(n)), generator


def split_validation(images: torch.Tensor, labels: torch.Tensor, size: int, seed: int = 0):
    """Hold out `size` random training samples (fixed `seed`) as validation.

    Returns ((train_x, train_y), (val_x, val_y)); both keep the original order of the samples.
    """
    n = len(images)
    if len(labels) != n:
        raise MnistlabError("data.arrays_mismatch", n=n, labels=len(labels))
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 0:
        raise MnistlabError("data.validation_whole", size=size)
    if size >= n:
        raise MnistlabError("data.validation_too_big", size=size, n=n)
    size = int(size)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = order[:size].sort().values, order[size:].sort().values
    return (images[train_idx], labels[train_idx]), (images[val_idx], labels[val_idx])


def first_of_each_class(labels: torch.Tensor, num_classes: int, limit: int) -> list[int]:
    """Indices of the first image of each class (classes in order, at most `limit`): a fixed, varied sample."""
    picks = []
    for k in range(num_classes):
        hits = torch.nonzero(labels == k).flatten()
        if len(hits):
            picks.append(int(hits[0]))
    return picks[:limit]


def pixel_stats(images: torch.Tensor) -> tuple[list[float], list[float]]:
    """Per-channel mean and std of uint8 images [N, C, H, W] scaled to 0..1, from a histogram of the 256
    pixel values: exact in float64 and no float copy of the data (55k MNIST images would need 172 MB)."""
    values = np.arange(256) / 255.0
    means, stds = [], []
    for c in range(images.shape[1]):
        # torch counts uint8 as it is (numpy's bincount would widen 43 MB of pixels to a 345 MB int64 copy)
        hist = torch.bincount(images[:, c].reshape(-1).cpu(), minlength=256).double().numpy()
        n = hist.sum()
        mean = float((hist * values).sum() / max(n, 1))
        var = float((hist * (values - mean) ** 2).sum() / max(n - 1, 1))  # unbiased, as torch.std
        means.append(mean)
        stds.append(max(math.sqrt(var), 1e-6))  # a constant channel must not divide by zero
    return means, stds


def dataset_info(name: str, data_dir: str | None = None, *, progress: bool = True) -> dict:
    """A JSON-ready description: counts and class balance per split, files and their checksums."""
    dataset, source, records = _load(name, data_dir, "grayscale", 28, progress)
    splits = {}
    for split in SPLITS:
        _, labels = dataset.split(split)
        counts = torch.bincount(labels, minlength=dataset.num_classes).tolist()
        splits[split] = {"count": len(labels), "class_counts": dict(zip(dataset.classes, counts))}
    if source.kind == "folder":
        location = str(source.path)
        note = f"no test split in a folder: every {FOLDER_TEST_EVERY}th image of each class (sorted by name) is the test set"
    else:
        folders = {str(r.path.parent) for r in records.values()}
        location = ", ".join(sorted(folders))
        note = ""
    (mean, *_), (std, *_) = pixel_stats(dataset.train_images[:, :1])  # the first channel (the gray one)
    return {
        "name": dataset.name,
        "kind": source.kind,
        "classes": list(dataset.classes),
        "num_classes": dataset.num_classes,
        "input_shape": list(dataset.input_shape),
        "location": location,
        "cache_dir": str(cache_dir(source.name)) if source.kind == "known" else None,
        "splits": splits,
        "train_pixel_mean": round(mean, 4),
        "train_pixel_std": round(std, 4),
        "files": [
            {
                "kind": r.kind,
                "path": str(r.path),
                "origin": r.origin,
                "checksum": str(r.checksum) if r.checksum else None,
                "verified": r.verified,
                "url": r.url,
                "note": r.note,
            }
            for r in records.values()
        ],
        "note": note,
    }


def save_sample_grid(ds: Dataset, path, n: int = 64, split: str = "train", seed: int = 0) -> Path:
    """Save a PNG of `n` random `split` samples (fixed `seed`), each titled with its class name."""
    fig = sample_figure(ds, n, split, seed)
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")  # the temp name has no .png suffix, so say it
    return path


def sample_figure(ds: Dataset, n: int = 64, split: str = "train", seed: int = 0):
    """A matplotlib Figure of `n` random `split` samples (fixed `seed`), each titled with its class name."""
    from matplotlib.figure import Figure  # imported here: only pictures need matplotlib

    from mnistlab.mathtext import plain

    images, labels = ds.split(split)
    if len(images) == 0:
        raise MnistlabError("data.split_empty", split=split, dataset=ds.name)
    if n < 1:
        raise MnistlabError("data.samples_count", n=n)
    n = min(n, len(images))
    picks = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))[:n]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    # A bare Figure (no pyplot) renders with Agg and touches no global GUI state.
    height = 1.35 * rows + 0.6  # inches: a cell and its title per row, plus the heading
    fig = Figure(figsize=(max(1.2 * cols, 3.0), height), dpi=100)
    fig.suptitle(plain(f"{ds.name}: {n} {split} samples"), fontsize=10, y=1 - 0.1 / height, va="top")
    for k, i in enumerate(picks.tolist()):
        ax = fig.add_subplot(rows, cols, k + 1)
        image = images[i]
        if image.shape[0] == 1:
            ax.imshow(image[0].numpy(), cmap="gray", vmin=0, vmax=255, interpolation="nearest")
        else:
            ax.imshow(image.permute(1, 2, 0).numpy(), interpolation="nearest")
        ax.set_title(plain(ds.classes[int(labels[i])]), fontsize=8)
        ax.axis("off")
    # Fixed margins: tight_layout would measure every title, which is slow for 64 cells.
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=1 - 0.6 / height, hspace=0.35, wspace=0.1)
    return fig


def format_info(info: dict) -> str:
    """The text `mnistlab data info` prints for a `dataset_info` dict."""
    lines = [
        f"{info['name']} ({info['kind']}): {info['num_classes']} classes, input {'x'.join(map(str, info['input_shape']))}",
        f"  read from: {info['location']}",
    ]
    for split, part in info["splits"].items():
        balance = ", ".join(f"{name}: {count}" for name, count in part["class_counts"].items())
        lines.append(f"  {split}: {part['count']} samples ({balance})")
    lines.append(f"  train pixels: mean {info['train_pixel_mean']}, std {info['train_pixel_std']}")
    for f in info["files"]:
        status = "verified" if f["verified"] else f"not verified ({f['note']})"
        lines.append(f"  {f['kind']}: {f['path']} [{f['origin']}] {f['checksum'] or '-'} {status}")
    if info["note"]:
        lines.append(f"  note: {info['note']}")
    return "\n".join(lines)
