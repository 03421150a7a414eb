"""`museokit report PATH [--log FILE] [--from D --to D] [--compare FROM..TO] [--lang fr|en]
--out FILE [--out FILE ...]`: HTML, PDF, CSV or JSON, chosen by each file's extension.

PATH is the installation (its log is found in its state folder, or given with
`--log`) or the log file itself (the rules are then guessed from its events).
Every mistake is one line on stderr and exit status 1 (2 for usage).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit import __version__
from museokit.evaluation.metrics import Metrics, compute
from museokit.evaluation.periods import PeriodError, compare, label, period
from museokit.evaluation.rules import Rules, from_installation, guessed
from museokit.evaluation.source import add_arguments, locate
from museokit.ops.interactions.schema import LogError, open_for_reading

FORMATS = (".html", ".htm", ".pdf", ".csv", ".json")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="evaluation report from the interaction log (HTML, PDF, "
                                      "CSV, JSON)",
                       description="Sessions, attraction and holding power, completions, uptime "
                                   "— from the interaction log, in French or English.")
    add_arguments(p)
    p.add_argument("--compare", metavar="FROM..TO", help="a second period, side by side")
    p.add_argument("--lang", choices=("fr", "en"), default="fr", help="labels (default: fr)")
    p.add_argument("--out", action="append", required=True, type=Path, metavar="FILE",
                   help="report.html, report.pdf, metrics.csv or metrics.json (repeatable)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    for out in args.out:
        if out.suffix.lower() not in FORMATS:
            return _fail(f"--out {out}: unknown format {out.suffix or '(none)'!r} — use .html, "
                         ".pdf, .csv or .json", EXIT_USAGE)
    found = locate(args)
    if isinstance(found, int):
        return found
    log_path, inst = found
    rules = from_installation(inst) if inst is not None else None
    try:
        db = open_for_reading(log_path)
    except LogError as exc:
        return _fail(str(exc))
    try:
        return _report(args, db, log_path, rules)
    finally:
        db.close()


def _report(args: argparse.Namespace, db: Any, log_path: Path, rules: Rules | None) -> int:
    first, last = db.execute("SELECT min(ts), max(ts) FROM events").fetchone()
    if first is None:
        return _fail(f"{log_path}: the interaction log is empty — nothing to report yet")
    span = (float(first), float(last))
    try:
        periods = [period(args.start, args.end, span)]
        if args.compare:
            a, b = compare(args.compare)
            periods.append(period(a, b, span, "--compare"))
    except PeriodError as exc:
        return _fail(str(exc))
    counts = [db.execute("SELECT count(*) FROM events WHERE ts >= ? AND ts < ?",
                         (p.start, p.end)).fetchone()[0] for p in periods]
    whole = f"{log_path} has events from {label(*span)}"
    if counts[0] == 0:
        return _fail(f"no events from {periods[0].label} ({whole}) — choose --from/--to inside it")
    if len(periods) > 1 and counts[1] == 0:
        return _fail(f"--compare {args.compare}: no events in that range ({whole})")
    if rules is None:
        rules = guessed(_keys(db))
    bar = Progress(sum(counts) + 9 * len(args.out) * len(periods))
    started = time.perf_counter()
    metrics = []
    for p in periods:
        metrics.append(compute(db, rules, p, progress=bar.from_here()))
    drawn: list[Any] = []  # the plots, drawn once for every HTML and PDF file
    for out in args.out:
        try:
            _write(out, metrics, args.lang, log_path, bar.step, drawn)
        except OSError as exc:
            bar.finish()
            return _fail(f"--out {out}: cannot write: {exc.strerror or exc}")
    bar.finish()
    print(f"report: {', '.join(map(str, args.out))} — {metrics[0].events:,} events, "
          f"{metrics[0].sessions:,} sessions ({time.perf_counter() - started:.1f} s)")
    return EXIT_OK


def _keys(db: Any) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = {}
    for device, name in db.execute("SELECT DISTINCT device, name FROM events"):
        keys.setdefault(device, set()).add(name)
    return keys


def _write(out: Path, metrics: list[Metrics], lang: str, log_path: Path,
           step: Callable[[], None], drawn: list[Any]) -> None:
    from museokit.evaluation.report import tables as data

    suffix = out.suffix.lower()
    if suffix in (".csv", ".json"):
        out.write_text(data.to_csv(metrics) if suffix == ".csv" else data.to_json(metrics),
                       encoding="utf-8")
        return
    from museokit.evaluation.report.figures import plots, tables
    from museokit.evaluation.report.labels import words

    w = words(lang)
    rules = metrics[0].rules
    title = f"{w['title']} — {rules.name}" if rules.name else w["title"]
    subtitle = [f"{w['period']}: {metrics[0].period.label}" +
                (f" · {w['compare']}: {metrics[1].period.label}" if len(metrics) > 1 else ""),
                w["made_by"].format(version=__version__, log=log_path.name)]
    notes = [w["definitions"] + " — " + w["def_text"].format(gap=rules.session_gap,
                                                          stop=rules.stop_seconds), w["privacy"]]
    if not drawn:
        drawn += plots(metrics, w, lang)
    figs = drawn
    if suffix == ".pdf":
        from museokit.evaluation.report import pdf

        pdf.write(out, title, subtitle + notes, tables(metrics, w), figs, step)
    else:
        from museokit.evaluation.report import html

        out.write_text(html.page(title, subtitle, tables(metrics, w), figs, lang, notes, step),
                       encoding="utf-8")


class Progress:
    """A bar on stderr for reports that take a while (a terminal only; quiet otherwise)."""

    def __init__(self, total: int) -> None:
        self.total = max(1, total)
        self.done = 0
        self.tty = sys.stderr.isatty()
        self._shown = -1

    def set(self, done: int) -> None:
        self.done = done
        if not self.tty:
            return
        filled = min(30, int(30 * done / self.total))
        if filled != self._shown:
            self._shown = filled
            sys.stderr.write(f"\r  report [{'#' * filled}{'.' * (30 - filled)}] "
                             f"{100 * done // self.total:3d} %")
            sys.stderr.flush()

    def from_here(self) -> Callable[[int], None]:
        """A callback for counts that start at the current position."""
        base = self.done
        return lambda n: self.set(base + n)

    def step(self) -> None:
        self.set(self.done + 1)

    def finish(self) -> None:
        if self.tty and self._shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _fail(message: str, status: int = EXIT_FAILED) -> int:
    print(f"museokit: {message}", file=sys.stderr)
    return status
