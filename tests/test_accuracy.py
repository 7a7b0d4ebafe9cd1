"""The real thing: the `default` recipe on the real MNIST reaches 99% test accuracy, as the README promises."""

import json

from mnistlab.presets import resolve
from mnistlab.train import fit


def test_default_recipe_reaches_99_percent_on_real_mnist(shared_mnist, tmp_path):
    config = resolve("default", overrides={"data.data_dir": str(shared_mnist)})
    result = fit(config, tmp_path / "default", progress=False)
    assert result["test_accuracy"] >= 0.99, result
    assert json.loads((tmp_path / "default" / "result.json").read_text())["test_accuracy"] == result["test_accuracy"]
    assert result["train_size"] == 55_000  # trained without the 5,000 validation images
