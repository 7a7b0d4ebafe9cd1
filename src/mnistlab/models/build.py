"""Layer list -> PyTorch module, with every shape inferred before any training.

`build_model(model_cfg, input_shape, num_classes)` walks the declared layers once, computing each
output shape with `layers.output_size`; a stack that cannot work fails here, naming the layer, its
input shape and the arithmetic. The same walk records a `LayerInfo` per layer (shape, arithmetic,
parameters, multiply-adds), which is what `summary` prints.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from mnistlab import config as C
from mnistlab.errors import MnistlabError
from mnistlab.models.layers import (
    AvgPoolSame,
    Normalize,
    Pad,
    activation,
    output_size,
    same_padding,
)

Shape = tuple[int, ...]  # (C, H, W) for maps, (F,) for vectors


@dataclass(frozen=True)
class LayerInfo:
    index: int
    type: str
    settings: str  # e.g. "filters=32 kernel_size=3x3 strides=2x2 padding=same activation=relu"
    input_shape: Shape
    output_shape: Shape
    arithmetic: tuple[str, ...] = ()  # e.g. ("H: same: ceil(28/2) = 14", "W: same: ceil(28/2) = 14")
    params: int = 0
    macs: int = 0


class Network(nn.Module):
    """The model: optional input normalisation, then one module per declared layer. Returns logits."""

    def __init__(self, layers: list[nn.Module], infos: list[LayerInfo], normalize: Normalize | None):
        super().__init__()
        self.normalize = normalize if normalize is not None else nn.Identity()
        self.layers = nn.ModuleList(layers)
        self.infos = infos

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N, C, H, W] in 0..1 -> [N, classes]
        x = self.normalize(x)
        for layer in self.layers:
            x = layer(x)
        return x

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every declared layer, in order (for feature-map pictures)."""
        outs, x = [], self.normalize(x)
        for layer in self.layers:
            x = layer(x)
            outs.append(x)
        return outs


def _settings(spec) -> str:
    parts = []
    for f in dataclasses.fields(spec):
        v = getattr(spec, f.name)
        if v is None:
            continue
        if isinstance(v, tuple):
            v = "x".join(map(str, v))
        parts.append(f"{f.name}={v}")
    return " ".join(parts)


def _spatial(spec, where: str, shape: Shape, kernel, stride, padding) -> tuple[Shape, tuple[str, ...], tuple]:
    """Output (H, W), arithmetic lines, and (left, right, top, bottom) padding for a conv or pool."""
    if len(shape) != 3:
        raise MnistlabError(
            f"{where}: needs a C x H x W feature map but its input is a flat vector of {shape[0]}; "
            f"move it before the flatten/global_avg_pool layer")
    (kh, kw), (sh, sw) = kernel, stride
    (h, ah), (w, aw) = output_size(shape[1], kh, sh, padding), output_size(shape[2], kw, sw, padding)
    arith = (ah,) if ah == aw else (f"H: {ah}", f"W: {aw}")  # square maps: say it once
    if h <= 0 or w <= 0:
        raise MnistlabError(
            f"{where}: input {'x'.join(map(str, shape))} is too small for a {kh}x{kw} window with "
            f"padding='valid' ({', '.join(arith)}); use padding='same', a smaller kernel, or less downsampling before it")
    pads = (0, 0, 0, 0)
    if padding == "same":
        (top, bottom), (left, right) = same_padding(shape[1], kh, sh), same_padding(shape[2], kw, sw)
        pads = (left, right, top, bottom)
    return (h, w), arith, pads


