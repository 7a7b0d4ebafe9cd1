"""Config: TOML round trip, validation messages that name the key, and precedence."""

import re
from pathlib import Path

import pytest

from mnistlab.config import Config, Conv2D, parse_assignment, parse_toml
from mnistlab.errors import MnistlabError
from mnistlab.presets import PRESETS, preset, resolve


@pytest.mark.parametrize("name", list(PRESETS))
def test_every_preset_round_trips_through_toml(name):
    cfg = preset(name)
    assert Config.from_toml(cfg.to_toml()) == cfg


def test_example_config_from_the_issue_parses():
    text = """
[data]
dataset = "mnist"
validation_size = 5000
[model]
output = "softmax"
[[model.layers]]
type = "conv2d"
filters = 32
kernel_size = 3
strides = 2
padding = "same"
activation = "relu"
[[model.layers]]
type = "flatten"
[[model.layers]]
type = "dense"
units = 10
[train]
epochs = 5
batch_size = 128
shuffle = true
optimizer = "adam"
learning_rate = 0.001
loss = "cross_entropy"
target_accuracy = 0.99
seed = 0
"""
    cfg = Config.from_toml(text)
    assert cfg.model.layers[0] == Conv2D(32, 3, 2, "same", "relu")
    assert cfg.train.target_accuracy == 0.99 and cfg.train.epochs == 5


@pytest.mark.parametrize("d, message", [
    ({"train": {"epoch": 3}}, "train.epoch: unknown key; did you mean 'epochs'?"),
    ({"trian": {}}, "trian: unknown key; did you mean 'train'?"),
    ({"train": {"epochs": "ten"}}, "train.epochs = 'ten': expected an integer"),
    ({"train": {"epochs": 0}}, "train.epochs = 0 is out of range"),
    ({"train": {"shuffle": "yes"}}, "train.shuffle = 'yes': expected true or false"),
    ({"train": {"optimizer": "adamax"}}, "train.optimizer = 'adamax': expected one of 'sgd', 'adam'"),
    ({"model": {"layers": [{"type": "conv2d", "padding": "full"}]}},
     "model.layers[0].padding = 'full': expected one of 'valid', 'same'"),
    ({"model": {"layers": [{"type": "conv2d", "kernel_size": [3, 3, 3]}]}},
     "model.layers[0].kernel_size = [3, 3, 3]: expected an integer or a pair of integers"),
    ({"model": {"layers": [{"type": "conv3d"}]}}, "model.layers[0].type = 'conv3d': expected one of conv2d"),
    ({"model": {"layers": [{"type": "dense", "unit": 10}]}}, "model.layers[0].unit: unknown key; did you mean 'units'?"),
    ({"model": {"layers": [{"type": "dropout", "rate": 1.0}]}}, "model.layers[0].rate = 1.0 is out of range"),
    ({"train": {"metrics": ["accuracy", "auc"]}}, "train.metrics = ['accuracy', 'auc']: expected a list of"),
])
def test_bad_values_name_the_key(d, message):
    with pytest.raises(MnistlabError) as e:
        Config.from_dict(d)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


def test_head_and_loss_must_fit_and_auto_follows_the_head():
    assert Config.from_dict({"model": {"output": "sigmoid"}}).train.loss == "binary_cross_entropy"
    assert Config().train.loss == "cross_entropy"
    with pytest.raises(MnistlabError, match="does not fit model.output = 'softmax'"):
        Config.from_dict({"train": {"loss": "binary_cross_entropy"}})
    with pytest.raises(MnistlabError, match="does not fit model.output = 'sigmoid'"):
        Config.from_dict({"model": {"output": "sigmoid"}, "train": {"loss": "cross_entropy"}})


def test_kernel_size_accepts_int_or_pair():
    cfg = Config.from_dict({"model": {"layers": [{"type": "conv2d", "kernel_size": [3, 5]}, {"type": "flatten"},
                                                 {"type": "dense", "units": 10}]}})
    assert cfg.model.layers[0].kernel_size == (3, 5)
    assert Config.from_toml(cfg.to_toml()) == cfg


