"""Predict: user images -> MNIST-style 28x28 -> the run's network -> top classes under its head."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from mnistlab.data.images import load_image, preprocess
from mnistlab.device import select_device
from mnistlab.evaluate import probabilities
from mnistlab.train.runs import Run


def to_input(image, channels: int = 1, size: int = 28) -> np.ndarray:
    """A user image -> uint8 [C, size, size] as the model saw its training data.

    Grayscale models get MNIST's preprocessing (invert dark-on-light, crop to the ink, fit in 20x20,
    centre by mass); RGB models (folder datasets) get the plain resize their training data got.
    """
    if channels == 1:
        return preprocess(image, size)[None]
    img = load_image(image) if isinstance(image, (str, Path, bytes)) else image
    return np.asarray(img.convert("RGB").resize((size, size)), dtype=np.uint8).transpose(2, 0, 1)


@torch.inference_mode()
def predict_arrays(model: torch.nn.Module, inputs: np.ndarray, output: str) -> torch.Tensor:
    """uint8 [N, C, H, W] -> probabilities [N, classes] under the run's head."""
    device = next(model.parameters()).device
    x = torch.from_numpy(np.ascontiguousarray(inputs)).to(device).float().div_(255)
    return probabilities(model(x), output).float().cpu()


def top_classes(probs: torch.Tensor, classes: list[str], top: int) -> list[dict]:
    values, indices = probs.topk(min(top, len(classes)))
    return [{"class": classes[i], "index": int(i), "probability": float(v)} for v, i in zip(values, indices)]


def predict_files(run_path: str | Path, images: list[str], top: int = 3, device: str = "cpu") -> list[dict]:
    run = Run.open(run_path)
    model = run.load_model(select_device(device))
    channels, size = run.meta["input_shape"][0], run.meta["input_shape"][1]
    inputs = np.stack([to_input(path, channels, size) for path in images])
    probs = predict_arrays(model, inputs, run.output)
    return [{"image": str(path), "head": run.output, "top": top_classes(p, run.classes, top)}
            for path, p in zip(images, probs)]


def format_predictions(results: list[dict]) -> str:
    lines = []
    for r in results:
        best = r["top"][0]
        lines.append(f"{r['image']}: {best['class']} ({best['probability']:.1%})")
        for t in r["top"]:
            bar = "#" * round(t["probability"] * 30)
            lines.append(f"    {t['class']:>12}  {t['probability']:7.2%}  {bar}")
    head = results[0]["head"] if results else "softmax"
    note = "probabilities sum to 1 (softmax)" if head == "softmax" else "each class independent, 0..1 (sigmoid)"
    return "\n".join(lines + [f"({note})"])
