"""Loading datasets into memory, validation hold-out, `data info` and the sample grid."""

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mnistlab.data import (
    dataset_info,
    dataset_spec,
    download,
    format_info,
    load_dataset,
    save_sample_grid,
    split_validation,
    write_idx,
)
from mnistlab.data.dataset import Dataset
from mnistlab.data.sources import STANDARD_FILES
from mnistlab.errors import MnistlabError

REAL_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist"
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    monkeypatch.setenv("MNISTLAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MNISTLAB_DATA_DIR", raising=False)

    def no_network(url, timeout):
        raise AssertionError(f"test tried the network: {url}")

    monkeypatch.setattr(download, "_open_url", no_network)


def _idx_dir(folder: Path, n_train=30, n_test=12, classes=4, gz=True, **override) -> Path:
    """Images whose every pixel equals 10 * label, so a sample's label can be read off it."""
    rng = np.random.default_rng(0)
    arrays = {}
    for split, n in (("train", n_train), ("test", n_test)):
        labels = np.arange(n, dtype=np.uint8) % classes
        rng.shuffle(labels)
        arrays[f"{split}_images"] = np.repeat(labels * 10, 28 * 28).reshape(n, 28, 28).astype(np.uint8)
        arrays[f"{split}_labels"] = labels
    arrays.update(override)
    for kind, array in arrays.items():
        name = STANDARD_FILES[kind] if gz else STANDARD_FILES[kind].removesuffix(".gz")
        write_idx(folder / name, array, gzip=gz)
    return folder


def test_idx_folder_loads_as_uint8_tensors(tmp_path):
    ds = load_dataset(f"idx:{_idx_dir(tmp_path / 'd')}", progress=False)
    assert ds.classes == ("0", "1", "2", "3") and ds.num_classes == 4
    assert ds.train_images.shape == (30, 1, 28, 28) and ds.train_images.dtype == torch.uint8
    assert ds.test_images.shape == (12, 1, 28, 28) and ds.test_labels.dtype == torch.int64
    assert ds.input_shape == (1, 28, 28)
    # Images and labels stay paired.
    assert torch.equal(ds.train_images[:, 0, 0, 0].long(), ds.train_labels * 10)


def test_idx_folder_uncompressed_rgb_and_resized(tmp_path):
    ds = load_dataset(f"idx:{_idx_dir(tmp_path / 'd', gz=False)}", color="rgb", image_size=32, progress=False)
    assert ds.input_shape == (3, 32, 32)
    assert torch.equal(ds.train_images[:, 2, 16, 16].long(), ds.train_labels * 10)  # flat images stay flat


def test_known_dataset_refuses_files_with_the_wrong_checksum(tmp_path):
    folder = _idx_dir(tmp_path / "fake")
    with pytest.raises(MnistlabError, match="checksum mismatch.*train-images|train-images.*checksum mismatch"):
        load_dataset("mnist", data_dir=str(folder), progress=False)


def test_count_mismatch_names_both_files(tmp_path):
    folder = _idx_dir(tmp_path / "d", train_labels=np.zeros(29, dtype=np.uint8))
    with pytest.raises(MnistlabError) as info:
        load_dataset(f"idx:{folder}", progress=False)
    message = str(info.value)
    assert "train-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert "30 images" in message and "29 labels" in message


def test_negative_label_is_out_of_range(tmp_path):
    labels = np.zeros(12, dtype=np.int8)
    labels[3] = -1
    folder = _idx_dir(tmp_path / "d", test_labels=labels)
    with pytest.raises(MnistlabError, match="t10k-labels-idx1-ubyte.gz.*label -1 is out of range"):
        load_dataset(f"idx:{folder}", progress=False)


def test_label_out_of_range_for_a_known_dataset(tmp_path):
    folder = _idx_dir(tmp_path / "d", test_labels=np.full(12, 11, dtype=np.uint8), gz=False)
    with pytest.raises(MnistlabError, match="label 11 is out of range for 10 classes"):
        load_dataset("mnist", data_dir=str(folder), progress=False)


