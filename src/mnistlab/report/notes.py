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
