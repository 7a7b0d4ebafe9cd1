"""explain: one image's loss, one conv output and padding, checked against mnistlab's own numbers."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from mnistlab.cli import main
from mnistlab.config import (
    Activation,
    BatchNorm,
    Conv2D,
    Dense,
    Flatten,
    MaxPool2D,
    ModelConfig,
)
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import loss_from_logits
from mnistlab.explain import (
    explain_conv,
    explain_loss,
    explain_padding,
    format_conv,
    format_loss,
)
from mnistlab.models import build_model
from mnistlab.runfolder import Run

# What explain conv must get right: a SAME conv with stride 2 and an odd total padding (28 -> 14 with a 5x5
# kernel: (14-1)*2+5-28 = 3 zeros), batchnorm and an activation layer behind it, then a VALID conv over
# 4 channels with its own activation.
LAYERS = (Conv2D(4, 5, strides=2, padding="same", use_bias=False), BatchNorm(), Activation("relu"),
          Conv2D(3, 3, strides=2, padding="valid", activation="tanh"), MaxPool2D(2), Flatten(), Dense(10))


def random_network(output="softmax", seed=0):
    torch.manual_seed(seed)
    model = build_model(ModelConfig(output=output, layers=LAYERS), (1, 28, 28), 10, [0.13], [0.31])
    bn = model.layers[1]
    bn.running_mean.uniform_(-0.5, 0.5)  # batchnorm's formula must use the running statistics, not 0 and 1
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-0.2, 0.2)
    return model.eval()


def image(seed=0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (1, 28, 28), dtype=np.uint8)


def test_cross_entropy_is_minus_log_p_true_and_mnistlab_s_own_loss(tiny_run, tiny_dataset):
    run = Run.open(tiny_run)
    model = run.load_model()
    tc = run.config.train
    assert tc.label_smoothing == 0.1  # the default: the formula and the run's own loss differ
    x, y = tiny_dataset.test_images[3].numpy(), int(tiny_dataset.test_labels[3])
    d = explain_loss(model, x, y, run.classes, run.output, tc.loss, tc.label_smoothing)
    assert d["label"] == y and d["classes"] == run.classes and "terms" not in d
    assert sum(d["probabilities"]) == pytest.approx(1.0)
    assert d["loss"] == pytest.approx(-math.log(d["probabilities"][y]), rel=1e-9)
    logits = model(torch.from_numpy(x[None]).float() / 255)
    assert d["loss"] == pytest.approx(F.cross_entropy(logits, torch.tensor([y])).item(), abs=1e-5)
    # evaluate_loss is what the image adds to the run's loss and val_loss: with the run's smoothing
    smoothed = F.cross_entropy(logits, torch.tensor([y]), label_smoothing=0.1).item()
    assert d["evaluate_loss"] == pytest.approx(smoothed, abs=1e-5) and smoothed > d["loss"] + 0.01
    text = format_loss(d)
    assert f"-log({d['probabilities'][y]:.6g}) = {d['loss']:.6f}" in text
    shown = re.search(r"with train\.label_smoothing = 0\.1, as training, val_loss and evaluate count it: (\S+)", text)
    assert shown and float(shown.group(1)) == pytest.approx(smoothed, abs=1e-5)
    unsmoothed = explain_loss(model, x, y, run.classes, run.output, tc.loss, 0.0)
    assert unsmoothed["evaluate_loss"] == pytest.approx(d["loss"], abs=1e-5)
    assert "label_smoothing" not in format_loss(unsmoothed)  # nothing beyond the formula to add


def test_binary_cross_entropy_sums_one_term_per_class():
    model = random_network("sigmoid")
    d = explain_loss(model, image(), 7, [str(k) for k in range(10)], "sigmoid", "binary_cross_entropy", 0.0)
    p = d["probabilities"]
    assert len(d["terms"]) == 10 and d["loss"] == pytest.approx(sum(d["terms"]))
    assert d["terms"][7] == pytest.approx(-math.log(p[7]), rel=1e-9)
    assert d["terms"][2] == pytest.approx(-math.log(1 - p[2]), rel=1e-9)
    logits = model(torch.from_numpy(image()[None]).float() / 255)
    assert d["loss"] == pytest.approx(loss_from_logits(logits, torch.tensor([7]), "binary_cross_entropy").item(),
                                      abs=1e-5)
    assert "binary cross-entropy = the sum of the 10 terms" in format_loss(d)


def test_a_picture_without_a_label_is_judged_against_the_network_s_own_answer():
    d = explain_loss(random_network(), image(), None, [str(k) for k in range(10)], "softmax", "cross_entropy", 0.0)
    assert d["label_guessed"] and d["label"] == int(np.argmax(d["probabilities"]))


def own_conv_output(model, x: np.ndarray, layer: int) -> torch.Tensor:
    """The network's own conv output before any activation, [filters, h, w], by running its modules."""
    t = model.normalize(torch.from_numpy(x[None]).float() / 255)
    for module in model.layers[:layer]:
        t = module(t)
    return torch.nn.Sequential(*list(model.layers[layer])[:-1])(t)[0]


