"""The sweep report: one self-contained HTML page (figures embedded as PNG), with the PNGs beside it.

It answers what a sweep is for: which trials won (the best-trials table), what each hyperparameter
does to validation accuracy and to training time (one pair of plots per hyperparameter), and which
hyperparameters matter most (Optuna's importance ranking, for accuracy and for time). Pruned and
invalid trials are listed with their reasons. Figures use `matplotlib.figure.Figure` directly, so no
pyplot state or GUI backend is involved.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
import time
import warnings
from collections import Counter
from pathlib import Path

from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from mnistlab.files import write_bytes, write_text

MIN_TRIALS_FOR_IMPORTANCE = 4  # below this, any ranking is noise
BEST_ROWS = 10
STYLE = ("body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
         "table{border-collapse:collapse;font-size:13px;margin:1em 0}"
         "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}th{background:#f3f3f3}"
         "td.l{text-align:left}img{max-width:100%}")


def _png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return buf.getvalue()


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return "" if v is None else str(v)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()


def _is_log(study, name: str) -> bool:
    for t in study.trials:
        if name in t.distributions:
            return bool(getattr(t.distributions[name], "log", False))
    return False


def effect_figure(study, name: str, trials: list) -> Figure:
    """Validation accuracy and seconds against one hyperparameter, over the completed trials."""
    fig = Figure(figsize=(9, 3.2), layout="constrained")
    values = [t.params[name] for t in trials]
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
    for ax, (label, ys) in zip(fig.subplots(1, 2), (
            ("validation accuracy", [t.value for t in trials]),
            ("seconds", [t.user_attrs.get("seconds", math.nan) for t in trials]))):
        if numeric:
            ax.scatter(values, ys, s=22, alpha=0.8)
            if _is_log(study, name):
                ax.set_xscale("log")
                ax.xaxis.set_minor_formatter(NullFormatter())  # 2x10^-3, 3x10^-3, ... would collide
        else:  # a choice: one box per value, the trials as points on it
            cats = sorted({str(v) for v in values})
            groups = [[y for v, y in zip(values, ys) if str(v) == c] for c in cats]
            ax.boxplot(groups)
            ax.set_xticks(range(1, len(cats) + 1), cats)
            for i, g in enumerate(groups, start=1):
                ax.scatter([i] * len(g), g, s=14, alpha=0.6)
        ax.set_xlabel(name)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    fig.suptitle(f"{name}: effect on validation accuracy and time ({len(trials)} completed trials)", fontsize=10)
    return fig


def importances(study, complete: list) -> tuple[dict, dict, str | None]:
    """(importance for accuracy, importance for seconds, or a note saying why there is none)."""
    import optuna

    if len(complete) < MIN_TRIALS_FOR_IMPORTANCE:
        return {}, {}, (f"the importance ranking needs at least {MIN_TRIALS_FOR_IMPORTANCE} completed trials; "
                        f"this study has {len(complete)}")

    def rank(values: list, target=None) -> dict:
        if len(set(values)) < 2:  # every trial scored the same: nothing separates good from bad
            return {}
        with warnings.catch_warnings():  # its note that with a `target` it ranks for low values: as meant for time
            warnings.simplefilter("ignore", UserWarning)
            # PED-ANOVA (Optuna >= 3.6) needs no scikit-learn; fANOVA does.
            return optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.PedAnovaImportanceEvaluator(), target=target)

    try:
        acc = rank([t.value for t in complete])
        secs = rank([t.user_attrs.get("seconds") for t in complete], lambda t: t.user_attrs.get("seconds", math.nan))
    except (RuntimeError, ValueError) as e:
        return {}, {}, f"no importance ranking: {e}"
    if not acc and not secs:
        return {}, {}, "every completed trial has the same validation accuracy and time: there is nothing to rank"
    return acc, secs, None


def importance_figure(acc: dict, secs: dict) -> Figure:
    fig = Figure(figsize=(9, 0.8 + 0.4 * max(len(acc), len(secs))), layout="constrained")
    for ax, (title, imp) in zip(fig.subplots(1, 2), (("validation accuracy", acc), ("seconds", secs))):
        ax.set_title(f"importance for {title}", fontsize=10)
        if not imp:
            ax.text(0.5, 0.5, f"every trial has the same {title}", ha="center", va="center")
            ax.set_axis_off()
            continue
        names = list(imp)[::-1]  # most important on top
        ax.barh(names, [imp[n] for n in names])
        ax.set_xlim(0, 1)
    return fig


def write_report(study, out: str | Path) -> Path:
    """Write OUT (an .html file) and its figures as OUT-stem-*.png; returns the HTML path."""
    out = Path(out)
    trials = study.trials
    complete = sorted((t for t in trials if t.state.name == "COMPLETE"), key=lambda t: -t.value)
    others = [t for t in trials if t.state.name != "COMPLETE"]
    names = sorted({k for t in trials for k in t.params})
    figures: dict[str, bytes] = {}  # file name -> PNG; "importance" first, then one per hyperparameter
    acc, secs, note = importances(study, complete)
    if note is None:
        figures[f"{out.stem}-importance.png"] = _png(importance_figure(acc, secs))
    effects = []  # (hyperparameter, file name)
    for name in names if complete else []:
        file = f"{out.stem}-{_slug(name)}.png"
        figures[file] = _png(effect_figure(study, name, [t for t in complete if name in t.params]))
        effects.append((name, file))
    for file, png in figures.items():
        write_bytes(out.parent / file, png)

    counts = Counter(t.state.name.lower() for t in trials)
    e = html.escape
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>Sweep {e(study.study_name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>Sweep {e(study.study_name)}</h1>",
        f"<p>{len(trials)} trials: " + ", ".join(f"{n} {e(s)}" for s, n in sorted(counts.items())) +
        f". Objective: the last epoch's validation accuracy (maximised). "
        f"Written {time.strftime('%Y-%m-%d %H:%M')}.</p>",
        "<h2>Best trials</h2>",
    ]
    if complete:
        head = ["rank", "trial", "val accuracy", "test accuracy", "seconds", "weights", *names, "run"]
        rows = [[i + 1, t.number, t.value, t.user_attrs.get("test_accuracy"), t.user_attrs.get("seconds"),
                 t.user_attrs.get("params"), *(t.params.get(n) for n in names), t.user_attrs.get("run", "")]
                for i, t in enumerate(complete[:BEST_ROWS])]
        parts.append(_table(head, rows))
    else:
        parts.append("<p>No trial has completed yet.</p>")
    parts.append("<h2>Importance</h2>")
    if note:
        parts.append(f"<p>{e(note)}</p>")
    else:
        parts.append("<p>Optuna's PED-ANOVA importance: how much each hyperparameter's value separates the best "
                     "trials from the rest (left) and the fastest from the rest (right); each side sums to 1.</p>")
        parts.append(_img("importance", figures[f"{out.stem}-importance.png"]))
    if effects:
        parts.append("<h2>Effect of each hyperparameter</h2>")
        parts.extend(f"<h3>{e(name)}</h3>{_img(name, figures[file])}" for name, file in effects)
    if others:
        parts.append("<h2>Pruned, failed and running trials</h2>")
        rows = [[t.number, t.state.name.lower(), _reason(t), *(t.params.get(n) for n in names)] for t in others]
        parts.append(_table(["trial", "state", "reason", *names], rows, left={2}))
    parts.append("</body></html>\n")
    write_text(out, "\n".join(parts))
    return out


def _img(alt: str, png: bytes) -> str:
    return f"<img alt='{html.escape(alt)}' src='data:image/png;base64,{base64.b64encode(png).decode()}'>"


def _reason(t) -> str:
    if "error" in t.user_attrs:
        return t.user_attrs["error"]
    if "pruned_at_epoch" in t.user_attrs:
        last = t.intermediate_values.get(t.user_attrs["pruned_at_epoch"])
        return f"pruned after epoch {t.user_attrs['pruned_at_epoch']} (val accuracy {_fmt(last)})"
    return t.system_attrs.get("fail_reason", "")


def _table(head: list, rows: list[list], left: set[int] = frozenset()) -> str:
    e = html.escape
    out = ["<table><tr>" + "".join(f"<th>{e(str(h))}</th>" for h in head) + "</tr>"]
    for row in rows:
        cells = "".join(f"<td{' class=l' if i in left or isinstance(v, str) else ''}>{e(_fmt(v))}</td>"
                        for i, v in enumerate(row))
        out.append(f"<tr>{cells}</tr>")
    return "".join(out) + "</table>"