def test_precedence_defaults_preset_file_flags(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text("[train]\nepochs = 7\nbatch_size = 32\n")
    assert resolve().train.epochs == Config().train.epochs
    assert resolve("keras-convnet").train.epochs == 15  # preset over defaults
    cfg = resolve("keras-convnet", path, {"train.batch_size": 16})
    assert cfg.train.epochs == 7  # file over preset
    assert cfg.train.batch_size == 16  # flags over file
    assert cfg.train.optimizer == "adam" and len(cfg.model.layers) == 7  # the rest from the preset


@pytest.mark.parametrize("name", PRESETS)
def test_a_sigmoid_head_on_any_preset_brings_its_loss_along(name, tmp_path):
    assert resolve(name).train.loss == "cross_entropy"
    assert resolve(name, overrides={"model.output": "sigmoid"}).train.loss == "binary_cross_entropy"
    pinned = tmp_path / "pinned.toml"  # a loss the user wrote down is still theirs, and still checked
    pinned.write_text('[train]\nloss = "cross_entropy"\n')
    with pytest.raises(MnistlabError, match="does not fit model.output = 'sigmoid'"):
        resolve(name, pinned, {"model.output": "sigmoid"})


def test_the_readme_config_is_the_defaults():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = re.search(r"## The config\n.*?```toml\n(.*?)```", readme, re.S).group(1)
    written = parse_toml(block, "README.md")
    assert Config.from_dict(written) == Config()  # every key shown has its default value, every layer its place
    assert written["train"]["loss"] == "auto"


def test_set_assignments_parse_toml_values_and_index_layers():
    assert parse_assignment("train.learning_rate=3e-3") == ("train.learning_rate", 0.003)
    assert parse_assignment("train.optimizer=sgd") == ("train.optimizer", "sgd")
    assert parse_assignment("model.layers[0].kernel_size=[3, 5]") == ("model.layers[0].kernel_size", [3, 5])
    cfg = resolve(overrides={"model.layers[0].filters": 8})
    assert cfg.model.layers[0].filters == 8
    with pytest.raises(MnistlabError, match="index 99 does not exist"):
        resolve(overrides={"model.layers[99].filters": 8})
    with pytest.raises(MnistlabError, match="expected section.key=value"):
        parse_assignment("epochs")


def test_unknown_preset_and_missing_file(tmp_path):
    with pytest.raises(MnistlabError, match="unknown model preset 'resnet'; choose one of default"):
        resolve("resnet")
    with pytest.raises(MnistlabError, match="does not exist"):
        resolve(config_file=tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[train\nepochs = 3")
    with pytest.raises(MnistlabError, match="bad.toml: not valid TOML"):
        resolve(config_file=bad)


def test_choices_are_read_without_case_and_written_in_lower_case():
    """The notes write padding='SAME' and activation='ReLU': accept them, write them back in lower case."""
    text = """
[model]
output = "Softmax"
layers = [{type = "conv2d", padding = "SAME", activation = "ReLU"}, {type = "flatten"}, {type = "dense"}]
[train]
optimizer = "Adam"
schedule = "One_Cycle"
metrics = ["Accuracy", "F1"]
"""
    cfg = Config.from_toml(text)
    conv = cfg.model.layers[0]
    assert (conv.padding, conv.activation, cfg.model.output) == ("same", "relu", "softmax")
    assert (cfg.train.optimizer, cfg.train.schedule, cfg.train.metrics) == ("adam", "one_cycle", ("accuracy", "f1"))
    assert 'padding = "same"' in cfg.to_toml() and "SAME" not in cfg.to_toml()
    assert resolve("default", None, dict([parse_assignment("model.layers[0].padding=VALID")])).model.layers[0].padding == "valid"
    with pytest.raises(MnistlabError, match="model.layers.0..padding = 'SAMEISH': expected one of 'valid', 'same'"):
        Config.from_dict({"model": {"layers": [{"type": "conv2d", "padding": "SAMEISH"}]}})
