"""One self-contained HTML page: inline CSS, every plot as inline SVG, no script, no network."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

from museokit.evaluation.report.figures import Plot, Table

_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:2em auto;
max-width:60em;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.7em;margin-bottom:.2em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em}table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f3f5f7}td.n{text-align:right}figure{margin:1em 0}figure svg{max-width:100%;height:auto}
figcaption{font-weight:600;margin-bottom:.3em}.empty{color:#777}
"""


def svg(plot: Plot) -> str:
    buffer = io.StringIO()
    plot.figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]  # drop the XML prolog and doctype: inline SVG needs neither
    return _METADATA.sub("", text, count=1)  # nor the RDF block naming matplotlib


def page(title: str, subtitle: list[str], tables: list[Table], plots: list[Plot], lang: str,
         notes: list[str], progress: Callable[[], None] | None = None) -> str:
    esc = html.escape
    parts = [f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>",
             f"<h1>{esc(title)}</h1>",
             *(f'<p class="meta">{esc(line)}</p>' for line in subtitle)]
    summary, *rest = tables
    parts.append(_table(summary))
    for plot in plots:
        parts.append(f'<h2 id="h-{plot.key}">{esc(plot.title)}</h2>')
        parts.append(f'<figure class="plot" id="plot-{plot.key}" data-plot="{plot.key}">'
                     f"{svg(plot)}</figure>")
        if progress is not None:
            progress()
    for table in rest:
        parts.append(f'<h2 id="h-{table.key}">{esc(table.title)}</h2>')
        parts.append(_table(table))
    parts += [f'<p class="meta">{esc(note)}</p>' for note in notes]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _table(table: Table) -> str:
    esc = html.escape
    if not table.rows:
        return f'<p class="empty" id="table-{table.key}">–</p>'
    head = "".join(f"<th>{esc(h)}</th>" for h in table.head)
    rows = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    return f'<table id="table-{table.key}"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
