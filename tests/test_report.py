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
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from mnistlab import config as C
from mnistlab.cli import main
from mnistlab.evaluate import evaluate
from mnistlab.models import build_model
from mnistlab.report import figures as F
from mnistlab.report import write_report
from mnistlab.report.run_report import _curves, _mistakes, feature_stages
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
    m = evaluate(run.load_model(), ds.test_images, ds.test_labels, run.config.train.loss, run.classes,
                 label_smoothing=run.config.train.label_smoothing)
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
    def block(filters):  # conv -> batchnorm -> relu: one stage, shown after the relu
        return (C.Conv2D(filters, 3, padding="same", use_bias=False), C.BatchNorm(), C.Activation("relu"))

    layers = (*block(32), C.MaxPool2D(2), *block(48), *block(48), C.MaxPool2D(2), *block(96), *block(96),
              C.GlobalAvgPool(), C.Dropout(0.3), C.Dense(10))
    cfg = C.ModelConfig(layers=layers)
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
    assert "bars sum to 1" in " ".join(soft.get_suptitle().split())  # wrapped to the figure's width
    assert "need not sum to 1" in " ".join(sig.get_suptitle().split())
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


def visible(values, limits):
    lo, hi = sorted(limits)
    return [v for v in values if lo <= v <= hi]


def test_curves_keep_every_logged_point_in_view_and_name_the_loss():
    # a fast one-epoch run: the first logged step sits far above where the epoch ends
    steps = [{"epoch": 1, "step": s, "x": s / 430, "loss": loss, "accuracy": acc, "learning_rate": 0.01}
             for s, loss, acc in ((50, 0.565, 0.83), (200, 0.21, 0.935), (400, 0.135, 0.96))]
    history = [{"epoch": 1, "loss": 0.13, "accuracy": 0.961, "val_loss": 0.04, "val_accuracy": 0.988,
                "learning_rate": 0.0}]
    fig = F.curves_figure(history, steps, loss="binary_cross_entropy")
    for ax in fig.axes[:2]:
        for line in ax.get_lines():
            ys = [y for y in np.asarray(line.get_ydata(), float) if np.isfinite(y)]
            assert visible(ys, ax.get_ylim()) == ys, f"{ax.get_title()}: a logged point falls off the axis"
    assert "binary cross-entropy" in fig.axes[0].get_ylabel()
    for ax in fig.axes:
        assert all(t == int(t) for t in visible(ax.get_xticks(), ax.get_xlim())), "epoch ticks must be whole"


def test_probabilities_title_fits_the_figure():
    images = np.zeros((1, 1, 28, 28), np.uint8)
    fig = F.probabilities_figure(images, np.full((1, 10), 0.7), [str(k) for k in range(10)], "sigmoid",
                                 ["one.png"], [None])
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    box = fig._suptitle.get_window_extent(canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= fig.bbox.width and box.y1 <= fig.bbox.height


def test_captions_say_what_this_run_did(report, tiny_run, tmp_path):
    path, _ = report
    page = path.read_text()
    assert page.count("Each row is a layer&#x27;s output") == 1  # once, not under each of the 10 images
    run = Run.open(tiny_run)
    assert "dropout" not in _curves(run, run.metrics(), run.result()).caption  # the tiny model has none
    with_dropout = tmp_path / "dropout"
    shutil.copytree(tiny_run, with_dropout)
    config = (with_dropout / "config.toml").read_text()
    (with_dropout / "config.toml").write_text(config.replace('[[model.layers]]\ntype = "flatten"',
                                                             '[[model.layers]]\ntype = "dropout"\nrate = 0.5\n\n'
                                                             '[[model.layers]]\ntype = "flatten"'))
    run = Run.open(with_dropout)
    assert "dropout on" in _curves(run, run.metrics(), run.result()).caption


def test_mistakes_are_called_digits_only_on_mnist(tiny_dataset):
    ds = with_mistakes(tiny_dataset)
    logits = torch.nn.functional.one_hot(tiny_dataset.test_labels, 10).float() * 5  # right on the real labels
    probs = logits.softmax(1)
    fashion = dataclasses.replace(ds, name="fashion-mnist")
    assert "digits" not in _mistakes(fashion, logits, probs, list(ds.classes), "softmax").caption
    mnist = dataclasses.replace(ds, name="mnist")
    assert "ambiguous digits" in _mistakes(mnist, logits, probs, list(ds.classes), "softmax").caption


def test_korean_report_has_korean_captions_and_no_english_ones(tiny_run, tiny_dataset, tmp_path):
    from html import escape

    from mnistlab.i18n import t

    page = write_report(tiny_run, tmp_path / "ko", dataset=with_mistakes(tiny_dataset), samples=3,
                        lang="ko").read_text()
    assert escape(t("report.curves_caption", "ko", while_training=t("report.while", "ko"),
                    bce=t("report.curves_end", "ko"))).split("(")[0] in page
    for key in ("report.cm_caption", "report.filters_first", "report.maps_caption", "report.per_epoch",
                "report.config", "report.col.precision"):
        assert escape(t(key, "ko")) in page, key
        assert f">{escape(t(key, 'en'))}<" not in page, key  # "precision" may be in the config's text
    for english in ("Train loss and accuracy are running means", "most sure of its answer", "status: ",
                    "test images, accuracy", "What the model outputs", "written from the run folder"):
        assert english not in page, english
