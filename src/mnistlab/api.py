"""The public API behind `import mnistlab as ml`: the notes' workflow, one function per step.

Each function takes explicit arguments and returns an object; nothing is only printed. The objects
show themselves in Jupyter (`_repr_html_`, see `mnistlab.display`), `str(obj)` is the text the CLI
prints, and `repr(obj)` is one short line. The functions wrap the library functions the CLI calls, so a
notebook and `mnistlab ...` compute the same things.

    dataset     load_dataset (mnistlab.data), show_samples
    model       preset -> Config; summary -> Summary
    training    fit -> Run (mnistlab.runfolder); open_run; plot_curves
    judging     evaluate -> Evaluation; plot_confusion
    using       predict -> Predictions; plot_predictions
    explaining  plot_filters, plot_feature_maps, report (the HTML page), compare -> Comparison

torch and matplotlib are imported inside the functions, when they are needed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnistlab import presets
from mnistlab.config import Config
from mnistlab.display import inline
from mnistlab.errors import MnistlabError
from mnistlab.runfolder import Run

if TYPE_CHECKING:  # imported for the annotations only: they cost torch and matplotlib
    from matplotlib.figure import Figure

    from mnistlab.data import Dataset

RunLike = Run | str | Path  # a Run, or the path of its folder


# -- data --------------------------------------------------------------------------------------------
def show_samples(dataset: Dataset, n: int = 16, split: str = "train", seed: int = 0) -> Figure:
    """A matplotlib Figure of `n` random images of `split` with their class names (as `mnistlab data show`)."""
    from mnistlab.data.dataset import sample_figure

    return inline(sample_figure(dataset, n, split, seed))


# -- the model -------------------------------------------------------------------------------------
def preset(name: str = "default", *, layers: Iterable | None = None, output: str | None = None) -> Config:
    """A recipe (model + training settings) to start from: the preset `name`, optionally with your own
    `layers` (ml.Conv2D, ml.MaxPool2D, ..., ending in ml.Dense(units=classes)) and head (`output`:
    "softmax" or "sigmoid"; the loss follows it). Checked as a config file would be."""
    config = presets.preset(name)
    model, train = config.model, config.train
    if layers is not None:
        model = dataclasses.replace(model, layers=tuple(layers))
    if output is not None:
        model, train = dataclasses.replace(model, output=output), dataclasses.replace(train, loss="auto")
    return Config.from_dict(dataclasses.replace(config, model=model, train=train).to_dict())


@dataclass(frozen=True, repr=False)
class Summary:
    """Every layer's output shape, the arithmetic that gives it, parameters and mult-adds (Keras' summary)."""

    data: dict  # `mnistlab summary --json`

    @property
    def layers(self) -> list[dict]:
        return self.data["layers"]

    @property
    def total_params(self) -> int:
        return self.data["total_params"]

    @property
    def total_macs(self) -> int:
        return self.data["total_macs"]

    def __str__(self) -> str:
        from mnistlab.models import format_summary

        return format_summary(self.data)

    def __repr__(self) -> str:
        shape = "x".join(map(str, self.data["input_shape"]))
        out = "x".join(map(str, self.layers[-1]["output_shape"]))
        return (f"Summary({len(self.layers)} layers, {shape} -> {out} {self.data['output']}, "
                f"{self.total_params:,} params, {self.total_macs:,} mult-adds)")

    def _repr_html_(self) -> str:
        from mnistlab.display import summary_html

        return summary_html(self.data)


def summary(model: Config | RunLike, dataset: Dataset | None = None) -> Summary:
    """The summary of a config or a run. The input shape and class count are the run's, else `dataset`'s,
    else MNIST's (1 x 28 x 28, 10 classes)."""
    from mnistlab.models import summarize

    if isinstance(model, Config):
        config = model
        if dataset is not None:
            shape, classes = dataset.input_shape, dataset.num_classes
        else:
            shape, classes = (3 if config.data.color == "rgb" else 1, 28, 28), 10
    else:
        run = _run(model)
        config, shape, classes = run.config, run.input_shape, len(run.classes)
    return Summary(summarize(config.model, shape, classes))


