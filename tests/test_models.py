"""Models: shape arithmetic against the formulas and PyTorch's own ops, every preset, clear errors."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from mnistlab.config import (
    AvgPool2D,
    Config,
    Conv2D,
    Dense,
    Flatten,
    GlobalAvgPool,
    MaxPool2D,
    ModelConfig,
)
from mnistlab.errors import MnistlabError
from mnistlab.models import build_model, output_size, same_padding, summarize
from mnistlab.presets import PRESETS, preset


@pytest.mark.parametrize("size, k, s", itertools.product([5, 7, 14, 28], [1, 2, 3, 5], [1, 2, 3]))
def test_output_size_matches_the_formulas(size, k, s):
    assert output_size(size, k, s, "same")[0] == math.ceil(size / s)
    if size >= k:
        assert output_size(size, k, s, "valid")[0] == math.ceil((size - k + 1) / s)
        # and PyTorch's unpadded conv agrees with the 'valid' formula
        assert F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, k, k), stride=s).shape[-1] == \
            output_size(size, k, s, "valid")[0]


@pytest.mark.parametrize("size, k, s", itertools.product([7, 8, 28], [1, 2, 3, 4, 5], [1, 2, 3]))
def test_same_conv_equals_tensorflow_padding(size, k, s):
    """padding='same' is TF SAME: total padding (out-1)*s + k - in, the odd pixel on the bottom/right."""
    torch.manual_seed(0)
    model = build_model(ModelConfig(layers=(Conv2D(3, k, s, "same"), Flatten(), Dense(10))), (2, size, size), 10)
    conv_block = model.layers[0]
    x = torch.randn(1, 2, size, size)
    conv = [m for m in conv_block.modules() if isinstance(m, torch.nn.Conv2d)][0]
    out_size = math.ceil(size / s)
    total = max((out_size - 1) * s + k - size, 0)
    before, after = total // 2, total - total // 2
    reference = F.conv2d(F.pad(x, (before, after, before, after)), conv.weight, conv.bias, stride=s)
    assert same_padding(size, k, s) == (before, after)
    assert torch.allclose(conv_block(x), reference, atol=1e-5)
    assert reference.shape[-1] == out_size


@pytest.mark.parametrize("pool", [MaxPool2D, AvgPool2D])
@pytest.mark.parametrize("size, k, s", [(7, 2, 2), (28, 3, 2), (5, 3, 1), (9, 2, 3)])
def test_same_pooling_ignores_padding_like_tensorflow(pool, size, k, s):
    model = build_model(ModelConfig(layers=(pool(k, s, "same"), Flatten(), Dense(10))), (1, size, size), 10)
    x = torch.rand(1, 1, size, size) + 1.0  # strictly positive, so zero padding would show in a max
    out = model.layers[0](x)
    assert out.shape[-1] == math.ceil(size / s)
    before, after = same_padding(size, k, s)
    if pool is MaxPool2D:
        ref = F.max_pool2d(F.pad(x, (before, after, before, after), value=-math.inf), k, s)
    else:  # average over the real pixels only
        ones = F.pad(torch.ones_like(x), (before, after, before, after))
        ref = F.avg_pool2d(F.pad(x, (before, after, before, after)), k, s) / F.avg_pool2d(ones, k, s)
    assert torch.allclose(out, ref, atol=1e-6)


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_builds_and_returns_logits(name):
    cfg = preset(name)
    model = build_model(cfg.model, (1, 28, 28), 10, [0.13], [0.31])
    assert model(torch.rand(4, 1, 28, 28)).shape == (4, 10)
    s = summarize(cfg.model, (1, 28, 28), 10)
    assert s["total_params"] == sum(p.numel() for p in model.parameters())
    assert s["layers"][-1]["output_shape"] == [10]


def test_known_parameter_counts():
    assert summarize(preset("keras-convnet").model, (1, 28, 28), 10)["total_params"] == 34_826
    assert summarize(preset("torch-example").model, (1, 28, 28), 10)["total_params"] == 1_199_882
    assert summarize(preset("lenet5").model, (1, 28, 28), 10)["total_params"] == 61_706


def test_summary_shows_the_arithmetic_and_counts_macs():
    layers = (Conv2D(32, 3, 2, "same", "relu"), Conv2D(8, 3, 1, "valid"), Flatten(), Dense(10))
    s = summarize(ModelConfig(layers=layers), (1, 28, 28), 10)
    first, second = s["layers"][0], s["layers"][1]
    assert first["output_shape"] == [32, 14, 14] and first["arithmetic"] == ["same: ceil(28/2) = 14"]
    assert second["arithmetic"] == ["valid: ceil((14-3+1)/1) = 12"]
    assert first["params"] == 32 * 9 + 32 and first["macs"] == 14 * 14 * 32 * 9
    assert second["macs"] == 12 * 12 * 8 * 9 * 32
    assert s["layers"][2]["output_shape"] == [8 * 12 * 12]


def test_rectangular_kernels_and_strides():
    layers = (Conv2D(4, (3, 5), (1, 2), "valid"), Flatten(), Dense(10))
    s = summarize(ModelConfig(layers=layers), (1, 28, 28), 10)
    assert s["layers"][0]["output_shape"] == [4, 26, 12]
    assert s["layers"][0]["arithmetic"] == ["H: valid: ceil((28-3+1)/1) = 26", "W: valid: ceil((28-5+1)/2) = 12"]


@pytest.mark.parametrize("layers, message", [
    ((Conv2D(8, 3, 2, "valid"), Conv2D(8, 3, 2, "valid"), Conv2D(8, 7, 1, "valid"), Flatten(), Dense(10)),
     "model.layers[2] (conv2d): input 8x6x6 is too small for a 7x7 window with padding='valid' (valid: ceil((6-7+1)/1) = 0"),
    ((Conv2D(8, 3), Dense(10)), "model.layers[1] (dense): a dense layer needs a flat input but gets a 8x26x26 feature map"),
    ((Flatten(), Conv2D(8, 3), Dense(10)), "model.layers[1] (conv2d): needs a C x H x W feature map"),
    ((Conv2D(8, 3), GlobalAvgPool(), Dense(12)), "the network ends with shape 12 but the dataset has 10 classes"),
    ((Conv2D(8, 3), Flatten(), Dense(10, activation="softmax")), "the network must output raw logits"),
])
def test_impossible_stacks_fail_before_training_with_the_arithmetic(layers, message):
    with pytest.raises(MnistlabError) as e:
        build_model(ModelConfig(layers=layers), (1, 28, 28), 10)
    assert message in str(e.value)


def test_valid_padding_too_small_message_reports_negative_size():
    with pytest.raises(MnistlabError, match=r"ceil\(\(3-5\+1\)/1\) = -1"):
        build_model(ModelConfig(layers=(Conv2D(4, 5), Flatten(), Dense(10))), (1, 3, 3), 10)


def test_features_returns_every_layer_output():
    cfg = Config().model
    model = build_model(cfg, (1, 28, 28), 10, [0.1307], [0.3081]).eval()  # features normalise as forward does
    x = torch.rand(2, 1, 28, 28)
    feats = model.features(x)
    assert [tuple(f.shape[1:]) for f in feats] == [tuple(i.output_shape) for i in model.infos]
    assert torch.equal(feats[-1], model(x))  # the last layer's output is the logits
    assert not torch.allclose(feats[-1], model(torch.rand(2, 1, 28, 28)))  # which depend on the input
