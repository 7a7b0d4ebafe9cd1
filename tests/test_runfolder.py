"""The run folder's one home: its metadata record, readers, and who may import what."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO
from PIL import Image

from mnistlab.errors import MnistlabError
from mnistlab.runfolder import META, Run, RunMeta, step_position


def test_meta_is_typed_and_read_back(tiny_run):
    run = Run.open(tiny_run)
    assert isinstance(run.meta, RunMeta)
    assert run.meta.input_shape == (1, 28, 28) and run.meta.classes == tuple(str(i) for i in range(10))
    assert run.meta.preprocess == "mnist" and run.meta.validation_size == 200
    assert run.meta.threads >= 1 and len(run.meta.mean) == 1
    assert RunMeta.from_dict(run.meta.to_dict()) == run.meta


def test_damaged_meta_is_one_line_naming_the_file(tiny_run, tmp_path):
    import shutil

    for damage in ('{"classes": 3}', "[1, 2]", "not json"):
        run_dir = tmp_path / f"bad{len(damage)}"
        shutil.copytree(tiny_run, run_dir)
        (run_dir / META).write_text(damage)
        with pytest.raises(MnistlabError, match=str(run_dir / META)):
            Run.open(run_dir)


def test_format_1_runs_still_open_with_the_preprocessing_their_dataset_implies(tiny_run, tmp_path):
    import shutil

    run_dir = tmp_path / "old"
    shutil.copytree(tiny_run, run_dir)
    meta = json.loads((run_dir / META).read_text())
    for key in ("preprocess", "validation_size", "threads"):
        del meta[key]
    meta.update(format=1, dataset="folder:/somewhere")
    (run_dir / META).write_text(json.dumps(meta))
    assert Run.open(run_dir).meta.preprocess == "resize"


def test_steps_are_placed_on_the_epoch_axis_once(tiny_run):
    run = Run.open(tiny_run)
    steps = run.steps()
    start = next(e for e in run.events() if e["event"] == "start")
    assert steps and all(s["x"] == step_position(s["epoch"], s["step"], start["steps_per_epoch"]) for s in steps)
    assert all(s["x"] == pytest.approx(s["epochs_done"]) for s in steps)  # what the live page draws
    assert steps[-1]["x"] == pytest.approx(run.config.train.epochs)
    assert [s["global_step"] for s in steps] == [s["x"] * start["steps_per_epoch"] for s in steps]


@pytest.mark.parametrize("module", ["mnistlab.predict", "mnistlab.export", "mnistlab.runfolder"])
def test_readers_do_not_import_the_training_loop(module):
    code = f"import sys, {module}; print('mnistlab.train.loop' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "src")})
    assert out.stdout.strip() == "False"


def _shape_folder(root, n=12):
    """A folder: dataset of dark shapes on white paper with a transparent margin, two classes."""
    for k, cls in enumerate(("bar", "box")):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
            img.paste((255, 255, 255, 255), (4, 4, 36, 36))
            box = (18, 6 + i % 3, 22, 34) if k == 0 else (8 + i % 3, 8, 30, 30)
            img.paste((20, 20, 20, 255), box)
            img.save(root / cls / f"{i:02d}.png")
    return root


def test_folder_runs_prepare_user_images_as_their_training_images(tmp_path):
    """Before: training resized folder images, predict inverted/cropped/centred them as MNIST digits."""
    from mnistlab.data import load_dataset

    folder = _shape_folder(tmp_path / "shapes")
    ds = load_dataset(f"folder:{folder}", progress=False)
    meta = RunMeta(dataset=ds.name, classes=ds.classes, input_shape=ds.input_shape, output="softmax", params=0,
                   preprocess="resize")
    file = folder / "bar" / "00.png"  # sorted first: a training image
    assert np.array_equal(meta.to_input(file), ds.train_images[0].numpy())


def test_a_folder_run_records_resize_preprocessing(tmp_path):
    from conftest import tiny_config

    from mnistlab.train import fit

    folder = _shape_folder(tmp_path / "shapes")
    cfg = tiny_config(epochs=1).replace(**{"data.dataset": f"folder:{folder}", "data.validation_size": 0,
                                           "model.layers[3].units": 2})
    fit(cfg, tmp_path / "run", progress=False)
    run = Run.open(tmp_path / "run")
    assert run.meta.preprocess == "resize" and run.classes == ["bar", "box"]
