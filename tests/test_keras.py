"""Taking it to Keras: `mnistlab code` scripts (Keras and PyTorch) run and count the same parameters as
`summary`, and `export --format keras` files give the run's probabilities. Keras runs on its PyTorch
backend (no TensorFlow); each kind of script runs in one subprocess for all presets, to pay Python's,
torch's and Keras' imports once."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import make_images
from mnistlab import config as C
from mnistlab.cli import main
from mnistlab.data import Dataset, write_idx
from mnistlab.errors import MnistlabError
from mnistlab.export.code import generate
from mnistlab.models import summarize
from mnistlab.presets import PRESETS, preset

os.environ.setdefault("KERAS_BACKEND", "torch")  # before Keras is imported: no TensorFlow here
pytest.importorskip("keras", reason="the Keras bridge needs keras (pip install 'mnistlab[keras]')")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # Keras' own numpy 2 notices
SMALL = ["--set", "data.validation_size=64", "--epochs", "1"]

# Runs each script given on the command line as __main__, in turn; `import mnistlab` fails in it when
# the first argument is "no-mnistlab" (the PyTorch scripts must not need it).
RUNNER = """
import contextlib, io, json, runpy, sys
if sys.argv[1] == "no-mnistlab":
    sys.modules["mnistlab"] = None
outputs = []
for path in sys.argv[2:]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        runpy.run_path(path, run_name="__main__")
    outputs.append(out.getvalue())
