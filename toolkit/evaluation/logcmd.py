"""`museokit log PATH tail | export | to-scenario`: the interaction log for staff and tools.

    museokit log PATH tail [-n 20] [-f]                 the last events (and new ones with -f)
    museokit log PATH export --format csv|jsonl [--from D --to D] [--out FILE]
    museokit log PATH to-scenario --from D --to D --out FILE   a slice as a scenario file

PATH is the installation (its log is in its state folder, or `--log FILE`) or the
log file itself; `to-scenario` needs the installation. Times are local.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from museokit.evaluation.periods import PeriodError, moment
from museokit.evaluation.source import add_arguments, locate
from museokit.ops.interactions import LogError, LoggedEvent, read_events

EXIT_OK, EXIT_FAILED = 0, 1
COLUMNS = ("time", "ts", "node", "device", "name", "value", "seq")


def add_parser(sub: Any) -> None:
    p = sub.add_parser("log", help="read the interaction log: tail, export (CSV, JSON lines), "
                                   "cut a scenario",
                       description="The interaction log of an installation: the last events, an "
                                   "export for evaluators' tools, or a slice as a scenario.")
    add_arguments(p)
    p.add_argument("action", choices=("tail", "export", "to-scenario"))
    p.add_argument("-n", "--lines", type=int, default=20, help="tail: how many events")
    p.add_argument("-f", "--follow", action="store_true", help="tail: keep printing new events")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv", help="export: the format")
    p.add_argument("--out", type=Path, metavar="FILE", help="export: a file (default: stdout); "
                   "to-scenario: the scenario file")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    found = locate(args)
    if isinstance(found, int):
        return found
    path, inst = found
    try:
        start = moment(args.start, "--from") if args.start else None
        end = moment(args.end, "--to", end=True) if args.end else None
        if args.action == "tail":
            return _tail(path, args.lines, args.follow)
        if args.action == "export":
            return _export(path, start, end, args.format, args.out)
        return _to_scenario(path, inst, start, end, args.out)
    except (LogError, PeriodError) as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # `museokit log PATH export | head`
        return EXIT_OK


def line(e: LoggedEvent) -> str:
    when = datetime.fromtimestamp(e.ts).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    value = "" if e.raw is None else f"  {e.raw}"
    return f"{when}  {e.node:<8} {e.key}{value}"


def _tail(path: Path, n: int, follow: bool) -> int:
    import sqlite3

    from museokit.ops.interactions.schema import open_for_reading

    db = open_for_reading(path)
    try:
        rows = db.execute("SELECT id, ts, node, device, name, value, seq FROM events "
                          "ORDER BY id DESC LIMIT ?", (max(0, n),)).fetchall()
    finally:
        db.close()
    last = 0
    for row in reversed(rows):
        event = LoggedEvent(*row)
        print(line(event))
        last = event.id
    if not rows:
        last = _last_id(path)
    while follow:
        sys.stdout.flush()
        time.sleep(0.5)
        try:
            for event in _after(path, last):
                print(line(event))
                last = event.id
        except sqlite3.OperationalError:
            continue  # the writer holds a lock for a moment: look again
    return EXIT_OK


def _last_id(path: Path) -> int:
    from museokit.ops.interactions.schema import open_for_reading

    db = open_for_reading(path)
    try:
        return int(db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0])
    finally:
        db.close()


def _after(path: Path, last: int) -> Iterator[LoggedEvent]:
    events = list(read_events(path, after_id=last))
    events.sort(key=lambda e: e.id)
    return iter(events)


def _export(path: Path, start: float | None, end: float | None, fmt: str, out: Path | None) -> int:
    events = read_events(path, start, end)
    if out is None:
        _write(events, fmt, sys.stdout)
        return EXIT_OK
    try:
        with open(out, "w", encoding="utf-8", newline="") as stream:
            n = _write(events, fmt, stream)
    except OSError as exc:
        print(f"museokit: --out {out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"exported {n:,} events to {out}", file=sys.stderr)
    return EXIT_OK


def _write(events: Iterable[LoggedEvent], fmt: str, stream: TextIO) -> int:
    n = 0
    if fmt == "csv":
        writer = csv.writer(stream)
        writer.writerow(COLUMNS)
        for e in events:
            writer.writerow([datetime.fromtimestamp(e.ts).isoformat(timespec="milliseconds"),
                             repr(e.ts), e.node, e.device, e.name, e.raw or "",
                             "" if e.seq is None else e.seq])
            n += 1
        return n
    for e in events:
        stream.write(json.dumps({"time": datetime.fromtimestamp(e.ts).isoformat(timespec="milliseconds"),
                                 "ts": e.ts, "node": e.node, "device": e.device, "name": e.name,
                                 "value": e.value, "seq": e.seq}, ensure_ascii=False) + "\n")
        n += 1
    return n


def _to_scenario(path: Path, inst: Any, start: float | None, end: float | None,
                 out: Path | None) -> int:
    if inst is None or out is None or start is None or end is None:
        print("museokit: to-scenario needs the installation, --from, --to and --out, like "
              "`museokit log installations/hello-button to-scenario --from '2026-01-10 14:00' "
              "--to '2026-01-10 14:05' --out saturday.scenario`", file=sys.stderr)
        return EXIT_FAILED
    from museokit.sim.fromlog import scenario_from_log

    text, actions, begins = scenario_from_log(inst, path, start, end)
    if not actions:
        print(f"museokit: no visitor actions in {path} between those times", file=sys.stderr)
        return EXIT_FAILED
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        print(f"museokit: --out {out}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    moved = "" if begins == start else (
        f" (from {datetime.fromtimestamp(begins):%H:%M:%S}, when it last entered its first state)")
    print(f"wrote {out}: {actions} visitor actions{moved}; run it: museokit sim {inst.folder} "
          f"--scenario {out}")
    return EXIT_OK
