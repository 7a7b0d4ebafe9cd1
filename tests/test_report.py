"""`mnistlab report`: every picture is rendered as a valid PNG of the size the page declares, the page
embeds and links each one, its numbers are the test set's, and its text is escaped."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import re
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from mnistlab.cli import main
from mnistlab.evaluate import evaluate
from mnistlab.models import build_model
from mnistlab.presets import preset
from mnistlab.report import figures as F
from mnistlab.report import write_report
from mnistlab.report.run_report import feature_stages
from mnistlab.train import Run

IMG = re.compile(r'<a href="([^"]+)"><img src="data:image/png;base64,([^"]+)" width="(\d+)" height="(\d+)"')


def with_mistakes(ds, n: int = 30):
    """The tiny test set with `n` labels moved to the next class, so the (accurate) tiny model errs on them."""
    labels = ds.test_labels.clone()
    labels[:n] = (labels[:n] + 1) % 10
    return dataclasses.replace(ds, test_labels=labels)


@pytest.fixture(scope="module")
def report(tiny_run, tiny_dataset, tmp_path_factory):
    ds = with_mistakes(tiny_dataset)
    path = write_report(tiny_run, tmp_path_factory.mktemp("report"), dataset=ds)
    return path, ds


def test_every_picture_is_a_png_of_the_declared_size(report):
    path, _ = report
    page = path.read_text()
    pictures = {m.group(1): m for m in IMG.finditer(page)}
    expected = {"curves.png", "confusion-matrix.png", "mistakes.png", "filters-layer-0.png", "probabilities.png",
                *(f"feature-maps-{k}.png" for k in range(10)),
                "notes-padding.png", "notes-conv-step.png", "notes-activation.png"}
    assert set(pictures) == expected
    assert {p.name for p in path.parent.glob("*.png")} == expected
    for name, m in pictures.items():
        data = (path.parent / name).read_bytes()
        with Image.open(io.BytesIO(data)) as im:
            im.verify()
        with Image.open(io.BytesIO(data)) as im:
            assert im.format == "PNG"
            assert im.size == (int(m.group(3)), int(m.group(4))), name
            assert im.width >= 600 and im.height >= 150, f"{name} is too small to read: {im.size}"
            lo, hi = im.convert("L").getextrema()
            assert hi - lo > 100, f"{name} looks blank"
        assert base64.b64decode(m.group(2)) == data, f"{name}: the embedded copy differs from the file"


def test_page_numbers_are_the_test_sets(report, tiny_run):
    path, ds = report
    page = path.read_text()
    run = Run.open(tiny_run)
    m = evaluate(run.load_model(), ds.test_images, ds.test_labels, run.config.train.loss, run.classes)
    assert m["accuracy"] < 0.95  # the relabelled images are wrong answers now
    assert f"{m['accuracy']:.2%}" in page
    assert f"accuracy {m['accuracy']:.4f}, loss {m['loss']:.4f}" in page
    for row in m["per_class"]:
        assert f"<td>{row['class']}</td><td class=\"num\">{row['precision']:.4f}</td>" in page
    # the summary table carries each layer's shape and the arithmetic behind it
    assert "8 x 14 x 14" in page and "same: ceil(28/2) = 14" in page and "valid: ceil((14-2+1)/2) = 7" in page
    assert "4,010" in page  # parameters
    assert "[train]" in page and "learning_rate = 0.01" in page  # the config


def test_text_is_escaped(tiny_run, tiny_dataset, tmp_path):
    run_dir = tmp_path / "evil"
    shutil.copytree(tiny_run, run_dir)
    meta = json.loads((run_dir / "model.json").read_text())
    meta["classes"][3] = "<img src=x onerror=alert(1)>"
    (run_dir / "model.json").write_text(json.dumps(meta))
    page = write_report(run_dir, tmp_path / "out", dataset=tiny_dataset, samples=4).read_text()
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_image_option_replaces_the_samples_and_stale_pictures_go(report, tiny_run, tiny_dataset, tmp_path):
    out = tmp_path / "out"
    write_report(tiny_run, out, dataset=tiny_dataset, samples=3)
    assert len(list(out.glob("feature-maps-*.png"))) == 3
    digit = np.zeros((64, 64), np.uint8)
    digit[16:48, 28:36] = 255  # a "1", white on black
    Image.fromarray(digit).save(tmp_path / "one.png")
    page = write_report(tiny_run, out, dataset=tiny_dataset, images=[tmp_path / "one.png"]).read_text()
    assert sorted(p.name for p in out.glob("feature-maps-*.png")) == ["feature-maps-0.png"]
    assert "feature maps of one.png" in page


def test_conv_maps_are_shown_after_their_batchnorm_and_activation():
    cfg = preset("accurate").model
    model = build_model(cfg, (1, 28, 28), 10).eval()
    with torch.no_grad():
        outputs = model.features(torch.rand(2, 1, 28, 28))
    stages = feature_stages(model.infos, cfg.layers, outputs)
    kinds = [label.split()[2] for label, _ in stages]
    assert kinds == ["conv2d", "maxpool2d", "conv2d", "conv2d", "maxpool2d", "conv2d", "conv2d"]
    assert "conv2d + batchnorm + relu" in stages[0][0]
    assert "32 x 14 x 14" in stages[1][0] and "valid: ceil((28-2+1)/2) = 14" in stages[1][0]
    for (_, maps), index in zip(stages, (2, 3, 6, 9, 10, 13, 16)):  # the layer each stage ends on
        assert maps is outputs[index]
        assert tuple(maps.shape[1:]) == model.infos[index].output_shape
        assert maps.min() >= 0  # after relu


def test_head_figure_says_how_to_read_the_bars():
    images = np.zeros((2, 1, 28, 28), np.uint8)
    classes = [str(k) for k in range(10)]
    soft = F.probabilities_figure(images, np.full((2, 10), 0.1), classes, "softmax", ["a", "b"], [0, 1])
    sig = F.probabilities_figure(images, np.full((2, 10), 0.7), classes, "sigmoid", ["a", "b"], [0, None])
    assert "bars sum to 1" in soft.get_suptitle()
    assert "need not sum to 1" in sig.get_suptitle()
    assert "sum = 7.00" in [ax.get_title(loc="right") for ax in sig.axes]


def test_curves_mark_the_target_epoch():
    history = [{"epoch": e, "loss": 1 / e, "accuracy": 0.8 + e / 50, "val_loss": 1 / e, "val_accuracy": 0.85 + e / 50,
                "learning_rate": 0.01} for e in range(1, 6)]
    fig = F.curves_figure(history, target=0.9, target_epoch=3)
    acc = fig.axes[1]
    assert any(list(line.get_xdata()) == [3, 3] for line in acc.get_lines())  # the vertical marker
    assert any(list(line.get_ydata()) == [0.9, 0.9] for line in acc.get_lines())  # the target level
    assert any("reached at epoch 3" in t.get_text() for t in acc.texts)


def test_cli_report(tiny_run, tiny_idx_dir, tmp_path, capsys):
    out = tmp_path / "rep"
    assert main(["report", str(tiny_run), "--dataset", f"idx:{tiny_idx_dir}", "--out", str(out),
                 "--device", "cpu"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out / 'report.html'}"
    assert (out / "report.html").is_file() and (out / "confusion-matrix.png").is_file()


def test_cli_report_bad_run(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run folder" in err
