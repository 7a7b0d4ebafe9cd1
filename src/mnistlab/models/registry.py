"""The layer registry: every layer type of `[[model.layers]]`, described once.

Each layer type is one class below, registered for its spec dataclass in `config.py`. It owns:

* its settings (`settings()`): names, defaults, choices and ranges, read from the dataclass itself;
* how it builds (`build(spec, shape, where)`): the PyTorch module, the output shape, the arithmetic
  that gives it (from `layers.output_size`, the one shape function), parameters and multiply-adds;
* how it describes itself (`describe(spec)`: "conv2d(32, 3x3, strides 2x2, same, relu)");
* how it is written as Keras and as plain PyTorch code, and how its weights become Keras weights
  (the `keras`, `torch_code` and `keras_weights` hooks used by `mnistlab.export`).

`summary`, the report, compare, the web form, `code` and `export --format keras` all ask `layer(type)` or
`LAYERS`; none keeps its own list of layer types. Adding a layer type = a spec dataclass in `config.py`
and a class here.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Union

import numpy as np
from torch import nn

from mnistlab import config as C
from mnistlab.errors import MnistlabError
from mnistlab.models.layers import AvgPoolSame, Pad, activation, output_size, same_padding

Shape = tuple[int, ...]  # (C, H, W) for maps, (F,) for vectors


# ---------------------------------------------------------------------------------------------
# Settings: what a form needs to edit a layer, derived from the spec dataclass's fields.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "int", "pair" (an int or [height, width]), "float", "bool" or "choice"
    default: Any
    choices: tuple = ()  # for "choice"
    range: tuple | None = None  # (lo, hi, lo_open, hi_open), as config.py checks it
    optional: bool = False  # None is allowed (and means what the spec's comment says, e.g. pool strides)

    def to_dict(self) -> dict:
        lo, hi, lo_open, hi_open = self.range or (None, None, False, False)
        return {"name": self.name, "kind": self.kind, "default": self.default, "choices": list(self.choices),
                "min": lo, "max": hi, "min_open": lo_open, "max_open": hi_open, "optional": self.optional}


def _setting(f: dataclasses.Field, annotation: Any) -> Setting:
    args = typing.get_args(annotation)
    optional = typing.get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    if optional:
        rest = tuple(a for a in args if a is not type(None))
        annotation = rest[0] if len(rest) == 1 else Union[rest]
    if typing.get_origin(annotation) is Literal:
        kind, choices = "choice", typing.get_args(annotation)
    elif annotation == C.IntOrPair:
        kind, choices = "pair", ()
    else:
        kind, choices = {int: "int", float: "float", bool: "bool"}[annotation], ()
    return Setting(f.name, kind, f.default, choices, f.metadata.get("range"), optional)


@dataclass(frozen=True)
class Built:
    """What one declared layer becomes: the module and the numbers `summary` shows."""
    module: nn.Module
    shape: Shape
    arithmetic: tuple[str, ...] = ()  # e.g. ("same: ceil(28/2) = 14",) or ("H: ...", "W: ...")
    params: int = 0
    macs: int = 0


@dataclass(frozen=True)
class KerasLayer:
    """One Keras layer, `keras.layers.<name>(**kwargs)`: rendered as code by `export.code`, instantiated
    by `export.keras`, so the script a learner reads and the exported model are built from one mapping."""
    name: str
    kwargs: dict = dataclasses.field(default_factory=dict)


# PyTorch's LeakyReLU slope; Keras' "leaky_relu" activation string means slope 0.2, so it is written
# as its own layer with the slope spelled out.
_LEAKY = KerasLayer("LeakyReLU", {"negative_slope": nn.LeakyReLU().negative_slope})


def _keras_activation(kwargs: dict, name: str) -> list[KerasLayer]:
    """Put activation `name` into a Keras layer's kwargs; returns the extra layers it needs (leaky_relu)."""
    if name == "leaky_relu":
        return [_LEAKY]
    if name != "linear":
        kwargs["activation"] = name
    return []


