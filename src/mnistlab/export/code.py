"""`mnistlab code`: a config as one standalone, readable training script, in Keras 3 or plain PyTorch.

The script does what `mnistlab train` does with that config: the same data (an `idx:` folder, or a known
dataset from $MNISTLAB_DATA_DIR, `keras.datasets` or mnistlab's mirrors), the same validation split size
and normalisation, the same layers (each written by its entry in the layer registry and commented with the
arithmetic `mnistlab summary` prints), optimizer, schedule, loss and metrics, then `fit`, `evaluate` and a
printed `test accuracy`. A setting that Keras cannot express faithfully is refused, naming it.

Neither script imports mnistlab; the PyTorch one copies the source of the two modules PyTorch lacks
(`Normalize`, `AvgPoolSame`) and of the augmentation, so it runs exactly what mnistlab runs.
"""

from __future__ import annotations

import dataclasses
import inspect
import json

from mnistlab import config as C
from mnistlab.data.sources import SOURCES, STANDARD_FILES
from mnistlab.errors import MnistlabError
from mnistlab.models import LayerInfo, infer, layer
from mnistlab.models.layers import AvgPoolSame, Normalize
from mnistlab.models.registry import KerasLayer

FRAMEWORKS = ("keras", "pytorch")
KERAS_DATASETS = {"mnist": "mnist", "fashion-mnist": "fashion_mnist"}  # the ones keras.datasets has


def generate(config: C.Config, input_shape: tuple[int, int, int], num_classes: int, framework: str = "keras",
             title: str = "config") -> str:
    """The script's text. `title` names where the config came from (a preset, a file, a run)."""
    if framework not in FRAMEWORKS:
        raise MnistlabError("export.framework", framework=framework, choices=", ".join(FRAMEWORKS))
    if config.data.dataset.startswith("folder:"):
        raise MnistlabError("export.folder_dataset", dataset=config.data.dataset)
    modules, infos = infer(config.model, input_shape, num_classes)
    if framework == "keras":
        check_keras(config)
        return _keras_script(config, infos, input_shape, num_classes, title)
    return _torch_script(config, modules, infos, input_shape, num_classes, title)


def check_keras(config: C.Config) -> None:
    """Refuse, in one line naming the setting, what Keras cannot do the way mnistlab does it."""
    tc = config.train
    if tc.weight_decay and tc.optimizer != "adamw":
        raise MnistlabError("export.keras_weight_decay", weight_decay=tc.weight_decay, optimizer=tc.optimizer)
    for metric in ("precision", "recall"):
        if metric in tc.metrics:
            raise MnistlabError("export.keras_metric", metric=metric, keras_metric=metric.capitalize())


# ------------------------------------------------------------------------------------------------
# Pieces both scripts share
# ------------------------------------------------------------------------------------------------


def _py(value) -> str:
    """A Python literal in the notes' style (double-quoted strings)."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _comment(info: LayerInfo) -> str:
    """The arithmetic behind a layer's output, e.g. "28 -> 14: same: ceil(28/2) = 14"."""
    (i, o) = info.input_shape, info.output_shape
    if info.arithmetic and len(o) == 3:
        sizes = [f"{s[1]}" if s[1] == s[2] else f"{s[1]}x{s[2]}" for s in (i, o)]
        return f"{sizes[0]} -> {sizes[1]}: {', '.join(info.arithmetic)}"
    if info.arithmetic:
        return ", ".join(info.arithmetic)
    if info.type == "dense":
        return f"{i[0]} -> {o[0]}"
    return ""


def _lines(code_and_comments: list[tuple[str, str]], indent: str = "    ") -> str:
    """`code,  # comment` lines, comments aligned."""
    width = min(max(len(code) for code, _ in code_and_comments) + 1, 64)  # long lines: comment right after
    return "\n".join(f"{indent}{code + ',':<{width}}  # {comment}" if comment else f"{indent}{code},"
                     for code, comment in code_and_comments)