@pytest.mark.parametrize("layer, positions", [
    (0, [(0, 0), (0, 13), (13, 0), (13, 13), (6, 7)]),  # SAME, stride 2, odd padding: 1 top/left, 2 bottom/right
    (3, [(0, 0), (5, 5), (2, 4)]),  # VALID, stride 2, 4 input channels
])
def test_conv_value_is_window_times_kernel_plus_bias_and_the_network_s_own(layer, positions):
    model, x = random_network(), image(1)
    own = own_conv_output(model, x, layer)
    for filter in range(own.shape[0]):
        for at in positions:
            d = explain_conv(model, LAYERS, x, layer, at, filter)
            window, kernel = np.array(d["window"]), np.array(d["kernel"])
            assert window.shape == kernel.shape == (4 if layer else 1, *d["kernel_size"])
            assert d["value"] == pytest.approx(float((window * kernel).sum()) + d["bias"], abs=1e-9)
            assert d["value"] == pytest.approx(own[filter, at[0], at[1]].item(), abs=1e-4)
            assert np.all(window[:, np.array(d["padded"])] == 0)


def test_conv_padding_cells_are_tensorflow_s_with_the_odd_one_bottom_right():
    d = explain_conv(random_network(), LAYERS, image(), 0, (0, 0))
    assert d["pads"] == [1, 2, 1, 2]  # 28 -> 14 with 5x5, stride 2: (14-1)*2+5-28 = 3 zeros, the odd one after
    assert d["padded"][0] == [True] * 5 and [row[0] for row in d["padded"]] == [True] * 5
    assert not any(d["padded"][1][1:])
    last = explain_conv(random_network(), LAYERS, image(), 0, (13, 13))
    assert last["rows"] == [25, 26, 27, 28, 29] and [row[-2:] for row in last["padded"]] == [[True, True]] * 5


def test_conv_after_follows_batchnorm_and_activation_with_the_network_s_numbers():
    model, x = random_network(), image(2)
    outputs = model.features(torch.from_numpy(x[None]).float() / 255)
    d = explain_conv(model, LAYERS, x, 0, (5, 6), 2)
    assert [s["type"] for s in d["after"]] == ["batchnorm", "activation"]
    bn = d["after"][0]
    assert bn["value"] == pytest.approx((d["value"] - bn["mean"]) / math.sqrt(bn["var"] + bn["eps"]) * bn["gamma"]
                                        + bn["beta"], abs=1e-4)
    assert d["after"][1]["value"] == pytest.approx(max(bn["value"], 0.0), abs=1e-6)
    assert d["after"][1]["value"] == pytest.approx(outputs[2][0, 2, 5, 6].item())
    own_activation = explain_conv(model, LAYERS, x, 3, (1, 1), 0)["after"]
    assert own_activation[0]["activation"] == "tanh"
    assert own_activation[0]["value"] == pytest.approx(math.tanh(explain_conv(model, LAYERS, x, 3, (1, 1))["value"]),
                                                       abs=1e-5)
    text = format_conv(d)
    assert "(no bias: use_bias = false" in text and "batchnorm" in text and "relu" in text
    assert "+ bias" in format_conv(explain_conv(model, LAYERS, x, 3, (1, 1)))


