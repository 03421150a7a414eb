"""Names a handler that blocks the runtime loop, while it is still blocking.

A thread looks at the bus's `running` mark a few times per `slow_threshold`
while the loop is busy, and sleeps while the loop waits for work (the loop wakes
it when it wakes itself), so an idle installation costs no wake-ups.
When the same handler call is still running after the threshold, it logs a
warning naming the handler and the event; if the handler never returns, it says
so again every `repeat` seconds, so a hung installation explains itself in the
log. This costs the loop nothing per event (see `museokit.core.bus`).
"""

from __future__ import annotations

import logging
import threading
import time

from museokit.core.bus import Bus
from museokit.core.loop import Loop

log = logging.getLogger("museokit.bus")


class Watchdog:
    def __init__(self, bus: Bus, repeat: float = 10.0, loop: Loop | None = None) -> None:
        """`loop`: the loop running `bus`'s handlers, to sleep while it is idle (None:
        always sample)."""
        self.bus = bus
        self.loop = loop
        self.threshold = bus.slow_threshold
        # Sample often enough that a handler just over the threshold is seen.
        self.interval = min(self.threshold / 5, 0.05)
        self.repeat = repeat
        self._stopping = False
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._mark: tuple[int, int, str | None] = (0, 0, None)
        self._since = 0.0
        self._reported = 0.0  # how long it had blocked when last reported

    def start(self) -> None:
        self._thread = threading.Thread(target=self._watch, name="museokit watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=1)

    def _watch(self) -> None:
        while True:
            self._wake.clear()
            if self._stopping:  # looked at after the clear: a stop() just before it counts
                return
            if self._loop_is_idle():
                self._wake.wait()  # until the loop wakes, or stop()
                self._wake.clear()
                if self._stopping:
                    return
            # One interval before looking: nothing can have blocked yet when the loop has
            # just woken, and a stream of events that wakes the loop each time then wakes
            # this thread once an interval, not once an event.
            self._wake.wait(self.interval)
            if not self._stopping:
                self.check(time.monotonic())

    def _loop_is_idle(self) -> bool:
        """True when the loop waits for work and will set `_wake` when it stops waiting."""
        loop = self.loop
        if loop is None or not loop.waiting or self.bus.running is not None:
            return False
        loop.waker = self._wake
        # Looked again once the loop knows to wake us: it may have woken in between.
        return loop.waiting

    def check(self, now: float) -> None:
        """One look at the loop (the thread calls this; tests may call it directly)."""
        bus = self.bus
        running = bus.running
        mark = (bus.published, bus.calls, running)
        if running is None or mark != self._mark:
            if self._reported:
                blocked = now - self._since
                log.warning("%s returned after blocking the loop for %.1f s",
                            self._mark[2], blocked)
                bus.stats.note_slowest(str(self._mark[2]), "", blocked)
            self._mark, self._since, self._reported = mark, now, 0.0
            return
        blocked = now - self._since
        if blocked >= self.threshold and (
                not self._reported or blocked - self._reported >= self.repeat):
            bus.stats.slow_warnings += 1
            log.warning("handler %s is blocking the loop: %.0f ms so far (limit %.0f ms); "
                        "move slow work to after() or a thread", running, blocked * 1000,
                        self.threshold * 1000)
            self._reported = blocked
