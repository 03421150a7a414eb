"""One clock for everything that waits.

Debounce, hold, `after`/`every`, idle timeouts, cooldowns and schedules all read
the clock of the runtime loop, never `time.time()` directly. Swapping the
`RealClock` for a `VirtualClock` makes a gallery day run in seconds, and makes it
deterministic.
"""

from __future__ import annotations

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


class RealClock:
    """The wall clock of the machine."""

    virtual = False

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


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
