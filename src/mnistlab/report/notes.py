"""The notes' words worked through on one run: pictures of padding and strides, one convolution step,
the activation function, the loss of one image, steps per epoch and what shuffle changed.

The figures take plain data (`explain.*` results, arrays) and return bare matplotlib Figures, like
`report.figures`; `notes_section` gathers them into the report's "The notes, worked through" section.
Text is in the caller's language (`lang`), with a Hangul font for Korean (`i18n.fonts`).
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from mnistlab.i18n import t
from mnistlab.i18n.fonts import font_rc
from mnistlab.report.figures import DPI

INPUT, ZERO, EDGE = "#cfd8e3", "#ffffff", "#7f8c9d"
WINDOWS = ("#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


def _grid(ax, size: int, before: int, after: int, values: np.ndarray | None = None) -> None:
    """An input of size x size cells inside its zero border, cell (0, 0) of the input at (0, 0); y grows down."""
    for r in range(-before, size + after):
        for c in range(-before, size + after):
            inside = 0 <= r < size and 0 <= c < size
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=INPUT if inside else ZERO, edgecolor=EDGE, lw=0.6))
            if not inside:
                ax.text(c + 0.5, r + 0.5, "0", ha="center", va="center", fontsize=10, color="#333")
            elif values is not None:
                ax.text(c + 0.5, r + 0.5, f"{values[r, c]:.1f}", ha="center", va="center", fontsize=6.5)
    lo, hi = -before - 0.3, size + after + 0.3
    ax.set_xlim(lo, hi)
    ax.set_ylim(hi, lo)
    ax.set_aspect("equal")
    ax.axis("off")


def _window(ax, row: int, col: int, kh: int, kw: int, color: str, inset: float = 0.0, lw: float = 2.2) -> None:
    ax.add_patch(Rectangle((col + inset, row + inset), kw - 2 * inset, kh - 2 * inset, fill=False,
                           edgecolor=color, lw=lw))


def padding_figure(d: dict, lang: str = "en") -> Figure:
    """VALID beside SAME for `explain.explain_padding(size, kernel, strides)`: the input with SAME's zero
    border (the odd extra zero bottom/right), and the window of every output of the first output row."""
    with matplotlib.rc_context(font_rc(lang)):
        n, k, s = d["size"], d["kernel_size"], d["strides"]
        fig = Figure(figsize=(11, 5.6), dpi=DPI, layout="constrained")
        axes = fig.subplots(1, 2)
        extent = n + d["same"]["pad_before"] + d["same"]["pad_after"]  # both panels at one scale
        for ax, padding in zip(axes, ("valid", "same")):
            p = d[padding]
            _grid(ax, n, p["pad_before"], p["pad_after"])
            ax.set_xlim(-d["same"]["pad_before"] - 0.3, extent - d["same"]["pad_before"] + 0.3)
            ax.set_ylim(extent - d["same"]["pad_before"] + 0.3, -d["same"]["pad_before"] - 0.3)
            starts, last = p["starts"], len(p["starts"]) - 1
            # The first window, the next one along (the stride), and the last one (SAME's bottom/right zeros).
            for i, (r, c) in enumerate(dict.fromkeys([(0, 0), (0, min(1, last)), (last, last)])):
                if last < 0:
                    break
                color = WINDOWS[i]
                _window(ax, starts[r], starts[c], k, k, color, inset=0.06 + 0.08 * (i % 2))
                ax.text(starts[c] + 0.25, starts[r] + k - 0.25, f"({r},{c})", color=color, fontsize=11,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 1, "alpha": 0.85})
            title = (t("padding.panel_valid", lang, arithmetic=p["arithmetic"]) if padding == "valid" else
                     t("padding.panel_same", lang, arithmetic=p["arithmetic"], before=p["pad_before"],
                       after=p["pad_after"]))
            ax.set_title(title, fontsize=11)
        fig.suptitle(t("padding.title", lang, size=n, kernel=k, strides=s), fontsize=13)
        fig.legend(handles=[Patch(facecolor=INPUT, edgecolor=EDGE, label=t("padding.legend_input", lang)),
                            Patch(facecolor=ZERO, edgecolor=EDGE, label=t("padding.legend_zero", lang)),
                            Patch(fill=False, edgecolor=WINDOWS[0], lw=2, label=t("padding.legend_window", lang))],
                   loc="outside lower center", ncols=3, frameon=False)
    return fig


# ----------------------------------------------------------------------------------------------
# On a real run: layer 0's input with its zero border, one convolution step, the activation functions
# ----------------------------------------------------------------------------------------------


def _image_with_border(ax, plane: np.ndarray, before: tuple[int, int], after: tuple[int, int]) -> None:
    """A real input plane [H, W] at one cell per pixel, inside a zero border (top/left `before`, bottom/right
    `after`) drawn as empty cells, so the border reads as what it is: zeros added around the picture."""
    h, w = plane.shape
    (top, left), (bottom, right) = before, after
    ax.imshow(plane, cmap="gray", extent=(0, w, h, 0), interpolation="nearest")
    for r in range(-top, h + bottom):
        for c in range(-left, w + right):
            if not (0 <= r < h and 0 <= c < w):
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=ZERO, edgecolor=EDGE, lw=0.4))
    ax.set_xlim(-left - 0.5, w + right + 0.5)
    ax.set_ylim(h + bottom + 0.5, -top - 0.5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])


def border_figure(plane: np.ndarray, layer: dict, lang: str = "en") -> Figure:
    """VALID beside SAME on a run's real layer-0 input: `layer` has kernel_size, strides and, per padding,
    the output size (`valid`/`same` of `explain.explain_padding` in each dimension)."""
    with matplotlib.rc_context(font_rc(lang)):
        fig = Figure(figsize=(11, 5.8), dpi=DPI, layout="constrained")
        k = layer["kernel_size"]
        for ax, padding in zip(fig.subplots(1, 2), ("valid", "same")):
            p = layer[padding]
            _image_with_border(ax, plane, (p["pad_before"],) * 2, (p["pad_after"],) * 2)
            starts, last = p["starts"], len(p["starts"]) - 1
            for i, (r, c) in enumerate(dict.fromkeys([(0, 0), (last, last)])):
                if last >= 0:
                    _window(ax, starts[r], starts[c], k, k, WINDOWS[i], lw=2)
            title = (t("padding.panel_valid", lang, arithmetic=p["arithmetic"]) if padding == "valid" else
                     t("padding.panel_same", lang, arithmetic=p["arithmetic"], before=p["pad_before"],
                       after=p["pad_after"]))
            ax.set_title(title, fontsize=11)
        fig.suptitle(t("notes.border_title", lang, size=layer["size"], kernel=k, strides=layer["strides"]),
                     fontsize=13)
        fig.legend(handles=[Patch(facecolor=ZERO, edgecolor=EDGE, label=t("padding.legend_zero", lang)),
                            Patch(fill=False, edgecolor=WINDOWS[0], lw=2, label=t("notes.legend_first", lang)),
                            Patch(fill=False, edgecolor=WINDOWS[1], lw=2, label=t("notes.legend_last", lang))],
                   loc="outside lower center", ncols=3, frameon=False)
    return fig


def _numbers(ax, values: np.ndarray, title: str, padded: np.ndarray | None = None) -> None:
    """A small matrix as coloured cells with its numbers written in (blue negative, red positive)."""
    lim = float(np.abs(values).max()) or 1.0
    ax.imshow(values, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for (i, j), v in np.ndenumerate(values):
        text = "0" if padded is not None and padded[i, j] else f"{v:.2f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=8, color="#888" if text == "0" else "black")
    ax.set_title(title, fontsize=11)
    ax.set_xticks([])
    ax.set_yticks([])


def conv_step_figure(plane: np.ndarray, d: dict, lang: str = "en") -> Figure:
    """One convolution step (`explain.explain_conv` on channel 0 of a layer's input `plane` [H, W]): where the
    window lies, the numbers it reads, the kernel, and window x kernel."""
    with matplotlib.rc_context(font_rc(lang)):
        fig = Figure(figsize=(13, 4.2), dpi=DPI, layout="constrained")
        ax_in, ax_win, ax_ker, ax_prod = fig.subplots(1, 4, width_ratios=(1.2, 1, 1, 1))
        top, bottom, left, right = d["pads"]
        _image_with_border(ax_in, plane, (top, left), (bottom, right))
        kh, kw = d["kernel_size"]
        _window(ax_in, d["rows"][0], d["cols"][0], kh, kw, WINDOWS[0], lw=2)
        row, col = d["at"]
        ax_in.set_title(t("notes.step_where", lang, row=row, col=col), fontsize=11)
        padded = np.array(d["padded"])
        _numbers(ax_win, np.array(d["window"][0]), t("word.window", lang), padded)
        _numbers(ax_ker, np.array(d["kernel"][0]), t("notes.step_kernel", lang, filter=d["filter"]))
        _numbers(ax_prod, np.array(d["products"][0]), t("notes.step_products", lang,
                                                       total=f"{sum(map(sum, d['products'][0])):.3f}"), padded)
        title = "notes.step_title" if d["use_bias"] else "notes.step_title_no_bias"
        fig.suptitle(t(title, lang, layer=d["layer"], value=f"{d['value']:.4f}"), fontsize=13)
    return fig


def activation_figure(names: list[str], points: list[tuple[str, float, float]], lang: str = "en",
                      head: str | None = None) -> Figure:
    """Each activation function in `names` over -4..4, drawn by the same modules the network runs
    (`models.layers.activation`); `points` are (name, input, output) pairs to mark, e.g. the conv step's.
    `head` ("sigmoid") adds the head's curve, titled as the head."""
    import torch

    from mnistlab.models.layers import activation

    x = torch.linspace(-4, 4, 401)
    with matplotlib.rc_context(font_rc(lang)):
        curves = [(name, t("notes.activation_title", lang, name=name)) for name in names]
        curves += [(head, t("notes.head_title", lang, name=head))] if head else []
        fig = Figure(figsize=(max(7.0, 4.4 * len(curves)), 3.6), dpi=DPI, layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(curves)))
        for k, (ax, (name, title)) in enumerate(zip(axes, curves)):
            with torch.no_grad():
                y = activation(name)(x)
            ax.plot(x.numpy(), y.numpy(), color=WINDOWS[1], lw=2)
            ax.axhline(0, color="#999", lw=0.6)
            ax.axvline(0, color="#999", lw=0.6)
            for point_name, px, py in points:
                if point_name == name and k < len(names) and -4 <= px <= 4:  # marks belong to the layers' curves
                    ax.plot([px], [py], "o", color=WINDOWS[0])
                    ax.annotate(f"{name}({px:.2f}) = {py:.2f}", (px, py), textcoords="offset points", xytext=(-10, 12),
                                ha="right", color=WINDOWS[0])
            ax.set_title(title, fontsize=11)
            ax.set_xlabel(t("notes.activation_x", lang))
            ax.grid(alpha=0.3)
    return fig