def _module_code(module: nn.Module) -> list[str]:
    """A built module as plain-PyTorch expressions, one per leaf. Standard modules print as valid code
    (`Conv2d(1, 16, kernel_size=(5, 5), stride=(2, 2), bias=False)`); mnistlab's two own modules are
    written as PyTorch's pads, or as the AvgPoolSame class the script defines."""
    if isinstance(module, nn.Sequential):
        return [line for child in module for line in _module_code(child)]
    if isinstance(module, nn.Identity):
        return []
    if isinstance(module, Pad):
        value = "float(\"-inf\")" if module.value == float("-inf") else repr(module.value)
        return [f"nn.ConstantPad2d({module.pads}, {value})"]
    if isinstance(module, AvgPoolSame):
        return [f"AvgPoolSame({module.kernel}, {module.stride}, {module.pads})"]
    return [f"nn.{module!r}"]


def _size(v) -> str:
    h, w = C.pair(v)
    return f"{h}x{w}"


# ---------------------------------------------------------------------------------------------
# The base class and the registry
# ---------------------------------------------------------------------------------------------


class Layer:
    """One layer type. Subclasses set `spec` (the config dataclass) and `doc`, and override `build`."""

    spec: ClassVar[type]
    doc: ClassVar[str] = ""  # one line for a learner, shown by the web form

    @property
    def type(self) -> str:
        return self.spec.type

    def settings(self) -> list[Setting]:
        hints = typing.get_type_hints(self.spec)
        return [_setting(f, hints[f.name]) for f in dataclasses.fields(self.spec)]

    def build(self, spec, shape: Shape, where: str) -> Built:
        raise NotImplementedError

    def words(self, spec) -> list[str]:
        """The settings worth naming in a one-line description, in the notes' order."""
        return []

    def describe(self, spec) -> str:
        """The layer in a few words, e.g. "conv2d(32, 3x3, strides 2x2, same, relu)" or "flatten"."""
        words = self.words(spec)
        return f"{self.type}({', '.join(words)})" if words else self.type

    # -- code generation and Keras weights (mnistlab.export) --------------------------------------
    def keras(self, spec) -> list[KerasLayer]:
        """The Keras layer(s) with the same settings, channels last."""
        raise NotImplementedError

    def torch_code(self, module: nn.Module) -> list[str]:
        """The module `build` made, as plain-PyTorch expressions (one per `nn.Sequential` entry)."""
        return _module_code(module)

    def keras_weights(self, module: nn.Module, shape: Shape, order: np.ndarray | None):
        """(weights of the first Keras layer, in `set_weights` order; the feature order after this layer).

        `order` is None for C x H x W maps and naturally ordered vectors; after a flatten it lists, for each
        Keras feature (H, W, C order), the PyTorch feature (C, H, W order) it is."""
        return [], order

    def settings_text(self, spec) -> str:
        """Every setting as key=value, e.g. "filters=32 kernel_size=3x3 strides=1x1 padding=same ..."."""
        parts = []
        for f in dataclasses.fields(spec):
            v = getattr(spec, f.name)
            if v is not None:
                parts.append(f"{f.name}={'x'.join(map(str, v)) if isinstance(v, tuple) else v}")
        return " ".join(parts)


LAYERS: dict[str, Layer] = {}


def register(spec: type):
    """Class decorator: make the class the layer type of `spec` (a dataclass of config.py)."""
    def add(cls: type[Layer]) -> type[Layer]:
        cls.spec = spec
        LAYERS[spec.type] = cls()
        return cls
    return add


def layer(kind: str) -> Layer:
    if kind not in LAYERS:
        raise MnistlabError("model.unknown_layer", kind=kind, choices=", ".join(LAYERS))
    return LAYERS[kind]


def describe(spec) -> str:
    return layer(spec.type).describe(spec)


# ---------------------------------------------------------------------------------------------
# Shared pieces of the spatial layers (conv and pools)
# ---------------------------------------------------------------------------------------------


def _needs_map(where: str, shape: Shape) -> None:
    if len(shape) != 3:
        raise MnistlabError("model.needs_map", where=where, size=shape[0])


