"""`summary`: every layer's settings, output shape, the arithmetic behind it, parameters and multiply-adds.

It reads the `LayerInfo`s that `build.infer` records while sizing the network, so the arithmetic shown
is the arithmetic that built the model.
"""

from __future__ import annotations

from mnistlab import config as C
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


def format_summary(summary: dict) -> str:
    """A plain-text table a learner can read: why each layer has the shape it has."""
    rows = [("#", "layer", "output shape", "how the shape is computed", "params", "mult-adds")]
    rows.append(("", "input", _shape(summary["input_shape"]), "", "", ""))
    for layer in summary["layers"]:
        rows.append((str(layer["index"]), layer["type"], _shape(layer["output_shape"]),
                     ", ".join(layer["arithmetic"]), f"{layer['params']:,}", f"{layer['macs']:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.rjust(w) if i >= 4 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append("settings:")
    for layer in summary["layers"]:
        if layer["settings"]:
            lines.append(f"  {layer['index']:>2} {layer['type']}: {layer['settings']}")
    lines.append("")
    lines.append(f"head: {summary['output']}  total params: {summary['total_params']:,}  "
                 f"mult-adds per image: {summary['total_macs']:,} ({summary['total_macs'] * 2 / 1e6:.1f} MFLOPs)")
    return "\n".join(lines)
