"""A self-contained HTML page: inline CSS, pictures embedded as base64 (it opens offline, alone, in any
browser), each also linked to its PNG file beside the page. Every piece of text is escaped here, at the
one place it becomes HTML, so a class or run name can never inject markup.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from html import escape

from mnistlab.report.figures import Picture

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f; margin: 0 auto;
       max-width: 1340px; padding: 1.5em 2em 4em; }
h1 { margin-bottom: 0.1em; } h2 { margin-top: 2.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
nav a { margin-right: 1em; } .muted { color: #666; }
table { border-collapse: collapse; margin: 0.8em 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.25em 0.8em; text-align: left; vertical-align: top; }
th { background: #f5f5f7; } td.num, th.num { text-align: right; } td.best { font-weight: 700; }
pre { background: #f5f5f7; padding: 0.8em 1em; overflow-x: auto; font-size: 13px; }
figure { margin: 1.2em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 14px; max-width: 70em; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; }
.card { background: #f5f5f7; border-radius: 8px; padding: 0.6em 1em; min-width: 9em; }
.card b { display: block; font-size: 1.4em; }
"""


NUM, MUTED = ' class="num"', ' class="muted"'


def picture(p: Picture) -> str:
    data = base64.b64encode(p.png).decode("ascii")
    caption = f"<figcaption>{escape(p.caption)}</figcaption>" if p.caption else ""
    return (f'<figure id="{escape(p.name)}"><a href="{escape(p.name)}">'
            f'<img src="data:image/png;base64,{data}" width="{p.width}" height="{p.height}" alt="{escape(p.title)}">'
            f"</a>{caption}</figure>")


def table(header: Sequence[str], rows: Iterable[Sequence], numeric: Iterable[int] = (),
          bold: Iterable[tuple[int, int]] = ()) -> str:
    """Cells are escaped; columns in `numeric` are right-aligned; (row, column) pairs in `bold` stand out."""
    numeric, bold = set(numeric), set(bold)
    head = "".join(f'<th{NUM if i in numeric else ""}>{escape(str(h))}</th>' for i, h in enumerate(header))
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, v in enumerate(row):
            cls = " ".join(x for x in ("num" if c in numeric else "", "best" if (r, c) in bold else "") if x)
            attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{attr}>{escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def cards(items: Iterable[tuple[str, str]]) -> str:
    inner = "".join(f'<div class="card"><b>{escape(v)}</b><span{MUTED}>{escape(k)}</span></div>' for k, v in items)
    return f'<div class="cards">{inner}</div>'


def section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{escape(anchor)}"><h2>{escape(title)}</h2>{"".join(parts)}</section>'


def subheading(text: str) -> str:
    return f"<h3>{escape(text)}</h3>"


def paragraph(text: str, muted: bool = False) -> str:
    return f'<p{MUTED if muted else ""}>{escape(text)}</p>'


def pre(text: str) -> str:
    return f"<pre>{escape(text)}</pre>"


def summary_table(summary: dict, lang: str = "en") -> str:
    """`models.summarize`'s data as a table: each layer's output shape and the arithmetic that gives it."""
    from mnistlab.i18n import t

    rows = [("", t("summary.input", lang), "", " x ".join(map(str, summary["input_shape"])), "", "", "")]
    rows += [(r["index"], r["type"], r["settings"], " x ".join(map(str, r["output_shape"])), ", ".join(r["arithmetic"]),
              f"{r['params']:,}", f"{r['macs']:,}") for r in summary["layers"]]
    rows.append(("", t("report.total", lang), "", "", "", f"{summary['total_params']:,}", f"{summary['total_macs']:,}"))
    return table(["#", t("summary.layer", lang), t("report.settings", lang), t("summary.output_shape", lang),
                  t("summary.how", lang), t("summary.params", lang), t("summary.macs", lang)], rows, numeric=(5, 6))


def details(summary: str, body: str) -> str:
    return f"<details><summary>{escape(summary)}</summary>{body}</details>"


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]], lang: str = "en") -> str:
    """`sections` are (anchor, title, html) triples; the page gets a table of contents from them. `lang`
    is the page's language, for screen readers and the browser's choice of fonts."""
    nav = "".join(f'<a href="#{escape(a)}">{escape(t)}</a>' for a, t, _ in sections)
    # The empty data: icon stops browsers from requesting /favicon.ico next to a file:// page.
    return (f"<!DOCTYPE html>\n<html lang=\"{escape(lang)}\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<link rel="icon" href="data:,"><title>{escape(title)}</title><style>{CSS}</style></head><body>'
            f"<h1>{escape(title)}</h1><p{MUTED}>{escape(subtitle)}</p><nav>{nav}</nav>"
            + "".join(section(a, t, body) for a, t, body in sections)
            + "</body></html>\n")
