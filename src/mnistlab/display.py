"""What the API's objects look like in Jupyter: `_repr_html_` fragments for a dataset, a summary, a run,
an evaluation, predictions and a comparison.

Every fragment is built from the report's escaping helpers (`report.html`), so a class or run name can
never inject markup, and pictures are the report's own figures, embedded as PNG. matplotlib and torch are
imported only when something is shown.
"""

from __future__ import annotations

import base64
import io
import sys
from html import escape

import numpy as np

# Jupyter styles tables itself; this only right-aligns the numbers and keeps pictures inside the cell.
STYLE = ("<style>.mnistlab td.num, .mnistlab th.num { text-align: right; } "
         ".mnistlab td, .mnistlab th { padding: 0.15em 0.6em; } "
         ".mnistlab img { max-width: 100%; height: auto; } .mnistlab h4 { margin: 0.6em 0 0.3em; } "
         ".mnistlab img.digit { image-rendering: pixelated; width: 56px; height: 56px; }</style>")


def inline(fig):
    """`fig`, made sure to draw as a picture when it is a Jupyter cell's value. The inline backend registers
    its Figure formatter when the backend is loaded, which pyplot does at its first figure; before that, a
    bare Figure prints as "<Figure size ...>". Loading the backend here does what pyplot would."""
    if "ipykernel" in sys.modules:
        import matplotlib

        if matplotlib.get_backend() in ("inline", "module://matplotlib_inline.backend_inline"):
            import matplotlib_inline.backend_inline  # noqa: F401  (registers the formatter as it loads)
    return fig


def box(title: str, *parts: str) -> str:
    """One object's display: a heading and its parts, in a div the style above applies to."""
    return f'<div class="mnistlab">{STYLE}<h4>{escape(title)}</h4>{"".join(parts)}</div>'


def figure_img(fig, alt: str) -> str:
    """A matplotlib Figure as an embedded PNG."""
    from mnistlab.report.figures import render

    p = render(fig, "figure.png", alt)
    data = base64.b64encode(p.png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" width="{p.width}" height="{p.height}" alt="{escape(alt)}">'


def digit_img(image: np.ndarray, alt: str) -> str:
    """A uint8 [C, H, W] image (what the network saw) as a small embedded PNG, drawn pixel by pixel."""
    from PIL import Image

    pixels = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels, dtype=np.uint8)).save(buf, format="PNG")
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img class="digit" src="data:image/png;base64,{data}" alt="{escape(alt)}">'


def key_values(rows) -> str:
    """A two-column table of headline numbers; rows whose value is None are left out."""
    body = "".join(f'<tr><th>{escape(str(k))}</th><td class="num">{escape(str(v))}</td></tr>'
                   for k, v in rows if v is not None)
    return f"<table><tbody>{body}</tbody></table>"


def dataset_html(ds, samples: int = 24) -> str:
    import torch

    from mnistlab.data.dataset import sample_figure
    from mnistlab.report import html as H

    counts = [torch.bincount(labels, minlength=ds.num_classes).tolist() for labels in (ds.train_labels, ds.test_labels)]
    table = H.table(["class", "train images", "test images"],
                    [(c, f"{a:,}", f"{b:,}") for c, a, b in zip(ds.classes, *counts)]
                    + [("total", f"{len(ds.train_labels):,}", f"{len(ds.test_labels):,}")], numeric=(1, 2))
    shape = " x ".join(map(str, ds.input_shape))
    grid = figure_img(sample_figure(ds, samples), f"{samples} training samples") if len(ds.train_labels) else ""
    return box(f"dataset {ds.name}: {ds.num_classes} classes, images {shape} (C x H x W)", table, grid)


def summary_html(summary: dict) -> str:
    from mnistlab.report import html as H

    shape = " x ".join(map(str, summary["input_shape"]))
    note = H.paragraph("valid: out = ceil((in - kernel_size + 1) / strides); same: out = ceil(in / strides), "
                       "zero padding as TensorFlow's SAME.", muted=True)
    return box(f"summary: input {shape}, {summary['output']} head, {summary['total_params']:,} parameters, "
               f"{summary['total_macs']:,} mult-adds per image", H.summary_table(summary), note)


