"""`mnistlab report RUN`: one self-contained HTML page, plus its PNGs, of what a run learned.

Everything comes from the run folder (config, metrics, events, weights): the test set is evaluated
again with the saved model, so the page describes what is on disk, whoever trained it and when.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import torch

from mnistlab.data import Dataset, load_dataset
from mnistlab.data.dataset import first_of_each_class
from mnistlab.device import select_device
from mnistlab.errors import MnistlabError
from mnistlab.evaluate import metrics_from_logits, predict_logits, probabilities
from mnistlab.files import write_bytes, write_text
from mnistlab.i18n import CATALOGUES, t
from mnistlab.i18n.fonts import font_rc
from mnistlab.mathtext import plain
from mnistlab.models import LayerInfo, Network, layer, map_stages, summarize
from mnistlab.report import figures as F
from mnistlab.report import html as H
from mnistlab.report.notes import SECTION as NOTES
from mnistlab.report.notes import notes_section
from mnistlab.runfolder import Run

REPORT = "report.html"
MISTAKES = 24  # images in the most-confident-mistakes grid
SAMPLES = 10  # feature-map images: one per class, for at most this many classes
OWN_PATTERNS = ("curves.png", "confusion-matrix.png", "mistakes.png", "probabilities.png", "filters-layer-*.png",
                "feature-maps-*.png", "notes-*.png")


def write_report(run_path: str | Path, out: str | Path | None = None, *, dataset: Dataset | None = None,
                 images: list[str | Path] = (), samples: int = SAMPLES, device: str = "cpu",
                 progress: bool = False, lang: str = "en") -> Path:
    """Write RUN/report/report.html (or OUT/report.html) and its PNGs; returns the HTML file's path.

    `dataset` defaults to the run's own; `images` (user image files) replace the default feature-map
    samples, the first test image of each class (of the first `samples` classes). `lang` ("en", "ko") is
    the language of the page's texts and of its pictures (with a Hangul font for Korean).
    """
    with matplotlib.rc_context(font_rc(lang)):  # tick labels are made when drawn: the font must hold until then
        return _write_report(run_path, out, dataset=dataset, images=images, samples=samples, device=device,
                             progress=progress, lang=lang)


def _write_report(run_path, out, *, dataset, images, samples, device, progress, lang) -> Path:
    run = Run.open(run_path)
    out = Path(out) if out is not None else run.path / "report"
    ds = dataset or load_dataset(run.config.data.dataset, run.config.data.data_dir, color=run.config.data.color,
                                 progress=progress)
    model = run.load_model(select_device(device))  # channels_last: the test pass runs ~1.5-2x faster
    classes, head = run.classes, run.output
    tc = run.config.train

    sample_images, sample_labels, captions, notes = _samples(run, ds, images, samples, lang)  # first: a bad --image fails now
    logits = predict_logits(model, ds.test_images, tc.eval_batch_size)
    test = metrics_from_logits(logits, ds.test_labels, tc.loss, classes,
                               label_smoothing=tc.label_smoothing)  # the test loss result.json holds
    probs = probabilities(logits, head)
    summary = summarize(run.config.model, run.input_shape, len(classes))

    pictures: dict[str, list[F.Picture]] = {"training": [], "test": [], "mistakes": [], "filters": [], "maps": []}
    history, result = run.metrics(), run.result() or {}
    if history:
        pictures["training"].append(_curves(run, history, result, lang))
    pictures["test"].append(F.render(
        F.confusion_figure(test["confusion_matrix"], classes, t("report.cm_title", lang, run=run.name, dataset=ds.name),
                           lang),
        "confusion-matrix.png", t("report.cm_alt", lang), t("report.cm_caption", lang)))
    mistakes = _mistakes(ds, logits, probs, classes, head, lang)
    if mistakes:
        pictures["mistakes"].append(mistakes)
    pictures["filters"] = _filters(model, lang)
    pictures["maps"] = _feature_maps(model, run, sample_images, sample_labels, captions, notes, lang)
    pictures["notes"], notes_html = notes_section(run, model, ds, lang)

    sections = [(anchor, t(f"report.section.{anchor}", lang), body)
                for anchor, _, body in _sections(run, ds, test, result, history, summary, pictures, lang)]
    page = H.page(t("report.title", lang, run=run.name),
                  t("report.subtitle", lang, path=run.path, dataset=ds.name, count=f"{len(ds.test_labels):,}",
                    head=t(f"name.{head}", lang)),
                  sections + [(NOTES[0], t(NOTES[1], lang), notes_html)], lang)
    _write(out, [p for group in pictures.values() for p in group], page)
    return out / REPORT


def _samples(run: Run, ds: Dataset, images, limit: int, lang: str = "en") -> tuple[np.ndarray, list[int | None], list[str], list]:
    """The images whose feature maps are shown: the user's files, else the first test image of each class;
    and for each, why it is no digit at all (blank, or a dot), else None."""
    if images:
        prepared = [run.meta.to_input_checked(path) for path in images]  # as predict and the studio do
        return (np.stack([x for x, _ in prepared]), [None] * len(images), [Path(p).name for p in images],
                [note for _, note in prepared])
    labels = ds.test_labels.numpy()
    picks = first_of_each_class(ds.test_labels, len(run.classes), limit)
    if not picks:
        raise MnistlabError("report.test_empty", dataset=ds.name)
    return (ds.test_images[picks].numpy(), [int(labels[i]) for i in picks],
            [t("report.sample", lang, index=i, name=run.classes[labels[i]]) for i in picks], [None] * len(picks))


def curves(run: Run, history: list[dict], result: dict, lang: str = "en") -> F.Figure:
    """The run's loss, accuracy and learning-rate curves, with its target and when it was reached."""
    steps = run.steps()  # every logged step, at its place in fractional epochs (0 = the start of training)
    target = run.config.train.target_accuracy
    monitored = "val_accuracy" if run.meta.validation_size else "accuracy"
    target_epoch = result.get("target_epoch")
    if target is not None and target_epoch is None:  # an unfinished run has no result.json yet
        target_epoch = next((r["epoch"] for r in history if (r.get(monitored) or 0) >= target), None)
    return F.curves_figure(history, steps, target, target_epoch, monitored, run.config.train.loss, lang)


