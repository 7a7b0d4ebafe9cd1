"""`mnistlab compare RUN RUN...`: the settings that differ between runs, what each run got, and their
validation curves overlaid; as a plain-text table for the terminal and as an HTML page with its PNG.

Settings are compared key by key on the flattened config dicts ("train.learning_rate",
"model.layers[0].filters"); when the layer stacks themselves differ (other types or counts), a
key-by-key list would be noise, so the stacks are compared whole, in one line each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from mnistlab.config import layer_from_dict
from mnistlab.errors import MnistlabError
from mnistlab.files import write_bytes, write_text
from mnistlab.models import describe, summarize
from mnistlab.report import figures as F
from mnistlab.report import html as H
from mnistlab.runfolder import Run

MISSING = "-"
# (label, how to get it from a run's results, format, which value is best: max / min / None)
RESULTS = [
    ("test accuracy", "test_accuracy", "{:.4f}", max),
    ("test loss", "test_loss", "{:.4f}", min),
    ("best val accuracy", "best_val_accuracy", "{:.4f}", max),
    ("epochs run", "epochs_run", "{}", None),
    ("training time (s)", "seconds", "{:.1f}", min),
    ("seconds per epoch", "seconds_per_epoch", "{:.1f}", min),
    ("params", "params", "{:,}", None),
    ("mult-adds per image", "macs", "{:,}", None),
    ("status", "status", "{}", None),
]


def flatten(d: dict, prefix: str = "") -> dict[str, Any]:
    """{"train": {"epochs": 3}, "model": {"layers": [{"filters": 8}]}}
    -> {"train.epochs": 3, "model.layers[0].filters": 8}"""
    flat = {}
    for key, value in d.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            flat.update(flatten(value, path))
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for i, v in enumerate(value):
                flat.update(flatten(v, f"{path}[{i}]"))
        else:
            flat[path] = value
    return flat


def describe_layers(layers: list[dict]) -> str:
    """A layer stack in one line, e.g. "conv2d(32, 3x3, relu) maxpool2d(2x2) flatten dense(10)"."""
    return " ".join(describe(layer_from_dict(layer)) for layer in layers)


def _show(v) -> str:
    if v is MISSING or v is None:
        return MISSING
    if isinstance(v, list):
        return ", ".join(map(str, v))
    return f"{v:g}" if isinstance(v, float) else str(v)


def compare_runs(paths: list[str | Path]) -> dict:
    """The comparison as plain data: labels, differing settings, results and per-epoch histories."""
    if len(paths) < 2:
        raise MnistlabError("report.compare_two")
    runs = [Run.open(p) for p in paths]
    labels = [r.name for r in runs]
    if len(set(labels)) < len(labels):  # same folder name in different places: use the paths
        labels = [str(r.path) for r in runs]
    dicts = [r.config.to_dict() for r in runs]
    stacks = [[layer["type"] for layer in d["model"]["layers"]] for d in dicts]
    layers = None
    if any(s != stacks[0] for s in stacks):
        layers = [describe_layers(d["model"].pop("layers")) for d in dicts]
    flats = [flatten(d) for d in dicts]
    keys = list(dict.fromkeys(k for f in flats for k in f))  # union, in config order
    settings = [(k, [f.get(k, MISSING) for f in flats]) for k in keys
                if len({repr(f.get(k, MISSING)) for f in flats}) > 1]
    if layers is not None:
        settings.insert(0, ("model.layers", layers))
    return {"runs": labels, "paths": [str(r.path) for r in runs], "settings": settings,
            "results": [_results(r) for r in runs], "histories": [r.metrics() for r in runs],
            "losses": [r.config.train.loss for r in runs]}


def _results(run: Run) -> dict:
    result, history = run.result() or {}, run.metrics()
    vals = [r["val_accuracy"] for r in history if r.get("val_accuracy") is not None]
    macs = summarize(run.config.model, run.input_shape, len(run.classes))["total_macs"]
    return {
        "test_accuracy": result.get("test_accuracy"), "test_loss": result.get("test_loss"),
        "best_val_accuracy": max(vals) if vals else None,
        "epochs_run": result.get("epochs_run", len(history)),
        "seconds": result.get("seconds", history[-1]["elapsed"] if history else None),
        "seconds_per_epoch": sum(r["seconds"] for r in history) / len(history) if history else None,
        "params": run.meta.params, "macs": macs,
        "status": result.get("status", "unfinished"),
    }


def _result_rows(data: dict) -> list[tuple[str, list[str], int | None]]:
    """(label, formatted values, index of the best run or None)."""
    rows = []
    for label, key, fmt, best in RESULTS:
        values = [r[key] for r in data["results"]]
        known = [(v, i) for i, v in enumerate(values) if v is not None]
        winner = best(known)[1] if best and len(known) > 1 and len({v for v, _ in known}) > 1 else None
        rows.append((label, [MISSING if v is None else fmt.format(v) for v in values], winner))
    return rows


def format_comparison(data: dict) -> str:
    """The terminal version: two aligned tables, then the layer stacks if they differ."""
    long = {"model.layers"}  # too wide for a table cell: listed under it
    rows = [("settings that differ", *data["runs"])]
    rows += [(k, *(("(below)" if k in long else _show(v)) for v in vs)) for k, vs in data["settings"]]
    if not data["settings"]:
        rows.append(("(none: the configs are identical)", *[""] * len(data["runs"])))
    rows.append(("", *[""] * len(data["runs"])))
    rows.append(("results", *[""] * len(data["runs"])))
    rows += [(label, *(v + (" *" if i == best else "") for i, v in enumerate(values)))
             for label, values, best in _result_rows(data)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for key, values in data["settings"]:
        if key in long:
            lines += ["", f"{key}:"] + [f"  {run}: {v}" for run, v in zip(data["runs"], values)]
    lines += ["", "* best of the runs"]
    return "\n".join(lines)


def curves_figure(data: dict) -> Figure:
    """Validation accuracy and loss per epoch, one colour per run (train curves, dashed, for runs without
    a validation split). Losses of different kinds are not on one scale, so each kind gets its own panel."""
    losses = data["losses"]
    kinds = list(dict.fromkeys(losses))
    fig = Figure(figsize=(13 if len(kinds) == 1 else 16, 4.5), dpi=F.DPI, layout="constrained")
    ax_acc, *loss_axes = fig.subplots(1, 1 + len(kinds))
    epochs_seen = [r["epoch"] for history in data["histories"] for r in history] or [1]
    for k, (label, history, loss) in enumerate(zip(data["runs"], data["histories"], losses)):
        if not history:
            continue
        color = f"C{k % 10}"
        has_val = any(r.get("val_accuracy") is not None for r in history)
        prefix, style = ("val_", "o-") if has_val else ("", "o--")
        name = label if has_val else f"{label} (train: no validation split)"
        epochs = [r["epoch"] for r in history]
        ax_acc.plot(epochs, [r[f"{prefix}accuracy"] for r in history], style, color=color, label=name, ms=4)
        loss_axes[kinds.index(loss)].plot(epochs, [r[f"{prefix}loss"] for r in history], style, color=color,
                                          label=name, ms=4)
    panels = [(ax_acc, "accuracy")] + [(ax, F.loss_name(kind)) for ax, kind in zip(loss_axes, kinds)]
    for ax, what in panels:
        ax.set_title(f"validation {what} per epoch", fontsize=11)
        ax.set_ylabel(f"validation {what}")
        ax.grid(alpha=0.3)
        F.epoch_axis(ax, min(epochs_seen) - 0.5, max(epochs_seen) + 0.5)
    ax_acc.legend(fontsize=9)
    if len(kinds) > 1:
        for ax in loss_axes:
            ax.legend(fontsize=9)
        fig.suptitle(f"The runs minimised different losses, drawn in separate panels: {F.BCE_NOTE}.", fontsize=10)
    return fig


def results_table(data: dict) -> str:
    """The results as HTML, the best of the runs in bold."""
    runs, result_rows = data["runs"], _result_rows(data)
    return H.table(["result", *runs], [(label, *values) for label, values, _ in result_rows],
                   numeric=range(1, len(runs) + 1),
                   bold=[(r, best + 1) for r, (_, _, best) in enumerate(result_rows) if best is not None]) \
        + H.paragraph("bold: the best of the runs", True)


def settings_table(data: dict) -> str:
    """The settings that differ as HTML."""
    settings = [(k, *(_show(v) for v in vs)) for k, vs in data["settings"]]
    if not settings:
        return H.paragraph("none: the configs are identical")
    return H.table(["setting", *data["runs"]], settings)


def write_comparison(data: dict, out: str | Path) -> Path:
    """OUT/compare.html (self-contained) and OUT/compare-curves.png; returns the page's path."""
    out = Path(out)
    picture = F.render(curves_figure(data), "compare-curves.png", "validation curves",
                       "Each run's validation accuracy and loss after every epoch. Curves that are still rising at "
                       "the end had more to learn; a loss that turns up while accuracy stalls is overfitting.")
    runs = data["runs"]
    sections = [
        ("results", "Results", results_table(data)),
        ("settings", "Settings that differ", settings_table(data)),
        ("curves", "Curves", H.picture(picture)),
        ("runs", "Run folders", H.table(["run", "folder"], zip(runs, data["paths"]))),
    ]
    write_bytes(out / picture.name, picture.png)
    path = out / "compare.html"
    write_text(path, H.page(f"mnistlab compare: {len(runs)} runs", " vs ".join(runs), sections))
    return path