# -- training --------------------------------------------------------------------------------------
def fit(config: Config, dataset: Dataset | None = None, *, out: str | Path | None = None, epochs: int | None = None,
        batch_size: int | None = None, shuffle: bool | None = None, target_accuracy: float | None = None,
        learning_rate: float | None = None, optimizer: str | None = None, seed: int | None = None,
        device: str | None = None, progress: bool = True, callbacks: Iterable = (), lang: str = "en") -> Run:
    """Train `config` on `dataset` (a loaded Dataset; default: the config's data.dataset, loaded) and return
    the run folder it wrote, `out` (default runs/<timestamp>). The keyword settings override the config's
    `train` section; training stops early once validation accuracy reaches `target_accuracy`. `lang`
    ("en" or "ko") is the language of the progress lines and of the errors that refuse or stop the run."""
    from mnistlab.train import default_run_dir
    from mnistlab.train import fit as train

    settings = {"epochs": epochs, "batch_size": batch_size, "shuffle": shuffle, "target_accuracy": target_accuracy,
                "learning_rate": learning_rate, "optimizer": optimizer, "seed": seed, "device": device}
    overrides = {f"train.{key}": value for key, value in settings.items() if value is not None}
    if dataset is not None:
        overrides["data.dataset"] = dataset.name  # config.toml says what the run was trained on
    config = config.replace(**overrides)
    out = Path(out) if out is not None else default_run_dir()
    train(config, out, dataset=dataset, progress=progress, callbacks=callbacks, lang=lang)
    return Run.open(out)


def open_run(path: str | Path) -> Run:
    """A run folder that `fit` or `mnistlab train` wrote."""
    return Run.open(path)


def plot_curves(run: RunLike) -> Figure:
    """A matplotlib Figure of the run's loss, accuracy and learning rate per epoch (and per logged step)."""
    from mnistlab.report.run_report import curves

    run = _run(run)
    return inline(curves(run, run.metrics(), run.result() or {}))


# -- judging ---------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Evaluation:
    """Loss, accuracy, top-k, per-class precision/recall/F1 and the confusion matrix of a run on one split."""

    run: str
    dataset: str
    split: str
    metrics: dict  # all of it, as `mnistlab evaluate --json` gives it; the headline numbers below
    accuracy: float = dataclasses.field(init=False)
    loss: float = dataclasses.field(init=False)
    per_class: list[dict] = dataclasses.field(init=False)  # precision, recall, f1, support per class
    confusion_matrix: list[list[int]] = dataclasses.field(init=False)  # [true][predicted] counts

    def __post_init__(self):
        for name in ("accuracy", "loss", "per_class", "confusion_matrix"):
            object.__setattr__(self, name, self.metrics[name])

    @property
    def title(self) -> str:
        return f"run {self.run} on {self.dataset} ({self.split} split)"

    def __str__(self) -> str:
        from mnistlab.evaluate import format_evaluation

        return format_evaluation(self.metrics, self.title)

    def __repr__(self) -> str:
        return (f"Evaluation({self.title}: accuracy {self.accuracy:.4f}, loss {self.loss:.4f}, "
                f"{self.metrics['count']:,} images)")

    def _repr_html_(self) -> str:
        from mnistlab.display import evaluation_html

        return evaluation_html(self.metrics, self.title)


def evaluate(run: RunLike, dataset: Dataset | None = None, split: str = "test", device: str = "cpu") -> Evaluation:
    """Judge a trained run on `split` ("test", or "val"/"train": the run's own validation split and the
    rest) of `dataset` (default: the run's own dataset, loaded). The loss includes the run's
    train.label_smoothing, as Keras' `evaluate` includes the compiled loss's."""
    from mnistlab.data import split_validation
    from mnistlab.device import select_device
    from mnistlab.evaluate import evaluate as judge

    run = _run(run)
    ds = _dataset(run, dataset)
    if split == "test":
        images, labels = ds.test_images, ds.test_labels
    elif split in ("train", "val"):
        train, val = split_validation(ds.train_images, ds.train_labels, run.meta.validation_size)
        images, labels = train if split == "train" else val
        if len(images) == 0:
            raise MnistlabError("api.no_validation", run=run.name)
    else:
        raise MnistlabError("api.unknown_split", split=split)
    tc = run.config.train
    metrics = judge(run.load_model(select_device(device)), images, labels, tc.loss, run.classes, tc.eval_batch_size,
                    label_smoothing=tc.label_smoothing)  # the loss the run trained on and reported
    return Evaluation(run.name, ds.name, split, metrics)


