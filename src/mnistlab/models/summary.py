"""`summary`: every layer's settings, output shape, the arithmetic behind it, parameters and multiply-adds.

It reads the `LayerInfo`s that `build.infer` records while sizing the network, so the arithmetic shown
is the arithmetic that built the model.
"""

from __future__ import annotations

import unicodedata

from mnistlab import config as C
from mnistlab.i18n import t
from mnistlab.models.build import LayerInfo, infer


def summarize(model_cfg: C.ModelConfig, input_shape: tuple[int, ...], num_classes: int) -> dict:
    """The summary as plain data (this is `summary --json`)."""
    _, infos = infer(model_cfg, input_shape, num_classes)
    return {
        "input_shape": list(input_shape),
        "output": model_cfg.output,
        "layers": [_info_dict(i) for i in infos],
        "total_params": sum(i.params for i in infos),
        "total_macs": sum(i.macs for i in infos),
    }


def _info_dict(info: LayerInfo) -> dict:
    return {
        "index": info.index, "type": info.type, "settings": info.settings,
        "input_shape": list(info.input_shape), "output_shape": list(info.output_shape),
        "arithmetic": list(info.arithmetic), "params": info.params, "macs": info.macs,
    }


def _shape(s) -> str:
    return " x ".join(map(str, s))


def format_summary(summary: dict, lang: str = "en") -> str:
    """A plain-text table a learner can read: why each layer has the shape it has."""
    rows = [("#", t("summary.layer", lang), t("summary.output_shape", lang), t("summary.how", lang),
             t("summary.params", lang), t("summary.macs", lang))]
    rows.append(("", t("summary.input", lang), _shape(summary["input_shape"]), "", "", ""))
    for layer in summary["layers"]:
        rows.append((str(layer["index"]), layer["type"], _shape(layer["output_shape"]),
                     ", ".join(layer["arithmetic"]), f"{layer['params']:,}", f"{layer['macs']:,}"))
    widths = [max(_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(_pad(c, w, right=i >= 4) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(t("summary.settings", lang))
    for layer in summary["layers"]:
        if layer["settings"]:
            lines.append(f"  {layer['index']:>2} {layer['type']}: {layer['settings']}")
    lines.append("")
    lines.append(t("summary.total", lang, head=t(f"name.{summary['output']}", lang),
                   params=f"{summary['total_params']:,}", macs=f"{summary['total_macs']:,}",
                   mflops=f"{summary['total_macs'] * 2 / 1e6:.1f}"))
    return "\n".join(lines)


def _width(text: str) -> int:
    """Columns a terminal gives `text`: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill
