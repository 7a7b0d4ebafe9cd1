"""Predict: user images -> MNIST-style 28x28 -> a trained network -> top classes under its head.

The network is a run folder (PyTorch) or an exported `.onnx` file (onnxruntime). Everything above
`predict_files` is numpy + Pillow only, so the ONNX path never imports torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mnistlab.data.images import load_image, preprocess


def to_input(image, channels: int = 1, size: int = 28) -> np.ndarray:
    """A user image -> uint8 [C, size, size] as the model saw its training data.

    Grayscale models get MNIST's preprocessing (invert dark-on-light, crop to the ink, fit in 20x20,
    centre by mass); RGB models (folder datasets) get the plain resize their training data got.
    """
    if channels == 1:
        return preprocess(image, size)[None]
    img = load_image(image) if isinstance(image, (str, Path, bytes)) else image
    return np.asarray(img.convert("RGB").resize((size, size)), dtype=np.uint8).transpose(2, 0, 1)


def top_classes(probs, classes: list[str], top: int) -> list[dict]:
    """The `top` most probable classes of one image's probabilities (numpy or torch), best first."""
    probs = np.asarray(probs, dtype=np.float64)
    best = np.argsort(-probs, kind="stable")[:min(top, len(classes))]
    return [{"class": classes[i], "index": int(i), "probability": float(probs[i])} for i in best]


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


def predict_files(model_path: str | Path, images: list[str], top: int = 3, device: str = "cpu") -> list[dict]:
    """Classify image files with a run folder or an exported .onnx model."""
    if Path(model_path).suffix == ".onnx":
        from mnistlab.export import OnnxClassifier  # onnxruntime only

        model = OnnxClassifier(model_path)
        head, classes, (channels, size) = model.head, model.classes, model.input_shape[:2]
        probs = model.probabilities(np.stack([to_input(path, channels, size) for path in images]))
    else:
        from mnistlab.device import select_device
        from mnistlab.train.runs import Run

        run = Run.open(model_path)
        head, classes, (channels, size) = run.output, run.classes, run.meta["input_shape"][:2]
        inputs = np.stack([to_input(path, channels, size) for path in images])
        probs = predict_arrays(run.load_model(select_device(device)), inputs, head).numpy()
    return [{"image": str(path), "head": head, "top": top_classes(p, classes, top)} for path, p in zip(images, probs)]


def predict_arrays(model, inputs: np.ndarray, output: str):
    """uint8 [N, C, H, W] -> probabilities [N, classes] (a CPU torch tensor) under the run's head."""
    import torch

    from mnistlab.evaluate import probabilities

    device = next(model.parameters()).device
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(inputs)).to(device).float().div_(255)
        return probabilities(model(x), output).float().cpu()
