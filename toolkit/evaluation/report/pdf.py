"""The report as a PDF (matplotlib's PdfPages): a summary page, then one page per plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from museokit.evaluation.report.figures import Plot, Table


def write(path: Path, title: str, subtitle: list[str], tables: list[Table], plots: list[Plot],
          progress: Callable[[], None] | None = None) -> None:
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    with PdfPages(path, metadata={"Title": title, "Creator": "museokit"}) as pdf:
        front = Figure(figsize=(8.27, 11.69))  # A4 portrait
        front.text(0.08, 0.95, title, fontsize=18, weight="bold", va="top")
        y = 0.91
        for line in subtitle:
            front.text(0.08, y, line, fontsize=9, color="#555555", va="top", wrap=True)
            y -= 0.025
        for table in tables:
            if y < 0.12:
                pdf.savefig(front)
                front = Figure(figsize=(8.27, 11.69))
                y = 0.95
            y -= 0.02
            front.text(0.08, y, table.title, fontsize=12, weight="bold", va="top")
            y -= 0.03
            rows = table.rows[:25] or [["–"]]
            for row in [table.head, *rows] if table.rows else rows:
                front.text(0.08, y, "   ".join(_cell(c) for c in row), fontsize=8, va="top",
                           family="DejaVu Sans Mono")
                y -= 0.018
                if y < 0.06:
                    pdf.savefig(front)
                    front = Figure(figsize=(8.27, 11.69))
                    y = 0.95
        pdf.savefig(front)
        for plot in plots:
            heading = plot.figure.suptitle(plot.title, fontsize=12, weight="bold")
            pdf.savefig(plot.figure)
            heading.remove()  # the same figure goes in the HTML, under its own heading
            if progress is not None:
                progress()


def _cell(text: str, size: int = 28) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
