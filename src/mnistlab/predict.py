"""Predict: user images -> MNIST-style 28x28 -> a trained network -> top classes under its head.

The network is a run folder (PyTorch) or an exported `.onnx` file (onnxruntime). Everything above
`predict_files` is numpy + Pillow only, so the ONNX path never imports torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np



def top_classes(probs, classes: list[str], top: int) -> list[dict]:
    """The `top` most probable classes of one image's probabilities (numpy or torch), best first."""
    probs = np.asarray(probs, dtype=np.float64)
    best = np.argsort(-probs, kind="stable")[:min(top, len(classes))]
    return [{"class": classes[i], "index": int(i), "probability": float(probs[i])} for i in best]


def format_predictions(results: list[dict]) -> str:
    lines = []
    for r in results:
        if r.get("blank"):
            lines.append(f"{r['image']}: {r['note']}; no class given")
            continue
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
        head, classes = model.head, model.classes
        inputs, notes = _inputs(model.to_input_checked, images)
        probs = model.probabilities(inputs)
    else:
        from mnistlab.device import select_device
        from mnistlab.runfolder import Run

        run = Run.open(model_path)
        head, classes = run.output, run.classes
        inputs, notes = _inputs(run.meta.to_input_checked, images)
        probs = predict_arrays(run.load_model(select_device(device)), inputs, head).numpy()
    # a blank picture, or a dot, gets no class: the network answers something for any input
    return [{"image": str(path), "head": head, "blank": bool(note), "note": note,
             "top": [] if note else top_classes(p, classes, top)} for path, p, note in zip(images, probs, notes)]


def _inputs(prepare, images) -> tuple[np.ndarray, list[str | None]]:
    prepared = [prepare(path) for path in images]
    return np.stack([x for x, _ in prepared]), [note for _, note in prepared]


def predict_arrays(model, inputs: np.ndarray, output: str):
    """uint8 [N, C, H, W] -> probabilities [N, classes] (a CPU torch tensor) under the run's head."""
    import torch

    from mnistlab.evaluate import probabilities

    device = next(model.parameters()).device
    with torch.inference_mode():
        x = torch.from_numpy(np.ascontiguousarray(inputs)).to(device).float().div_(255)
        return probabilities(model(x), output).float().cpu()