def _spatial(where: str, shape: Shape, kernel, stride, padding) -> tuple[Shape, tuple[str, ...], tuple]:
    """Output (H, W), arithmetic lines, and (left, right, top, bottom) padding for a conv or pool."""
    _needs_map(where, shape)
    (kh, kw), (sh, sw) = kernel, stride
    (h, ah), (w, aw) = output_size(shape[1], kh, sh, padding), output_size(shape[2], kw, sw, padding)
    arith = (ah,) if ah == aw else (f"H: {ah}", f"W: {aw}")  # square maps: say it once
    if h <= 0 or w <= 0:
        raise MnistlabError("model.too_small", where=where, shape="x".join(map(str, shape)), kh=kh, kw=kw,
                            arithmetic=", ".join(arith))
    pads = (0, 0, 0, 0)
    if padding == "same":
        (top, bottom), (left, right) = same_padding(shape[1], kh, sh), same_padding(shape[2], kw, sw)
        pads = (left, right, top, bottom)
    return (h, w), arith, pads


# ---------------------------------------------------------------------------------------------
# The layer types
# ---------------------------------------------------------------------------------------------


@register(C.Conv2D)
class Conv2DLayer(Layer):
    doc = "slides `filters` kernels over the map: one output map per filter"

    def build(self, spec, shape, where):
        (kh, kw), stride = C.pair(spec.kernel_size), C.pair(spec.strides)
        (h, w), arith, pads = _spatial(where, shape, (kh, kw), stride, spec.padding)
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
        return Built(module, (spec.filters, h, w), arith, params, h * w * spec.filters * kh * kw * shape[0])

    def keras(self, spec):
        # padding="same" in Keras is TF SAME: the same pads as `same_padding`, odd pixel bottom/right.
        kwargs = {"filters": spec.filters, "kernel_size": spec.kernel_size, "strides": spec.strides,
                  "padding": spec.padding}
        extra = _keras_activation(kwargs, spec.activation)
        if not spec.use_bias:
            kwargs["use_bias"] = False
        return [KerasLayer("Conv2D", kwargs), *extra]

    def keras_weights(self, module, shape, order):
        conv = next(m for m in module.modules() if isinstance(m, nn.Conv2d))
        kernel = conv.weight.detach().numpy().transpose(2, 3, 1, 0)  # [out, in, kh, kw] -> [kh, kw, in, out]
        return [kernel] + ([conv.bias.detach().numpy()] if conv.bias is not None else []), None

    def words(self, spec):
        words = [str(spec.filters), _size(spec.kernel_size)]
        words += [f"strides {_size(spec.strides)}"] if C.pair(spec.strides) != (1, 1) else []
        words += ["same"] if spec.padding == "same" else []
        return words + ([spec.activation] if spec.activation != "linear" else [])


@register(C.MaxPool2D)
class MaxPool2DLayer(Layer):
    doc = "keeps the largest value of each pool_size window"

    @staticmethod
    def strides(spec) -> tuple[int, int]:
        """The pool's strides: `strides`, or pool_size when it is not set (Keras' rule)."""
        return C.pair(spec.strides if spec.strides is not None else spec.pool_size)

    def build(self, spec, shape, where):
        kernel, stride = C.pair(spec.pool_size), self.strides(spec)
        (h, w), arith, pads = _spatial(where, shape, kernel, stride, spec.padding)
        return Built(self.module(kernel, stride, pads), (shape[0], h, w), arith)

    def module(self, kernel, stride, pads) -> nn.Module:
        if any(pads):  # padded cells are -inf so they never win the max (as in TF)
            return nn.Sequential(Pad(pads, float("-inf")), nn.MaxPool2d(kernel, stride))
        return nn.MaxPool2d(kernel, stride)

    keras_name = "MaxPooling2D"

    def keras(self, spec):
        kwargs = {"pool_size": spec.pool_size, "padding": spec.padding}
        if spec.strides is not None:
            kwargs["strides"] = spec.strides
        return [KerasLayer(self.keras_name, kwargs)]

    def words(self, spec):
        words = [_size(spec.pool_size)]
        words += [f"strides {_size(spec.strides)}"] if spec.strides is not None else []
        return words + (["same"] if spec.padding == "same" else [])


@register(C.AvgPool2D)
class AvgPool2DLayer(MaxPool2DLayer):
    doc = "averages each pool_size window (padded cells do not count)"
    keras_name = "AveragePooling2D"

    def module(self, kernel, stride, pads):
        return AvgPoolSame(kernel, stride, pads) if any(pads) else nn.AvgPool2d(kernel, stride)


