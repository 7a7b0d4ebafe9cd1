"""Layer list -> PyTorch module, with every shape inferred before any training.

`build_model(model_cfg, input_shape, num_classes)` walks the declared layers once, asking the layer
registry to build each one (output shapes come from `layers.output_size`); a stack that cannot work
fails here, naming the layer, its input shape and the arithmetic. The same walk records a `LayerInfo` per layer (shape, arithmetic,
parameters, multiply-adds), which is what `summary` prints.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from mnistlab import config as C
from mnistlab.errors import MnistlabError
from mnistlab.models.layers import Normalize
from mnistlab.models.registry import Shape, layer


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
        self.channels_last = False

    def to_channels_last(self) -> Network:
        """Keep weights and feature maps channels_last (NHWC in memory), the layout oneDNN's and cuDNN's
        fast conv and pooling kernels want. Converting the weights is not enough: a 1-channel picture is
        as much NCHW as NHWC, so the first conv answers in NCHW and every later layer follows it. `forward`
        converts that first 4-D output once (later ones already are): the default model then trained
        1.3x and predicted 1.5x faster on a 2-core CPU (benchmarks/RESULTS.md)."""
        self.to(memory_format=torch.channels_last)
        self.channels_last = True
        return self

    def _layout(self, x: torch.Tensor) -> torch.Tensor:
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last and x.dim() == 4 else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [N, C, H, W] in 0..1 -> [N, classes]
        x = self.normalize(x)
        for module in self.layers:
            x = self._layout(module(x))
        return x

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of every declared layer, in order (for feature-map pictures)."""
        outs, x = [], self.normalize(x)
        for module in self.layers:
            x = self._layout(module(x))
            outs.append(x)
        return outs


ELEMENTWISE = ("batchnorm", "activation", "dropout")  # keep the shape, change the values


def map_stages(infos: list[LayerInfo], types=("conv2d", "maxpool2d", "avgpool2d")) -> list[tuple[int, int]]:
    """(first, last) layer indices of each stage whose feature maps are worth a picture: a layer of `types`
    and the elementwise layers right behind it, since their output is what the next layer sees."""
    stages = []
    for info in infos:
        if info.type not in types:
            continue
        last = info.index
        while last + 1 < len(infos) and infos[last + 1].type in ELEMENTWISE:
            last += 1
        stages.append((info.index, last))
    return stages


def infer(model_cfg: C.ModelConfig, input_shape: Shape, num_classes: int):
    """Walk the layers: (modules, infos). Raises MnistlabError for a stack that cannot work."""
    modules, infos, shape = [], [], tuple(input_shape)
    for i, spec in enumerate(model_cfg.layers):
        where = f"model.layers[{i}] ({spec.type})"
        kind = layer(spec.type)
        built = kind.build(spec, shape, where)
        modules.append(built.module)
        infos.append(LayerInfo(i, spec.type, kind.settings_text(spec), shape, built.shape, built.arithmetic,
                               built.params, built.macs))
        shape = built.shape
    last = model_cfg.layers[-1]
    if shape != (num_classes,):
        raise MnistlabError("model.wrong_output", shape="x".join(map(str, shape)), classes=num_classes)
    if getattr(last, "activation", "linear") != "linear" or last.type == "activation":
        raise MnistlabError("model.last_activation", activation=getattr(last, "activation", ""))
    return modules, infos


def build_model(model_cfg: C.ModelConfig, input_shape: Shape, num_classes: int,
                mean: list[float] | None = None, std: list[float] | None = None) -> Network:
    """Build the network. `mean`/`std` (per channel, for 0..1 pixels) enable input normalisation."""
    modules, infos = infer(model_cfg, input_shape, num_classes)
    normalize = Normalize(mean, std) if mean is not None and std is not None else None
    return Network(modules, infos, normalize)
