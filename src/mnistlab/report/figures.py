"""The report's pictures. Each function takes plain arrays and returns a bare `matplotlib.figure.Figure`
(rendered with Agg, no pyplot global state), so the HTML report, `compare` and the TensorBoard logger
draw the same pictures from whatever they have at hand.

Figures have a fixed size in inches at `DPI`, never a "tight" bounding box, so a PNG's pixel size is
known in advance. Many-panel pictures (mistakes, filters, feature maps) are drawn as one mosaic image per
panel instead of one axes per map: matplotlib's cost grows with the number of axes, not of pixels.
"""

from __future__ import annotations

import io
import math
import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from mnistlab.i18n import t
from mnistlab.mathtext import plain

DPI = 100
TRAIN, VAL, TARGET = "#1f77b4", "#ff7f0e", "#2ca02c"
RIGHT, WRONG, OTHER = "#2ca02c", "#d62728", "#9aa7b8"


@dataclass(frozen=True)
class Picture:
    """A rendered figure: the PNG bytes plus what the HTML page says about it."""

    name: str  # file name, e.g. "curves.png"
    title: str
    caption: str
    png: bytes
    width: int
    height: int


def render(fig: Figure, name: str, title: str, caption: str = "") -> Picture:
    buf = io.BytesIO()
    canvas = FigureCanvasAgg(fig)
    canvas.print_png(buf)
    return Picture(name, title, caption, buf.getvalue(), *canvas.get_width_height())


def rgb_array(fig: Figure) -> np.ndarray:
    """The figure as uint8 [H, W, 3] (for TensorBoard's add_image)."""
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def _short(name: str, n: int = 14) -> str:
    return plain(name if len(name) <= n else name[:n - 1] + "…")  # a user's class name, drawn as written


def _pixels(image: np.ndarray) -> tuple[np.ndarray, dict]:
    """uint8 [C, H, W] -> what imshow needs to show it as the model saw it."""
    if image.shape[0] == 1:
        return image[0], {"cmap": "gray", "vmin": 0, "vmax": 255}
    return image.transpose(1, 2, 0), {}


# ----------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------


# The loss a run minimised, as an axis names it. Binary cross-entropy adds up one yes/no loss per class,
# so its numbers are not on cross-entropy's scale: a picture that shows it says so (`BCE_NOTE`).
LOSS_NAMES = {"cross_entropy": "cross-entropy", "binary_cross_entropy": "binary cross-entropy"}
BCE_NOTE = "binary cross-entropy is summed over the classes' yes/no questions, so it is not on cross-entropy's scale"


def loss_name(loss: str, lang: str = "en") -> str:
    return t(f"fig.{loss}", lang) if loss in LOSS_NAMES else loss


def log_y(ax) -> None:
    """A logarithmic y axis labelled 0.05, 0.1, 0.2, 0.5, 1 (plain numbers, not 10^-1; minor ticks at 2 and 5)."""
    def plain(v, _):
        return f"{v:g}"

    def two_and_five(v, _):
        return f"{v:g}" if v > 0 and round(v / 10 ** math.floor(math.log10(v)), 6) in (2, 5) else ""

    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(plain))
    ax.yaxis.set_minor_formatter(FuncFormatter(two_and_five))


def epoch_axis(ax, first: float, last: float, lang: str = "en") -> None:
    """An x axis of epochs from `first` to `last` with whole-epoch ticks only, even when it holds one epoch."""
    ax.set_xlabel(t("fig.epoch", lang))
    ax.set_xlim(first, last)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))