def _data(config: C.Config, framework: str) -> str:
    """Loading the dataset as numpy arrays (x_train, y_train), (x_test, y_test), N x H x W uint8."""
    dataset, data_dir = config.data.dataset, config.data.data_dir
    files = ", ".join(_py(f) for f in STANDARD_FILES.values())
    head = f'''FILES = ({files})


def read_idx(path):
    """An IDX file (gzipped or not) as a numpy array: 4 magic bytes, a big-endian uint32 per dimension, the bytes."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\\x1f\\x8b":
        data = gzip.decompress(data)
    ndim = data[3]
    shape = np.frombuffer(data, ">u4", ndim, 4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def load_idx(folder):
    """(x_train, y_train), (x_test, y_test) from the four MNIST-named IDX files in `folder`."""
    paths = [os.path.join(folder, f if os.path.exists(os.path.join(folder, f)) else f[:-3]) for f in FILES]
    x_train, y_train, x_test, y_test = (read_idx(path) for path in paths)
    return (x_train, y_train), (x_test, y_test)
'''
    if dataset.startswith("idx:"):
        return head + f"\n\n(x_train, y_train), (x_test, y_test) = load_idx({_py(dataset[4:])})\n"
    name = dataset.lower().replace("_", "-")
    if framework == "keras" and name in KERAS_DATASETS:
        fallback = f"keras.datasets.{KERAS_DATASETS[name]}.load_data()"
        download = ""
    else:
        mirrors = ", ".join(_py(m) for m in SOURCES[name].mirrors)
        fallback = f"load_idx(download({_py(name)}, [{mirrors}]))"
        download = '''

def download(name, mirrors):
    """The four files into ~/.cache/mnistlab-scripts/NAME, each from the first mirror that answers."""
    folder = os.path.join(os.path.expanduser("~"), ".cache", "mnistlab-scripts", name)
    os.makedirs(folder, exist_ok=True)
    for f in FILES:
        path = os.path.join(folder, f)
        for mirror in mirrors:
            if os.path.exists(path):
                break
            try:
                urllib.request.urlretrieve(mirror + f, path)
            except OSError as e:
                print(f"{mirror + f}: {e}")
    return folder
'''
    return head + download + f'''

# A folder holding the four IDX files (as `mnistlab train --data-dir` reads them), else a download.
DATA_DIR = os.environ.get("MNISTLAB_DATA_DIR"{", " + _py(data_dir) if data_dir else ""})
if DATA_DIR:
    (x_train, y_train), (x_test, y_test) = load_idx(DATA_DIR)
else:
    (x_train, y_train), (x_test, y_test) = {fallback}
'''


def _urllib(data: str) -> str:
    return "import urllib.request\n" if "urllib.request." in data else ""


def _docstring(title: str, framework: str, config: C.Config) -> str:
    run = "KERAS_BACKEND=torch python SCRIPT.py  (or jax, tensorflow)" if framework == "keras" else \
        "python SCRIPT.py  (needs torch, numpy and matplotlib; not mnistlab)"
    return f'''"""{title} as a {"Keras 3" if framework == "keras" else "PyTorch"} script, written by `mnistlab code`.

Run it: {run}
It trains what `mnistlab train` trains with this config ({config.data.dataset}, epochs {config.train.epochs},
batch_size {config.train.batch_size}, {config.train.optimizer}, {config.train.schedule} schedule), then prints
the test accuracy. Each layer's comment is the arithmetic `mnistlab summary` prints for it.
"""'''


# ------------------------------------------------------------------------------------------------
# Keras
# ------------------------------------------------------------------------------------------------


def keras_layers(model_cfg: C.ModelConfig) -> list[list[KerasLayer]]:
    """The Keras layers of each declared layer; the last one (the logits) ends with the head, as the notes'
    models do: Dense(10, activation="softmax")."""
    specs = list(model_cfg.layers)
    specs[-1] = dataclasses.replace(specs[-1], activation=model_cfg.output)
    return [layer(spec.type).keras(spec) for spec in specs]


def keras_code(k: KerasLayer) -> str:
    return f"keras.layers.{k.name}({', '.join(f'{key}={_py(v)}' for key, v in k.kwargs.items())})"


