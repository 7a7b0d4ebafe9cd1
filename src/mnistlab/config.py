"""Typed configuration in the notes' words: frozen dataclasses that round-trip to TOML.

A config has three sections, `[data]`, `[model]` (with `[[model.layers]]`) and `[train]`. Reading one
checks every key against the dataclass fields: an unknown key, a wrong type or an out-of-range value
raises `MnistlabError` naming the key (`train.epochs`, `model.layers[2].kernel_size`) and what is allowed.

Precedence is defaults < preset (`--model NAME`) < config file < CLI flags: each step is a dict
overlay (`merge`) and the result is validated once (`Config.from_dict`).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Union

import tomli_w

from mnistlab.errors import MnistlabError
from mnistlab.i18n import Message, either

ActivationName = Literal["linear", "relu", "sigmoid", "tanh", "softmax", "gelu", "leaky_relu", "elu", "selu"]
Padding = Literal["valid", "same"]
IntOrPair = Union[int, tuple[int, int]]


def _range(lo=None, hi=None, lo_open=False, hi_open=False) -> dict:
    """Field metadata: the allowed numeric range, checked in `_check_range`."""
    return {"range": (lo, hi, lo_open, hi_open)}


# ---------------------------------------------------------------------------------------------
# Layers. Each is one entry of `[[model.layers]]`, chosen by its `type` key. Defaults follow Keras
# (activation defaults to "linear", strides to 1, padding to "valid", pool strides to pool_size).
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Conv2D:
    type: ClassVar[str] = "conv2d"
    filters: int = field(default=32, metadata=_range(1))
    kernel_size: IntOrPair = field(default=3, metadata=_range(1))
    strides: IntOrPair = field(default=1, metadata=_range(1))
    padding: Padding = "valid"
    activation: ActivationName = "linear"
    use_bias: bool = True


@dataclass(frozen=True)
class MaxPool2D:
    type: ClassVar[str] = "maxpool2d"
    pool_size: IntOrPair = field(default=2, metadata=_range(1))
    strides: IntOrPair | None = field(default=None, metadata=_range(1))  # None: same as pool_size
    padding: Padding = "valid"


@dataclass(frozen=True)
class AvgPool2D(MaxPool2D):
    type: ClassVar[str] = "avgpool2d"


@dataclass(frozen=True)
class BatchNorm:
    type: ClassVar[str] = "batchnorm"
    momentum: float = field(default=0.1, metadata=_range(0, 1, True, False))  # PyTorch's convention
    epsilon: float = field(default=1e-5, metadata=_range(0, None, True))


@dataclass(frozen=True)
class Activation:
    type: ClassVar[str] = "activation"
    activation: ActivationName = "relu"


@dataclass(frozen=True)
class Dropout:
    type: ClassVar[str] = "dropout"
    rate: float = field(default=0.5, metadata=_range(0, 1, False, True))


@dataclass(frozen=True)
class Flatten:
    type: ClassVar[str] = "flatten"


@dataclass(frozen=True)
class GlobalAvgPool:
    type: ClassVar[str] = "global_avg_pool"


@dataclass(frozen=True)
class Dense:
    type: ClassVar[str] = "dense"
    units: int = field(default=10, metadata=_range(1))
    activation: ActivationName = "linear"
    use_bias: bool = True


LAYER_TYPES: dict[str, type] = {
    cls.type: cls
    for cls in (Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Activation, Dropout, Flatten, GlobalAvgPool, Dense)
}
LayerSpec = Union[Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Activation, Dropout, Flatten, GlobalAvgPool, Dense]

# The recommended network (the `default` preset), measured in benchmarks/RESULTS.md: stride 2 and a
# max pool at once (28 -> 12 -> 6), so the two 3x3 convs work on 6x6 maps; each pool comes straight after
# its conv, so batch norm and ReLU (elementwise, and a third of a CPU step) run on 4x smaller maps; no bias
# before batch norm (its mean subtraction would cancel it). The first conv is "valid": MNIST's digits sit
# inside a blank border, and with "same" (28 -> 14 -> 7) the last pool (7 -> 3) threw away a row and a
# column of the costliest conv's output. 29k parameters, 1.8 MFLOPs an image.
DEFAULT_LAYERS: tuple[LayerSpec, ...] = (
    Conv2D(filters=16, kernel_size=5, strides=2, padding="valid", use_bias=False),
    MaxPool2D(2),
    BatchNorm(),
    Activation("relu"),
    Conv2D(filters=32, kernel_size=3, padding="same", use_bias=False),
    BatchNorm(),
    Activation("relu"),
    Conv2D(filters=64, kernel_size=3, padding="same", use_bias=False),
    MaxPool2D(2),
    BatchNorm(),
    Activation("relu"),
    Flatten(),
    Dense(units=10),
)


# ---------------------------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "mnist"  # mnist | fashion-mnist | kmnist | idx:DIR | folder:PATH
    data_dir: str | None = None  # read the dataset's files from here instead of the download cache
    # images held out of the training split to validate on after each epoch; "auto" keeps 1/12 of them
    # (MNIST: 5,000 of 60,000, as the classic scripts do), whatever the dataset's size
    validation_size: int | Literal["auto"] = field(default="auto", metadata=_range(0))
    color: Literal["grayscale", "rgb"] = "grayscale"  # folder: datasets only
    # train on only the first N training images (quick demos; the test set stays whole): recorded here, so
    # a run's config.toml says what it trained on
    train_limit: int | None = field(default=None, metadata=_range(1))
    normalize: bool = True  # subtract the training set's mean and divide by its std, inside the model
    shift: int = field(default=0, metadata=_range(0, 8))  # augmentation: random shift, pixels
    rotation: float = field(default=0.0, metadata=_range(0, 180))  # augmentation: random rotation, degrees


@dataclass(frozen=True)
class ModelConfig:
    output: Literal["softmax", "sigmoid"] = "softmax"  # the head that turns logits into probabilities
    layers: tuple[LayerSpec, ...] = DEFAULT_LAYERS


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = field(default=1, metadata=_range(1))
    batch_size: int = field(default=128, metadata=_range(1))
    # batches per epoch (Keras' fit argument): each epoch trains on this many batches of its own shuffled
    # order, so fewer than the whole training set still sees a different random part each time; None: all
    steps_per_epoch: int | None = field(default=None, metadata=_range(1))
    shuffle: bool = True
    optimizer: Literal["sgd", "adam", "adamw", "rmsprop", "adadelta"] = "adam"
    learning_rate: float = field(default=0.02, metadata=_range(0, None, True))
    momentum: float = field(default=0.9, metadata=_range(0, 1, False, True))  # sgd, rmsprop
    nesterov: bool = False  # sgd
    beta_1: float = field(default=0.9, metadata=_range(0, 1, False, True))  # adam, adamw
    beta_2: float = field(default=0.999, metadata=_range(0, 1, False, True))
    rho: float = field(default=0.9, metadata=_range(0, 1, False, True))  # adadelta
    weight_decay: float = field(default=0.0, metadata=_range(0))
    schedule: Literal["constant", "step", "cosine", "one_cycle"] = "one_cycle"
    warmup: float = field(default=0.2, metadata=_range(0, 1, False, True))  # one_cycle: fraction rising
    step_size: int = field(default=1, metadata=_range(1))  # step: epochs between decays
    gamma: float = field(default=0.1, metadata=_range(0, 1, True))  # step: decay factor
    # the target puts 1 - label_smoothing on the true class and shares the rest out: the recipe's 0.1 is
    # worth a tenth of a percent after one epoch (benchmarks/RESULTS.md); Keras' own default is 0
    label_smoothing: float = field(default=0.1, metadata=_range(0, 1, False, True))
    loss: Literal["auto", "cross_entropy", "binary_cross_entropy"] = "auto"  # auto: follows model.output
    target_accuracy: float | None = field(default=None, metadata=_range(0, 1, True))
    metrics: tuple[Literal["accuracy", "top5_accuracy", "precision", "recall", "f1"], ...] = ("accuracy",)
    seed: int = field(default=0, metadata=_range(0, 2**32 - 1))
    device: Literal["auto", "cpu", "cuda"] = "auto"
    # bfloat16 runs the forward pass in bf16 (autocast): ~1.7x faster on CPUs with AMX/AVX512-BF16 and
    # on GPUs; auto picks it where the hardware has it. Weights, optimizer and evaluation stay float32.
    precision: Literal["auto", "float32", "bfloat16"] = "auto"
    # torch.compile the training step: pays for its compile time on a GPU; on a 2-core CPU it is slower
    # for a run this short, so auto compiles on CUDA only.
    compile: Literal["auto", "always", "never"] = "auto"
    threads: int = field(default=0, metadata=_range(0))  # CPU threads; 0 = one per core that is free at the start
    eval_batch_size: int = field(default=1000, metadata=_range(1))
    log_every: int = field(default=50, metadata=_range(1))  # steps between progress events


@dataclass(frozen=True)
class Config:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()

    def __post_init__(self):
        # `loss = "auto"` becomes the loss that fits the head, so a written config says what ran.
        head, loss = self.model.output, self.train.loss
        if loss == "auto":
            loss = auto_loss(head)
            object.__setattr__(self, "train", dataclasses.replace(self.train, loss=loss))
        check_head_and_loss(head, loss)

    # -- dict / TOML round trip ---------------------------------------------------------------
    def to_dict(self) -> dict:
        return _to_plain(self)

    def to_toml(self) -> str:
        return tomli_w.dumps(self.to_dict())

    @classmethod
    def from_dict(cls, d: dict) -> Config:
        return _from_plain(cls, d, "")

    @classmethod
    def from_toml(cls, text: str, source: str = "config") -> Config:
        return cls.from_dict(parse_toml(text, source))

    def replace(self, **overrides: Any) -> Config:
        """`cfg.replace(**{"train.epochs": 3})`: a new config with dotted keys overridden and validated."""
        d = self.to_dict()
        for key, value in overrides.items():
            set_dotted(d, key, value)
        return Config.from_dict(d)


def auto_loss(head: str) -> str:
    """The loss `loss = "auto"` stands for under `head`: cross-entropy for softmax, binary for sigmoid."""
    return "cross_entropy" if head == "softmax" else "binary_cross_entropy"


def check_head_and_loss(head: str, loss: str) -> None:
    if head == "softmax" and loss == "binary_cross_entropy":
        raise MnistlabError("config.bce_with_softmax")
    if head == "sigmoid" and loss == "cross_entropy":
        raise MnistlabError("config.ce_with_sigmoid")


def parse_toml(text: str, source: str = "config") -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise MnistlabError("config.bad_toml", source=source, error=e) from None


def merge(base: dict, overlay: dict) -> dict:
    """Deep-merge `overlay` into a copy of `base`; lists (like model.layers) are replaced whole."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