@pytest.mark.parametrize("layer, at, filter, message", [
    (1, (0, 0), 0, "is a batchnorm layer, not conv2d"),
    (0, (14, 0), 0, "outside layer 0's 14 x 14 output"),
    (0, (0, -1), 0, "outside"),
    (0, (0, 0), 4, "has filters 0..3"),
    (9, (0, 0), 0, "has layers 0..6"),
])
def test_conv_refuses_what_does_not_exist(layer, at, filter, message):
    with pytest.raises(MnistlabError, match=message):
        explain_conv(random_network(), LAYERS, image(), layer, at, filter)


def test_padding_valid_against_same_with_the_odd_pixel():
    d = explain_padding(8, 3, 2)
    assert (d["valid"]["output"], d["same"]["output"]) == (3, 4)
    assert (d["same"]["pad_before"], d["same"]["pad_after"]) == (0, 1)
    assert d["valid"]["starts"] == [0, 2, 4] and d["same"]["starts"] == [0, 2, 4, 6]
    assert explain_padding(7, 3, 1)["same"]["starts"][0] == -1


def test_cli_explain_loss_and_conv_json(tiny_run, tmp_path, capsys):
    picture = tmp_path / "digit.png"
    Image.fromarray(image()[0]).save(picture)
    assert main(["explain", "loss", str(tiny_run), "--image", str(picture), "--label", "4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["label"] == 4 and d["loss"] == pytest.approx(-math.log(d["probabilities"][4]), rel=1e-6)
    assert main(["explain", "conv", str(tiny_run), "--image", str(picture), "--layer", "0", "--at", "13,13",
                 "--filter", "7", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert {"layer", "filter", "at", "window", "kernel", "padded", "bias", "value", "after"} <= d.keys()
    assert d["at"] == [13, 13] and d["value"] == pytest.approx(d["network_value"], abs=1e-4)


def test_cli_errors_are_one_line(tiny_run, tmp_path, capsys):
    picture = tmp_path / "digit.png"
    Image.fromarray(image()[0]).save(picture)
    for argv in (["--layer", "1", "--at", "0,0"], ["--layer", "0", "--at", "99,0"], ["--layer", "0", "--at", "x"]):
        assert main(["explain", "conv", str(tiny_run), "--image", str(picture), *argv]) == 1
        err = capsys.readouterr().err
        assert err.startswith("mnistlab: error: ") and err.count("\n") == 1


def test_cli_explain_strides_writes_a_picture_in_korean(tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["explain", "strides", "--size", "8", "--kernel-size", "3", "--strides", "2", "--out", str(out),
                 "--lang", "ko"]) == 0
    text = capsys.readouterr().out
    assert "스트라이드" in text and "패딩" in text and "뒤(아래/오른쪽) 1" in text
    assert Image.open(out).size[0] > 500


def test_conv_text_names_the_padding_only_where_there_is_some():
    model, x = random_network(), image(1)
    same = format_conv(explain_conv(model, LAYERS, x, 0, (0, 0)))
    assert "padding SAME: zero padding top 1, bottom 2, left 1, right 2" in same and "· = a zero-padding cell" in same
    valid = format_conv(explain_conv(model, LAYERS, x, 3, (1, 1)))
    assert "kernel_size 3x3, strides 2x2, padding VALID: no zero padding" in valid
    assert "zero-padding cell" not in valid and "(row 1 x stride 2, col 1 x stride 2)" in valid
    assert "패딩 VALID: 0 패딩 없음" in format_conv(explain_conv(model, LAYERS, x, 3, (1, 1)), "ko")
