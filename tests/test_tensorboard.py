"""`train --tensorboard`: the logged scalars are the run's own numbers, the pictures are there, and a
missing tensorboard package is one line that says how to install it."""

from __future__ import annotations

import sys

import pytest
from conftest import tiny_config

from mnistlab.cli import main
from mnistlab.errors import MnistlabError
from mnistlab.train import Run, fit


def test_missing_package_is_one_line_with_the_fix(monkeypatch, tmp_path, tiny_idx_dir, capsys):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # `import` now raises ImportError
    from mnistlab.tensorboard import TensorBoardLogger

    with pytest.raises(MnistlabError, match=r'pip install "mnistlab\[tensorboard\]"'):
        TensorBoardLogger(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "--tensorboard", "--dataset", f"idx:{tiny_idx_dir}", "--epochs", "1",
                 "--out", str(out), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "mnistlab[tensorboard]"' in err
    assert not out.exists()  # it failed before training started


def test_logs_scalars_confusion_matrix_and_feature_maps(tmp_path, tiny_dataset):
    pytest.importorskip("tensorboard", reason='pip install "mnistlab[tensorboard]"')
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from mnistlab.tensorboard import TensorBoardLogger

    out = tmp_path / "run"
    config = tiny_config(epochs=2)
    result = fit(config, out, dataset=tiny_dataset, progress=False,
                 callbacks=[TensorBoardLogger(out, dataset=tiny_dataset, samples=2)])
    events = EventAccumulator(str(out / "tensorboard"), size_guidance={"images": 0, "scalars": 0}).Reload()
    tags = events.Tags()

    history = Run.open(out).metrics()
    val = events.Scalars("epoch/val_accuracy")
    assert [e.step for e in val] == [1, 2]
    assert [e.value for e in val] == pytest.approx([r["val_accuracy"] for r in history], abs=1e-5)
    steps_per_epoch = -(-(len(tiny_dataset.train_images) - config.data.validation_size) // config.train.batch_size)
    step_loss = events.Scalars("step/loss")
    assert step_loss[-1].step == 2 * steps_per_epoch
    assert {"step/accuracy", "step/learning_rate", "epoch/loss", "epoch/learning_rate"} <= set(tags["scalars"])
    assert events.Scalars("test/accuracy")[0].value == pytest.approx(result["test_accuracy"], abs=1e-6)

    assert "test/confusion_matrix" in tags["images"]
    maps = [t for t in tags["images"] if t.startswith("feature_maps/")]
    assert len(maps) == 2
    image = events.Images(maps[0])[0]
    assert image.width >= 600 and image.height >= 200 and image.encoded_image_string.startswith(b"\x89PNG")
