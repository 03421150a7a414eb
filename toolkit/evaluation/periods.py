"""Dates on the command line (`--from`, `--to`, `--compare FROM..TO`) as periods of a log.

A date alone is a whole local day (`--to 2026-01-11` includes the 11th); a date with a
time (`2026-01-05 14:00`, or `2026-01-05T14:00`) is that moment. Every mistake is one
line, a `PeriodError`, naming the option and how to write it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from museokit.evaluation.metrics import Period

HINT = "write YYYY-MM-DD (a whole day) or 'YYYY-MM-DD HH:MM'"


class PeriodError(ValueError):
    pass


def moment(text: str, option: str, *, end: bool = False) -> float:
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d")
            return (day + timedelta(days=1) if end else day).timestamp()
        return datetime.fromisoformat(text.replace(" ", "T", 1)).timestamp()
    except ValueError:
        raise PeriodError(f"{option} {text!r}: not a date — {HINT}") from None


def period(start: str | None, end: str | None, span: tuple[float, float], option: str = "--from/--to"
           ) -> Period:
    """The period from `start` to `end` (either None: the log's first or last event)."""
    a = moment(start, "--from") if start else span[0]
    b = moment(end, "--to", end=True) if end else span[1] + 1e-3
    if b <= a:
        raise PeriodError(f"{option}: the end ({_show(b)}) is not after the start ({_show(a)})")
    return Period(a, b, label(a, b))


def compare(text: str) -> tuple[str, str]:
    first, sep, second = text.partition("..")
    if not sep or not first.strip() or not second.strip():
        raise PeriodError(f"--compare {text!r}: write FROM..TO, like 2026-01-05..2026-01-11")
    return first.strip(), second.strip()


def label(a: float, b: float) -> str:
    first = datetime.fromtimestamp(a)
    last = datetime.fromtimestamp(b - 1e-3)
    if first.date() == last.date():
        return f"{first:%Y-%m-%d}"
    return f"{first:%Y-%m-%d} → {last:%Y-%m-%d}"


def _show(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
