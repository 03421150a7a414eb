"""Every counter of what went wrong, in one place: a periodic log line and the node's health.

Sources register a function that returns their counters (`{"errors": 3, ...}`):
the bus (handler errors and slow handlers), each backend that counts something
(`counters()`: the serial boards' dropped lines), each device that does
(`stats()`: a camera's corrupt frames), the MQTT link (refused payloads, the
outbox). Every `interval` seconds, if any counter moved, one INFO line sums them
up (`health: handlers.errors 3, serial.badsum 12, mqtt.refused 312`), the
rate-limited logs close their window (so their `… and N more` line comes out),
and the listeners get the whole table: the MQTT link publishes it retained on
`museokit/<site>/<node>/health`, for dashboards and alerts.

The names are stable: `<source>.<counter>`, lower case, e.g. `handlers.errors`,
`mqtt.refused`, `mqtt.outbox_waiting`, `serial.plinth.badsum`, `camera.cam.bad_frames`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from museokit.core.loop import Loop, Timer
from museokit.core.ratelog import RateLimitedLog

if TYPE_CHECKING:
    from museokit.core.bus import Bus
    from museokit.core.device import Device

log = logging.getLogger("museokit.health")

#: Seconds between two summaries (a timer every few minutes costs nothing when idle).
INTERVAL = 300.0

Counters = dict[str, Any]
Source = Callable[[], Counters]


class Health:
    def __init__(self, interval: float = INTERVAL) -> None:
        self.interval = interval
        self.sources: dict[str, Source] = {}
        self.limiters: list[RateLimitedLog] = []
        #: Called with the whole table after each summary (the MQTT link publishes it).
        self.listeners: list[Callable[[Counters], None]] = []
        #: Readings published beside the counters but never summarised in the log, since
        #: they move all the time: uptime, disk, temperature (`museokit.ops.health.snapshot`).
        self.vitals: list[Source] = []
        self._last: Counters | None = None
        self._timer: Timer | None = None

    def add(self, name: str, source: Source) -> None:
        self.sources[name] = source

    def counters(self) -> Counters:
        """`{"<source>.<counter>": value}` over every source, sorted by name."""
        table: Counters = {}
        for name, source in self.sources.items():
            try:
                values = source()
            except Exception as exc:  # a source never stops the others, nor the loop
                log.debug("health source %s failed: %s", name, exc)
                continue
            for key, value in values.items():
                table[f"{name}.{key}"] = value
        return dict(sorted(table.items()))

    def summary(self) -> str:
        """The counters that are not zero, on one line."""
        moved = [f"{k} {v}" for k, v in self.counters().items() if v not in (0, None, "")]
        return ", ".join(moved) or "all counters at 0"

    def register(self, bus: Bus, backends: Mapping[str, object], devices: Mapping[str, Device]) -> None:
        """Add a runtime's own sources: its bus, backends and devices that count."""
        stats = bus.stats
        self.add("handlers", lambda: {"errors": stats.errors, "slow": stats.slow_warnings})
        if stats.error_log not in self.limiters:
            self.limiters.append(stats.error_log)
        for name, backend in backends.items():
            counters = getattr(backend, "counters", None)
            if callable(counters):
                self.add(name, counters)
            for limiter in getattr(backend, "limiters", ()):  # a backend's rate-limited lines
                if limiter not in self.limiters:
                    self.limiters.append(limiter)
        for dev_id, device in devices.items():
            stats_of = getattr(device, "stats", None)
            if callable(stats_of):
                self.add(f"{device.kind}.{dev_id}", stats_of)

    def table(self) -> Counters:
        """What the node's retained `…/health` carries: the counters, then the vitals."""
        table = self.counters()
        for source in self.vitals:
            try:
                table.update(source())
            except Exception as exc:  # as for a counter source
                log.debug("health vitals failed: %s", exc)
        return table

    def start(self, loop: Loop) -> None:
        """Summarise every `interval` seconds on `loop` (in real time only: `run_forever`)."""
        self._loop = loop
        self._timer = loop.call_later(self.interval, self.tick, name="health summary")

    def tick(self) -> None:
        """One summary: a log line if anything moved, the listeners told (loop thread)."""
        for limiter in self.limiters:
            limiter.flush()
        table = self.counters()
        if table != self._last:
            if self._last is not None or any(v not in (0, None, "") for v in table.values()):
                log.info("health: %s", self.summary())
            self._last = table
            published = self.table()
            for listener in self.listeners:
                listener(published)
        self._timer = self._loop.call_later(self.interval, self.tick, name="health summary")

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