def _curves(run: Run, history: list[dict], result: dict, lang: str = "en") -> F.Picture:
    fig, loss = curves(run, history, result, lang), run.config.train.loss
    kinds = {layer.type for layer in run.config.model.layers}
    modes = [t(f"report.mode_{kind}", lang) for kind in ("dropout", "batchnorm") if kind in kinds]
    while_training = t("report.while_modes", lang, modes=", ".join(modes)) if modes else t("report.while", lang)
    bce = (t("report.curves_bce", lang, note=t("fig.bce_note", lang)) if loss == "binary_cross_entropy"
           else t("report.curves_end", lang))
    caption = t("report.curves_caption", lang, while_training=while_training, bce=bce)
    return F.render(fig, "curves.png", t("report.curves_alt", lang), caption)


def _mistakes(ds, logits, probs, classes, head, lang: str = "en") -> F.Picture | None:
    pred = logits.argmax(1)
    wrong = torch.nonzero(pred != ds.test_labels).flatten()
    if len(wrong) == 0:
        return None
    confidence = probs[wrong, pred[wrong]]
    top = wrong[confidence.argsort(descending=True)[:MISTAKES]]
    fig = F.mistakes_figure(ds.test_images[top].numpy(), [classes[int(ds.test_labels[i])] for i in top],
                            [classes[int(pred[i])] for i in top], probs[top, pred[top]].tolist(),
                            len(wrong), len(ds.test_labels), head, lang=lang)
    return F.render(fig, "mistakes.png", t("report.mistakes_alt", lang),
                    t("report.mistakes_caption", lang,
                      kind=t("report.digits" if ds.name == "mnist" else "report.images", lang)))


