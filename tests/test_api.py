"""The notebook API (`import mnistlab as ml`): each step returns an object, and each object's rich display
is valid, escaped HTML with the content a learner looks for."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser

import numpy as np
import pytest
import torch
from conftest import REPO, make_dataset, tiny_config
from matplotlib.figure import Figure
from PIL import Image, ImageDraw

import mnistlab as ml
from mnistlab.data import Dataset
from mnistlab.evaluate import metrics_from_logits

VOID = {"img", "br", "hr", "meta", "link", "input"}


class _Checker(HTMLParser):
    """Balanced tags, and the text and tags seen, for asserting on a rich display."""

    def __init__(self):
        super().__init__()
        self.stack, self.tags, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    return checker


def text_of(html: str) -> str:
    return " ".join(parse(html).text)


HOSTILE = "<script>alert(1)</script>"


def hostile_dataset() -> Dataset:
    ds = make_dataset(200, 50)
    return Dataset(ds.name, (HOSTILE, *ds.classes[1:]), ds.train_images, ds.train_labels, ds.test_images,
                   ds.test_labels)


def test_import_is_cheap_and_the_api_names_resolve():
    code = ("import sys, mnistlab as ml; "
            "print(sorted(m for m in ('torch', 'matplotlib', 'fastapi') if m in sys.modules)); "
            "print(all(getattr(ml, n) is not None for n in ml.__all__))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(REPO / "src")}).stdout.split("\n")
    assert out[0] == "[]"  # names are imported on first use
    assert out[1] == "True"


def test_functions_stay_functions_when_their_namesake_modules_are_imported():
    import mnistlab.evaluate
    import mnistlab.predict
    import mnistlab.report  # noqa: F401

    assert callable(ml.evaluate) and callable(ml.predict) and callable(ml.report)
    assert callable(sys.modules["mnistlab.evaluate"].format_evaluation)  # the modules stay importable by name


def test_preset_takes_declared_layers_and_a_head_and_checks_them():
    layers = [ml.Conv2D(filters=8, kernel_size=3, strides=2, padding="same", activation="relu"), ml.Flatten(),
              ml.Dense(units=10)]
    config = ml.preset(layers=layers, output="sigmoid")
    assert config.model.layers == tuple(layers)
    assert config.train.loss == "binary_cross_entropy"  # the loss follows the head
    assert config.train == ml.preset("default", output="sigmoid").train
    with pytest.raises(ml.MnistlabError, match="model.layers\\[1\\]"):
        ml.preset(layers=[ml.Flatten(), "dense"])
    with pytest.raises(ml.MnistlabError, match="unknown model preset"):
        ml.preset("nope")


def test_summary_shows_the_shape_arithmetic():
    s = ml.summary(tiny_config())
    assert repr(s) == "Summary(4 layers, 1x28x28 -> 10 softmax, 4,010 params, 18,032 mult-adds)"
    text = text_of(s._repr_html_())
    assert "same: ceil(28/2) = 14" in text and "valid: ceil((14-2+1)/2) = 7" in text
    assert "how the shape is computed" in text
    assert "same: ceil(28/2) = 14" in str(s)  # print(summary) is the CLI's table
    rgb = make_dataset(10, 5)
    rgb = Dataset("rgb", rgb.classes, rgb.train_images.expand(-1, 3, -1, -1), rgb.train_labels,
                  rgb.test_images.expand(-1, 3, -1, -1), rgb.test_labels)
    assert ml.summary(tiny_config(), rgb).data["input_shape"] == [3, 28, 28]  # the dataset's input


@pytest.fixture(scope="module")
def api_run(tmp_path_factory, tiny_dataset):
    out = tmp_path_factory.mktemp("api") / "api-run"
    return ml.fit(tiny_config(), tiny_dataset, out=out, epochs=1, batch_size=32, shuffle=False, target_accuracy=0.5,
                  progress=False)


def test_fit_overrides_in_the_notes_words_and_returns_the_run(api_run):
    train = api_run.config.train
    assert (train.epochs, train.batch_size, train.shuffle, train.target_accuracy) == (1, 32, False, 0.5)
    assert api_run.config.data.dataset == "tiny"
    assert api_run.result()["test_accuracy"] > 0.5
    assert ml.open_run(api_run.path).config == api_run.config
    assert ml.summary(api_run).data == ml.summary(tiny_config()).data


def test_run_repr_is_one_short_line_and_its_html_has_results_and_curves(api_run):
    assert "\n" not in repr(api_run) and len(repr(api_run)) < 120
    html = api_run._repr_html_()
    checker = parse(html)
    text = " ".join(checker.text)
    assert "test accuracy" in text and f"{api_run.result()['test_accuracy']:.4f}" in text
    assert "reached at epoch 1" in text
    assert "img" in checker.tags and "data:image/png;base64," in html
    assert isinstance(ml.plot_curves(api_run), Figure)


def test_evaluate_matches_the_run_result_and_shows_every_table(api_run, tiny_dataset):
    e = ml.evaluate(api_run, tiny_dataset)
    assert e.accuracy == pytest.approx(api_run.result()["test_accuracy"])
    assert repr(e).startswith("Evaluation(run api-run on tiny (test split): accuracy ")
    text = text_of(e._repr_html_())
    for word in ("accuracy", "per class", "confusion matrix", "precision", "recall"):
        assert word in text
    assert "images: 300" in str(e)  # print(evaluation) is the CLI's text
    assert isinstance(ml.plot_confusion(e), Figure)
    assert ml.evaluate(api_run, tiny_dataset, split="val").metrics["count"] == 200
    with pytest.raises(ml.MnistlabError, match="unknown split"):
        ml.evaluate(api_run, tiny_dataset, split="validation")


def test_displays_escape_class_names():
    ds = hostile_dataset()
    html = ds._repr_html_()
    checker = parse(html)
    assert "script" not in checker.tags and HOSTILE in " ".join(checker.text)
    logits = torch.randn(len(ds.test_labels), 10)
    e = ml.Evaluation("r", ds.name, "test", metrics_from_logits(logits, ds.test_labels, "cross_entropy",
                                                                list(ds.classes), label_smoothing=0.0))
    checker = parse(e._repr_html_())
    assert "script" not in checker.tags and HOSTILE in " ".join(checker.text)


def test_dataset_html_has_counts_and_a_sample_grid(tiny_dataset):
    checker = parse(tiny_dataset._repr_html_())
    text = " ".join(checker.text)
    assert "1,200" in text and "300" in text and "img" in checker.tags
    assert isinstance(ml.show_samples(tiny_dataset, 8), Figure)


def test_predict_takes_paths_pil_images_and_arrays(api_run, tiny_dataset, tmp_path):
    batch = ml.predict(api_run, tiny_dataset.test_images[:4])  # N x 1 x H x W tensor
    assert len(batch) == 4 and batch.probabilities.shape == (4, 10)
    assert np.allclose(batch.probabilities.sum(1), 1, atol=1e-5)  # softmax
    assert ml.predict(api_run, tiny_dataset.test_images[:3, 0].numpy()).inputs.shape == (3, 1, 28, 28)  # N x H x W
    img = Image.new("L", (60, 60), 255)
    ImageDraw.Draw(img).line([(30, 8), (30, 52)], fill=0, width=6)
    img.save(tmp_path / "one.png")
    mixed = ml.predict(api_run, [tmp_path / "one.png", img, np.asarray(img)], top=2)
    assert mixed.names == ("one.png", "image 1", "image 2") and len(mixed.top[0]) == 2
    assert mixed.predicted[0] == mixed.predicted[1] == mixed.predicted[2]  # the same picture three ways
    assert "\n" not in repr(mixed) and "one.png" in str(mixed)
    checker = parse(mixed._repr_html_())
    assert checker.tags.count("img") == 3
    assert isinstance(ml.plot_predictions(mixed), Figure)


def test_filters_and_feature_maps_are_figures(api_run, tiny_dataset):
    assert isinstance(ml.plot_filters(api_run), Figure)
    with pytest.raises(ml.MnistlabError, match="not a conv2d layer"):
        ml.plot_filters(api_run, layer=1)
    assert isinstance(ml.plot_feature_maps(api_run, tiny_dataset.test_images[0, 0].numpy()), Figure)


def test_compare_and_report(api_run, tiny_run, tmp_path):
    c = ml.compare([api_run, tiny_run])
    assert ("train.epochs", [1, 2]) in [(k, v) for k, v in c.data["settings"]]
    text = text_of(c._repr_html_())
    assert "train.batch_size" in text and "test accuracy" in text
    assert c.write(tmp_path / "cmp").name == "compare.html"
    path = ml.report(api_run, tmp_path / "report", dataset=make_dataset())
    assert path.is_file() and path.name == "report.html"


def test_readme_api_table_names_exactly_the_public_api():
    readme = (REPO / "README.md").read_text()
    section = readme.split("## In a notebook\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    names = [line.split("`")[1].split("(")[0] for line in rows]
    assert sorted(names) == ml.__all__
    assert len(names) == len(set(names))  # one line each