@register(C.BatchNorm)
class BatchNormLayer(Layer):
    doc = "normalises each channel over the batch, then scales and shifts it"

    def build(self, spec, shape, where):
        norm = nn.BatchNorm2d if len(shape) == 3 else nn.BatchNorm1d
        return Built(norm(shape[0], eps=spec.epsilon, momentum=spec.momentum), shape, (), 2 * shape[0])

    def keras(self, spec):
        # PyTorch: running = (1 - momentum) * running + momentum * batch; Keras weighs the old value by
        # its momentum. Epsilon means the same in both. round(): 1 - 0.1 is 0.9, not 0.8999999999999999.
        return [KerasLayer("BatchNormalization", {"momentum": round(1 - spec.momentum, 12), "epsilon": spec.epsilon})]

    def keras_weights(self, module, shape, order):
        stats = [module.weight, module.bias, module.running_mean, module.running_var]  # Keras' order
        stats = [t.detach().numpy() for t in stats]
        return [w if order is None else w[order] for w in stats], order


@register(C.Activation)
class ActivationLayer(Layer):
    doc = "applies a function to every value"

    def build(self, spec, shape, where):
        return Built(activation(spec.activation), shape)

    def keras(self, spec):
        return [_LEAKY] if spec.activation == "leaky_relu" else [KerasLayer("Activation", {"activation": spec.activation})]

    def words(self, spec):
        return [spec.activation]


@register(C.Dropout)
class DropoutLayer(Layer):
    doc = "while training, zeroes each value with probability rate"

    def build(self, spec, shape, where):
        return Built(nn.Dropout(spec.rate), shape)

    def keras(self, spec):
        return [KerasLayer("Dropout", {"rate": spec.rate})]

    def words(self, spec):
        return [str(spec.rate)]


@register(C.Flatten)
class FlattenLayer(Layer):
    doc = "C × H × W → one vector"

    def build(self, spec, shape, where):
        n = 1
        for s in shape:
            n *= s
        return Built(nn.Flatten(), (n,), (f"{' x '.join(map(str, shape))} = {n}",))

    def keras(self, spec):
        return [KerasLayer("Flatten")]

    def keras_weights(self, module, shape, order):
        # PyTorch flattens C x H x W in (c, h, w) order, Keras H x W x C in (h, w, c) order.
        return [], np.arange(int(np.prod(shape))).reshape(shape).transpose(1, 2, 0).ravel()


@register(C.GlobalAvgPool)
class GlobalAvgPoolLayer(Layer):
    doc = "mean of each channel → one vector"

    def build(self, spec, shape, where):
        if len(shape) != 3:
            raise MnistlabError("model.already_flat", where=where, size=shape[0])
        return Built(nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), (shape[0],),
                     (f"mean over {shape[1]}x{shape[2]} -> {shape[0]}",))

    def keras(self, spec):
        return [KerasLayer("GlobalAveragePooling2D")]


@register(C.Dense)
class DenseLayer(Layer):
    doc = "every output is a weighted sum of every input"

    def build(self, spec, shape, where):
        if len(shape) != 1:
            raise MnistlabError("model.dense_needs_flat", where=where, shape="x".join(map(str, shape)))
        linear = nn.Linear(shape[0], spec.units, bias=spec.use_bias)
        params = sum(p.numel() for p in linear.parameters())
        return Built(nn.Sequential(linear, activation(spec.activation)), (spec.units,), (), params,
                     shape[0] * spec.units)

    def keras(self, spec):
        kwargs = {"units": spec.units}
        extra = _keras_activation(kwargs, spec.activation)
        if not spec.use_bias:
            kwargs["use_bias"] = False
        return [KerasLayer("Dense", kwargs), *extra]

    def keras_weights(self, module, shape, order):
        linear = module[0]
        kernel = linear.weight.detach().numpy()  # [out, in]
        kernel = (kernel if order is None else kernel[:, order]).T  # Keras: [in, out], inputs in its order
        return [kernel] + ([linear.bias.detach().numpy()] if linear.bias is not None else []), None

    def words(self, spec):
        return [str(spec.units)] + ([spec.activation] if spec.activation != "linear" else [])


assert set(LAYERS) == set(C.LAYER_TYPES), "every layer spec of config.py needs a class here"
