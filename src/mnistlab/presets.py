"""Named recipes (model + training settings), and config resolution: defaults < preset < file < flags.

`default` is the dataclass defaults themselves, so "the defaults" and "the default preset" are one
thing. Each other preset reproduces a well-known script faithfully, to serve as a baseline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mnistlab.config import (
    Activation,
    AvgPool2D,
    BatchNorm,
    Config,
    Conv2D,
    DataConfig,
    Dense,
    Dropout,
    Flatten,
    GlobalAvgPool,
    MaxPool2D,
    ModelConfig,
    TrainConfig,
    auto_loss,
    merge,
    parse_toml,
    set_dotted,
)
from mnistlab.errors import MnistlabError


def _keras_convnet() -> Config:
    """keras.io/examples/vision/mnist_convnet: 34,826 parameters, Adam, batch 128, 15 epochs, pixels/255.

    Baselines run in float32, as their original scripts do."""
    layers = (
        Conv2D(32, 3, activation="relu"), MaxPool2D(2),
        Conv2D(64, 3, activation="relu"), MaxPool2D(2),
        Flatten(), Dropout(0.5), Dense(10),
    )
    return Config(DataConfig(normalize=False), ModelConfig(layers=layers),
                  TrainConfig(epochs=15, batch_size=128, optimizer="adam", learning_rate=1e-3, schedule="constant",
                              label_smoothing=0.0, precision="float32"))


def _torch_example() -> Config:
    """pytorch/examples mnist/main.py: its Net (1.2M parameters), Adadelta lr 1.0, StepLR gamma 0.7,
    batch 64, 14 epochs, normalised by the training set's mean/std (0.1307/0.3081), all 60k images."""
    layers = (
        Conv2D(32, 3, activation="relu"), Conv2D(64, 3, activation="relu"), MaxPool2D(2), Dropout(0.25),
        Flatten(), Dense(128, activation="relu"), Dropout(0.5), Dense(10),
    )
    return Config(DataConfig(validation_size=0), ModelConfig(layers=layers),
                  TrainConfig(epochs=14, batch_size=64, optimizer="adadelta", learning_rate=1.0,
                              schedule="step", step_size=1, gamma=0.7, label_smoothing=0.0, precision="float32"))


def _lenet5() -> Config:
    """LeCun et al. 1998, in modern dress: tanh, average pooling, 5x5 kernels, 61,706 parameters."""
    layers = (
        Conv2D(6, 5, padding="same", activation="tanh"), AvgPool2D(2),
        Conv2D(16, 5, activation="tanh"), AvgPool2D(2),
        Flatten(), Dense(120, activation="tanh"), Dense(84, activation="tanh"), Dense(10),
    )
    return Config(model=ModelConfig(layers=layers),
                  train=TrainConfig(epochs=10, batch_size=128, optimizer="adam", learning_rate=1e-3,
                                    schedule="constant", label_smoothing=0.0))


def _accurate() -> Config:
    """the best-accuracy recipe: a wider net, shift/rotation augmentation, 12 epochs of one-cycle Adam."""
    def block(filters, pool=False):  # conv [-> max pool] -> batchnorm -> relu (no bias: batch norm removes it)
        # a pool straight after its conv lets batch norm and relu work on a quarter of the numbers
        return (Conv2D(filters, 3, padding="same", use_bias=False), *((MaxPool2D(2),) if pool else ()),
                BatchNorm(), Activation("relu"))

    # A 5x5 conv with stride 2 first (28 -> 14: no 28x28 maps to normalise), then two convs per scale,
    # 14 -> 7; ~9.5M mult-adds per image, nearly all of them in the 3x3 convs. Widths 40/80 rather than
    # 48/96: 0.73x the arithmetic, and the same validation accuracy over two seeds (benchmarks/RESULTS.md).
    layers = (
        Conv2D(32, 5, strides=2, padding="same", use_bias=False), BatchNorm(), Activation("relu"),
        *block(40), *block(40, pool=True), *block(80), *block(80), GlobalAvgPool(), Dropout(0.3), Dense(10),
    )
    return Config(DataConfig(shift=2, rotation=10.0), ModelConfig(layers=layers),
                  TrainConfig(epochs=12, batch_size=128, optimizer="adam", learning_rate=3e-3,
                              schedule="one_cycle", label_smoothing=0.1))


def _default() -> Config:
    """this project's recipe: 99%+ on MNIST in one epoch, fast on a CPU (the config defaults)."""
    return Config()


PRESETS = {
    "default": _default,
    "keras-convnet": _keras_convnet,
    "lenet5": _lenet5,
    "torch-example": _torch_example,
    "accurate": _accurate,
}


def preset(name: str) -> Config:
    if name not in PRESETS:
        raise MnistlabError("config.unknown_preset", name=name, choices=", ".join(PRESETS))
    return PRESETS[name]()


def preset_dict(name: str) -> dict:
    """The preset as a plain dict to overlay a config file and flags on. Its loss is written back as
    "auto" when it is what "auto" picks for the preset's head (every preset today), so that
    `model.output = "sigmoid"` on top of a preset brings binary cross-entropy along instead of clashing."""
    cfg = preset(name)
    d = cfg.to_dict()
    if cfg.train.loss == auto_loss(cfg.model.output):
        d["train"]["loss"] = "auto"
    return d


def resolve(model: str | None = None, config_file: str | Path | None = None,
            overrides: dict[str, Any] | None = None) -> Config:
    """The resolved config: preset `model` (default `default`), then the TOML file, then dotted overrides."""
    d = preset_dict(model or "default")
    if config_file is not None:
        path = Path(config_file)
        if not path.is_file():
            raise MnistlabError("config.file_missing", path=path)
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as e:
            raise MnistlabError("config.file_not_utf8", path=path, byte=e.start) from None
        except OSError as e:
            raise MnistlabError("config.file_unreadable", path=path, reason=e.strerror or e) from None
        d = merge(d, parse_toml(text, str(path)))
    for key, value in (overrides or {}).items():
        set_dotted(d, key, value)
    return Config.from_dict(d)