print(json.dumps(outputs))
"""


@pytest.fixture(scope="module")
def small_idx(tmp_path_factory):
    """256 training and 64 test images as IDX files: one short epoch per script."""
    d = tmp_path_factory.mktemp("small_idx")
    for split, n, seed in (("train", 256, 0), ("t10k", 64, 1)):
        images, labels = make_images(n, seed)
        write_idx(d / f"{split}-images-idx3-ubyte.gz", images)
        write_idx(d / f"{split}-labels-idx1-ubyte.gz", labels)
    return d


def _run_scripts(paths, cwd, mnistlab: bool) -> list[str]:
    env = {**os.environ, "KERAS_BACKEND": "torch", "MNISTLAB_DATA_DIR": ""}
    if not mnistlab:
        env.pop("PYTHONPATH", None)
    r = subprocess.run([sys.executable, "-c", RUNNER, "mnistlab" if mnistlab else "no-mnistlab", *map(str, paths)],
                       cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    return json.loads(r.stdout.splitlines()[-1])


def _params(name: str) -> int:
    return summarize(preset(name).model, (1, 28, 28), 10)["total_params"]


def test_every_presets_keras_script_trains_an_epoch_with_summarys_parameter_count(small_idx, tmp_path):
    paths = []
    for name in PRESETS:
        paths.append(tmp_path / f"{name}.py")
        assert main(["code", "--model", name, "--dataset", f"idx:{small_idx}", *SMALL, "--out", str(paths[-1])]) == 0
    steps = tmp_path / "steps.py"  # train.steps_per_epoch becomes fit's own argument
    assert main(["code", "--dataset", f"idx:{small_idx}", *SMALL, "--set", "train.steps_per_epoch=1", "--out", str(steps)]) == 0
    assert "steps_per_epoch=steps_per_epoch," in steps.read_text()
    outputs = _run_scripts([*paths, steps], tmp_path, mnistlab=True)
    assert re.search(r"test accuracy \d\.\d{4}", outputs[-1]), outputs[-1][-500:]
    for name, out in zip(PRESETS, outputs):
        trainable = int(re.search(r"Trainable params: ([\d,]+)", out).group(1).replace(",", ""))
        assert trainable == _params(name), name
        assert re.search(r"test accuracy \d\.\d{4}", out), out[-500:]
    text = paths[0].read_text()  # the default preset: the notes' words, the arithmetic as comments
    assert "import numpy as np\nimport matplotlib.pyplot as plt\nimport keras\n" in text
    assert 'keras.layers.Conv2D(filters=16, kernel_size=5, strides=2, padding="valid", use_bias=False)' in text
    assert "# 28 -> 12: valid: ceil((28-5+1)/2) = 12" in text
    assert "BatchNormalization(momentum=0.9, epsilon=1e-05)" in text
    assert 'Dense(units=10, activation="softmax")' in text


# default: batch norm, one-cycle; accurate: augmentation, global pooling, label smoothing; the third script
# (one batch an epoch) also has the odd SAME padding of a 5x5 conv with stride 2
TORCH_PRESETS = ("default", "accurate")


def test_pytorch_scripts_run_without_mnistlab(small_idx, tmp_path):
    paths = []
    for name in TORCH_PRESETS:
        cfg = preset(name).replace(**{"data.dataset": f"idx:{small_idx}", "data.validation_size": 64, "train.epochs": 1})
        paths.append(tmp_path / f"{name}.py")
        paths[-1].write_text(generate(cfg, (1, 28, 28), 10, "pytorch", name))
    steps = tmp_path / "steps.py"  # train.steps_per_epoch: one batch per epoch
    odd_same = (C.Conv2D(16, 5, 2, "same", use_bias=False), *cfg.model.layers[1:])  # 28 -> 14: 1 zero before, 2 after
    cfg = dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, layers=odd_same))
    cfg = cfg.replace(**{"train.steps_per_epoch": 1})
    steps.write_text(generate(cfg, (1, 28, 28), 10, "pytorch", "steps"))
    outputs = _run_scripts([*paths, steps], tmp_path, mnistlab=False)
    assert re.search(r"test accuracy \d\.\d{4}", outputs[-1]), outputs[-1][-500:]
    for name, out in zip(TORCH_PRESETS, outputs):
        assert f"{_params(name):,} parameters (mnistlab summary: {_params(name):,})" in out, name
        assert re.search(r"test accuracy \d\.\d{4}", out)
    assert "nn.ConstantPad2d((1, 2, 1, 2), 0.0)" in steps.read_text()  # TF SAME: odd pixel bottom/right


@pytest.mark.parametrize("loss, head", [("cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid")])
def test_the_keras_scripts_loss_is_mnistlabs_smoothed_loss(loss, head):
    """The script compiles the run's label smoothing into its loss, so Keras' own loss, val_loss and evaluate
    report the number mnistlab reports for the same outputs."""
    import keras

    from mnistlab.evaluate import loss_from_logits, probabilities
    from mnistlab.export.code import _keras_loss

    tc = C.TrainConfig(loss=loss, label_smoothing=0.1)
    defs, line = _keras_loss(tc)
    assert "label_smoothing=0.1" in defs + line
    space = {"keras": keras, "NUM_CLASSES": 10}
    exec(defs + "\n" + line, space)  # the script's own lines
    logits = torch.randn(32, 10, generator=torch.Generator().manual_seed(0))
    labels = torch.arange(32) % 10
    one_hot = torch.nn.functional.one_hot(labels, 10).float()
    theirs = float(keras.ops.mean(space["loss"](one_hot, probabilities(logits, head))))
    assert theirs == pytest.approx(loss_from_logits(logits, labels, loss, 0.1).item(), rel=1e-5)
    assert theirs > loss_from_logits(logits, labels, loss).item() + 0.01  # not the unsmoothed loss


@pytest.mark.parametrize("change, words", [
    ({"train.weight_decay": 0.01}, "train.weight_decay = 0.01 with optimizer = 'adam' has no faithful Keras equivalent"),
    ({"train.metrics": ["accuracy", "precision"]}, "train.metrics contains 'precision'"),
])
def test_settings_keras_cannot_do_faithfully_are_refused_by_name(change, words):
    with pytest.raises(MnistlabError, match=re.escape(words)):
        generate(C.Config().replace(**change), (1, 28, 28), 10, "keras")
    generate(C.Config().replace(**change), (1, 28, 28), 10, "pytorch")  # PyTorch does what mnistlab does


def test_code_cli_refuses_in_one_line(capsys):
    assert main(["code", "--set", "train.weight_decay=0.1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mnistlab: error: train.weight_decay") and err.count("\n") == 1


# ------------------------------------------------------------------------------------------------
# export --format keras
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_dataset() -> Dataset:
    tx, ty = make_images(192, 0)
    sx, sy = make_images(64, 1)
    return Dataset("small", tuple(str(i) for i in range(10)), torch.from_numpy(tx)[:, None].contiguous(),
                   torch.from_numpy(ty).long(), torch.from_numpy(sx)[:, None].contiguous(), torch.from_numpy(sy).long())


def _trained(cfg: C.Config, out, dataset) -> None:
    from mnistlab.train import fit

    fit(cfg.replace(**{"data.validation_size": 32, "train.epochs": 1, "train.device": "cpu"}), out, dataset=dataset,
        progress=False)


def _keras_probabilities(path, images: torch.Tensor) -> np.ndarray:
    import keras

    model = keras.saving.load_model(path)
    return keras.ops.convert_to_numpy(model(images.permute(0, 2, 3, 1).float().numpy() / 255))


def _torch_probabilities(run_path, images: torch.Tensor) -> np.ndarray:
    from mnistlab.evaluate import probabilities
    from mnistlab.runfolder import Run

    run = Run.open(run_path)
    with torch.inference_mode():
        return probabilities(run.load_model("cpu")(images.float() / 255), run.output).numpy()


@pytest.mark.parametrize("name", list(PRESETS))
def test_exported_keras_file_gives_the_runs_probabilities(name, small_dataset, tmp_path):
    run = tmp_path / name
    _trained(preset(name), run, small_dataset)
    assert main(["export", str(run), "--format", "keras", "--json"]) == 0
    got = _keras_probabilities(run / "model.keras", small_dataset.test_images)
    expected = _torch_probabilities(run, small_dataset.test_images)
    assert np.abs(got - expected).max() <= 1e-4
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_every_layer_type_odd_same_padding_and_the_sigmoid_head_export(small_dataset, tmp_path):
    layers = (
        C.Conv2D(6, 4, 2, "same", "leaky_relu"),  # 28 -> 14, pads 1 before, 2 after
        C.BatchNorm(momentum=0.3), C.MaxPool2D(3, 2, "same"),  # uneven pad of a max pool
        C.AvgPool2D(2, 1, "same"), C.Activation("elu"), C.Dropout(0.2),  # stride 1, k 2: pad 0 before, 1 after
        C.Conv2D(8, 3, padding="same", activation="selu", use_bias=False),
        C.Flatten(), C.BatchNorm(), C.Dense(16, "gelu"), C.Dense(10),  # batch norm on flattened features
    )
    cfg = C.Config(model=C.ModelConfig(output="sigmoid", layers=layers))
    _trained(cfg, tmp_path / "run", small_dataset)
    from mnistlab.export.keras import export_keras

    info = export_keras(tmp_path / "run", tmp_path / "odd.keras")
    assert info["head"] == "sigmoid" and info["max_abs_diff"] <= 1e-4
    got = _keras_probabilities(tmp_path / "odd.keras", small_dataset.test_images)
    assert np.abs(got - _torch_probabilities(tmp_path / "run", small_dataset.test_images)).max() <= 1e-4


def test_global_average_pooling_exports(small_dataset, tmp_path):
    cfg = C.Config(model=C.ModelConfig(layers=(C.Conv2D(10, 3, 2, "same"), C.AvgPool2D(3, 1, "same"),
                                                C.GlobalAvgPool(), C.Dense(10))))
    _trained(cfg, tmp_path / "run", small_dataset)
    from mnistlab.export.keras import export_keras

    assert export_keras(tmp_path / "run")["max_abs_diff"] <= 1e-4


def test_a_model_keras_torch_backend_computes_differently_is_refused_and_not_written(small_dataset, tmp_path):
    """Keras' torch backend averages copies of the edge pixels into an unevenly padded SAME average pool."""
    cfg = C.Config(model=C.ModelConfig(layers=(C.Conv2D(4, 3), C.AvgPool2D(3, 2, "same"), C.Flatten(), C.Dense(10))))
    _trained(cfg, tmp_path / "run", small_dataset)
    from mnistlab.export.keras import export_keras

    with pytest.raises(MnistlabError, match="differ from PyTorch's .* avgpool2d with padding='same'"):
        export_keras(tmp_path / "run")
    assert not (tmp_path / "run" / "model.keras").exists()
