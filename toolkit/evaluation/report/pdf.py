"""The report as a PDF (matplotlib's PdfPages): summary pages of text and tables (A4),
then one page per plot."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.evaluation.report.figures import Plot, Table

A4 = (8.27, 11.69)
LINE = 0.017
#: Widest column of a table, in characters (longer cells are cut with …).
CELL = 30
#: Characters across the page at the tables' size.
WIDTH = 112


class _Pages:
    """Lines of text down A4 pages, a new page when one is full."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf
        self.figure: Any = None
        self.y = 0.0
        self._new()

    def _new(self) -> None:
        from matplotlib.figure import Figure

        if self.figure is not None:
            self.pdf.savefig(self.figure)
        self.figure = Figure(figsize=A4)
        self.y = 0.95

    def text(self, line: str, size: float = 8, gap: float = LINE, **style: Any) -> None:
        if self.y < 0.05:
            self._new()
        self.figure.text(0.07, self.y, line, fontsize=size, va="top", **style)
        self.y -= gap

    def close(self) -> None:
        self.pdf.savefig(self.figure)


def write(path: Path, title: str, subtitle: list[str], tables: list[Table], plots: list[Plot],
          progress: Callable[[], None] | None = None) -> None:
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(path, metadata={"Title": title, "Creator": "museokit"}) as pdf:
        pages = _Pages(pdf)
        pages.text(title, size=17, gap=0.04, weight="bold")
        for paragraph in subtitle:
            for line in textwrap.wrap(paragraph, 105):
                pages.text(line, color="#555555")
            pages.y -= LINE / 2
        for table in tables:
            pages.y -= LINE
            pages.text(table.title, size=11, gap=0.026, weight="bold")
            for line in _lines(table):
                pages.text(line, size=7.5, family="DejaVu Sans Mono")
        pages.close()
        for plot in plots:
            heading = plot.figure.suptitle(plot.title, fontsize=12, weight="bold")
            pdf.savefig(plot.figure)
            heading.remove()  # the same figure goes in the HTML, under its own heading
            if progress is not None:
                progress()


def _lines(table: Table) -> list[str]:
    if not table.rows:
        return ["–"]
    n = len(table.head)
    cell = min(CELL, max(8, (WIDTH - 2 * (n - 1)) // n))
    rows = [[_cut(c, cell if i else CELL) for i, c in enumerate(row)]
            for row in [table.head, *table.rows]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
