"""Reading the interaction log: events in a time range, runs, counts per day.

    for row in read_events(path, start, end, devices=["door"], names=["pressed"]):
        print(row.ts, row.node, row.device, row.name, row.value)

Readers open the database read-only, so they run beside a live writer (WAL).
Times are unix seconds; days are the machine's local days (the gallery's).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from museokit.ops.interactions.schema import open_for_reading


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One row of `events`; `value` is decoded from its JSON on first use."""

    id: int
    ts: float
    node: str
    device: str
    name: str
    raw: str | None
    seq: int | None

    @property
    def value(self) -> Any:
        return None if self.raw is None else json.loads(self.raw)

    @property
    def key(self) -> str:
        return f"{self.device}.{self.name}"


@dataclass(frozen=True, slots=True)
class Run:
    """One start of a node's log writer: the node was up from `started` to `last_seen`."""

    node: str
    started: float
    last_seen: float
    stopped: float | None
    version: str
    installation: str


def _where(start: float | None, end: float | None, devices: Iterable[str] | None,
           names: Iterable[str] | None) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    args: list[Any] = []
    if start is not None:
        clauses.append("ts >= ?")
        args.append(start)
    if end is not None:
        clauses.append("ts < ?")
        args.append(end)
    for column, wanted in (("device", devices), ("name", names)):
        if wanted is not None:
            wanted = list(wanted)
            clauses.append(f"{column} IN ({', '.join('?' * len(wanted))})" if wanted else "0")
            args += wanted
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def read_events(path: str | Path, start: float | None = None, end: float | None = None,
                devices: Iterable[str] | None = None, names: Iterable[str] | None = None,
                *, after_id: int = 0) -> Iterator[LoggedEvent]:
    """Events with `start <= ts < end` (either may be None), oldest first.

    Raises LogError (one line) if the file is missing, not a log, or too new.
    """
    db = open_for_reading(Path(path))
    try:
        where, args = _where(start, end, devices, names)
        if after_id:
            where += (" AND" if where else " WHERE") + " id > ?"
            args.append(after_id)
        cursor = db.execute(f"SELECT id, ts, node, device, name, value, seq FROM events{where} "
                            "ORDER BY ts, id", args)
        cursor.arraysize = 4096
        while True:
            chunk = cursor.fetchmany()
            if not chunk:
                break
            for row in chunk:
                yield LoggedEvent(*row)
    finally:
        db.close()


def read_runs(path: str | Path) -> list[Run]:
    db = open_for_reading(Path(path))
    try:
        return [Run(*row) for row in db.execute(
            "SELECT node, started, last_seen, stopped, version, installation FROM runs "
            "ORDER BY started")]
    finally:
        db.close()


def time_span(path: str | Path) -> tuple[float, float] | None:
    """The first and last event times, or None for an empty log."""
    db = open_for_reading(Path(path))
    try:
        first, last = db.execute("SELECT min(ts), max(ts) FROM events").fetchone()
    finally:
        db.close()
    return None if first is None else (float(first), float(last))


def count_events(path: str | Path, start: float | None = None, end: float | None = None,
                 devices: Iterable[str] | None = None, names: Iterable[str] | None = None) -> int:
    db = open_for_reading(Path(path))
    try:
        where, args = _where(start, end, devices, names)
        return int(db.execute(f"SELECT count(*) FROM events{where}", args).fetchone()[0])
    finally:
        db.close()


def count_by_day(path: str | Path, start: float | None = None, end: float | None = None,
                 devices: Iterable[str] | None = None, names: Iterable[str] | None = None
                 ) -> dict[str, int]:
    """Events per local day, `{"2026-01-05": 412, ...}`, days in order."""
    db = open_for_reading(Path(path))
    try:
        where, args = _where(start, end, devices, names)
        rows = db.execute(f"SELECT date(ts, 'unixepoch', 'localtime') AS day, count(*) "
                          f"FROM events{where} GROUP BY day ORDER BY day", args).fetchall()
    finally:
        db.close()
    return {str(day): int(n) for day, n in rows}


def local_day(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d")


__all__ = ["LoggedEvent", "Run", "count_by_day", "count_events", "read_events", "read_runs",
           "time_span"]
