"""The runtime loop: one thread where handlers, timers and device logic run.

Backend threads (gpiozero callbacks, serial readers, MQTT) never touch devices
or handlers directly; they `post()` into the loop's thread-safe queue. Timers
live in a heap and read the loop's clock. With a `VirtualClock` the loop jumps
from timer to timer (`run_until`), so a gallery day runs in seconds; on the real
clock `run_until` waits, serving the loop, until the time comes.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

from museokit.core.bus import Bus, callable_name
from museokit.core.clock import Clock, VirtualClock
from museokit.core.events import Event

log = logging.getLogger("museokit.loop")

#: Longest blocking wait. Not what makes signals prompt: a signal interrupts the wait
#: (SimpleQueue.get is interruptible) and `stop()` posts to the queue. A bound only so
#: that nothing waits forever if that ever changes; an idle loop wakes this rarely.
_MAX_WAIT = 30.0


class Timer:
    """A scheduled call; `cancel()` it to stop it (also stops an `every`)."""

    __slots__ = ("args", "cancelled", "fn", "interval", "name", "when")

    def __init__(self, when: float, fn: Callable[..., Any], args: tuple[Any, ...],
                 interval: float | None, name: str) -> None:
        self.when = when
        self.fn = fn
        self.args = args
        self.interval = interval
        self.cancelled = False
        self.name = name

    def cancel(self) -> None:
        self.cancelled = True

    def __repr__(self) -> str:
        return f"<Timer {self.name} at {self.when:.3f}{' cancelled' if self.cancelled else ''}>"


class Loop:
    def __init__(self, clock: Clock, bus: Bus) -> None:
        self.clock = clock
        self.bus = bus
        self.max_queue_depth = 0
        self._queue: SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]] = SimpleQueue()
        self._timers: list[tuple[float, int, Timer]] = []
        self._order = itertools.count()
        self._stopping = False
        #: True while the loop waits for work (nothing posted, no timer due).
        self.waiting = False
        #: An Event the loop sets once, on its next wake-up (the Watchdog sleeps on it).
        self.waker: threading.Event | None = None

    # -- called from any thread -------------------------------------------------
    def post(self, event: Event) -> None:
        """Publish `event` on the loop thread, soon. Safe from any thread."""
        self._queue.put((self.bus.publish, (event,)))

    def call_soon_threadsafe(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))

    def stop(self) -> None:
        """Ask `run_forever` to return. Safe from any thread and from signal handlers."""
        self._stopping = True
        self._queue.put((_noop, ()))

    # -- called on the loop thread ---------------------------------------------
    def call_at(self, when: float, fn: Callable[..., Any], *args: Any,
                interval: float | None = None, name: str | None = None) -> Timer:
        timer = Timer(when, fn, args, interval, name or callable_name(fn))
        heapq.heappush(self._timers, (when, next(self._order), timer))
        return timer

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any,
                   name: str | None = None) -> Timer:
        return self.call_at(self.clock.monotonic() + max(0.0, delay), fn, *args, name=name)

    def call_every(self, interval: float, fn: Callable[..., Any], *args: Any,
                   first: float | None = None, name: str | None = None) -> Timer:
        if interval <= 0:
            raise ValueError("every() needs an interval above 0 seconds")
        start = self.clock.monotonic() + (interval if first is None else first)
        return self.call_at(start, fn, *args, interval=interval, name=name)

    def next_timer_at(self) -> float | None:
        while self._timers and self._timers[0][2].cancelled:
            heapq.heappop(self._timers)
        return self._timers[0][0] if self._timers else None

    def run_forever(self) -> None:
        """Run on the real clock until `stop()`.

        A `stop()` that arrives before the loop starts (a signal right after the
        ready line) is honoured: the flag is cleared on the way out, not in.
        """
        try:
            self._serve()
        finally:
            self._stopping = False

    def _serve(self, until: float = math.inf) -> None:
        queue, clock = self._queue, self.clock
        while not self._stopping and (now := clock.monotonic()) < until:
            self._run_due_timers(now)
            nxt = self.next_timer_at()
            due = math.inf if nxt is None else max(0.0, nxt - clock.monotonic())
            wait = min(_MAX_WAIT, clock.real_delay(min(due, until - now)))
            self.waiting = True
            try:
                fn, args = queue.get(timeout=wait) if wait > 0 else queue.get_nowait()
            except Empty:
                continue
            finally:
                self._woke()
            self._note_depth()
            self._call(fn, args)
            self.drain()

    def drain(self) -> int:
        """Run everything already posted, without waiting. Returns how many items ran."""
        done = 0
        queue = self._queue
        while True:
            try:
                fn, args = queue.get_nowait()
            except Empty:
                return done
            self._note_depth()
            self._call(fn, args)
            done += 1

    def run_until(self, t: float) -> None:
        """Run every posted item and due timer up to monotonic time `t`.

        On a virtual clock this jumps from timer to timer at once; on a real clock it
        serves the loop until `t` comes (a scenario against real hardware waits that way).
        """
        clock = self.clock
        if not isinstance(clock, VirtualClock):
            self._serve(until=t)
            self._run_due_timers(clock.monotonic())
            self.drain()
            return
        self.drain()
        while True:
            nxt = self.next_timer_at()
            if nxt is None or nxt > t:
                break
            clock.advance_to(nxt)
            self._run_due_timers(nxt)
            self.drain()
        clock.advance_to(t)
        self.drain()

    def run_for(self, seconds: float) -> None:
        self.run_until(self.clock.monotonic() + seconds)

    # -- internals ---------------------------------------------------------------
    def _woke(self) -> None:
        self.waiting = False
        waker = self.waker
        if waker is not None:
            self.waker = None
            waker.set()

    def _note_depth(self) -> None:
        """Called just after taking an item: it and everything still queued were waiting."""
        depth = self._queue.qsize() + 1
        if depth > self.max_queue_depth:
            self.max_queue_depth = depth

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            fn(*args)
        except Exception as exc:
            self.bus.stats.record_error(callable_name(fn), "a posted call", exc)

    def _run_due_timers(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, timer = heapq.heappop(timers)
            if timer.cancelled:
                continue
            if timer.interval is not None:
                # Drift-free: the next run is a whole interval after this one, but a
                # loop that fell far behind skips missed runs instead of bursting.
                nxt = timer.when + timer.interval
                timer.when = nxt if nxt > now else now + timer.interval
                heapq.heappush(timers, (timer.when, next(self._order), timer))
            else:
                timer.cancelled = True
            self.bus.call(timer.name, "a timer", timer.fn, *timer.args)


def _noop() -> None:
    pass