def _steps_line(tc: C.TrainConfig) -> str:
    """How many batches an epoch trains on, as both scripts define it."""
    if tc.steps_per_epoch is None:
        return "steps_per_epoch = math.ceil(len(x_train) / BATCH_SIZE)"
    return (f"steps_per_epoch = min({tc.steps_per_epoch}, math.ceil(len(x_train) / BATCH_SIZE))  "
            "# train.steps_per_epoch: part of the shuffled set")


def _keras_schedule(tc: C.TrainConfig) -> tuple[str, str]:
    """(definitions, the learning_rate line)."""
    total = "steps_per_epoch * EPOCHS"
    if tc.schedule == "constant":
        return "", "learning_rate = LEARNING_RATE"
    if tc.schedule == "step":  # lr * gamma ** (step // decay_steps): PyTorch's StepLR, counted in steps
        return "", (f"learning_rate = keras.optimizers.schedules.ExponentialDecay(\n    LEARNING_RATE, "
                    f"decay_steps=steps_per_epoch * {tc.step_size}, decay_rate={tc.gamma}, staircase=True)")
    if tc.schedule == "cosine":
        return "", f"learning_rate = keras.optimizers.schedules.CosineDecay(LEARNING_RATE, decay_steps={total})"
    return '''class OneCycle(keras.optimizers.schedules.LearningRateSchedule):
    """mnistlab's one_cycle: from peak/25 up to peak over the first `warmup` of training, then down to 0."""

    def __init__(self, peak, total_steps, warmup):
        self.peak, self.total_steps, self.warmup = peak, total_steps, warmup

    def __call__(self, step):
        t = keras.ops.minimum(keras.ops.cast(step, "float32") / self.total_steps, 1.0)
        up = 0.04 + 0.96 * t / self.warmup
        down = keras.ops.maximum(0.0, (1.0 - t) / (1.0 - self.warmup))
        return self.peak * keras.ops.where(t < self.warmup, up, down)''', \
        f"learning_rate = OneCycle(LEARNING_RATE, {total}, warmup={tc.warmup})"


def _keras_optimizer(tc: C.TrainConfig) -> str:
    # PyTorch's defaults where Keras' differ: epsilon 1e-8 (Keras 1e-7), RMSprop's rho 0.99 (Keras 0.9).
    args = {
        "sgd": f"momentum={tc.momentum}, nesterov={tc.nesterov and tc.momentum > 0}",
        "adam": f"beta_1={tc.beta_1}, beta_2={tc.beta_2}, epsilon=1e-8",
        "adamw": f"beta_1={tc.beta_1}, beta_2={tc.beta_2}, epsilon=1e-8, weight_decay={tc.weight_decay}",
        "rmsprop": f"rho=0.99, momentum={tc.momentum}, epsilon=1e-8",
        "adadelta": f"rho={tc.rho}, epsilon=1e-6",
    }[tc.optimizer]
    name = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "adadelta": "Adadelta"}[tc.optimizer]
    return f"optimizer = keras.optimizers.{name}(learning_rate, {args})"


def _keras_loss(tc: C.TrainConfig) -> tuple[str, str]:
    """(definitions, the loss line)."""
    smoothing = f"label_smoothing={tc.label_smoothing}" if tc.label_smoothing else ""
    if tc.loss == "cross_entropy":
        return "", f"loss = keras.losses.CategoricalCrossentropy({smoothing})"
    return f'''def binary_cross_entropy(y_true, y_pred):
    """Binary cross-entropy summed over the classes, as mnistlab sums it (Keras' averages them)."""
    return NUM_CLASSES * keras.losses.binary_crossentropy(y_true, y_pred{", " + smoothing if smoothing else ""})''', \
        "loss = binary_cross_entropy"


def _keras_metrics(tc: C.TrainConfig, num_classes: int) -> str:
    k = min(5, num_classes)
    table = {
        "accuracy": 'keras.metrics.CategoricalAccuracy(name="accuracy")',  # argmax, for either head
        "top5_accuracy": f'keras.metrics.TopKCategoricalAccuracy(k={k}, name="top{k}_accuracy")',
        "f1": 'keras.metrics.F1Score(average="macro", name="f1")',  # threshold None: the argmax class
    }
    names = dict.fromkeys(("accuracy", *tc.metrics))  # accuracy is always reported, as mnistlab does
    return "[" + ", ".join(table[m] for m in names) + "]"