# ----------------------------------------------------------------------------------------------
# The report's section
# ----------------------------------------------------------------------------------------------

SECTION = ("notes", "notes.title")  # anchor, catalogue key of the title
SAMPLE = 0  # the test image the section works through


def notes_section(run, model, ds, lang: str = "en") -> tuple[list, str]:
    """(pictures, html) of the report's section that works the notes' words through on this run."""
    import torch

    from mnistlab import explain as E
    from mnistlab.report import html as H
    from mnistlab.report.figures import render

    layers, tc = run.config.model.layers, run.config.train
    image, label = ds.test_images[SAMPLE].numpy(), int(ds.test_labels[SAMPLE])
    pictures, parts = [], []
    conv = next((info for info in model.infos if info.type == "conv2d"), None)
    points = []
    if conv is not None:
        spec, plane = layers[conv.index], E.layer_input(model, image, conv.index)[0].numpy()
        g = E.conv_geometry(spec, conv.input_shape)
        (kh, _), (sh, _) = g["kernel"], g["strides"]
        geometry = {"size": conv.input_shape[1], "kernel_size": kh, "strides": sh,
                    **{k: v for k, v in E.explain_padding(conv.input_shape[1], kh, sh).items() if k in ("valid", "same")}}
        pictures.append(render(border_figure(plane, geometry, lang), "notes-padding.png", t("notes.h_padding", lang)))
        parts += [H.subheading(t("notes.h_padding", lang)),
                  H.paragraph(t("notes.p_padding", lang, layer=conv.index, padding=spec.padding.upper())),
                  H.picture(pictures[-1]), H.pre(E.format_padding(E.explain_padding(conv.input_shape[1], kh, sh), lang))]

        with torch.inference_mode():  # the strongest response of filter 0 after its batchnorm/activation
            stage = next(last for first, last in _stages(model) if first == conv.index)
            response = model.features(E.as_batch(image, model))[stage][0, 0].float().cpu()
        at = divmod(int(response.argmax()), response.shape[1])
        d = E.explain_conv(model, layers, image, conv.index, at, 0)
        pictures.append(render(conv_step_figure(plane, d, lang), "notes-conv-step.png", t("notes.h_conv", lang)))
        parts += [H.subheading(t("notes.h_conv", lang)), H.paragraph(t("notes.p_conv", lang)),
                  H.picture(pictures[-1]), H.pre(E.format_conv(d, lang))]
        before = d["value"]
        for step in d["after"]:
            if step["type"] == "activation":
                points.append((step["activation"], before, step["value"]))
            before = step["value"]

    names = list(dict.fromkeys(getattr(s, "activation", "linear") for s in layers))
    names = [n for n in names if n not in ("linear", "softmax")]
    head = "sigmoid" if run.output == "sigmoid" else None  # softmax is over all classes at once: no 1-D curve
    if names or head:
        pictures.append(render(activation_figure(names, points, lang, head), "notes-activation.png",
                               t("notes.h_activation", lang)))
        parts += [H.subheading(t("notes.h_activation", lang)), H.paragraph(t("notes.p_activation", lang)),
                  H.picture(pictures[-1])]

    d = E.explain_loss(model, image, label, run.classes, run.output, tc.loss, tc.label_smoothing)
    parts += [H.subheading(t("notes.h_loss", lang)),
              H.pre(E.format_loss(d, lang, t("loss.test_image", lang, index=SAMPLE, dataset=ds.name)))]

    n = len(ds.train_labels) - run.meta.validation_size
    steps = math.ceil(n / tc.batch_size)
    parts += [H.subheading(t("notes.h_steps", lang)),
              H.paragraph(t("notes.steps", lang, images=f"{n:,}", batch=tc.batch_size, steps=f"{steps:,}",
                            epochs=t("train.epoch_one", lang) if tc.epochs == 1 else t("train.epochs", lang, n=tc.epochs),
                            total=f"{steps * tc.epochs:,}", last=n - (steps - 1) * tc.batch_size))]

    plain, shuffled = first_batches(ds, run.meta.validation_size, tc.batch_size, tc.seed)
    parts += [H.subheading(t("notes.h_shuffle", lang)),
              H.paragraph(t("notes.shuffle_used" if tc.shuffle else "notes.shuffle_unused", lang)),
              H.table([t("notes.shuffle_col", lang), t("notes.shuffle_labels", lang, n=min(32, len(plain))),
                       t("notes.shuffle_counts", lang)],
                      [(t("notes.shuffle_off", lang), *_labels(plain, run.classes)),
                       (t("notes.shuffle_on", lang), *_labels(shuffled, run.classes))]),
              H.paragraph(t("notes.shuffle_note", lang), muted=True)]
    return pictures, "".join(parts)


def _stages(model):
    from mnistlab.models import map_stages

    return map_stages(model.infos, ("conv2d",))


def first_batches(ds, validation_size: int, batch_size: int, seed: int):
    """The labels of epoch 1's first batch without shuffle (the file's order) and with it (the permutation
    the trainer draws from the run's seed): int64 [batch_size] each."""
    from mnistlab.data import split_validation
    from mnistlab.data.dataset import epoch_order  # the trainer's own order, so the batch is the one it drew

    # the labels stand in for the images too: only the labels are needed, and the split is the same
    (_, labels), _ = split_validation(ds.train_labels, ds.train_labels, validation_size)
    order, _ = epoch_order(len(labels), seed, 1)
    return labels[:batch_size], labels[order[:batch_size]]


def _labels(batch, classes) -> tuple[str, str]:
    """The first 32 labels of a batch, and how many of each class the whole batch holds."""
    counts = np.bincount(batch.numpy(), minlength=len(classes))
    return (" ".join(classes[int(k)] for k in batch[:32]),
            "  ".join(f"{c}:{n}" for c, n in zip(classes, counts)))