_INDEX = re.compile(r"^([a-z_0-9]+)\[(\d+)\]$")


def set_dotted(d: dict, key: str, value: Any) -> None:
    """Set `train.epochs` or `model.layers[0].filters` in a nested plain dict."""
    parts = key.split(".")
    node: Any = d
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        m = _INDEX.match(part)
        if m:
            name, idx = m.group(1), int(m.group(2))
            seq = node.get(name) if isinstance(node, dict) else None
            if not isinstance(seq, list) or idx >= len(seq):
                n = len(seq) if isinstance(seq, list) else 0
                raise MnistlabError("config.no_index", key=key, name=name, n=n, index=idx)
            if last:
                seq[idx] = value
            node = seq[idx]
        elif last:
            node[part] = value
        else:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise MnistlabError("config.not_a_section", key=key, part=part)


def parse_assignment(text: str) -> tuple[str, Any]:
    """`--set train.learning_rate=3e-3` -> ("train.learning_rate", 0.003). Values are TOML, or bare strings."""
    if "=" not in text:
        raise MnistlabError("config.set_syntax", text=text)
    key, raw = (s.strip() for s in text.split("=", 1))
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare word such as adam or same
    return key, value


# ---------------------------------------------------------------------------------------------
# Generic dataclass <-> plain-dict conversion with validation driven by the type annotations.
# ---------------------------------------------------------------------------------------------


