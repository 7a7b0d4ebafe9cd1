"""The real thing: the `default` recipe on the real MNIST reaches 99% test accuracy, as the README promises,
and the run exported as a .keras file gives the same answers on the whole test set."""

import json
import os

import numpy as np
import pytest

from mnistlab.presets import resolve
from mnistlab.train import fit


@pytest.fixture(scope="module")
def default_run(shared_mnist, tmp_path_factory):
    out = tmp_path_factory.mktemp("accuracy") / "default"
    config = resolve("default", overrides={"data.data_dir": str(shared_mnist)})
    return out, fit(config, out, progress=False)


def test_default_recipe_reaches_99_percent_on_real_mnist(default_run):
    out, result = default_run
    assert result["test_accuracy"] >= 0.99, result
    assert json.loads((out / "result.json").read_text())["test_accuracy"] == result["test_accuracy"]
    assert result["train_size"] == 55_000  # trained without the 5,000 validation images


def test_the_keras_export_answers_like_the_run_on_the_mnist_test_set(default_run, shared_mnist, tmp_path):
    os.environ.setdefault("KERAS_BACKEND", "torch")  # no TensorFlow in CI
    keras = pytest.importorskip("keras")

    from mnistlab.data import load_dataset
    from mnistlab.evaluate import predict_logits, probabilities
    from mnistlab.export.keras import export_keras
    from mnistlab.runfolder import Run

    out, _ = default_run
    export_keras(out, tmp_path / "model.keras")
    ds = load_dataset("mnist", str(shared_mnist), progress=False)
    model = keras.saving.load_model(tmp_path / "model.keras")
    pixels = ds.test_images.numpy().transpose(0, 2, 3, 1).astype(np.float32) / 255  # N x H x W x C in 0..1
    theirs = np.asarray(model.predict(pixels, batch_size=1000, verbose=0))
    run = Run.open(out)
    ours = probabilities(predict_logits(run.load_model(), ds.test_images), run.output).numpy()
    assert (theirs.argmax(1) == ours.argmax(1)).all()
    assert np.abs(theirs - ours).max() <= 1e-4
