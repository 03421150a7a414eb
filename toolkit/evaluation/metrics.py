"""Every figure of an evaluation, in one pass over a period of the interaction log.

Definitions (docs/evaluation.md has them with examples):

- a *visit* is a run of visitor events (presence and interaction devices, except
  `no_motion`, `online`, `offline`) with no gap longer than `session_gap` while no
  presence is going on; a presence (a PIR's `motion` to its `no_motion`, a distance
  sensor's `entered` to `left`) lasts until its end event, less the PIR's `retrigger`;
  a visit lasts from its first event to its last (or the end of its last presence);
- a *passer-by* is a visit a presence device saw; a *stop* is a visit that lasted at
  least `stop_seconds` or had an interaction; a *session* is a stop;
- *attraction power* = passers-by who stopped ÷ passers-by (Serrell);
- *holding time* = a session's length; *holding power* of a media file = the mean of
  min(1, time watched ÷ its length) over its plays (length: `[evaluation.media_lengths]`,
  else the median complete play);
- a play is *complete* when the device says `finished` with that file, *interrupted*
  when it starts something else or fails first; plays still running at the end of the
  period are left out;
- *uptime* of a node = the time its log writer ran (table `runs`), within the period;
- a sensor has *fallen silent* when its node ran `silent_hours` since its last event.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from museokit.evaluation.rules import (
    MAX_PRESENCE,
    NOT_VISITORS,
    PRESENCE_ENDS,
    PRESENCE_STARTS,
    Rules,
)
from museokit.ops.interactions.writer import HANDLER_ERROR, RUNTIME_DEVICE

#: Bins of the holding-time distribution, in seconds (the last is open-ended).
HOLDING_BINS = (0, 5, 10, 20, 30, 60, 120, 300)
Interval = tuple[float, float]


@dataclass(frozen=True)
class Period:
    start: float
    end: float
    label: str

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass
class ContentStats:
    device: str
    completed: int = 0
    interrupted: int = 0
    #: Seconds watched of each play, complete or not.
    watched: list[float] = field(default_factory=list)
    complete_lengths: list[float] = field(default_factory=list)
    length: float | None = None

    @property
    def plays(self) -> int:
        return self.completed + self.interrupted

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.plays if self.plays else None

    @property
    def holding_power(self) -> float | None:
        if not self.length or not self.watched:
            return None
        return sum(min(1.0, w / self.length) for w in self.watched) / len(self.watched)


@dataclass
class NodeUptime:
    up: float
    offline: list[Interval]


@dataclass
class Metrics:
    period: Period
    rules: Rules
    events: int = 0
    visits: int = 0
    passers_by: int | None = None
    stopped: int = 0  # passers-by who stopped
    holding_times: list[float] = field(default_factory=list)
    session_starts: list[float] = field(default_factory=list)
    open_hours: float = 0.0
    content: dict[str, ContentStats] = field(default_factory=dict)
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    nodes: dict[str, NodeUptime] = field(default_factory=dict)
    device_offline: dict[str, list[tuple[float, float, str]]] = field(default_factory=dict)
    handler_errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[tuple[float, str, str, str]] = field(default_factory=list)
    silent: dict[str, float | None] = field(default_factory=dict)

    # -- derived figures -----------------------------------------------------------------
    @property
    def sessions(self) -> int:
        return len(self.holding_times)

    @property
    def attraction_power(self) -> float | None:
        return self.stopped / self.passers_by if self.passers_by else None

    @property
    def holding_median(self) -> float | None:
        return statistics.median(self.holding_times) if self.holding_times else None

    @property
    def holding_mean(self) -> float | None:
        return statistics.fmean(self.holding_times) if self.holding_times else None

    @property
    def sessions_per_open_hour(self) -> float | None:
        return self.sessions / self.open_hours if self.open_hours else None

    def holding_distribution(self) -> dict[str, int]:
        out = {label: 0 for label in _bin_labels()}
        labels = list(out)
        for t in self.holding_times:
            i = sum(1 for edge in HOLDING_BINS[1:] if t >= edge)
            out[labels[i]] += 1
        return out

    def sessions_by_day(self) -> dict[str, int]:
        days: dict[str, int] = {}
        day = datetime.fromtimestamp(self.period.start).date()
        last = datetime.fromtimestamp(max(self.period.start, self.period.end - 1e-6)).date()
        while day <= last:
            days[day.isoformat()] = 0
            day += timedelta(days=1)
        for t in self.session_starts:
            key = datetime.fromtimestamp(t).date().isoformat()
            days[key] = days.get(key, 0) + 1
        return days

    def sessions_by_hour(self) -> dict[int, int]:
        hours = dict.fromkeys(range(24), 0)
        for t in self.session_starts:
            hours[datetime.fromtimestamp(t).hour] += 1
        return hours

    def heatmap(self) -> list[list[int]]:
        """Sessions started per weekday (0 = Monday) and hour of day."""
        grid = [[0] * 24 for _ in range(7)]
        for t in self.session_starts:
            moment = datetime.fromtimestamp(t)
            grid[moment.weekday()][moment.hour] += 1
        return grid

    def interactions(self) -> dict[str, int]:
        """Each interaction (and presence) device's count of its interaction event."""
        rules = self.rules
        return {device: self.counts.get((device, rules.primary.get(device, "")), 0)
                for device in sorted(rules.interactions | rules.presence)}