def test_swapped_images_and_labels_files(tmp_path):
    folder = _idx_dir(tmp_path / "d", train_images=np.zeros(30, dtype=np.uint8))
    with pytest.raises(MnistlabError, match="train-images-idx3-ubyte.gz.*N x H x W"):
        load_dataset(f"idx:{folder}", progress=False)


def test_bad_options():
    with pytest.raises(MnistlabError, match="color"):
        load_dataset("mnist", color="cmyk")
    with pytest.raises(MnistlabError, match="image_size"):
        load_dataset("mnist", image_size=0)


def _folder_dataset(root: Path) -> Path:
    """3 classes x 7 images of assorted sizes and formats; class k is filled with grey 60 * (k + 1)."""
    for k, name in enumerate(["cat", "ant", "bee"]):
        folder = root / name
        folder.mkdir(parents=True)
        for i in range(7):
            image = Image.new("RGB", (20 + 5 * i, 30), (60 * (k + 1),) * 3)
            image.save(folder / f"{i}.{['png', 'jpg', 'bmp', 'JPEG'][i % 4]}")
        (folder / "notes.txt").write_text("not an image, ignored")
    return root


def test_folder_dataset_classes_split_and_sizes(tmp_path):
    ds = load_dataset(f"folder:{_folder_dataset(tmp_path / 'f')}", image_size=16)
    assert ds.classes == ("ant", "bee", "cat")  # sorted folder names
    assert ds.input_shape == (1, 16, 16)
    assert len(ds.train_labels) == 18 and len(ds.test_labels) == 3  # every 6th of 7 per class
    assert ds.test_labels.tolist() == [0, 1, 2]
    # Each image is its class's grey: ant was written second (120), bee third (180), cat first (60).
    grey = {0: 120, 1: 180, 2: 60}
    for images, labels in ((ds.train_images, ds.train_labels), (ds.test_images, ds.test_labels)):
        expected = torch.tensor([grey[int(y)] for y in labels])
        assert (images[:, 0, 8, 8].long() - expected).abs().max() <= 2  # jpg rounding


def test_folder_dataset_rgb(tmp_path):
    ds = load_dataset(f"folder:{_folder_dataset(tmp_path / 'f')}", color="rgb")
    assert ds.train_images.shape[1:] == (3, 28, 28)


def test_folder_unreadable_image_names_the_file(tmp_path):
    root = _folder_dataset(tmp_path / "f")
    (root / "bee" / "broken.png").write_bytes(b"not really a png")
    with pytest.raises(MnistlabError, match="broken.png"):
        load_dataset(f"folder:{root}")


def test_folder_empty_class_names_the_folder(tmp_path):
    root = _folder_dataset(tmp_path / "f")
    (root / "dog").mkdir()
    with pytest.raises(MnistlabError, match="dog.*no images"):
        load_dataset(f"folder:{root}")


def test_folder_without_class_folders(tmp_path):
    (tmp_path / "flat").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "flat" / "a.png")
    with pytest.raises(MnistlabError, match="no sub-folders"):
        load_dataset(f"folder:{tmp_path / 'flat'}")


def test_dataset_spec_is_what_load_dataset_gives_without_reading_images(tmp_path):
    idx = f"idx:{_idx_dir(tmp_path / 'd', classes=4)}"
    folder = f"folder:{_folder_dataset(tmp_path / 'f')}"
    for name, color in ((idx, "grayscale"), (idx, "rgb"), (folder, "grayscale"), (folder, "rgb")):
        ds = load_dataset(name, color=color, progress=False)
        assert dataset_spec(name, color) == (ds.input_shape, ds.num_classes)
    assert dataset_spec(idx) == ((1, 28, 28), 4)
    assert dataset_spec(folder, "rgb") == ((3, 28, 28), 3)
    # the images are never decoded: a broken images file does not matter to the spec
    (tmp_path / "d" / STANDARD_FILES["train_images"]).write_bytes(b"not an idx file")
    assert dataset_spec(idx) == ((1, 28, 28), 4)
    # a known dataset answers from sources.py, before it is downloaded (the network would fail the test)
    assert dataset_spec("fashion-mnist") == ((1, 28, 28), 10)
    with pytest.raises(MnistlabError, match="unknown dataset"):
        dataset_spec("cifar")


