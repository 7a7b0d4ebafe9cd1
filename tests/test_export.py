"""ONNX export: onnxruntime reproduces PyTorch's classes and logits, the file describes itself, and
predicting with an .onnx file never imports torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from PIL import Image

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from conftest import REPO, make_images, tiny_config

from mnistlab.cli import main
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import predict_logits, probabilities
from mnistlab.export import OnnxClassifier, export_onnx
from mnistlab.train import Run, fit


@pytest.fixture(scope="module")
def tiny_onnx(tiny_run, tmp_path_factory):
    return export_onnx(tiny_run, tmp_path_factory.mktemp("onnx") / "tiny.onnx")["path"]


def _parity(run_path, onnx_path, images: np.ndarray) -> None:
    """onnxruntime and PyTorch on the same uint8 [N, 1, 28, 28] images: same classes, logits within 1e-4."""
    model = Run.open(run_path).load_model("cpu")
    expected = predict_logits(model, torch.from_numpy(images)).numpy()
    got = OnnxClassifier(onnx_path).logits(images.astype(np.float32) / 255)
    assert got.shape == expected.shape
    assert (got.argmax(1) == expected.argmax(1)).all()
    assert np.abs(got - expected).max() < 1e-4


def test_onnxruntime_matches_pytorch_on_1000_images(tiny_run, tiny_onnx):
    images, _ = make_images(1000, seed=7)
    _parity(tiny_run, tiny_onnx, images[:, None])


def test_onnxruntime_matches_pytorch_on_real_mnist(tiny_run, tiny_onnx, shared_mnist):
    from mnistlab.data import load_dataset

    ds = load_dataset("mnist", shared_mnist, progress=False)
    _parity(tiny_run, tiny_onnx, ds.test_images[:1000].numpy())


def test_the_onnx_file_describes_its_input_head_and_classes(tiny_run, tiny_onnx):
    import onnx

    proto = onnx.load(tiny_onnx)
    meta = {p.key: p.value for p in proto.metadata_props}
    run = Run.open(tiny_run)
    assert meta["head"] == "softmax" and json.loads(meta["classes"]) == run.classes
    assert "0..1" in meta["input"] and "do not normalise" in meta["input"]
    norm = json.loads(meta["normalization"])
    assert norm["mean"] == list(run.meta.mean) and norm["std"] == list(run.meta.std)
    assert norm["applied"] == "inside the graph"
    (inp,), (out,) = proto.graph.input, proto.graph.output
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert (inp.name, out.name, dims) == ("pixels", "logits", ["batch", 1, 28, 28])


def test_a_sigmoid_head_gives_the_same_probabilities(tmp_path, tiny_dataset):
    run = tmp_path / "sigmoid"
    config = tiny_config(epochs=1).replace(**{"model.output": "sigmoid", "train.loss": "binary_cross_entropy"})
    fit(config, run, dataset=tiny_dataset, progress=False)
    onnx_path = export_onnx(run)["path"]
    assert onnx_path == str(run / "model.onnx")
    images = tiny_dataset.test_images[:200]
    expected = probabilities(predict_logits(Run.open(run).load_model(), images), "sigmoid").numpy()
    model = OnnxClassifier(onnx_path)
    assert model.head == "sigmoid"
    np.testing.assert_allclose(model.probabilities(images.numpy()), expected, atol=1e-5)


def test_export_cli_and_its_errors(tiny_run, tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert main(["export", str(tiny_run), "--format", "onnx", "--out", str(out)]) == 0
    assert out.is_file() and "onnxruntime matches PyTorch" in capsys.readouterr().out
    assert main(["export", str(tiny_run), "--out", str(tmp_path / "m.bin")]) == 1
    assert ".onnx" in capsys.readouterr().err
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(MnistlabError, match="not a loadable ONNX model"):
        OnnxClassifier(tmp_path / "junk.onnx")


def test_predict_with_onnx_needs_no_torch(tiny_run, tiny_onnx, tmp_path):
    images, _ = make_images(3, seed=11)
    paths = []
    for i, img in enumerate(images):
        paths.append(str(tmp_path / f"digit{i}.png"))
        Image.fromarray(img).save(paths[-1])
    code = ("import json, sys\n"
            "from mnistlab.cli import main\n"
            f"status = main(['predict', {tiny_onnx!r}, *{paths!r}, '--json'])\n"
            "assert status == 0, status\n"
            "assert 'torch' not in sys.modules, 'the onnx path imported torch'\n")
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          check=False)
    assert proc.returncode == 0, proc.stderr
    via_onnx = json.loads(proc.stdout)

    from mnistlab.predict import predict_files

    via_torch = predict_files(tiny_run, paths, top=3)
    for a, b in zip(via_onnx, via_torch):
        assert [t["class"] for t in a["top"]] == [t["class"] for t in b["top"]]
        assert a["top"][0]["probability"] == pytest.approx(b["top"][0]["probability"], abs=1e-5)