def _keras_augmentation(dc: C.DataConfig, input_shape) -> list[tuple[str, str]]:
    lines = []
    if dc.shift:
        h, w = input_shape[1:]
        lines.append((f'keras.layers.RandomTranslation({dc.shift / h!r}, {dc.shift / w!r}, fill_mode="constant")',
                      f"shifts up to {dc.shift} pixels (continuous; mnistlab shifts by whole pixels)"))
    if dc.rotation:
        lines.append((f'keras.layers.RandomRotation({dc.rotation / 360!r}, fill_mode="constant")',
                      f"rotations up to {dc.rotation:g} degrees"))
    return lines


def _keras_script(config: C.Config, infos: list[LayerInfo], input_shape, num_classes: int, title: str) -> str:
    dc, tc = config.data, config.train
    c, h, w = input_shape
    rows = [(f"keras.Input(shape=({h}, {w}, {c}))", "channels last: N x H x W x C, pixels in 0..1")]
    rows += _keras_augmentation(dc, input_shape)
    if dc.normalize:
        rows.append(("keras.layers.Normalization(mean=mean, variance=std**2)", "(x - mean) / std, as mnistlab does"))
    for info, group in zip(infos, keras_layers(config.model)):
        comment = _comment(info)
        if info.index == len(infos) - 1:
            comment = f"{comment}; the head: {config.model.output} probabilities"
        rows += [(keras_code(k), comment if j == 0 else "") for j, k in enumerate(group)]
    val = dc.validation_size
    split = f'''
# Hold out {val} random training images for validation (numpy's generator: as many as mnistlab holds out,
# though not the same ones; the PyTorch script reproduces mnistlab's exact split).
order = np.random.default_rng(0).permutation(len(x_train))
x_val, y_val = x_train[np.sort(order[:{val}])], y_train[np.sort(order[:{val}])]
x_train, y_train = x_train[np.sort(order[{val}:])], y_train[np.sort(order[{val}:])]
x_val = x_val[..., None].astype("float32") / 255''' if val else ""
    stats = '''
mean, std = x_train.mean(axis=(0, 1, 2)), x_train.std(axis=(0, 1, 2), ddof=1)  # per channel''' if dc.normalize else ""
    target = f'''

class StopAtAccuracy(keras.callbacks.Callback):
    """Stop once {'val_' if val else ''}accuracy reaches {tc.target_accuracy} (mnistlab's train.target_accuracy)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs["{'val_' if val else ''}accuracy"] >= {tc.target_accuracy}:
            self.model.stop_training = True
''' if tc.target_accuracy is not None else ""
    (schedule_def, schedule), (loss_def, loss) = _keras_schedule(tc), _keras_loss(tc)
    defs = "".join(d + "\n\n\n" for d in (schedule_def, loss_def) if d)
    data = _data(config, "keras")
    return f'''{_docstring(title, "keras", config)}

import gzip
import math
import os
{_urllib(data)}
import numpy as np
import matplotlib.pyplot as plt
import keras

EPOCHS = {tc.epochs}
BATCH_SIZE = {tc.batch_size}
LEARNING_RATE = {tc.learning_rate}
NUM_CLASSES = {num_classes}
keras.utils.set_random_seed({tc.seed})

# -- the data -------------------------------------------------------------------------------------
{data}{split}
x_train = x_train[..., None].astype("float32") / 255  # N x H x W x 1, pixels in 0..1
x_test = x_test[..., None].astype("float32") / 255{stats}

# -- the network ----------------------------------------------------------------------------------
model = keras.Sequential([
{_lines(rows)}
])
model.summary()  # Keras also counts batch norm's moving mean and variance (not trained) in its total
trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
print(f"trainable parameters: {{trainable:,}} (mnistlab summary: {sum(i.params for i in infos):,})")

# -- training -------------------------------------------------------------------------------------
{defs}{_steps_line(tc)}
{schedule}
{_keras_optimizer(tc)}
{loss}
model.compile(optimizer=optimizer, loss=loss, metrics={_keras_metrics(tc, num_classes)}){target}

history = model.fit(
    x_train, keras.utils.to_categorical(y_train, NUM_CLASSES), epochs=EPOCHS, batch_size=BATCH_SIZE,
    shuffle={tc.shuffle},{"" if tc.steps_per_epoch is None else " steps_per_epoch=steps_per_epoch,"}{"""
    validation_data=(x_val, keras.utils.to_categorical(y_val, NUM_CLASSES)),""" if val else ""}{"""
    callbacks=[StopAtAccuracy()],""" if target else ""}
)
results = model.evaluate(x_test, keras.utils.to_categorical(y_test, NUM_CLASSES), batch_size={tc.eval_batch_size},
                         return_dict=True, verbose=0)
print(f"test accuracy {{results['accuracy']:.4f}}  test loss {{results['loss']:.4f}}")

for key in ("accuracy", "val_accuracy"):
    if key in history.history:
        plt.plot(range(1, len(history.history[key]) + 1), history.history[key], marker="o", label=key)
plt.xlabel("epoch")
plt.legend()
plt.savefig("training-curves.png")
'''