def plot_confusion(evaluation: Evaluation) -> Figure:
    """A matplotlib Figure of the confusion matrix (log colour scale, so single mistakes show)."""
    from mnistlab.report.figures import confusion_figure

    classes = [r["class"] for r in evaluation.per_class]
    return inline(confusion_figure(evaluation.confusion_matrix, classes, f"{evaluation.title}: confusion matrix"))


# -- using -----------------------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class Predictions:
    """What a run answers for some images, under its head (softmax: sums to 1; sigmoid: each class 0..1)."""

    run: str
    head: str
    class_names: tuple[str, ...]
    names: tuple[str, ...]  # one per image: its file name, or "image i"
    inputs: np.ndarray  # uint8 [N, C, H, W]: each image as the network saw it (prepared like MNIST)
    probabilities: np.ndarray  # float [N, classes]
    top: tuple[list[dict], ...]  # per image, the most probable classes: {"class", "index", "probability"}

    @property
    def predicted(self) -> list[str]:
        """The most probable class of each image."""
        return [t[0]["class"] for t in self.top]

    def __len__(self) -> int:
        return len(self.names)

    def __str__(self) -> str:
        from mnistlab.predict import format_predictions

        return format_predictions([{"image": n, "head": self.head, "top": t} for n, t in zip(self.names, self.top)])

    def __repr__(self) -> str:
        shown = ", ".join(f"{t[0]['class']} ({t[0]['probability']:.1%})" for t in self.top[:5])
        more = f", ... {len(self) - 5} more" if len(self) > 5 else ""
        return f"Predictions({len(self)} image{'' if len(self) == 1 else 's'}, {self.head}: {shown}{more})"

    def _repr_html_(self) -> str:
        from mnistlab.display import predictions_html

        return predictions_html(self)


def predict(run: RunLike, images, *, top: int = 3, device: str = "cpu") -> Predictions:
    """Classify images: one or a list of file paths, PIL images or arrays; or a batch array/tensor
    (N x H x W, N x H x W x C or N x C x H x W). Each is prepared as the run's training images were
    (for MNIST: white ink on black, cropped to the ink, fitted in 20x20 and centred, as `mnistlab predict`)."""
    from mnistlab.device import select_device
    from mnistlab.predict import predict_arrays, top_classes

    run = _run(run)
    items, names = _images(images)
    if not items:
        raise MnistlabError("api.no_images")
    inputs = np.stack([run.meta.to_input(item) for item in items])
    probs = predict_arrays(run.load_model(select_device(device)), inputs, run.output).numpy()
    return Predictions(run.name, run.output, tuple(run.classes), tuple(names), inputs, probs,
                       tuple(top_classes(p, run.classes, top) for p in probs))


def plot_predictions(predictions: Predictions) -> Figure:
    """A matplotlib Figure: each image as the network saw it beside the head's output for every class."""
    from mnistlab.report.figures import probabilities_figure

    p = predictions
    return inline(probabilities_figure(p.inputs, p.probabilities, list(p.class_names), p.head, list(p.names),
                                       [None] * len(p)))


# -- explaining ------------------------------------------------------------------------------------
def plot_filters(run: RunLike, layer: int | None = None) -> Figure:
    """A matplotlib Figure of a conv2d layer's learned kernels (`layer`: its index; default the first conv2d)."""
    import torch

    from mnistlab.report.figures import filters_figure

    model = _run(run).load_model()
    convs = [i.index for i in model.infos if i.type == "conv2d"]
    if not convs:
        raise MnistlabError("api.no_conv")
    if layer is None:
        layer = convs[0]
    if layer not in convs:
        raise MnistlabError("api.not_conv", layer=layer, convs=convs)
    conv = next(m for m in model.layers[layer].modules() if isinstance(m, torch.nn.Conv2d))
    return inline(filters_figure(conv.weight.detach().float().cpu().numpy(), f"layer {layer} conv2d"))


