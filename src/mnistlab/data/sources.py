"""Where each dataset comes from: file names, mirrors, published checksums and class names.

A dataset *spec* is what the user types after `--dataset`:

* a known name: `mnist`, `fashion-mnist`, `kmnist` (downloaded and checksum-verified);
* `idx:DIR`: a folder holding the four IDX files under the standard MNIST names, gzipped or not
  (no published checksum exists, so only the IDX structure is checked; classes are "0".."N-1");
* `folder:PATH`: one sub-folder of images per class (see `dataset.py` for how it is split).

Checksums are the ones the projects publish: SHA-256 for MNIST (computed from the original
files), MD5 for Fashion-MNIST and KMNIST (the values in their READMEs and torchvision). MD5 is
fine here: it guards against corrupt downloads and wrong files, not against attackers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from mnistlab.errors import MnistlabError

# The four files of every IDX dataset, in the order we fetch and report them.
SPLIT_KINDS = ("train_images", "train_labels", "test_images", "test_labels")

STANDARD_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


class Checksum(NamedTuple):
    algorithm: str  # a hashlib name: "sha256" or "md5"
    hexdigest: str

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.hexdigest}"


@dataclass(frozen=True)
class Source:
    """One dataset: how to find its files and what its classes are called.

    `kind` is "known" (downloadable), "idx" (user IDX folder) or "folder" (image folders);
    `path` is the user's folder for the last two. An empty `classes` (idx:) means "0".."N-1",
    with N taken from the labels once they are read.
    """

    name: str
    files: dict[str, str]
    mirrors: tuple[str, ...]
    checksums: dict[str, Checksum]
    classes: tuple[str, ...]
    kind: str = "known"
    path: Path | None = None
    homepage: str = ""
    license: str = ""


def _sums(algorithm: str, train_images: str, train_labels: str, test_images: str, test_labels: str):
    hexes = dict(zip(SPLIT_KINDS, (train_images, train_labels, test_images, test_labels)))
    return {kind: Checksum(algorithm, hexes[kind]) for kind in SPLIT_KINDS}


SOURCES: dict[str, Source] = {
    "mnist": Source(
        name="mnist",
        files=dict(STANDARD_FILES),
        # The S3 and GCS copies come first: yann.lecun.com often refuses automated downloads.
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
            "http://yann.lecun.com/exdb/mnist/",
        ),
        checksums=_sums(
            "sha256",
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        ),
        classes=tuple(str(d) for d in range(10)),
        homepage="http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": Source(
        name="fashion-mnist",
        files=dict(STANDARD_FILES),
        mirrors=(
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
        ),
        checksums=_sums(
            "md5",
            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
            "25c81989df183df01b3e8a0aad5dffbe",
            "bef4ecab320f06d8554ea6380940ec79",
            "bb300cfdad3c16e7a12a480ee83cd310",
        ),
        classes=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        license="MIT",
    ),
    "kmnist": Source(
        name="kmnist",
        files=dict(STANDARD_FILES),
        mirrors=("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        checksums=_sums(
            "md5",
            "bdb82020997e1d708af4cf47b453dcf7",
            "e144d726b3acfaa3e44228e80efcd344",
            "5c965bf0a639b31b8f53240b1b52f4d7",
            "7320c461ea6c1c855c0b718fb2a4b134",
        ),
        # Romaji of the ten hiragana (お き す つ な は ま や れ を), as KMNIST's classmap lists them.
        classes=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
        homepage="https://github.com/rois-codh/kmnist",
        license="CC BY-SA 4.0",
    ),
}

KNOWN_DATASETS: tuple[str, ...] = tuple(SOURCES)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")


def _unknown(spec: str) -> MnistlabError:
    return MnistlabError("data.unknown_dataset", spec=spec, known=", ".join(KNOWN_DATASETS))


def _user_dir(spec: str, prefix: str) -> Path:
    raw = spec[len(prefix):].strip()
    if not raw:
        raise MnistlabError("data.spec_no_folder", spec=spec, prefix=prefix)
    path = Path(os.path.expanduser(raw))
    if not path.is_dir():
        raise MnistlabError("data.spec_not_folder", path=path, spec=spec)
    return path


def class_folders(root: Path) -> list[Path]:
    """The class sub-folders of a `folder:` dataset, sorted by name (hidden ones skipped)."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)


def get_source(spec: str) -> Source:
    """Turn a dataset spec (`mnist`, `idx:DIR`, `folder:PATH`) into a `Source`."""
    if not isinstance(spec, str) or not spec.strip():
        raise _unknown(str(spec))
    spec = spec.strip()
    if spec.startswith("idx:"):
        path = _user_dir(spec, "idx:")
        return Source(name=spec, files=dict(STANDARD_FILES), mirrors=(), checksums={}, classes=(), kind="idx", path=path)
    if spec.startswith("folder:"):
        path = _user_dir(spec, "folder:")
        folders = class_folders(path)
        if not folders:
            raise MnistlabError("data.no_class_folders", path=path)
        return Source(
            name=spec, files={}, mirrors=(), checksums={}, classes=tuple(p.name for p in folders), kind="folder", path=path
        )
    # Forgive case and underscores: "Fashion_MNIST" is clearly fashion-mnist.
    key = spec.lower().replace("_", "-")
    if key == "fashionmnist":
        key = "fashion-mnist"
    if key not in SOURCES:
        raise _unknown(spec)
    return SOURCES[key]