# ------------------------------------------------------------------------------------------------
# PyTorch
# ------------------------------------------------------------------------------------------------


def _torch_optimizer(tc: C.TrainConfig) -> str:
    lr, wd = tc.learning_rate, tc.weight_decay
    return "optimizer = " + {
        "sgd": f"torch.optim.SGD(model.parameters(), lr={lr}, momentum={tc.momentum}, "
               f"nesterov={tc.nesterov and tc.momentum > 0}, weight_decay={wd})",
        "adam": f"torch.optim.Adam(model.parameters(), lr={lr}, betas=({tc.beta_1}, {tc.beta_2}), weight_decay={wd})",
        "adamw": f"torch.optim.AdamW(model.parameters(), lr={lr}, betas=({tc.beta_1}, {tc.beta_2}), weight_decay={wd})",
        "rmsprop": f"torch.optim.RMSprop(model.parameters(), lr={lr}, momentum={tc.momentum}, weight_decay={wd})",
        "adadelta": f"torch.optim.Adadelta(model.parameters(), lr={lr}, rho={tc.rho}, weight_decay={wd})",
    }[tc.optimizer]


def _torch_schedule(tc: C.TrainConfig) -> str:
    body = {
        "constant": "return 1.0",
        "step": f"return {tc.gamma} ** (step // (steps_per_epoch * {tc.step_size}))",
        "cosine": "return 0.5 * (1.0 + math.cos(math.pi * min(step / (steps_per_epoch * EPOCHS), 1.0)))",
        "one_cycle": f"""t = min(step / (steps_per_epoch * EPOCHS), 1.0)  # from lr/25 up to lr, then down to 0
    return 0.04 + 0.96 * t / {tc.warmup} if t < {tc.warmup} else max(0.0, (1.0 - t) / (1.0 - {tc.warmup}))""",
    }[tc.schedule]
    return f'''def lr_factor(step):
    """The learning rate's multiplier at optimizer step `step`: mnistlab's {tc.schedule} schedule."""
    {body}'''


def _torch_loss(tc: C.TrainConfig) -> str:
    ls = tc.label_smoothing
    if tc.loss == "cross_entropy":
        return f'''def loss_fn(logits, labels):
    return F.cross_entropy(logits, labels{f", label_smoothing={ls}" if ls else ""})'''
    smooth = f" * {1 - ls!r} + {0.5 * ls!r}" if ls else ""
    return f'''def loss_fn(logits, labels):
    """Binary cross-entropy on one-hot targets, summed over the classes: each class is a yes/no question."""
    target = F.one_hot(labels, NUM_CLASSES).float(){smooth}
    return F.binary_cross_entropy_with_logits(logits, target, reduction="none").sum(1).mean()'''