def _layer(spec, where: str, shape: Shape):
    """One declared layer -> (module, output shape, arithmetic, params, macs)."""
    kind = spec.type
    if kind == "conv2d":
        (kh, kw), stride = C.pair(spec.kernel_size), C.pair(spec.strides)
        (h, w), arith, pads = _spatial(spec, where, shape, (kh, kw), stride, spec.padding)
        conv = nn.Conv2d(shape[0], spec.filters, (kh, kw), stride, bias=spec.use_bias)
        # Symmetric padding goes into the conv itself (faster); an odd total needs an explicit pad.
        l, r, t, b = pads
        if l == r and t == b:
            conv.padding = (t, l)
            parts = [conv]
        else:
            parts = [Pad(pads), conv]
        module = nn.Sequential(*parts, activation(spec.activation))
        params = sum(p.numel() for p in conv.parameters())
        return module, (spec.filters, h, w), arith, params, h * w * spec.filters * kh * kw * shape[0]
    if kind in ("maxpool2d", "avgpool2d"):
        kernel = C.pair(spec.pool_size)
        stride = C.pair(spec.strides if spec.strides is not None else spec.pool_size)
        (h, w), arith, pads = _spatial(spec, where, shape, kernel, stride, spec.padding)
        if kind == "maxpool2d":  # padded cells are -inf so they never win the max (as in TF)
            module = nn.Sequential(Pad(pads, float("-inf")), nn.MaxPool2d(kernel, stride)) if any(pads) \
                else nn.MaxPool2d(kernel, stride)
        else:
            module = AvgPoolSame(kernel, stride, pads) if any(pads) else nn.AvgPool2d(kernel, stride)
        return module, (shape[0], h, w), arith, 0, 0
    if kind == "batchnorm":
        bn = (nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d)(shape[0], eps=spec.epsilon, momentum=spec.momentum)
        return bn, shape, (), 2 * shape[0], 0
    if kind == "activation":
        return activation(spec.activation), shape, (), 0, 0
    if kind == "dropout":
        return nn.Dropout(spec.rate), shape, (), 0, 0
    if kind == "flatten":
        n = 1
        for s in shape:
            n *= s
        return nn.Flatten(), (n,), (f"{' x '.join(map(str, shape))} = {n}",), 0, 0
    if kind == "global_avg_pool":
        if len(shape) != 3:
            raise MnistlabError(f"{where}: needs a C x H x W feature map but its input is already flat ({shape[0]})")
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), (shape[0],), (
            f"mean over {shape[1]}x{shape[2]} -> {shape[0]}",), 0, 0
    if kind == "dense":
        if len(shape) != 1:
            raise MnistlabError(
                f"{where}: a dense layer needs a flat input but gets a {'x'.join(map(str, shape))} feature map; "
                f"add {{type = \"flatten\"}} or {{type = \"global_avg_pool\"}} before it")
        linear = nn.Linear(shape[0], spec.units, bias=spec.use_bias)
        params = sum(p.numel() for p in linear.parameters())
        return nn.Sequential(linear, activation(spec.activation)), (spec.units,), (), params, shape[0] * spec.units
    raise MnistlabError(f"{where}: unknown layer type {kind!r}")


ELEMENTWISE = ("batchnorm", "activation", "dropout")  # keep the shape, change the values


def map_stages(infos: list[LayerInfo], types=("conv2d", "maxpool2d", "avgpool2d")) -> list[tuple[int, int]]:
    """(first, last) layer indices of each stage whose feature maps are worth a picture: a layer of `types`
    and, for a conv, the elementwise layers right behind it, since their output is what the next layer sees."""
    stages = []
    for info in infos:
        if info.type not in types:
            continue
        last = info.index
        while info.type == "conv2d" and last + 1 < len(infos) and infos[last + 1].type in ELEMENTWISE:
            last += 1
        stages.append((info.index, last))
    return stages


def infer(model_cfg: C.ModelConfig, input_shape: Shape, num_classes: int):
    """Walk the layers: (modules, infos). Raises MnistlabError for a stack that cannot work."""
    modules, infos, shape = [], [], tuple(input_shape)
    for i, spec in enumerate(model_cfg.layers):
        where = f"model.layers[{i}] ({spec.type})"
        module, out, arith, params, macs = _layer(spec, where, shape)
        modules.append(module)
        infos.append(LayerInfo(i, spec.type, _settings(spec), shape, out, arith, params, macs))
        shape = out
    last = model_cfg.layers[-1]
    if shape != (num_classes,):
        raise MnistlabError(
            f"the network ends with shape {'x'.join(map(str, shape))} but the dataset has {num_classes} classes: "
            f"end with a dense layer of units = {num_classes} (its outputs are the logits)")
    if getattr(last, "activation", "linear") != "linear" or last.type == "activation":
        raise MnistlabError(
            f"the last layer applies activation '{getattr(last, 'activation', '')}', but the network must output raw "
            f"logits: set activation = 'linear' on it and choose the head with model.output = 'softmax' or 'sigmoid'")
    return modules, infos


def build_model(model_cfg: C.ModelConfig, input_shape: Shape, num_classes: int,
                mean: list[float] | None = None, std: list[float] | None = None) -> Network:
    """Build the network. `mean`/`std` (per channel, for 0..1 pixels) enable input normalisation."""
    modules, infos = infer(model_cfg, input_shape, num_classes)
    normalize = Normalize(mean, std) if mean is not None and std is not None else None
    return Network(modules, infos, normalize)
