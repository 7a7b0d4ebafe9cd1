"""Layer arithmetic and the few modules PyTorch lacks.

`output_size` is the single place where a layer's output size is computed: the model builder uses it
to size the next layer and `summary` prints the same arithmetic, so what a learner reads is what runs.

`padding="same"` is TensorFlow's SAME for every stride: out = ceil(in / stride), and when the total
padding is odd the extra pixel goes on the bottom/right. PyTorch's own `padding="same"` refuses
stride > 1 and pads the extra pixel on the other side, so we pad explicitly.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from mnistlab.errors import MnistlabError


def output_size(size: int, kernel: int, stride: int, padding: str) -> tuple[int, str]:
    """One spatial dimension: (output size, the arithmetic that gives it, as a learner would write it)."""
    if padding == "same":
        out = math.ceil(size / stride)
        return out, f"same: ceil({size}/{stride}) = {out}"
    out = math.ceil((size - kernel + 1) / stride)
    return out, f"valid: ceil(({size}-{kernel}+1)/{stride}) = {out}"


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TF SAME padding for one dimension: (before, after), the odd pixel after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def activation(name: str) -> nn.Module:
    """The notes' activation names -> modules. `softmax` is over the channel/feature axis."""
    table = {
        "linear": nn.Identity, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh,
        "gelu": nn.GELU, "leaky_relu": nn.LeakyReLU, "elu": nn.ELU, "selu": nn.SELU,
        "softmax": lambda: nn.Softmax(dim=1),
    }
    if name not in table:
        raise MnistlabError("model.unknown_activation", name=name, choices=", ".join(table))
    return table[name]()


class Pad(nn.Module):
    """Explicit (left, right, top, bottom) padding, for SAME convs and pools with an odd total."""

    def __init__(self, pads: tuple[int, int, int, int], value: float = 0.0):
        super().__init__()
        self.pads, self.value = pads, value

    def forward(self, x):
        return F.pad(x, self.pads, value=self.value)

    def extra_repr(self):
        return f"pads={self.pads}, value={self.value}"


class AvgPoolSame(nn.Module):
    """Average pool with TF SAME padding: padded cells do not count towards the average."""

    def __init__(self, kernel, stride, pads):
        super().__init__()
        self.kernel, self.stride, self.pads = kernel, stride, pads

    def forward(self, x):
        # [N, C, H, W] -> [N, C, H', W']; dividing by the pooled ones-mask excludes the padding.
        total = F.avg_pool2d(F.pad(x, self.pads), self.kernel, self.stride, divisor_override=1)
        ones = torch.ones(1, 1, *x.shape[-2:], dtype=x.dtype, device=x.device)
        count = F.avg_pool2d(F.pad(ones, self.pads), self.kernel, self.stride, divisor_override=1)
        return total / count

    def extra_repr(self):
        return f"kernel={self.kernel}, stride={self.stride}, pads={self.pads}"


class Normalize(nn.Module):
    """(x - mean) / std on [N, C, H, W] pixels in 0..1; kept in the model so every consumer
    (evaluate, predict, the web page, ONNX) feeds the same raw input."""

    def __init__(self, mean: list[float], std: list[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std