def _torch_script(config: C.Config, modules, infos: list[LayerInfo], input_shape, num_classes: int,
                  title: str) -> str:
    from mnistlab.data.augment import augment  # its source is copied into the script

    dc, tc = config.data, config.train
    rows = [("Normalize(mean, std)", "(x - mean) / std, as mnistlab does")] if dc.normalize else []
    for info, module in zip(infos, modules):
        lines = layer(info.type).torch_code(module) or ["nn.Identity()"]
        rows += [(line, _comment(info) if j == 0 else "") for j, line in enumerate(lines)]
    helpers = [inspect.getsource(Normalize)] if dc.normalize else []
    if any("AvgPoolSame(" in code for code, _ in rows):
        helpers.append(inspect.getsource(AvgPoolSame))
    augmenting = bool(dc.shift or dc.rotation)
    if augmenting:
        helpers.append(inspect.getsource(augment))
    val, data = dc.validation_size, _data(config, "pytorch")
    target = f'''
    if {'val_accuracy' if val else 'accuracy(x_train, y_train)'} >= {tc.target_accuracy}:  # train.target_accuracy
        break''' if tc.target_accuracy is not None else ""
    return f'''{_docstring(title, "pytorch", config)}

import gzip
import math
import os
{_urllib(data)}
import numpy as np
import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

EPOCHS = {tc.epochs}
BATCH_SIZE = {tc.batch_size}
NUM_CLASSES = {num_classes}

# -- the data -------------------------------------------------------------------------------------
{data}
x_train, y_train = torch.from_numpy(x_train.copy()).unsqueeze(1), torch.from_numpy(y_train.astype(np.int64))
x_test, y_test = torch.from_numpy(x_test.copy()).unsqueeze(1), torch.from_numpy(y_test.astype(np.int64))
# Hold out {val} random training images for validation: the same ones mnistlab holds out.
order = torch.randperm(len(x_train), generator=torch.Generator().manual_seed(0))
val_idx, train_idx = order[:{val}].sort().values, order[{val}:].sort().values
x_val, y_val, x_train, y_train = x_train[val_idx], y_train[val_idx], x_train[train_idx], y_train[train_idx]
pixels = x_train.float().div(255).transpose(0, 1).reshape(x_train.shape[1], -1)  # C x (N*H*W), 0..1
mean, std = pixels.mean(1).tolist(), pixels.std(1).clamp(min=1e-6).tolist()


# -- the network (PyTorch pads SAME explicitly where TensorFlow puts the odd pixel bottom/right) -----
{(chr(10) * 3).join(h.rstrip() for h in helpers)}


torch.manual_seed({tc.seed})
model = nn.Sequential(
{_lines(rows)}
)
print(model)
print(f"{{sum(p.numel() for p in model.parameters()):,}} parameters (mnistlab summary: {sum(i.params for i in infos):,})")

# -- training -------------------------------------------------------------------------------------
{_steps_line(tc)}
{_torch_optimizer(tc)}


{_torch_schedule(tc)}


schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)


{_torch_loss(tc)}


def accuracy(images, labels):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(images[i:i + {tc.eval_batch_size}].float() / 255)
                            for i in range(0, len(images), {tc.eval_batch_size})])
    return (logits.argmax(1) == labels).float().mean().item()

{"generator = torch.Generator().manual_seed(" + str(tc.seed) + ")  # the augmentation's randomness" if augmenting else ""}
history = []
for epoch in range(1, EPOCHS + 1):
    model.train()
    order = torch.randperm(len(x_train)) if {tc.shuffle} else torch.arange(len(x_train))
    for i in range(0, steps_per_epoch * BATCH_SIZE, BATCH_SIZE):
        batch = order[i:i + BATCH_SIZE]
        x = x_train[batch].float() / 255  # N x C x H x W, pixels in 0..1{f"""
        x = augment(x, {dc.shift}, {dc.rotation}, generator)""" if augmenting else ""}
        loss = loss_fn(model(x), y_train[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    {"val_accuracy = accuracy(x_val, y_val)" if val else "val_accuracy = float('nan')"}
    history.append(val_accuracy)
    print(f"epoch {{epoch}}: loss {{loss.item():.4f}} val_accuracy {{val_accuracy:.4f}}"){target}

print(f"test accuracy {{accuracy(x_test, y_test):.4f}}")

plt.plot(range(1, len(history) + 1), history, marker="o", label="val_accuracy")
plt.xlabel("epoch")
plt.legend()
plt.savefig("training-curves.png")
'''
