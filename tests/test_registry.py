"""The layer registry: every layer type's settings come from its spec, it round-trips through TOML,
builds, and the arithmetic it prints is the shape PyTorch computes."""

import dataclasses

import pytest
import torch

from mnistlab import config as C
from mnistlab.config import Config, ModelConfig
from mnistlab.models import LAYERS, build_model, describe, layer

# Non-default settings for every layer type, chosen to exercise odd SAME padding, strides and pairs.
EXAMPLES = {
    "conv2d": [C.Conv2D(6, (3, 4), (2, 3), "same", "leaky_relu", use_bias=False), C.Conv2D(4, 5, 1, "valid", "tanh")],
    "maxpool2d": [C.MaxPool2D(3, 2, "same"), C.MaxPool2D((2, 3)), C.MaxPool2D(2, 3, "same")],
    "avgpool2d": [C.AvgPool2D(3, 2, "same"), C.AvgPool2D(2), C.AvgPool2D((3, 2), (1, 2), "same")],
    "batchnorm": [C.BatchNorm(momentum=0.01, epsilon=1e-3)],
    "activation": [C.Activation("gelu"), C.Activation("softmax")],
    "dropout": [C.Dropout(0.25)],
    "flatten": [C.Flatten()],
    "global_avg_pool": [C.GlobalAvgPool()],
    "dense": [C.Dense(12, "selu", use_bias=False)],
}
CASES = [spec for specs in EXAMPLES.values() for spec in specs]


def test_every_layer_type_has_examples_and_a_spec_of_config():
    assert set(EXAMPLES) == set(LAYERS) == set(C.LAYER_TYPES)
    for kind, entry in LAYERS.items():
        assert entry.spec is C.LAYER_TYPES[kind] and entry.type == kind


def _stack(spec) -> tuple:
    """The layer inside a network that can run: a conv before it, flatten + dense after it as needed."""
    before = (C.Conv2D(5, 3),)
    if isinstance(spec, C.Dense):
        before += (C.Flatten(),)
    after = () if isinstance(spec, (C.Flatten, C.GlobalAvgPool, C.Dense)) else (C.Flatten(),)
    return before + (spec,) + after + (C.Dense(10),)


@pytest.mark.parametrize("spec", CASES, ids=describe)
def test_round_trips_through_toml(spec):
    cfg = Config(model=ModelConfig(layers=_stack(spec)))
    again = Config.from_toml(cfg.to_toml())
    assert again == cfg and spec in again.model.layers


@pytest.mark.parametrize("size", [11, 14])
@pytest.mark.parametrize("spec", CASES, ids=describe)
def test_builds_and_its_arithmetic_is_pytorchs_shape(spec, size):
    model = build_model(ModelConfig(layers=_stack(spec)), (2, size, size), 10).eval()
    outputs = model.features(torch.rand(3, 2, size, size))
    for info, out in zip(model.infos, outputs):
        assert tuple(out.shape[1:]) == info.output_shape, (info.type, info.arithmetic)
        own = sum(p.numel() for p in model.layers[info.index].parameters())
        assert info.params == own
    info = model.infos[_stack(spec).index(spec)]
    if len(info.output_shape) == 3 and info.arithmetic:  # the printed arithmetic ends in the output width
        assert info.arithmetic[-1].endswith(f"= {info.output_shape[-1]}")


def test_settings_come_from_the_dataclass():
    conv = {s.name: s for s in layer("conv2d").settings()}
    assert list(conv) == [f.name for f in dataclasses.fields(C.Conv2D)]
    assert conv["padding"].kind == "choice" and conv["padding"].choices == ("valid", "same")
    assert conv["padding"].default == "valid" and conv["activation"].default == "linear"
    assert conv["kernel_size"].kind == "pair" and conv["filters"].range[0] == 1
    assert "leaky_relu" in conv["activation"].choices
    strides = {s.name: s for s in layer("maxpool2d").settings()}["strides"]
    assert strides.optional and strides.default is None
    assert layer("flatten").settings() == []


def test_one_describer_for_summary_report_and_compare():
    assert describe(C.Conv2D(32, 3, 2, "same", "relu")) == "conv2d(32, 3x3, strides 2x2, same, relu)"
    assert describe(C.MaxPool2D(2)) == "maxpool2d(2x2)"
    assert describe(C.AvgPool2D(3, 2, "same")) == "avgpool2d(3x3, strides 2x2, same)"
    assert describe(C.Dense(10)) == "dense(10)" and describe(C.Flatten()) == "flatten"
    assert layer("conv2d").settings_text(C.Conv2D(8, 3)) == \
        "filters=8 kernel_size=3 strides=1 padding=valid activation=linear use_bias=True"


def test_pool_strides_default_to_the_pool_size():
    assert layer("maxpool2d").strides(C.MaxPool2D(3)) == (3, 3)
    assert layer("avgpool2d").strides(C.AvgPool2D(3, (1, 2))) == (1, 2)
