"""`museokit sim PATH --replay LOG [--from D --to D]`: last Saturday's visitors, again.

Each run of the installation in the log (table `runs`: from a start to its stop) is
replayed from a fresh start on the virtual clock, at the same wall-clock times: the
visitor actions recorded (see fromlog.py) are played at their moments, and what the
installation does now (states, outputs' events, content started and finished,
derived events like `clicked`) is compared with what it did then. Each recorded
outcome must happen again with the same value within `TOLERANCE` seconds, and
nothing else may happen; the first divergences are printed, and the exit status is
1 if there is any. Only outcomes inside `--from`/`--to` are compared, but a run is
always replayed from its start, so the installation is in the state it was in.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from museokit.core.clock import VirtualClock
from museokit.core.config import Installation
from museokit.core.device import CommandError
from museokit.ops.interactions import LogError, LoggedEvent, read_events, read_runs, time_span
from museokit.sim.fromlog import visitor_inputs
from museokit.sim.harness import Harness

#: Seconds an outcome may move and still be the same (a live loop runs timers late).
TOLERANCE = 0.25
#: Divergences printed.
SHOWN = 10
#: Not compared: the log's own lines, availability, and the opening hours.
IGNORED_DEVICES = frozenset({"runtime", "schedule"})
IGNORED_NAMES = frozenset({"online", "offline"})


@dataclass
class Divergence:
    ts: float
    text: str


@dataclass
class ReplayResult:
    runs: int = 0
    inputs: int = 0
    compared: int = 0
    divergences: list[Divergence] = field(default_factory=list)
    skipped: set[str] = field(default_factory=set)
    virtual_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def speed(self) -> float:
        return self.virtual_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def lines(self, shown: int = SHOWN) -> list[str]:
        head = (f"replay: {self.runs} run{'s' if self.runs != 1 else ''}, {self.inputs:,} visitor "
                f"actions played, {self.compared:,} outcomes compared in {self.wall_seconds:.2f} s "
                f"({self.speed:,.0f}x real time)")
        out = [head]
        if self.skipped:
            out.append(f"  not played back (no pictures in the log): {', '.join(sorted(self.skipped))}")
        if not self.divergences:
            out.append("  no divergence: the installation behaves as it did")
            return out
        n = len(self.divergences)
        out.append(f"  {n} divergence{'s' if n != 1 else ''}; the first:")
        for d in sorted(self.divergences, key=lambda d: d.ts)[:shown]:
            out.append(f"  {datetime.fromtimestamp(d.ts):%Y-%m-%d %H:%M:%S.%f}"[:-3] + f"  {d.text}")
        return out


def replay(inst: Installation, log: Path, start: float | None = None, end: float | None = None,
           tolerance: float = TOLERANCE) -> ReplayResult:
    """Replay every run of the log that overlaps [start, end). Raises LogError."""
    result = ReplayResult()
    span = time_span(log)
    if span is None:
        return result
    start = span[0] if start is None else start
    end = span[1] + 1e-3 if end is None else end
    runs = [(r.started, r.last_seen) for r in read_runs(log) if r.node == inst.node]
    if not runs:  # a log without runs (written by hand, or another node's): one run
        runs = [(span[0], span[1] + 1e-3)]
    runs = [(a, b) for a, b in runs if b >= start and a < end]
    t0 = time.perf_counter()
    for run_start, run_end in runs:
        _replay_run(inst, log, run_start, max(run_end, run_start), start, end, tolerance, result)
    result.wall_seconds = time.perf_counter() - t0
    return result


def _replay_run(inst: Installation, log: Path, run_start: float, run_end: float, start: float,
                end: float, tolerance: float, result: ReplayResult) -> None:
    stop = min(run_end, end) + tolerance
    events = list(read_events(log, run_start, stop))
    inputs = visitor_inputs(inst, events, stop)
    result.skipped |= inputs.skipped
    recorded = [e for e in events if _outcome(e.device, e.name, inputs.keys)
                and start <= e.ts < end and e.ts <= run_end]
    result.runs += 1
    with Harness(inst, clock=VirtualClock(run_start)) as h:
        for action in inputs.actions:
            if action.ts >= stop:
                break
            h.run_until(action.ts - run_start)
            try:
                h.act(action.device, action.action, action.arg)
                result.inputs += 1
            except CommandError as exc:
                result.divergences.append(Divergence(action.ts, f"cannot play {action.line}: {exc}"))
        h.run_until(stop - run_start)
        now = [(run_start + s.t, s.event.device, s.event.name, s.event.value) for s in h.seen
               if _outcome(s.event.device, s.event.name, inputs.keys)
               and start - tolerance <= run_start + s.t < min(end, run_end) + tolerance]
    result.virtual_seconds += stop - run_start
    result.compared += len(recorded)
    result.divergences += compare(recorded, now, tolerance, min(end, run_end))


def _outcome(device: str, name: str, input_keys: set[str]) -> bool:
    return (device not in IGNORED_DEVICES and name not in IGNORED_NAMES
            and f"{device}.{name}" not in input_keys)


def compare(recorded: list[LoggedEvent], now: list[tuple[float, str, str, Any]], tolerance: float,
            end: float) -> list[Divergence]:
    """Match each recorded outcome with the same one now (same key and value, within
    `tolerance`); what is left on either side is a divergence."""
    waiting: dict[tuple[str, str], deque[float]] = defaultdict(deque)
    for ts, device, name, value in now:
        waiting[(f"{device}.{name}", _norm(value))].append(ts)
    out: list[Divergence] = []
    for event in recorded:
        key = (event.key, _norm(event.value))
        times = waiting.get(key)
        while times and times[0] < event.ts - tolerance:
            ts = times.popleft()
            out.append(Divergence(ts, f"{_show(key)} happened now, not in the log"))
        if times and abs(times[0] - event.ts) <= tolerance:
            times.popleft()
        else:
            out.append(Divergence(event.ts, f"logged {_show(key)}, but now it does not happen "
                                            f"(within {tolerance:g} s)"))
    for key, times in waiting.items():
        for ts in times:
            if ts < end:
                out.append(Divergence(ts, f"{_show(key)} happened now, not in the log"))
    return out


def _norm(value: Any) -> str:
    if isinstance(value, float):
        value = round(value, 3)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _show(key: tuple[str, str]) -> str:
    return key[0] if key[1] == "null" else f"{key[0]} = {key[1]}"


def replay_command(inst: Installation, args: argparse.Namespace) -> int:
    """The `--replay LOG` of `museokit sim`: one line per problem, exit 1 on divergence."""
    from museokit.evaluation.periods import PeriodError, moment

    try:
        start = moment(args.start, "--from") if args.start else None
        end = moment(args.end, "--to", end=True) if args.end else None
        result = replay(inst, args.replay, start, end)
    except (LogError, PeriodError) as exc:
        print(f"museokit: {exc}", file=sys.stderr)
        return 1
    if result.runs == 0:
        print(f"museokit: {args.replay}: nothing to replay in that range", file=sys.stderr)
        return 1
    for line in result.lines():
        print(line)
    return 1 if result.divergences else 0
