"""One clock for everything that waits.

Debounce, hold, `after`/`every`, idle timeouts, cooldowns and schedules all read
the clock of the runtime loop, never `time.time()` directly. Swapping the
`RealClock` for a `VirtualClock` makes a gallery day run in seconds, and makes it
deterministic.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

#: 2026-01-05 09:00 UTC, a Monday morning: where virtual days start unless told otherwise.
DEFAULT_VIRTUAL_EPOCH = 1767603600.0


class Clock(Protocol):
    """What the runtime needs from a clock."""

    virtual: bool

    def monotonic(self) -> float:
        """Seconds since an arbitrary origin; never goes backwards. Timers use this."""
        ...

    def time(self) -> float:
        """Unix time in seconds; used for event timestamps and schedules."""
        ...

    def real_delay(self, delay: float) -> float:
        """Real seconds until `delay` clock seconds have passed (what the loop sleeps)."""
        ...


class RealClock:
    """The wall clock of the machine."""

    virtual = False

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def real_delay(self, delay: float) -> float:
        return delay


class VirtualClock:
    """A clock that only moves when the runtime loop advances it.

    The loop jumps straight to the next due timer, so idle stretches cost nothing.
    """

    virtual = True

    def __init__(self, epoch: float = DEFAULT_VIRTUAL_EPOCH) -> None:
        self._epoch = epoch
        self._now = 0.0

    def monotonic(self) -> float:
        return self._now

    def time(self) -> float:
        return self._epoch + self._now

    def advance_to(self, t: float) -> None:
        """Move to monotonic time `t` (never backwards)."""
        if t > self._now:
            self._now = t

    def real_delay(self, delay: float) -> float:
        return 0.0  # the loop jumps; it never sleeps on a virtual clock


class ScaledClock:
    """Real time run faster, slower, or paused: the simulator window's clock.

    It starts at 0 like a virtual clock, so a session recorded on it lines up with a
    scenario replayed on the virtual clock. `rate` 10 makes ten clock seconds pass
    per real second, `rate` 0 pauses it, and `step()` moves a paused clock on by hand.
    Any thread may change it; the loop reads it. After a change, wake the loop
    (`loop.call_soon_threadsafe`) so it recomputes how long to sleep.
    """

    virtual = False

    def __init__(self, rate: float = 1.0, epoch: float | None = None) -> None:
        self._lock = threading.Lock()
        self._epoch = time.time() if epoch is None else epoch
        self._origin = time.monotonic()  # real time at which the clock read `_base`
        self._base = 0.0
        self._rate = self._checked(rate)

    @staticmethod
    def _checked(rate: float) -> float:
        if not rate >= 0:
            raise ValueError(f"a clock rate must be 0 (paused) or more, not {rate!r}")
        return float(rate)

    @property
    def rate(self) -> float:
        return self._rate

    @property
    def paused(self) -> bool:
        return self._rate == 0

    def set_rate(self, rate: float) -> None:
        """Run at `rate` clock seconds per real second from now on (0 pauses)."""
        rate = self._checked(rate)
        with self._lock:
            self._rebase()
            self._rate = rate

    def step(self, seconds: float) -> None:
        """Jump `seconds` ahead (used while paused to advance frame by frame)."""
        if seconds < 0:
            raise ValueError("a clock cannot step backwards")
        with self._lock:
            self._rebase()
            self._base += seconds

    def _rebase(self) -> None:
        real = time.monotonic()
        self._base += (real - self._origin) * self._rate
        self._origin = real

    def monotonic(self) -> float:
        with self._lock:
            return self._base + (time.monotonic() - self._origin) * self._rate

    def time(self) -> float:
        return self._epoch + self.monotonic()

    def real_delay(self, delay: float) -> float:
        rate = self._rate
        return float("inf") if rate == 0 else delay / rate