def _to_plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj):
        out = {"type": obj.type} if hasattr(type(obj), "type") else {}
        for f in dataclasses.fields(obj):
            value = getattr(obj, f.name)
            if value is not None:  # TOML has no null: an absent key means "the default"
                out[f.name] = _to_plain(value)
        return out
    if isinstance(obj, (tuple, list)):
        return [_to_plain(v) for v in obj]
    return obj


def _describe(annotation: Any) -> Message | str:
    """What `annotation` accepts, in words the catalogues hold ("an integer or a pair of integers ...")."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        return Message("type.one_of", choices=", ".join(repr(a) for a in args))
    if origin in (Union, types.UnionType):
        return either(_describe(a) for a in args if a is not type(None))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return Message("type.list_of", item=_describe(args[0]))
        plural = {int: "type.pair_integers", float: "type.pair_numbers"}.get(args[0], "type.pair_values")
        return Message(plural if len(set(args)) == 1 else "type.list")
    words = {int: "type.integer", float: "type.number", bool: "type.bool", str: "type.string"}
    return Message(words[annotation]) if annotation in words else str(annotation)


class _Mismatch(Exception):
    pass


def _coerce(annotation: Any, value: Any, path: str) -> Any:
    """Return `value` as `annotation` describes, or raise _Mismatch."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Literal:
        # The notes write VALID/SAME and ReLU: choices are matched without case and kept in lower case.
        if isinstance(value, str) and value.lower() in args:
            return value.lower()
        raise _Mismatch
    if origin in (Union, types.UnionType):
        for arg in args:
            try:
                return _coerce(arg, value, path)
            except _Mismatch:
                pass
        raise _Mismatch
    if origin is tuple:
        if not isinstance(value, (list, tuple)):
            raise _Mismatch
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_coerce(args[0], v, path) for v in value)
        if len(value) != len(args):
            raise _Mismatch
        return tuple(_coerce(a, v, path) for a, v in zip(args, value))
    if annotation is type(None):
        if value is None:
            return None
        raise _Mismatch
    if annotation is bool:
        if isinstance(value, bool):
            return value
        raise _Mismatch
    if annotation is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _Mismatch
    if annotation is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        raise _Mismatch
    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Mismatch
    raise TypeError(f"unsupported annotation {annotation!r} at {path}")