def _filters(model: Network, lang: str = "en") -> list[F.Picture]:
    pictures, explained = [], set()  # each kind of picture is explained once, under its first instance
    for info, module in zip(model.infos, model.layers):
        if info.type != "conv2d":
            continue
        conv = next(m for m in module.modules() if isinstance(m, torch.nn.Conv2d))
        weight = conv.weight.detach().float().cpu().numpy()
        fig = F.filters_figure(weight, t("fig.layer_conv", lang, index=info.index), lang=lang)
        first = weight.shape[1] in (1, 3)
        caption = t("report.filters_first" if first else "report.filters_deeper", lang)
        caption = "" if first in explained else caption
        explained.add(first)
        pictures.append(F.render(fig, f"filters-layer-{info.index}.png", t("report.filters_alt", lang, index=info.index), caption))
    return pictures


def feature_stages(infos: list[LayerInfo], specs, outputs: list[torch.Tensor],
                   lang: str = "en") -> list[tuple[str, torch.Tensor]]:
    """(row title, output [N, C, h, w]) for each conv and pooling layer, given `network.features(x)`.
    A conv's maps are taken after the batchnorm/activation layers right behind it: what the next layer sees."""
    stages = []
    for i, j in map_stages(infos):
        info = infos[i]
        extra = "".join(f" + {specs[k].activation if infos[k].type == 'activation' else infos[k].type}"
                        for k in range(i + 1, j + 1))
        shape = " x ".join(map(str, info.output_shape))
        arith = ", ".join(info.arithmetic)
        settings = ", ".join(layer(info.type).words(specs[i]))  # the registry's one-line description
        stages.append((t("fig.stage", lang, index=i, type=info.type, extra=extra, settings=settings, shape=shape,
                         arith=arith),
                       outputs[j]))
    return stages


@torch.inference_mode()
def sample_maps(model: Network, specs, images: np.ndarray, lang: str = "en") -> tuple[list[tuple[str, np.ndarray]], torch.Tensor]:
    """Feature-map stages for uint8 images [N, C, H, W] and the network's logits for them."""
    device = next(model.parameters()).device
    outputs = model.features(torch.from_numpy(np.ascontiguousarray(images)).to(device).float().div_(255))
    stages = [(label, maps.float().cpu().numpy()) for label, maps in feature_stages(model.infos, specs, outputs, lang)]
    return stages, outputs[-1].float().cpu()


def _feature_maps(model: Network, run: Run, images: np.ndarray, labels: list[int | None],
                  captions: list[str], notes: list | None = None, lang: str = "en") -> list[F.Picture]:
    stages, logits = sample_maps(model, run.config.model.layers, images, lang)
    probs = probabilities(logits, run.output)
    pictures = []
    for k in range(len(images)):
        best = int(probs[k].argmax())
        verdict = notes[k] if notes and notes[k] else t("report.predicted", lang, name=run.classes[best],
                                                                  p=f"{probs[k, best]:.1%}")
        fig = F.feature_maps_figure(images[k], [(label, maps[k]) for label, maps in stages],
                                    plain(f"{captions[k]}  ->  {verdict}"), lang=lang)
        pictures.append(F.render(  # one caption says how to read them all
            fig, f"feature-maps-{k}.png", t("report.maps_alt", lang, caption=captions[k]),
            "" if k else t("report.maps_caption", lang) + (t("report.maps_caption_more", lang) if len(images) > 1 else "")))
    fig = F.probabilities_figure(images, probs.numpy(), run.classes, run.output,
                                 [plain(c if len(c) <= 22 else c[:21] + "…") for c in captions], labels, lang)
    pictures.append(F.render(fig, "probabilities.png", t("report.probs_alt", lang),
                             t("report.probs_caption", lang, head=t(f"name.{run.output}", lang))))
    return pictures