def _bin_labels() -> list[str]:
    edges = HOLDING_BINS
    return [*(f"{a}–{b} s" for a, b in itertools.pairwise(edges)), f"≥ {edges[-1]} s"]


# -- the pass -----------------------------------------------------------------------------
class _Content:
    __slots__ = ("playing",)

    def __init__(self) -> None:
        self.playing: tuple[str, float] | None = None


def compute(db: sqlite3.Connection, rules: Rules, period: Period,
            progress: Callable[[int], None] | None = None) -> Metrics:
    """The metrics of `period` (`start <= ts < end`); `progress(rows)` every 100k rows."""
    m = Metrics(period, rules)
    visitor, interaction, presence = rules.visitor_devices, rules.interactions, rules.presence
    content_devices, primary, gap = rules.content, rules.primary, rules.session_gap
    if presence:
        m.passers_by = 0
    counts = m.counts
    last_activity: dict[str, float] = {}
    playing = {d: _Content() for d in content_devices}
    offline_since: dict[str, tuple[float, str]] = {}
    v_start = v_last = -1e300
    v_presence = False
    v_interactions = 0
    stop_seconds = rules.stop_seconds
    tails = rules.presence_tail
    present: dict[str, float] = {}  # presence devices that see someone now, and since when

    def close_visit() -> None:
        m.visits += 1
        length = v_last - v_start
        stopped = length >= stop_seconds or v_interactions > 0
        if v_presence:
            m.passers_by = (m.passers_by or 0) + 1
            m.stopped += stopped
        if stopped:
            m.holding_times.append(length)
            m.session_starts.append(v_start)

    # Only the columns the pass reads: a value only where it is used (fewer objects per row).
    valued = sorted(content_devices | {RUNTIME_DEVICE})
    cursor = db.execute(
        f"SELECT ts, device, name, CASE WHEN device IN ({', '.join('?' * len(valued))}) OR name "
        "IN ('offline', 'online') THEN value END FROM events WHERE ts >= ? AND ts < ? "
        "ORDER BY ts, id", (*valued, period.start, period.end))
    n = 0
    in_visit = False
    while True:
        chunk = cursor.fetchmany(8192)
        if not chunk:
            break
        for ts, device, name, value in chunk:
            key = (device, name)
            counts[key] = counts.get(key, 0) + 1
            if device in presence and name in PRESENCE_ENDS:
                if present.pop(device, None) is not None:
                    v_last = max(v_last, ts - tails.get(device, 0.0))
            elif device in visitor and name not in NOT_VISITORS:
                last_activity[device] = ts
                if not in_visit or (ts - v_last > gap and not _seeing(present, ts)):
                    if in_visit:
                        close_visit()
                    in_visit = True
                    v_start = ts
                    v_presence = False
                    v_interactions = 0
                v_last = ts
                if device in presence:
                    v_presence = True
                    if name in PRESENCE_STARTS:
                        present.setdefault(device, ts)
                if device in interaction and primary.get(device) == name:
                    v_interactions += 1
            elif device in content_devices and name in ("started", "finished", "error"):
                _content(m, playing[device], device, name, value, ts)
            elif device == RUNTIME_DEVICE and name == HANDLER_ERROR:
                _handler_error(m, ts, value)
            if name == "offline":
                offline_since.setdefault(device, (ts, _text(value)))
                present.pop(device, None)
            elif name == "online" and device in offline_since:
                since, reason = offline_since.pop(device)
                m.device_offline.setdefault(device, []).append((since, ts, reason))
        n += len(chunk)
        m.events = n
        if progress is not None:
            progress(n)
    if in_visit:
        close_visit()
    for device, (since, reason) in offline_since.items():
        m.device_offline.setdefault(device, []).append((since, period.end, reason))
    for name, stats in m.content.items():
        stats.length = rules.media_lengths.get(name) or (
            statistics.median(stats.complete_lengths) if stats.complete_lengths else None)
    runs = _runs(db, period)
    node_of = _nodes_of(db, rules.inputs)
    m.nodes = {node: NodeUptime(_length(spans), _gaps(spans, period)) for node, spans in runs.items()}
    m.open_hours = _open_hours(rules, period, runs, db)
    for device in rules.inputs:
        last = last_activity.get(device)
        spans = runs.get(node_of.get(device, ""), [])
        since = last if last is not None else period.start
        quiet = _length(_clip(spans, (since, period.end))) if spans else period.end - since
        if quiet >= rules.silent_hours * 3600:
            m.silent[device] = last
    return m


