"""Opening hours: the `[schedule]` table, and a keeper that puts the installation to
sleep when the gallery closes and wakes it when it opens.

    [schedule]
    timezone = "Europe/Paris"          # default: the machine's own
    hours = "10:00-18:00"              # open days' hours; several: ["10:00-13:00", "14:00-18:00"]
    days = ["tue-sun"]                 # open weekdays (default: every day)
    thu = ["10:00-13:00", "14:00-21:00"]   # a weekday with its own hours ("closed" closes it)
    closed = [2026-12-25, 2027-01-01]  # closed whatever the weekday
    open = [2026-04-06]                # open (with `hours`) though the weekday is closed
    display = "auto"                   # how the screen goes off: auto, vcgencmd, cec, wlr-randr, none

A range is `HH:MM-HH:MM` within one day, its end after its start; `24:00` ends a day.
A night opening past midnight is two ranges, one on each day.

Hours are wall-clock times in the timezone, so a DST change moves nothing: 10:00 is
10:00 on both sides of it. The keeper reads the loop's clock (`Clock.time()`), so a
virtual week runs in milliseconds, and re-checks at least every few minutes, so a wall
clock set by NTP after boot is followed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from museokit.core.loop import Loop, Timer
from museokit.core.report import Report
from museokit.core.suggest import suggest

SCHEDULE_ID = "schedule"
#: Events of the `schedule` pseudo-device: `schedule.open`, `schedule.closed`.
SCHEDULE_EVENTS = ("open", "closed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DISPLAY_CHOICES = ("auto", "vcgencmd", "cec", "wlr-randr", "none")
KEYS = ("timezone", "hours", "days", "closed", "open", "display", *WEEKDAYS)

_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_DAY = 24 * 60
#: Longest wait between two looks at the wall clock, in seconds.
MAX_WAIT = 300.0

Span = tuple[int, int]  # minutes from midnight: [start, end)
Problem = Callable[[tuple[str | int, ...], str, str], None]


@dataclass(frozen=True)
class Schedule:
    tz: tzinfo | None  # None: the machine's local time
    week: tuple[tuple[Span, ...], ...]  # Monday first; () is closed
    hours: tuple[Span, ...]
    closed: frozenset[date] = frozenset()
    extra: frozenset[date] = frozenset()
    display: str = "auto"
    timezone: str = field(default="local")

    def spans(self, day: date) -> tuple[Span, ...]:
        if day in self.closed:
            return ()
        if day in self.extra:
            return self.week[day.weekday()] or self.hours
        return self.week[day.weekday()]

    def local(self, ts: float) -> datetime:
        return datetime.fromtimestamp(ts, self.tz) if self.tz else datetime.fromtimestamp(ts)

    def is_open(self, ts: float) -> bool:
        moment = self.local(ts)
        minute = moment.hour * 60 + moment.minute + moment.second / 60
        return any(start <= minute < end for start, end in self.spans(moment.date()))

    def next_change(self, ts: float) -> float | None:
        """The unix time of the next opening or closing after `ts`; None if it never changes."""
        now_open = self.is_open(ts)
        for boundary in self._boundaries(self.local(ts).date()):
            if boundary > ts and self.is_open(boundary) != now_open:
                return boundary
        return None

    def _boundaries(self, first: date) -> Iterator[float]:
        for offset in range(400):  # a year of exceptional dates, and then some
            day = first + timedelta(days=offset)
            for start, end in self.spans(day):
                for minute in (start, end):
                    moment = datetime.combine(day, time()) + timedelta(minutes=minute)
                    yield (moment.replace(tzinfo=self.tz) if self.tz else moment).timestamp()


class ScheduleKeeper:
    """Calls `on_change(is_open, first)` at start and at every opening and closing."""

    def __init__(self, loop: Loop, schedule: Schedule,
                 on_change: Callable[[bool, bool], None]) -> None:
        self.loop = loop
        self.schedule = schedule
        self.on_change = on_change
        self.is_open = True
        self._timer: Timer | None = None

    def start(self) -> None:
        self.is_open = self.schedule.is_open(self.loop.clock.time())
        self.on_change(self.is_open, True)
        self._arm()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _arm(self) -> None:
        now = self.loop.clock.time()
        nxt = self.schedule.next_change(now)
        delay = MAX_WAIT if nxt is None else min(MAX_WAIT, max(0.0, nxt - now))
        self._timer = self.loop.call_later(delay, self._look, name="opening hours")

    def _look(self) -> None:
        is_open = self.schedule.is_open(self.loop.clock.time())
        if is_open != self.is_open:
            self.is_open = is_open
            self.on_change(is_open, False)
        self._arm()


# -- reading the table -----------------------------------------------------------------------

def parse_schedule(table: dict[str, Any], problem: Problem) -> Schedule | None:
    """The schedule in `table`, or None after calling `problem(path, message, hint)` for
    each mistake (path is relative to `[schedule]`)."""
    reported: list[str] = []

    def bad(path: tuple[str | int, ...], message: str, hint: str = "") -> None:
        reported.append(message)
        problem(path, message, hint)

    for key in table:
        if key not in KEYS:
            bad((key,), f"unknown key {key!r} in [schedule]",
                suggest(key, KEYS) or f"known keys: {', '.join(KEYS)}")
    tz_name = table.get("timezone")
    tz: tzinfo | None = None
    if tz_name is not None:
        tz = _timezone(tz_name, bad)
    hours = _spans(("hours",), table.get("hours", "00:00-24:00"), bad)
    open_days = _weekdays(table.get("days", ["mon-sun"]), bad)
    week: list[tuple[Span, ...]] = []
    for i, name in enumerate(WEEKDAYS):
        if name in table:
            own = table[name]
            week.append(() if own == "closed" else _spans((name,), own, bad))
        else:
            week.append(hours if i in open_days else ())
    closed = _dates("closed", table.get("closed", []), bad)
    extra = _dates("open", table.get("open", []), bad)
    display = table.get("display", "auto")
    if display not in DISPLAY_CHOICES:
        bad(("display",), f"unknown display control {display!r}",
            suggest(str(display), DISPLAY_CHOICES) or f"one of: {', '.join(DISPLAY_CHOICES)}")
    if reported:
        return None
    return Schedule(tz, tuple(week), hours, closed, extra, display, tz_name or "local")


def _timezone(name: Any, bad: Problem) -> tzinfo | None:
    try:
        if not isinstance(name, str) or not name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        bad(("timezone",), f"unknown timezone {name!r}",
            "use an IANA name like 'Europe/Paris' or 'America/New_York' (see `timedatectl "
            "list-timezones`); leave it out to use the machine's own")
        return None


def _spans(path: tuple[str | int, ...], raw: Any, bad: Problem) -> tuple[Span, ...]:
    items = raw if isinstance(raw, list) else [raw]
    spans: list[Span] = []
    for i, item in enumerate(items):
        where = (*path, i) if isinstance(raw, list) else path
        span = _span(item)
        if isinstance(span, str):
            bad(where, span, "write hours as 'HH:MM-HH:MM' within one day, like '10:00-18:00'; "
                "a night past midnight is two ranges: '22:00-24:00' and next day '00:00-02:00'")
        else:
            spans.append(span)
    return _merged(spans)


def _span(text: Any) -> Span | str:
    """A `HH:MM-HH:MM` range as minutes, or what is wrong with it."""
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        return f"{text!r} is not a range of hours"
    h1, m1, h2, m2 = map(int, match.groups())
    for h, m in ((h1, m1), (h2, m2)):
        if h > 24 or m > 59 or (h == 24 and m > 0):
            return f"{h:02d}:{m:02d} in {text!r} is not a time of day (00:00 to 24:00)"
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        return f"{text!r} ends before it starts"
    return start, end


def _merged(spans: list[Span]) -> tuple[Span, ...]:
    out: list[Span] = []
    for start, end in sorted(spans):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return tuple(out)


def _weekdays(raw: Any, bad: Problem) -> set[int]:
    items = raw if isinstance(raw, list) else [raw]
    days: set[int] = set()
    for i, item in enumerate(items):
        first, _, last = str(item).lower().partition("-")
        ends = [first, last or first]
        unknown = [d for d in ends if d not in WEEKDAYS]
        if not isinstance(item, str) or unknown:
            word = unknown[0] if unknown else item
            bad(("days", i) if isinstance(raw, list) else ("days",), f"unknown weekday {word!r}",
                suggest(str(word), WEEKDAYS) or "weekdays: mon tue wed thu fri sat sun, "
                "or a range like 'tue-sun'")
            continue
        a, b = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[1])
        days.update(d % 7 for d in range(a, a + (b - a) % 7 + 1))
    return days


def _dates(key: str, raw: Any, bad: Problem) -> frozenset[date]:
    if not isinstance(raw, list):
        bad((key,), "expected a list of dates", f"for example {key} = [2026-12-25, 2027-01-01]")
        return frozenset()
    found: set[date] = set()
    for i, item in enumerate(raw):
        if isinstance(item, date) and not isinstance(item, datetime):
            found.add(item)
            continue
        try:
            found.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            bad((key, i), f"{item!r} is not a date", "write dates as 2026-12-25")
    return frozenset(found)


def check_schedule(report: Report, table: dict[str, Any]) -> Schedule | None:
    """The `[schedule]` table, each problem reported under `schedule.`."""
    return parse_schedule(table, lambda path, message, hint: report.error(
        ("schedule", *path), message, hint))