def run_html(run) -> str:
    from mnistlab.report import html as H
    from mnistlab.report.run_report import curves

    result, history = run.result() or {}, run.metrics()
    target = run.config.train.target_accuracy
    reached = None
    if target is not None and result:
        reached = (f"{target:g}, reached at epoch {result['target_epoch']} after {result['target_seconds']:.1f} s"
                   if result.get("target_reached") else f"{target:g}, not reached")
    seconds = result.get("seconds")
    headline = key_values([
        ("status", result.get("status", "not finished (no result.json)")),
        ("test accuracy", _fmt(result.get("test_accuracy"))), ("test loss", _fmt(result.get("test_loss"))),
        ("epochs run", result.get("epochs_run", len(history))), ("target accuracy", reached),
        ("training time", None if seconds is None else f"{seconds:.1f} s"),
        ("dataset", run.meta.dataset), ("head", run.output), ("parameters", f"{run.meta.params:,}"),
        ("folder", str(run.path)),
    ])
    if not history:
        return box(f"run {run.name}", headline)
    rows = [(r["epoch"], *(_fmt(r.get(k)) or "" for k in ("loss", "accuracy", "val_loss", "val_accuracy")),
             f"{r['learning_rate']:.3g}", f"{r['seconds']:.1f}") for r in history]
    epochs = H.details("per-epoch numbers (metrics.csv)", H.table(
        ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning rate", "seconds"], rows,
        numeric=range(7)))
    return box(f"run {run.name}", headline, figure_img(curves(run, history, result), "training curves"), epochs)


def evaluation_html(m: dict, title: str) -> str:
    from mnistlab.report import html as H

    topk = next(k for k in m if k.startswith("top") and k.endswith("_accuracy"))
    headline = key_values([("images", f"{m['count']:,}"), ("accuracy", _fmt(m["accuracy"])),
                           ("loss", _fmt(m["loss"])), (topk.replace("_", " "), _fmt(m[topk])),
                           ("macro precision", _fmt(m["precision"])), ("macro recall", _fmt(m["recall"])),
                           ("macro F1", _fmt(m["f1"]))])
    per_class = H.table(["class", "precision", "recall", "F1", "support"],
                        [(r["class"], _fmt(r["precision"]), _fmt(r["recall"]), _fmt(r["f1"]), f"{r['support']:,}")
                         for r in m["per_class"]], numeric=range(1, 5))
    classes = [r["class"] for r in m["per_class"]]
    confusion = H.table(["true \\ predicted", *classes], [(c, *row) for c, row in zip(classes, m["confusion_matrix"])],
                        numeric=range(1, len(classes) + 1))
    return box(f"evaluation of {title}", headline, "<h4>per class</h4>", per_class,
               "<h4>confusion matrix (rows: true class, columns: predicted)</h4>", confusion)


def predictions_html(p) -> str:
    from mnistlab.report import html as H

    word = "probability" if p.head == "softmax" else "sigmoid output"
    cells = []
    for name, image, top in zip(p.names, p.inputs, p.top):
        ranked = ", ".join(f"{escape(t['class'])} {t['probability']:.1%}" for t in top)
        cells.append(f"<tr><td>{escape(name)}</td><td>{digit_img(image, name)}</td>"
                     f"<td><b>{escape(top[0]['class'])}</b></td><td>{ranked}</td></tr>")
    table = (f"<table><thead><tr><th>image</th><th>what the network saw</th><th>predicted</th>"
             f"<th>top classes ({word})</th></tr></thead><tbody>{''.join(cells)}</tbody></table>")
    note = ("softmax: the classes compete and the probabilities sum to 1" if p.head == "softmax" else
            "sigmoid: each class is its own yes/no question, 0..1; they need not sum to 1")
    return box(f"predictions of run {p.run}", table, H.paragraph(note, muted=True))


def comparison_html(data: dict) -> str:
    from mnistlab.report.compare import curves_figure, results_table, settings_table

    return box(f"comparison of {len(data['runs'])} runs", "<h4>results</h4>", results_table(data),
               "<h4>settings that differ</h4>", settings_table(data),
               figure_img(curves_figure(data), "validation curves"))


def _fmt(v) -> str | None:
    return None if v is None else f"{v:.4f}"
