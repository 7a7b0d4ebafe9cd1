"""`mnistlab predict` picks the right class, not only some class: on real MNIST digits written as PNG
files, and on drawn shapes whose class survives the crop-and-centre preprocessing."""

from __future__ import annotations

import json

import numpy as np
import torch
from conftest import tiny_config
from PIL import Image, ImageDraw

from mnistlab.cli import main
from mnistlab.data import Dataset, load_dataset, preprocess
from mnistlab.presets import resolve
from mnistlab.train import fit


def predicted(run, paths, capsys) -> list[str]:
    assert main(["predict", str(run), *map(str, paths), "--top", "1", "--json", "--device", "cpu"]) == 0
    return [r["top"][0]["class"] for r in json.loads(capsys.readouterr().out)]


def test_predict_reads_real_mnist_digits_from_png_files(shared_mnist, tmp_path, capsys):
    mnist = load_dataset("mnist", str(shared_mnist), progress=False)
    # the default recipe on 5,000 training images (and a 1,000-image test split): seconds, ~95% accuracy
    subset = Dataset("mnist", mnist.classes, mnist.train_images[:6000], mnist.train_labels[:6000],
                     mnist.test_images[:1000], mnist.test_labels[:1000])
    config = resolve("default", overrides={"data.validation_size": 1000, "train.device": "cpu"})
    fit(config, tmp_path / "run", dataset=subset, progress=False)

    paths, labels = [], []
    for i in range(40):  # test images the run never saw; every other one as a user draws: dark ink on white, big
        image = Image.fromarray(mnist.test_images[i, 0].numpy())
        if i % 2:
            image = Image.fromarray(255 - np.asarray(image)).resize((112, 112), Image.Resampling.BILINEAR)
        image.save(tmp_path / f"test-{i}.png")
        paths.append(tmp_path / f"test-{i}.png")
        labels.append(mnist.classes[int(mnist.test_labels[i])])
    right = sum(p == y for p, y in zip(predicted(tmp_path / "run", paths, capsys), labels))
    assert right >= 36, f"{right} of 40 real test digits classified right"  # chance: 4


SHAPES = ("bar", "ring", "cross")


def draw(shape: str, rng: np.random.Generator) -> Image.Image:
    """A dark `shape` of random size, stroke and place on a light canvas of random size."""
    w, h = rng.integers(50, 110, 2)
    image = Image.new("L", (int(w), int(h)), int(rng.integers(200, 256)))
    pen = ImageDraw.Draw(image)
    ink, stroke = int(rng.integers(0, 60)), int(rng.integers(3, 8))
    size = int(rng.integers(24, min(w, h) - 8))
    x, y = int(rng.integers(0, w - size)), int(rng.integers(0, h - size))
    if shape == "bar":  # tall and thin: stays a vertical bar after fitting in 20x20
        pen.line([(x + size // 2, y), (x + size // 2, y + size)], fill=ink, width=stroke)
    elif shape == "ring":
        pen.ellipse([x, y, x + size, y + size], outline=ink, width=stroke)
    else:
        pen.line([(x, y + size // 2), (x + size, y + size // 2)], fill=ink, width=stroke)
        pen.line([(x + size // 2, y), (x + size // 2, y + size)], fill=ink, width=stroke)
    return image


def shapes(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, list[Image.Image]]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(SHAPES), n)
    drawings = [draw(SHAPES[k], rng) for k in labels]
    images = np.stack([preprocess(d) for d in drawings])[:, None]  # as predict will see them
    return torch.from_numpy(images), torch.from_numpy(labels).long(), drawings


def test_predict_tells_drawn_shapes_apart(tmp_path, capsys):
    train_x, train_y, _ = shapes(240, 0)
    test_x, test_y, drawings = shapes(30, 1)
    ds = Dataset("shapes", SHAPES, train_x, train_y, test_x, test_y)
    config = tiny_config(epochs=3).replace(**{"model.layers[3].units": len(SHAPES), "data.validation_size": 40})
    fit(config, tmp_path / "run", dataset=ds, progress=False)

    paths = []
    for i, drawing in enumerate(drawings):  # the raw drawings, not the preprocessed arrays
        drawing.save(tmp_path / f"shape-{i}.png")
        paths.append(tmp_path / f"shape-{i}.png")
    expected = [SHAPES[k] for k in test_y]
    got = predicted(tmp_path / "run", paths, capsys)
    assert sum(g == e for g, e in zip(got, expected)) >= 28, list(zip(got, expected))  # chance: 10
