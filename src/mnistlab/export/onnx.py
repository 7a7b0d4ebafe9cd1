"""ONNX: export a run's network, and classify images with the exported file using onnxruntime alone.

The graph maps `pixels`, float32 [N, C, H, W] with values in 0..1 (uint8 pixels / 255), to `logits`
[N, classes]; N is dynamic. The run's input normalisation (mean/std) is inside the graph, as it is
inside mnistlab's Network, so callers never normalise. The head is not in the graph: logits are what
a training loss or an argmax wants, and the head that turns them into probabilities (softmax or
sigmoid) is named in the model's `metadata_props` with the class names, input layout and the
normalisation, so the file is self-describing.

Exporting needs torch; `OnnxClassifier` needs only numpy and onnxruntime, and `mnistlab.predict`
uses it for `.onnx` files: a serving machine can run the exported file without PyTorch installed.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import numpy as np

from mnistlab.errors import MnistlabError
from mnistlab.files import atomic_path

INPUT, OUTPUT = "pixels", "logits"
OPSET = 17  # supported by every onnxruntime of the last years; the network uses only basic ops


def _require(module: str):
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MnistlabError("export.onnx_missing", module=module) from None


# ------------------------------------------------------------------------------------------------
# Export (torch)
# ------------------------------------------------------------------------------------------------


def metadata(run) -> dict[str, str]:
    """What a consumer of the .onnx file needs besides the graph, as metadata_props strings."""
    c, h, w = run.meta.input_shape
    mean, std = run.meta.mean, run.meta.std
    return {
        "head": run.output,
        "classes": json.dumps(run.classes),
        "input": f"{INPUT}: float32 N x {c} x {h} x {w}, pixel values in 0..1 (uint8 / 255), "
                 f"{'white ink on black as in MNIST' if c == 1 else 'RGB'}; do not normalise, the graph does",
        "input_shape": json.dumps([c, h, w]),
        "normalization": json.dumps({"mean": mean, "std": std, "applied": "inside the graph"}
                                    if mean is not None else None),
        "output": f"{OUTPUT}: float32 N x {len(run.classes)}; probabilities = {run.output}(logits)",
        "preprocess": run.meta.preprocess,  # how a user's picture becomes the input (see mnistlab.runfolder)
        "dataset": run.meta.dataset,
        "run": run.name,
    }


def export_onnx(run_path: str | Path, out: str | Path | None = None) -> dict:
    """Write RUN as ONNX (default RUN/model.onnx), check it against PyTorch, and describe what was written."""
    import torch  # only exporting needs torch; everything below the next section must not import it

    from mnistlab.runfolder import Run

    onnx = _require("onnx")
    _require("onnxruntime")
    run = Run.open(run_path)
    model = run.load_model("cpu")
    c, h, w = run.meta.input_shape
    out = Path(out) if out is not None else run.path / "model.onnx"
    if out.suffix != ".onnx":
        raise MnistlabError("export.onnx_suffix", out=out)
    inputs = torch.Generator().manual_seed(0)  # the trace and check inputs, the same on every export
    with atomic_path(out) as tmp:
        # The TorchScript exporter (dynamo=False) traces the plain feed-forward Network exactly and needs
        # no extra package; the torch.export-based one needs onnxscript and is several times slower here.
        # Its deprecation notice and constant-folding notes are not the user's concern.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, (torch.rand(2, c, h, w, generator=inputs),), str(tmp),
                              input_names=[INPUT], output_names=[OUTPUT], opset_version=OPSET, dynamo=False,
                              dynamic_axes={INPUT: {0: "batch"}, OUTPUT: {0: "batch"}})
        proto = onnx.load(str(tmp))
        onnx.helper.set_model_props(proto, metadata(run))
        proto.producer_name, proto.doc_string = "mnistlab", f"mnistlab run {run.name}: {INPUT} -> {OUTPUT}"
        onnx.checker.check_model(proto)
        onnx.save(proto, str(tmp))
        # A batch size the trace never saw proves the batch dimension really is dynamic.
        x = torch.rand(7, c, h, w, generator=inputs)
        with torch.inference_mode():
            expected = model(x).numpy()
        diff = float(np.abs(OnnxClassifier(tmp).logits(x.numpy()) - expected).max())
        if diff > 1e-4 * max(1.0, float(np.abs(expected).max())):  # float32 rounding scales with the logits
            raise RuntimeError(f"the exported graph's logits differ from PyTorch's by {diff:.2e}")
    return {"path": str(out), "bytes": out.stat().st_size, "max_abs_diff": diff, "head": run.output,
            "classes": run.classes, "input_shape": [c, h, w]}


# ------------------------------------------------------------------------------------------------
# Inference (onnxruntime, numpy, Pillow: no torch)
# ------------------------------------------------------------------------------------------------


class OnnxClassifier:
    """An exported model in an onnxruntime session, with the head and classes from its metadata."""

    def __init__(self, path: str | Path, threads: int = 0):
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: onnxruntime's default, one per core
        options.log_severity_level = 3  # errors only
        wanted = ("CUDAExecutionProvider", "CPUExecutionProvider")
        providers = [p for p in wanted if p in ort.get_available_providers()]
        try:
            self.session = ort.InferenceSession(str(path), options, providers=providers)
        except Exception as e:  # noqa: BLE001 -- onnxruntime's InvalidProtobuf, NoSuchFile... are bare Exceptions
            raise MnistlabError("export.onnx_unloadable", path=path, error=str(e).splitlines()[0]) from None
        meta = self.session.get_modelmeta().custom_metadata_map
        if "head" not in meta or "classes" not in meta:
            raise MnistlabError("export.onnx_no_metadata", path=path)
        self.path = Path(path)
        self.metadata = dict(meta)
        self.head: str = meta["head"]
        self.classes: list[str] = json.loads(meta["classes"])
        self.input_shape: list[int] = json.loads(meta["input_shape"])
        self.preprocess: str = meta.get("preprocess", "mnist")

    def to_input(self, image) -> np.ndarray:
        """A user's image -> uint8 [C, H, W], prepared as the exported run's training images were."""
        from mnistlab.data.images import to_input

        c, h, _ = self.input_shape
        return to_input(image, self.preprocess, c, h)

    def to_input_checked(self, image) -> tuple[np.ndarray, str | None]:
        """`to_input`, and why the picture is no digit at all (blank, or a dot), else None."""
        from mnistlab.data.images import to_input_checked

        c, h, _ = self.input_shape
        return to_input_checked(image, self.preprocess, c, h)

    def logits(self, pixels: np.ndarray) -> np.ndarray:
        """float32 [N, C, H, W] in 0..1 -> logits [N, classes]."""
        return self.session.run([OUTPUT], {INPUT: np.ascontiguousarray(pixels, dtype=np.float32)})[0]

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """uint8 [N, C, H, W] -> probabilities under the model's head."""
        z = self.logits(images.astype(np.float32) / 255.0)
        if self.head == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return np.exp(-np.logaddexp(0.0, -z))  # sigmoid without overflow for very negative logits
