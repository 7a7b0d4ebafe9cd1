"""`mnistlab compare`: only the settings that differ, the runs' real results, and the page with its curves."""

from __future__ import annotations

import io
import json

import pytest
from conftest import tiny_config
from PIL import Image

from mnistlab.cli import main
from mnistlab.config import Conv2D, Dense, GlobalAvgPool, ModelConfig
from mnistlab.errors import MnistlabError
from mnistlab.report import compare_runs, format_comparison, write_comparison
from mnistlab.report.compare import curves_figure, describe_layers, flatten


@pytest.fixture(scope="module")
def other_runs(tmp_path_factory, tiny_dataset):
    """A run that differs from tiny_run in two training settings, and one with another layer stack."""
    from mnistlab.train import fit

    root = tmp_path_factory.mktemp("compare")
    fit(tiny_config(epochs=1, learning_rate=0.02), root / "faster", dataset=tiny_dataset, progress=False)
    cfg = tiny_config(epochs=1)
    cfg = cfg.replace(**{"model.layers": [{"type": "conv2d", "filters": 4, "kernel_size": 3, "strides": 2},
                                          {"type": "global_avg_pool"}, {"type": "dense", "units": 10}]})
    fit(cfg, root / "gap", dataset=tiny_dataset, progress=False)
    return root / "faster", root / "gap"


def test_flatten_walks_nested_dicts_and_layer_lists():
    d = {"train": {"epochs": 3, "metrics": ["accuracy"]}, "model": {"layers": [{"type": "dense", "units": 10}]}}
    assert flatten(d) == {"train.epochs": 3, "train.metrics": ["accuracy"], "model.layers[0].type": "dense",
                          "model.layers[0].units": 10}


def test_only_differing_settings_and_the_real_results(tiny_run, other_runs):
    faster, _ = other_runs
    data = compare_runs([tiny_run, faster])
    assert data["runs"] == ["tiny", "faster"]
    assert dict(data["settings"]) == {"train.epochs": [2, 1], "train.learning_rate": [0.01, 0.02]}
    for path, res in zip((tiny_run, faster), data["results"]):
        saved = json.loads((path / "result.json").read_text())
        assert res["test_accuracy"] == saved["test_accuracy"] and res["params"] == saved["params"]
        assert res["epochs_run"] == saved["epochs_run"]
    text = format_comparison(data)
    assert "train.learning_rate" in text and "0.02" in text and "train.batch_size" not in text
    assert f"{data['results'][0]['test_accuracy']:.4f}" in text


def test_different_layer_stacks_are_compared_whole(tiny_run, other_runs):
    _, gap = other_runs
    data = compare_runs([tiny_run, gap])
    settings = dict(data["settings"])
    assert settings["model.layers"] == ["conv2d(8, 3x3, strides 2x2, same, relu) maxpool2d(2x2) flatten dense(10)",
                                        "conv2d(4, 3x3, strides 2x2) global_avg_pool dense(10)"]
    assert not any(key.startswith("model.layers[") for key in settings)
    assert "model.layers:\n  tiny: conv2d(8" in format_comparison(data)


def test_describe_layers_reads_like_the_notes():
    layers = ModelConfig(layers=(Conv2D(32, 5, padding="same", activation="relu"), GlobalAvgPool(), Dense(10))).layers
    plain = [{"type": spec.type, **{k: v for k, v in vars(spec).items()}} for spec in layers]
    assert describe_layers(plain) == "conv2d(32, 5x5, same, relu) global_avg_pool dense(10)"


def test_page_and_curves(tiny_run, other_runs, tmp_path):
    data = compare_runs([tiny_run, *other_runs])
    page_path = write_comparison(data, tmp_path / "cmp")
    page = page_path.read_text()
    assert 'href="compare-curves.png"' in page
    with Image.open(io.BytesIO((tmp_path / "cmp" / "compare-curves.png").read_bytes())) as im:
        assert im.format == "PNG" and im.width >= 800
    for name in ("tiny", "faster", "gap", "train.learning_rate", "test accuracy"):
        assert name in page


def test_needs_two_real_runs(tiny_run, tmp_path):
    with pytest.raises(MnistlabError, match="at least two"):
        compare_runs([tiny_run])
    with pytest.raises(MnistlabError, match="not a run folder"):
        compare_runs([tiny_run, tmp_path])


def test_cli_compare(tiny_run, other_runs, tmp_path, capsys):
    assert main(["compare", str(tiny_run), str(other_runs[0]), "--out", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("settings that differ") and "train.learning_rate" in out
    assert (tmp_path / "c" / "compare.html").is_file()
    assert main(["compare", str(tiny_run), str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a run folder" in err


def test_curves_give_each_loss_its_own_panel_and_whole_epoch_ticks():
    one_epoch = [{"epoch": 1, "loss": 0.3, "accuracy": 0.9, "val_loss": 0.1, "val_accuracy": 0.97,
                  "learning_rate": 0.0}]
    same = curves_figure({"runs": ["a", "b"], "histories": [one_epoch, one_epoch],
                          "losses": ["cross_entropy", "cross_entropy"]})
    assert [ax.get_ylabel() for ax in same.axes] == ["validation accuracy", "validation cross-entropy"]
    mixed = curves_figure({"runs": ["a", "b"], "histories": [one_epoch, one_epoch],
                           "losses": ["cross_entropy", "binary_cross_entropy"]})
    assert [ax.get_ylabel() for ax in mixed.axes] == ["validation accuracy", "validation cross-entropy",
                                                      "validation binary cross-entropy"]
    assert [len(ax.get_lines()) for ax in mixed.axes] == [2, 1, 1]  # one loss panel per run's loss
    assert "different losses" in mixed.get_suptitle()
    for ax in (*same.axes, *mixed.axes):
        lo, hi = ax.get_xlim()
        assert [t for t in ax.get_xticks() if lo <= t <= hi] == [1.0]  # not 0.945 .. 1.050