def _seeing(present: dict[str, float], ts: float) -> bool:
    """Whether a presence sensor still sees someone (one silent for an hour does not count)."""
    return any(ts - since < MAX_PRESENCE for since in present.values())


def _nodes_of(db: sqlite3.Connection, devices: tuple[str, ...]) -> dict[str, str]:
    """The node each device is on (through the (device, name, ts) index: no scan)."""
    found = {}
    for device in devices:
        row = db.execute("SELECT node FROM events WHERE device = ? LIMIT 1", (device,)).fetchone()
        if row is not None:
            found[device] = str(row[0])
    return found


def _content(m: Metrics, state: _Content, device: str, name: str, value: Any, ts: float) -> None:
    shows = _text(value)
    playing = state.playing
    if name == "finished":
        if playing is not None and playing[0] == shows:
            stats = _stats(m, playing[0], device)
            stats.completed += 1
            stats.watched.append(ts - playing[1])
            stats.complete_lengths.append(ts - playing[1])
            state.playing = None
        return
    if playing is not None:  # something else started, or it failed: interrupted
        stats = _stats(m, playing[0], device)
        stats.interrupted += 1
        stats.watched.append(ts - playing[1])
    state.playing = None
    if name == "started" and shows not in m.rules.attract_media:
        state.playing = (shows, ts)


def _stats(m: Metrics, name: str, device: str) -> ContentStats:
    stats = m.content.get(name)
    if stats is None:
        stats = m.content[name] = ContentStats(device)
    return stats


def _handler_error(m: Metrics, ts: float, value: Any) -> None:
    data = _json(value)
    if not isinstance(data, dict):
        data = {"handler": "?", "on": "?", "error": str(data)}
    handler = str(data.get("handler", "?"))
    m.handler_errors[handler] = m.handler_errors.get(handler, 0) + 1
    if len(m.error_samples) < 50:
        m.error_samples.append((ts, handler, str(data.get("on", "")), str(data.get("error", ""))))


def _json(value: Any) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        return value


def _text(value: Any) -> str:
    data = _json(value)
    return "" if data is None else str(data)


# -- time spans -----------------------------------------------------------------------------
def _runs(db: sqlite3.Connection, period: Period) -> dict[str, list[Interval]]:
    """Each node's running time (merged, clipped to the period)."""
    spans: dict[str, list[Interval]] = {}
    for node, started, last_seen in db.execute(
            "SELECT node, started, last_seen FROM runs WHERE last_seen >= ? AND started < ? "
            "ORDER BY started", (period.start, period.end)):
        spans.setdefault(node, []).append((max(started, period.start), min(last_seen, period.end)))
    return {node: _merge(s) for node, s in spans.items()}


def _merge(spans: list[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(spans):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def _length(spans: list[Interval]) -> float:
    return sum(b - a for a, b in spans)


def _clip(spans: list[Interval], window: Interval) -> list[Interval]:
    return [(max(a, window[0]), min(b, window[1])) for a, b in spans
            if b > window[0] and a < window[1]]


def _gaps(spans: list[Interval], period: Period) -> list[Interval]:
    """When the node was not running, between its runs within the period."""
    return [(b, a2) for (_, b), (a2, _) in itertools.pairwise(spans) if a2 > b]


def _open_hours(rules: Rules, period: Period, runs: dict[str, list[Interval]],
                db: sqlite3.Connection) -> float:
    """Opening hours in the period: from `[schedule]`, else the hours the installation ran
    (its runs, all nodes together), else from each day's first to last event."""
    if rules.schedule is not None:
        return _length(_schedule_spans(rules, period)) / 3600
    if runs:
        return _length(_merge([s for spans in runs.values() for s in spans])) / 3600
    total = 0.0
    for first, last in db.execute(
            "SELECT min(ts), max(ts) FROM events WHERE ts >= ? AND ts < ? "
            "GROUP BY date(ts, 'unixepoch', 'localtime')", (period.start, period.end)):
        total += last - first
    return total / 3600


def _schedule_spans(rules: Rules, period: Period) -> list[Interval]:
    schedule = rules.schedule
    assert schedule is not None
    spans: list[Interval] = []
    day: date = schedule.local(period.start).date() - timedelta(days=1)
    last = schedule.local(period.end).date()
    while day <= last:
        midnight = datetime.combine(day, datetime.min.time(), tzinfo=schedule.tz)
        for a, b in schedule.spans(day):
            spans.append(((midnight + timedelta(minutes=a)).timestamp(),
                          (midnight + timedelta(minutes=b)).timestamp()))
        day += timedelta(days=1)
    return _clip(spans, (period.start, period.end))