def plot_feature_maps(run: RunLike, image) -> Figure:
    """A matplotlib Figure of what each conv and pooling layer outputs for one image (a path, PIL image or
    array, prepared as `predict` prepares it), drawn at one scale so that strides visibly shrink the maps."""
    from mnistlab.evaluate import probabilities
    from mnistlab.report.figures import feature_maps_figure
    from mnistlab.report.run_report import sample_maps

    run = _run(run)
    items, names = _images(image)
    if len(items) != 1:
        raise MnistlabError("api.one_image", n=len(items))
    pixels = run.meta.to_input(items[0])
    stages, logits = sample_maps(run.load_model(), run.config.model.layers, pixels[None])
    probs = probabilities(logits, run.output)[0]
    best = int(probs.argmax())
    title = f"{names[0]}  ->  predicted {run.classes[best]} ({probs[best]:.1%})"
    return inline(feature_maps_figure(pixels, [(label, maps[0]) for label, maps in stages], title))


def report(run: RunLike, out: str | Path | None = None, *, dataset: Dataset | None = None,
           images: Iterable[str | Path] = (), device: str = "cpu", lang: str = "en") -> Path:
    """Write the run's HTML report (RUN/report/report.html, or OUT/report.html) and return its path:
    curves, per-class metrics, confusion matrix, mistakes, filters and feature maps (`images`: files whose
    feature maps to show instead of one test image per class; `lang`: "en" or "ko", the page's language)."""
    from mnistlab.report import write_report

    run = _run(run)
    return write_report(run.path, out, dataset=_dataset(run, dataset) if dataset is not None else None,
                        images=list(images), device=device, lang=lang)


@dataclass(frozen=True, repr=False)
class Comparison:
    """Runs side by side: the settings that differ, each run's results and their validation curves."""

    data: dict  # `report.compare_runs`' plain data

    @property
    def runs(self) -> list[str]:
        return self.data["runs"]

    def write(self, out: str | Path) -> Path:
        """OUT/compare.html and its PNG (what `mnistlab compare` writes); returns the page's path."""
        from mnistlab.report import write_comparison

        return write_comparison(self.data, out)

    def __str__(self) -> str:
        from mnistlab.report import format_comparison

        return format_comparison(self.data)

    def __repr__(self) -> str:
        return f"Comparison({', '.join(self.runs)}: {len(self.data['settings'])} settings differ)"

    def _repr_html_(self) -> str:
        from mnistlab.display import comparison_html

        return comparison_html(self.data)


def compare(runs: Iterable[RunLike]) -> Comparison:
    """Compare two or more runs."""
    from mnistlab.report import compare_runs

    return Comparison(compare_runs([_run(r).path for r in runs]))


# -- helpers ---------------------------------------------------------------------------------------
def _run(run: RunLike) -> Run:
    return run if isinstance(run, Run) else Run.open(run)


def _dataset(run: Run, dataset: Dataset | None) -> Dataset:
    """`dataset` if it fits the run (same classes and image shape), else the run's own, loaded."""
    if dataset is None:
        from mnistlab.data import load_dataset

        data = run.config.data
        return load_dataset(data.dataset, data.data_dir, color=data.color)
    if dataset.num_classes != len(run.classes) or tuple(dataset.input_shape) != run.input_shape:
        raise MnistlabError("api.dataset_mismatch", dataset=dataset.name, classes=dataset.num_classes,
                            shape=list(dataset.input_shape), run=run.name, run_classes=len(run.classes),
                            run_shape=list(run.input_shape))
    return dataset


def _images(images) -> tuple[list, list[str]]:
    """One image or many -> (a list of single images, a name for each)."""
    if hasattr(images, "detach"):  # a torch tensor, e.g. dataset.test_images[:8]
        images = images.detach().cpu().numpy()
    if isinstance(images, np.ndarray):
        if images.ndim == 2 or (images.ndim == 3 and images.shape[-1] in (3, 4)):
            items = [images]  # H x W, or H x W x C
        elif images.ndim in (3, 4):
            items = list(images)  # N x H x W, N x H x W x C or N x C x H x W
        else:
            raise MnistlabError("api.image_shape", shape=images.shape)
    elif isinstance(images, (list, tuple)):
        items = [i.detach().cpu().numpy() if hasattr(i, "detach") else i for i in images]
    else:
        items = [images]  # a path, bytes or a PIL image
    names = [Path(i).name if isinstance(i, (str, Path)) else f"image {k}" for k, i in enumerate(items)]
    return items, names
