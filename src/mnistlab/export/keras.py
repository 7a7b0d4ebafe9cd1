"""`mnistlab export RUN --format keras`: a trained run as a `.keras` file, checked against PyTorch.

The Keras model is built from the same registry mapping as the `mnistlab code` script, so the file is
the network that script would train. It takes float32 N x H x W x C (channels last, Keras' default) with
pixels in 0..1; the run's normalisation is its first layer and the last layer ends with the head, so it
returns probabilities (softmax or sigmoid), as a model written from the notes does.

Weights change layout on the way (each layer type's `keras_weights` hook): conv kernels [out, in, kh, kw]
-> [kh, kw, in, out], dense kernels [out, in] -> [in, out], and the layers after a flatten take their
inputs in (h, w, c) order instead of (c, h, w). Before writing, the Keras model's probabilities must match
PyTorch's within 1e-4 on sample inputs, on Keras' PyTorch backend.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import torch

from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message
from mnistlab.evaluate import probabilities
from mnistlab.export.code import keras_layers
from mnistlab.files import atomic_path
from mnistlab.models import layer

TOLERANCE = 1e-4  # max |p_keras - p_torch| over the sample inputs


def import_keras():
    """Keras on its PyTorch backend unless the caller chose one (TensorFlow need not be installed)."""
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        return importlib.import_module("keras")
    except ImportError as e:
        raise MnistlabError("export.keras_missing", error=e) from None


def keras_model(run):
    """The run's trained network as a Keras model: N x H x W x C pixels in 0..1 -> probabilities."""
    keras = import_keras()
    network = run.load_model("cpu")
    c, h, w = run.input_shape
    layers = [keras.Input((h, w, c))]
    if run.meta.mean is not None:
        mean, std = np.array(run.meta.mean), np.array(run.meta.std)
        layers.append(keras.layers.Normalization(mean=mean, variance=std ** 2))
    weighted = []  # (keras layer, its weights)
    order = None  # feature order after a flatten (see the registry's keras_weights)
    for spec, info, module, group in zip(run.config.model.layers, network.infos, network.layers,
                                         keras_layers(run.config.model)):
        made = [getattr(keras.layers, k.name)(**k.kwargs) for k in group]
        weights, order = layer(spec.type).keras_weights(module, info.input_shape, order)
        weighted.append((made[0], weights))
        layers += made
    model = keras.Sequential(layers, name=f"mnistlab_{run.name}".replace("-", "_"))
    for k, weights in weighted:
        if weights:
            k.set_weights(weights)
    return model, network


def export_keras(run_path: str | Path, out: str | Path | None = None) -> dict:
    """Write RUN as a .keras file (default RUN/model.keras) after the parity check; describe what was written."""
    from mnistlab.runfolder import Run

    keras = import_keras()
    run = Run.open(run_path)
    out = Path(out) if out is not None else run.path / "model.keras"
    if out.suffix != ".keras":
        raise MnistlabError("export.keras_suffix", out=out)
    model, network = keras_model(run)
    c, h, w = run.input_shape
    x = torch.rand(16, c, h, w, generator=torch.Generator().manual_seed(0))  # the same inputs on every export
    diff = _max_difference(model, network, x, run.output)
    if diff > TOLERANCE:
        raise MnistlabError("export.keras_differs", diff=diff, tolerance=TOLERANCE, backend=keras.backend.backend(),
                            cause=_known_difference(run))
    with atomic_path(out) as tmp:
        keras_tmp = tmp.with_name(tmp.name + ".keras")  # Keras insists on the suffix
        try:
            model.save(keras_tmp)
            keras_tmp.replace(tmp)
        finally:
            keras_tmp.unlink(missing_ok=True)
    return {"path": str(out), "bytes": out.stat().st_size, "max_abs_diff": diff, "head": run.output,
            "classes": run.classes, "input_shape": [h, w, c], "backend": keras.backend.backend()}


def _max_difference(model, network, x: torch.Tensor, head: str) -> float:
    """max |probabilities| difference between Keras (channels last) and PyTorch on images x [N, C, H, W]."""
    keras = import_keras()
    with torch.inference_mode():
        expected = probabilities(network(x), head).numpy()
    got = keras.ops.convert_to_numpy(model(x.permute(0, 2, 3, 1).numpy(), training=False))
    return float(np.abs(got - expected).max())


def _known_difference(run) -> Message:
    if any(spec.type == "avgpool2d" and spec.padding == "same" for spec in run.config.model.layers):
        return Message("export.keras_avgpool_same")
    return Message("export.keras_report")