MAX_INT = 2**31 - 1  # no count in a config is larger; a bigger one is a typo (and overflows C code)


def _check_number(path: str, value: Any) -> None:
    """NaN, infinities and absurdly large integers are refused for every numeric key, ranged or not."""
    for v in value if isinstance(value, tuple) else (value,):
        if isinstance(v, float) and not math.isfinite(v):
            raise MnistlabError("config.not_finite", path=path, value=v)
        if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_INT and path.split(".")[-1] != "seed":
            raise MnistlabError("config.too_large", path=path, value=v, most=MAX_INT)


def _check_range(path: str, value: Any, spec: tuple) -> None:
    lo, hi, lo_open, hi_open = spec
    values = value if isinstance(value, tuple) else (value,)
    for v in values:
        if not isinstance(v, (int, float)):
            continue
        bad = (lo is not None and (v < lo or (lo_open and v == lo))) or (
            hi is not None and (v > hi or (hi_open and v == hi)))
        if bad:
            lo_s = "" if lo is None else f"{lo} {'<' if lo_open else '<='} "
            hi_s = "" if hi is None else f" {'<' if hi_open else '<='} {hi}"
            raise MnistlabError("config.out_of_range", path=path, value=value,
                                bound=f"{lo_s}{path.split('.')[-1]}{hi_s}")


def _unknown_key(path: str, key: str, valid: list[str]) -> MnistlabError:
    where = f"{path}.{key}" if path else key
    close = difflib.get_close_matches(key, valid, n=1)
    if close:
        return MnistlabError("config.unknown_key_hint", where=where, close=close[0], valid=", ".join(valid))
    return MnistlabError("config.unknown_key", where=where, valid=", ".join(valid))


def _from_plain(cls: type, d: Any, path: str) -> Any:
    if not isinstance(d, dict):
        raise MnistlabError("config.not_a_table", where=path or "config", value=d)
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in d.items():
        if key == "type" and hasattr(cls, "type"):
            continue
        if key not in fields:
            raise _unknown_key(path, key, list(fields))
        where = f"{path}.{key}" if path else key
        annotation = hints[key]
        if dataclasses.is_dataclass(annotation):
            kwargs[key] = _from_plain(annotation, value, where)
        elif key == "layers":
            kwargs[key] = _layers_from_plain(value, where)
        else:
            try:
                kwargs[key] = _coerce(annotation, value, where)
            except _Mismatch:
                raise MnistlabError("config.wrong_type", where=where, value=value,
                                    expected=_describe(annotation)) from None
            _check_number(where, kwargs[key])
            if "range" in fields[key].metadata and kwargs[key] is not None:
                _check_range(where, kwargs[key], fields[key].metadata["range"])
    return cls(**kwargs)


def _layers_from_plain(layers: Any, path: str) -> tuple:
    if not isinstance(layers, list) or not layers:
        raise MnistlabError("config.no_layers", where=path)
    return tuple(layer_from_dict(layer, f"{path}[{i}]") for i, layer in enumerate(layers))


def layer_from_dict(layer: Any, where: str = "layer") -> LayerSpec:
    """`{"type": "conv2d", "filters": 8}` -> Conv2D(filters=8), checked like every other key."""
    kind = layer.get("type") if isinstance(layer, dict) else None
    if kind not in LAYER_TYPES:
        raise MnistlabError("config.layer_type", where=where, kind=kind, types=", ".join(LAYER_TYPES))
    return _from_plain(LAYER_TYPES[kind], layer, where)


def pair(v: IntOrPair) -> tuple[int, int]:
    """kernel_size/strides/pool_size take an int or a pair: normalise to (height, width)."""
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))
