"""Log lines that a noisy peer or a failing handler could repeat without end, rate-limited.

The first `burst` lines of one kind in a window (a minute) are logged as they come; the
rest are counted, and one line says how many when the window ends: `… and 312 more
refused payloads in the last minute`. The journal stays readable however hostile the
input, and the count is never lost (`total` keeps every one, for the node's health).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

#: Lines logged per kind and window before the rest are only counted.
BURST = 5
WINDOW = 60.0


class RateLimitedLog:
    def __init__(self, logger: logging.Logger, what: str, burst: int = BURST,
                 window: float = WINDOW, clock: Callable[[], float] = time.monotonic) -> None:
        self.logger = logger
        #: What is counted, in the plural: "refused payloads", "handler errors".
        self.what = what
        self.burst, self.window, self.clock = burst, window, clock
        #: Every line asked for since start, logged or not.
        self.total = 0
        self._lock = threading.Lock()
        self._start = clock()
        self._logged = 0
        self._held = 0

    def __call__(self, level: int, message: str, *args: Any, **kwargs: Any) -> bool:
        """Log this line unless the window's burst is used up; True if it was logged."""
        with self._lock:
            self._roll(self.clock())
            self.total += 1
            if self._logged >= self.burst:
                self._held += 1
                return False
            self._logged += 1
        self.logger.log(level, message, *args, **kwargs)
        return True

    def flush(self) -> None:
        """End the window if it is over (the periodic health line calls this)."""
        with self._lock:
            self._roll(self.clock())

    def _roll(self, now: float) -> None:
        if now - self._start < self.window:
            return
        if self._held:
            elapsed = now - self._start
            span = "the last minute" if elapsed < 90 else f"the last {elapsed / 60:.0f} minutes"
            self.logger.warning("… and %d more %s in %s", self._held, self.what, span)
        self._start, self._logged, self._held = now, 0, 0