def curves_figure(history: list[dict], steps: list[dict] = (), target: float | None = None,
                  target_epoch: int | None = None, monitored: str = "val_accuracy",
                  loss: str = "cross_entropy", lang: str = "en") -> Figure:
    """Loss and accuracy (train vs validation) and the learning rate, against epochs.

    `steps` are the run's logged step events with `x` in fractional epochs: with them the training curves
    and the learning rate are drawn within each epoch too, so even a one-epoch run shows how it learned.
    Every logged value stays in view: the first steps of a fast run sit far above the rest, so the loss
    axis is logarithmic rather than cut off."""
    fig = Figure(figsize=(13, 4), dpi=DPI, layout="constrained")
    ax_loss, ax_acc, ax_lr = fig.subplots(1, 3)
    epochs = [r["epoch"] for r in history]
    has_val = any(r.get("val_accuracy") is not None for r in history)
    for ax, key, label in ((ax_loss, "loss", loss_name(loss, lang)), (ax_acc, "accuracy", t("fig.accuracy", lang))):
        if steps:  # the running mean restarts each epoch: a gap (NaN) between epochs, not a joining line
            xs, ys = [], []
            for prev, e in zip([None, *steps], steps):
                if prev is not None and prev["epoch"] != e["epoch"]:
                    xs.append(np.nan)
                    ys.append(np.nan)
                xs.append(e["x"])
                ys.append(e[key])
            ax.plot(xs, ys, "-", color=TRAIN, alpha=0.45, lw=1.2,
                    label=t("fig.train_steps", lang))
        ax.plot(epochs, [r[key] for r in history], "o", color=TRAIN, label=t("fig.train_epoch", lang))
        if has_val:
            ax.plot(epochs, [r.get(f"val_{key}") for r in history], "o-", color=VAL, label=t("fig.validation", lang))
        ax.set_ylabel(label)
        ax.set_title(t("fig.vs", lang, name=t(f"fig.{key}", lang)), fontsize=10)
    log_y(ax_loss)
    ax_loss.set_ylabel(t("fig.log_scale", lang, name=loss_name(loss, lang)))
    if target is not None:
        ax_acc.axhline(target, color=TARGET, ls=":", label=t("fig.target", lang, target=f"{target:g}"))
        lo, hi = ax_acc.get_ylim()  # axhline does not autoscale: keep an unreached target in view
        ax_acc.set_ylim(min(lo, target - 0.05 * (hi - lo)), max(hi, target + 0.05 * (hi - lo)))
    if target_epoch is not None:
        for ax in (ax_loss, ax_acc):
            ax.axvline(target_epoch, color=TARGET, ls="--", lw=1)
        ax_acc.annotate(t("fig.target_reached", lang, metric=t(f"fig.metric.{monitored}", lang), epoch=target_epoch),
                        (target_epoch, 0.5), xycoords=("data", "axes fraction"), xytext=(6, 0),
                        textcoords="offset points", color=TARGET, fontsize=9, va="center")
    if steps:
        ax_lr.plot([e["x"] for e in steps], [e["learning_rate"] for e in steps], "-", color="#555")
        ax_lr.set_title(t("fig.lr_steps", lang), fontsize=10)
    else:
        ax_lr.plot(epochs, [r["learning_rate"] for r in history], "o-", color="#555")
        ax_lr.set_title(t("fig.lr_epochs", lang), fontsize=10)
    ax_lr.set_ylabel(t("fig.lr", lang))
    ax_lr.set_ylim(bottom=0)  # a constant rate would otherwise be zoomed into noise
    ax_lr.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    for ax in (ax_loss, ax_acc, ax_lr):
        ax.grid(alpha=0.3)
        epoch_axis(ax, 0 if steps else min(epochs, default=1) - 0.5, max(epochs, default=1) + 0.1, lang)
    # one legend for both panels, under them, where it covers no point
    fig.legend(*ax_acc.get_legend_handles_labels(), loc="outside lower center", ncol=4, fontsize=9, frameon=False)
    return fig


# ----------------------------------------------------------------------------------------------
# Test results
# ----------------------------------------------------------------------------------------------


def confusion_figure(cm, classes: list[str], title: str = "confusion matrix", lang: str = "en") -> Figure:
    """Counts of [true, predicted]; a log colour scale so that the few mistakes show beside the diagonal."""
    cm = np.asarray(cm)
    n = len(classes)
    side = min(max(5.0, 0.5 * n + 2.0), 16.0)
    fig = Figure(figsize=(side + 1.6, side), dpi=DPI, layout="constrained")
    ax = fig.subplots()
    norm = LogNorm(vmin=0.5, vmax=max(int(cm.max()), 2))  # vmin below 1: a single mistake is tinted, not white
    im = ax.imshow(np.ma.masked_equal(cm, 0), cmap="Blues", norm=norm)
    if n <= 30:
        size = 9 if n <= 12 else 7 if n <= 20 else 5
        for (i, j), v in np.ndenumerate(cm):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=size,
                        color="white" if norm(v) > 0.6 else "black")
    labels = [_short(c, 16) for c in classes]
    ax.set_xticks(range(n), labels, rotation=45 if max(map(len, labels)) > 2 else 0, ha="right" if
                  max(map(len, labels)) > 2 else "center", fontsize=9)
    ax.set_yticks(range(n), labels, fontsize=9)
    ax.set_xlabel(t("fig.predicted_class", lang))
    ax.set_ylabel(t("fig.true_class", lang))
    ax.set_title(title, fontsize=11)
    bar = fig.colorbar(im, ax=ax, shrink=0.8, label=t("fig.cm_bar", lang))
    bar.ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    return fig


