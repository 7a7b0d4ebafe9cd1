"""Shared fixtures: a tiny learnable dataset made here (no network, no big files), a tiny model
config, one trained tiny run per session, and the real MNIST in ../shared/data/mnist when present."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from mnistlab.config import (
    Config,
    Conv2D,
    DataConfig,
    Dense,
    Flatten,
    MaxPool2D,
    ModelConfig,
    TrainConfig,
)
from mnistlab.data import Dataset, write_idx

pytest_plugins = ["browser"]  # the `browser` and `page` fixtures (tests/browser.py)

REPO = Path(__file__).resolve().parents[1]
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"


def make_images(n: int, seed: int, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic 28x28 'digits': class k is a bright 7x7 block at one of 10 places, plus noise and jitter.
    Easy enough that a tiny CNN learns it in one epoch, hard enough that an untrained one fails."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    images = rng.integers(0, 40, (n, 28, 28)).astype(np.uint8)
    for i, k in enumerate(labels):
        r, c = 3 + 8 * (k // 4), 2 + 6 * (k % 4)
        r += rng.integers(-1, 2)
        c += rng.integers(-1, 2)
        images[i, max(r, 0):r + 7, max(c, 0):c + 7] = rng.integers(180, 256)
    return images, labels.astype(np.uint8)


def make_dataset(n_train: int = 1200, n_test: int = 300) -> Dataset:
    tx, ty = make_images(n_train, 0)
    sx, sy = make_images(n_test, 1)
    return Dataset(
        "tiny", tuple(str(i) for i in range(10)),
        torch.from_numpy(tx)[:, None].contiguous(), torch.from_numpy(ty).long(),
        torch.from_numpy(sx)[:, None].contiguous(), torch.from_numpy(sy).long())


def tiny_config(**train) -> Config:
    layers = (Conv2D(8, 3, strides=2, padding="same", activation="relu"), MaxPool2D(2),
              Flatten(), Dense(10))
    defaults = dict(epochs=2, batch_size=64, learning_rate=0.01, schedule="constant", device="cpu", log_every=5)
    return Config(DataConfig(dataset="tiny", validation_size=200), ModelConfig(layers=layers),
                  TrainConfig(**{**defaults, **train}))


@pytest.fixture(scope="session")
def tiny_dataset() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="session")
def tiny_idx_dir(tmp_path_factory) -> Path:
    """The tiny dataset as the four standard IDX files, for `--dataset idx:DIR`."""
    d = tmp_path_factory.mktemp("tiny_idx")
    tx, ty = make_images(1200, 0)
    sx, sy = make_images(300, 1)
    write_idx(d / "train-images-idx3-ubyte.gz", tx)
    write_idx(d / "train-labels-idx1-ubyte.gz", ty)
    write_idx(d / "t10k-images-idx3-ubyte.gz", sx)
    write_idx(d / "t10k-labels-idx1-ubyte.gz", sy)
    return d


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_dataset) -> Path:
    """One trained tiny run folder, shared by every test that only reads runs."""
    from mnistlab.train import fit

    out = tmp_path_factory.mktemp("runs") / "tiny"
    fit(tiny_config(), out, dataset=tiny_dataset, progress=False)
    return out


@pytest.fixture(scope="session")
def shared_mnist() -> Path:
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"real MNIST not found at {SHARED_MNIST}")
    return SHARED_MNIST


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Never touch the user's cache or the network from a test: MNISTLAB_HOME is a temp folder."""
    monkeypatch.setenv("MNISTLAB_HOME", str(tmp_path / "mnistlab-home"))