def test_split_validation_is_disjoint_and_deterministic():
    images = torch.arange(100, dtype=torch.uint8).view(100, 1, 1, 1)
    labels = torch.arange(100) % 10
    (tx, ty), (vx, vy) = split_validation(images, labels, 20, seed=3)
    assert len(vx) == 20 and len(tx) == 80
    train_ids, val_ids = set(tx.flatten().tolist()), set(vx.flatten().tolist())
    assert not train_ids & val_ids and train_ids | val_ids == set(range(100))
    assert torch.equal(ty, tx.flatten().long() % 10)  # labels follow their images
    (_, _), (vx2, _) = split_validation(images, labels, 20, seed=3)
    (_, _), (vx3, _) = split_validation(images, labels, 20, seed=4)
    assert torch.equal(vx, vx2) and not torch.equal(vx, vx3)


def test_split_validation_edges():
    images, labels = torch.zeros(10, 1, 28, 28, dtype=torch.uint8), torch.zeros(10, dtype=torch.int64)
    (tx, _), (vx, vy) = split_validation(images, labels, 0)
    assert len(tx) == 10 and vx.shape == (0, 1, 28, 28) and vy.shape == (0,)
    with pytest.raises(MnistlabError, match="below 10"):
        split_validation(images, labels, 10)
    with pytest.raises(MnistlabError):
        split_validation(images, labels, -1)


def test_dataset_info_counts_and_files(tmp_path):
    info = dataset_info(f"idx:{_idx_dir(tmp_path / 'd', n_train=30, classes=3)}", progress=False)
    assert info["splits"]["train"] == {"count": 30, "class_counts": {"0": 10, "1": 10, "2": 10}}
    assert info["splits"]["test"]["count"] == 12
    assert [f["kind"] for f in info["files"]] == ["train_images", "train_labels", "test_images", "test_labels"]
    assert all(f["origin"] == "idx-dir" and not f["verified"] for f in info["files"])
    assert info["location"] == str(tmp_path / "d")
    assert "train: 30 samples" in format_info(info)


def test_save_sample_grid_writes_a_png(tmp_path):
    ds = load_dataset(f"idx:{_idx_dir(tmp_path / 'd')}", progress=False)
    out = save_sample_grid(ds, tmp_path / "out" / "grid.png", n=6, split="test")
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 100 and image.height > 100
    assert [p.name for p in out.parent.iterdir()] == ["grid.png"]  # no temp file left
    empty = Dataset("e", ("0",), ds.train_images, ds.train_labels, ds.test_images[:0], ds.test_labels[:0])
    with pytest.raises(MnistlabError, match="empty"):
        save_sample_grid(empty, tmp_path / "e.png", split="test")


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="real MNIST not in ../shared/data/mnist")
def test_real_mnist_loads():
    ds = load_dataset("mnist", data_dir=str(REAL_MNIST), progress=False)
    assert ds.train_images.shape == (60000, 1, 28, 28) and ds.train_images.dtype == torch.uint8
    assert ds.test_images.shape == (10000, 1, 28, 28) and ds.test_labels.dtype == torch.int64
    assert torch.bincount(ds.train_labels).tolist() == MNIST_TRAIN_COUNTS
    assert torch.bincount(ds.test_labels).tolist() == MNIST_TEST_COUNTS
    assert ds.classes == tuple("0123456789")


@pytest.mark.skipif(not REAL_MNIST.is_dir(), reason="real MNIST not in ../shared/data/mnist")
def test_real_mnist_info():
    info = dataset_info("mnist", data_dir=str(REAL_MNIST), progress=False)
    assert list(info["splits"]["train"]["class_counts"].values()) == MNIST_TRAIN_COUNTS
    assert list(info["splits"]["test"]["class_counts"].values()) == MNIST_TEST_COUNTS
    assert info["splits"]["train"]["count"] == 60000 and info["splits"]["test"]["count"] == 10000
    assert all(f["verified"] for f in info["files"])
    assert info["input_shape"] == [1, 28, 28]
    assert abs(info["train_pixel_mean"] - 0.1307) < 1e-3 and abs(info["train_pixel_std"] - 0.3081) < 1e-3