def _sections(run, ds, test, result, history, summary, pictures, lang="en") -> list[tuple[str, str, str]]:
    topk = next(k for k in test if k.startswith("top") and k.endswith("_accuracy"))
    seconds = result.get("seconds")
    overview = H.cards([
        (t("report.test_accuracy", lang), f"{test['accuracy']:.2%}"),
        (t("report.test_loss", lang), f"{test['loss']:.4f}"),
        (t("report.topk", lang, k=topk[3:-len("_accuracy")]), f"{test[topk]:.2%}"),
        (t("report.macro_f1", lang), f"{test['f1']:.4f}"),
        (t("report.params", lang), f"{summary['total_params']:,}"),
        (t("report.macs", lang), f"{summary['total_macs']:,}"), (t("report.epochs", lang), str(len(history))),
        (t("report.time", lang), f"{seconds:.1f} s" if seconds is not None else t("report.unfinished", lang)),
    ])
    model_html = (H.summary_table(summary, lang)
                  + H.details(t("report.config", lang), H.pre(run.config.to_toml())))

    target = run.config.train.target_accuracy
    status = result.get("status")
    status = (t(f"report.status.{status}", lang) if f"report.status.{status}" in CATALOGUES["en"] else status
              if status else t("report.status.none", lang))
    if target is not None:
        status += (t("report.target_reached", lang, target=f"{target:g}", epoch=result["target_epoch"])
                   if result.get("target_reached") else t("report.target_missed", lang, target=f"{target:g}"))
    epoch_rows = [(r["epoch"], *(_num(r.get(k)) for k in ("loss", "accuracy", "val_loss", "val_accuracy")),
                   f"{r['learning_rate']:.3g}", f"{r['seconds']:.1f}") for r in history]
    training = (H.paragraph(t("report.status", lang, status=status))
                + "".join(H.picture(p) for p in pictures["training"])
                + (H.details(t("report.per_epoch", lang), H.table(
                    [t(f"report.col.{c}", lang) for c in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy",
                                                            "learning_rate", "seconds")],
                    epoch_rows, numeric=range(7))) if history else H.paragraph(t("report.no_epoch", lang), True)))

    per_class = H.table([t(f"report.col.{c}", lang) for c in ("class", "precision", "recall", "f1", "support")],
                        [(r["class"], f"{r['precision']:.4f}", f"{r['recall']:.4f}", f"{r['f1']:.4f}", r["support"])
                         for r in test["per_class"]], numeric=range(1, 5))
    tests = (H.paragraph(t("report.test_text", lang, count=f"{test['count']:,}", accuracy=f"{test['accuracy']:.4f}",
                           loss=f"{test['loss']:.4f}")) + per_class + "".join(H.picture(p) for p in pictures["test"]))
    mistakes = "".join(H.picture(p) for p in pictures["mistakes"]) or H.paragraph(t("report.no_mistakes", lang))
    filters = "".join(H.picture(p) for p in pictures["filters"]) or H.paragraph(t("report.no_conv", lang))
    maps = "".join(H.picture(p) for p in pictures["maps"])
    return [("overview", "Overview", overview), ("model", "Model", model_html), ("training", "Training", training),
            ("test", "Test results", tests), ("mistakes", "Mistakes", mistakes),
            ("filters", "Learned filters", filters), ("feature-maps", "Feature maps and predictions", maps)]


def _num(v) -> str:
    return "" if v is None else f"{v:.4f}"


def _write(out: Path, pictures: list[F.Picture], page: str) -> None:
    """PNGs first and the page last, so a page on disk never points at a missing picture; pictures an
    earlier report wrote here and this one did not (fewer --image files, fewer layers) are removed."""
    out.mkdir(parents=True, exist_ok=True)
    names = {p.name for p in pictures}
    for p in pictures:
        write_bytes(out / p.name, p.png)
    write_text(out / REPORT, page)
    for pattern in OWN_PATTERNS:
        for stale in out.glob(pattern):
            if stale.name not in names:
                stale.unlink()