def mistakes_figure(images: np.ndarray, true: list[str], pred: list[str], prob: list[float], total: int,
                    count: int, head: str, cols: int = 8, scale: float = 0.045, lang: str = "en") -> Figure:
    """A grid of the test images the model got wrong with the highest probability for its wrong answer.
    One image holds the whole grid, with room above each tile for its two-line label."""
    n, channels, h, w = images.shape
    cols = min(cols, max(n, 1))
    rows = max(math.ceil(n / cols), 1)
    gap_x, gap_y = 8, 12  # pixels between tiles, and above each tile for its label
    grid = np.full((rows * (h + gap_y), cols * (w + gap_x) - gap_x, *(() if channels == 1 else (3,))), np.nan)
    for k, image in enumerate(images):
        r, c = divmod(k, cols)
        top, left = r * (h + gap_y) + gap_y, c * (w + gap_x)
        grid[top:top + h, left:left + w] = image[0] / 255 if channels == 1 else image.transpose(1, 2, 0) / 255
    title_h, pad = 0.55, 0.1
    w_in, h_in = grid.shape[1] * scale, grid.shape[0] * scale
    fig = Figure(figsize=(w_in + 2 * pad, h_in + title_h + pad), dpi=DPI)
    width, height = fig.get_size_inches()
    word = t("fig.probability" if head == "softmax" else "fig.sigmoid_output", lang)
    fig.suptitle(t("fig.mistakes_title", lang, n=n, total=f"{total:,}", count=f"{count:,}", word=word), fontsize=10, y=1 - 0.08 / height,
                 va="top")
    ax = fig.add_axes((pad / width, pad / height, w_in / width, h_in / height))
    if channels == 1:
        ax.imshow(grid, cmap="gray", vmin=0, vmax=1, interpolation="nearest", aspect="auto")
    else:
        ax.imshow(np.nan_to_num(grid, nan=1.0), interpolation="nearest", aspect="auto")
    for k in range(n):
        r, c = divmod(k, cols)
        ax.text(c * (w + gap_x) + w / 2 - 0.5, r * (h + gap_y) + gap_y - 1.5,
                t("fig.mistake_tile", lang, true=_short(true[k], 12), pred=_short(pred[k], 12), p=f"{prob[k]:.1%}"), ha="center", va="bottom",
                fontsize=8, color=WRONG, linespacing=1.15)
    ax.axis("off")
    return fig


# ----------------------------------------------------------------------------------------------
# What the network learned
# ----------------------------------------------------------------------------------------------


def _mosaic(tiles: np.ndarray, cols: int, gap: int = 1) -> np.ndarray:
    """[N, h, w(, 3)] -> one image with tiles in rows of `cols`, NaN (drawn blank) between them."""
    n, h, w = tiles.shape[:3]
    rows = math.ceil(n / cols)
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, *tiles.shape[3:]), np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        out[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = tiles[k]
    return out


def filters_figure(weight: np.ndarray, title: str, limit: int = 64, lang: str = "en") -> Figure:
    """A conv layer's kernels [filters, in_channels, kh, kw].

    On one grayscale (or RGB) input each kernel is a small picture of the pattern it responds to. Deeper
    kernels have one kh x kw slice per input channel, too many to draw, so each filter is summarised by
    how strongly it reads each input channel (the L2 norm of that slice) and by its overall size.
    """
    filters, channels, kh, kw = weight.shape
    if channels in (1, 3):
        shown = weight[:limit]
        cols = min(len(shown), 16 if kh * kw <= 9 else 8)
        rows = math.ceil(len(shown) / cols)
        cell = 0.62 if max(kh, kw) <= 5 else 0.9
        fig = Figure(figsize=(max(cols * cell + 1.6, 6.0), rows * cell * kh / kw + 1.2), dpi=DPI,
                     layout="constrained")
        ax = fig.subplots()
        more = t("fig.filters_more", lang, shown=len(shown), filters=filters) if filters > len(shown) else ""
        if channels == 1:
            vmax = float(np.abs(shown).max()) or 1.0
            im = ax.imshow(_mosaic(shown[:, 0], cols), cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
            fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label=t("fig.weight_bar", lang))
        else:  # RGB kernels: each scaled to 0..1 around mid-grey = 0
            rgb = shown.transpose(0, 2, 3, 1)
            scale = np.abs(rgb).reshape(len(rgb), -1).max(1).clip(min=1e-12)[:, None, None, None]
            mosaic = _mosaic(rgb / (2 * scale) + 0.5, cols)
            ax.imshow(np.nan_to_num(mosaic, nan=1.0), interpolation="nearest")
        for k in range(len(shown)):
            r, c = divmod(k, cols)
            ax.text(c * (kw + 1) + kw / 2 - 0.5, r * (kh + 1) - 0.55, str(k), ha="center", va="bottom", fontsize=7)
        fig.suptitle(t("fig.filters_title", lang, title=title, filters=filters, kh=kh, kw=kw, more=more), fontsize=10)
        ax.axis("off")
        return fig

    norms = np.sqrt((weight ** 2).sum((2, 3)))  # [filters, channels]
    height = min(max(3.5, 0.07 * filters + 1.8), 11.0)
    fig = Figure(figsize=(12, height), dpi=DPI, layout="constrained")
    ax_map, ax_bar = fig.subplots(1, 2, width_ratios=[3, 1], sharey=True)
    im = ax_map.imshow(norms, cmap="viridis", aspect="auto", interpolation="nearest")
    ax_map.set_xlabel(t("fig.input_channel", lang))
    ax_map.set_ylabel(t("fig.filter", lang))
    ax_map.set_title(t("fig.filters_reads", lang, title=title, filters=filters, channels=channels),
                     fontsize=10)
    fig.colorbar(im, ax=ax_map, shrink=0.9, label=t("fig.slice_norm", lang, kh=kh, kw=kw))
    ax_bar.barh(range(filters), np.sqrt((weight ** 2).sum((1, 2, 3))), color="#4c72b0", height=0.8)
    ax_bar.set_xlabel(t("fig.kernel_norm", lang))
    ax_bar.set_title(t("fig.filter_size", lang), fontsize=10)
    ax_bar.grid(axis="x", alpha=0.3)
    return fig


def feature_maps_figure(image: np.ndarray, stages: list[tuple[str, np.ndarray]], title: str,
                        budget: int = 240, scale: float = 0.042, max_maps: int = 16, lang: str = "en") -> Figure:
    """The input and each stage's maps [C, h, w], all at the same scale (`scale` inches per map pixel), so
    that what strides and pooling do to the map size is seen, not only read. Each row shows as many maps
    as fit in `budget` pixels (at most `max_maps`), each scaled to its own range."""
    shape = " x ".join(map(str, image.shape))
    rows = [(t("fig.input_row", lang, shape=shape), np.asarray(image, dtype=np.float64) / 255.0, True)]
    rows += [(label, maps, False) for label, maps in stages]
    gap, text_h, top_h, pad = 0.16, 0.24, 0.45, 0.12  # inches: above a row, its title, the figure title, margin
    layout = []
    for label, maps, is_input in rows:
        channels, h, w = maps.shape
        per_row = 1 if is_input else max(1, min(channels, max_maps, (budget + 1) // (w + 1)))
        if per_row < channels:
            label += t("fig.first_maps", lang, n=per_row, channels=channels)
        layout.append((label, maps, is_input, per_row, (per_row * (w + 1) - 1) * scale, h * scale))
    text_w = 0.07 * max(len(label) + sum(ord(ch) > 0x2e80 for ch in label) for label, *_ in layout)  # Hangul: 2 wide  # inches a 9-pt row title needs, roughly
    width_in = max(max(w for *_, w, _ in layout), text_w, 6.0) + 2 * pad
    height_in = top_h + sum(gap + text_h + h for *_, h in layout) + pad
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    fig.text(0.5, 1 - 0.12 / height_in, title, ha="center", va="top", fontsize=11)
    y = height_in - top_h  # inches from the bottom, walking down
    for label, maps, is_input, per_row, w_in, h_in in layout:
        y -= gap
        fig.text(pad / width_in, y / height_in, label, ha="left", va="top", fontsize=9)
        y -= text_h + h_in
        if is_input and maps.shape[0] == 3:
            mosaic, style = maps.transpose(1, 2, 0), {}
        elif is_input:
            mosaic, style = maps[0], {"cmap": "gray", "vmin": 0, "vmax": 1}
        else:
            shown = maps[:per_row]
            lo = shown.min((1, 2), keepdims=True)
            span = shown.max((1, 2), keepdims=True) - lo
            mosaic = _mosaic(np.where(span > 0, (shown - lo) / np.where(span > 0, span, 1), 0.0), per_row)
            style = {"cmap": "magma", "vmin": 0, "vmax": 1}
        ax = fig.add_axes((pad / width_in, y / height_in, w_in / width_in, h_in / height_in))
        ax.imshow(mosaic, interpolation="nearest", aspect="auto", **style)
        ax.axis("off")
    return fig


def probabilities_figure(images: np.ndarray, probs: np.ndarray, classes: list[str], head: str,
                         captions: list[str], labels: list[int | None], lang: str = "en") -> Figure:
    """Each sample image beside the head's per-class output: softmax bars sum to 1, sigmoid bars are
    independent yes/no probabilities (their sum is printed, to show it need not be 1)."""
    n, k = len(images), len(classes)
    pairs = 2 if n > 3 else 1
    rows = math.ceil(n / pairs)
    long_names = max(map(len, classes)) > 2
    row_h = 1.9 if long_names else 1.55
    width = 6.5 * pairs
    note = t("fig.softmax_note" if head == "softmax" else "fig.sigmoid_note", lang)
    key = t("fig.colour_key", lang)
    # wrapped to the figure's width (about 12 characters of 10-pt text an inch), so it is never cut off
    title = "\n".join(textwrap.fill(line, int(width * (7 if lang == "ko" else 12))) for line in (note, key))  # Hangul is wider
    title_h = 0.41 + 0.17 * (title.count("\n") + 1)  # inches: the title's lines and the gap under them
    height = rows * row_h + title_h + 0.05
    fig = Figure(figsize=(width, height), dpi=DPI)
    fig.suptitle(title, fontsize=10, y=1 - 0.08 / height, va="top")
    grid = fig.add_gridspec(rows, 2 * pairs, width_ratios=[1, 4.2] * pairs, left=0.03, right=0.99,
                            top=1 - title_h / height, bottom=(0.75 if long_names else 0.4) / height,
                            hspace=0.9 if long_names else 0.6, wspace=0.25)
    names = [_short(c, 12) for c in classes]
    for i in range(n):
        r, c = divmod(i, pairs)
        ax_img = fig.add_subplot(grid[r, 2 * c])
        pixels, style = _pixels(images[i])
        ax_img.imshow(pixels, interpolation="nearest", **style)
        ax_img.set_title(captions[i], fontsize=8)
        ax_img.axis("off")
        ax = fig.add_subplot(grid[r, 2 * c + 1])
        p = probs[i]
        best = int(p.argmax())
        colors = [OTHER] * k
        colors[best] = RIGHT if labels[i] is None or labels[i] == best else WRONG
        ax.bar(range(k), p, color=colors)
        ax.set_ylim(0, 1.05)
        ax.set_xticks(range(k), names, fontsize=8 if k <= 12 else 6, rotation=35 if long_names else 0,
                      ha="right" if long_names else "center")
        if labels[i] is not None:  # the true class's name in bold, to find it when the model is wrong
            ax.get_xticklabels()[labels[i]].set_fontweight("bold")
        ax.set_ylabel(t("fig.probability", lang), fontsize=8)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
        ax.set_title(t("fig.sum", lang, sum=f"{p.sum():.2f}"), loc="right", fontsize=8, pad=2)
    return fig
