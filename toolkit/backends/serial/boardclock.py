"""A board's millisecond counter mapped onto the host's monotonic clock.

Every `ev` and `hb` line carries the board's `millis()` (PROTOCOL.md §4.2/4.3): for an
input, the time its level first took the value it settled on. The host turns that into
its own clock so debounce, hold, long press, clicks and dwell measure what the visitor
did on the board, not when a busy loop read the line.

The estimator: a line arrives at host time `arrival >= true_time + transmission delay`,
so `arrival - board_s` is an upper bound of the offset and the *smallest* one seen is the
best estimate. Only recent samples count (a window of `WINDOW` seconds of board time) so a
crystal that runs a few hundred ppm fast or slow is followed; a stamp is never later than
the line's arrival, and never earlier than the previous stamp (events stay in order).

The board's 32-bit counter wraps after ~49.7 days: it is unwrapped by the step from the
last sample. When the board resets (a `hello 0`, or its counter goes back), the mapping
starts again from the next line; stamps still never go back, so nothing is misordered.
"""

from __future__ import annotations

from collections import deque

WRAP = 2**32  # the board's counter, in ms
#: Seconds of board time the offset estimate looks back over (drift: 100 ppm is 6 ms here).
WINDOW = 60.0
#: A step back of more than this (ms) is a reset, not a wrap.
BACK = 10_000


class BoardClock:
    def __init__(self, window: float = WINDOW) -> None:
        self.window = window
        self._samples: deque[tuple[float, float]] = deque()  # (board s, arrival - board s)
        self._last_ms: int | None = None
        self._board_s = 0.0  # unwrapped board time of the last sample
        self._last_stamp = float("-inf")
        self.resets = 0

    def reset(self) -> None:
        """The board rebooted: its counter starts again; the next line sets the mapping."""
        self._samples.clear()
        self._last_ms = None
        self.resets += 1

    def sample(self, ms: int, arrival: float) -> float:
        """Learn from a line with board time `ms` that arrived at host time `arrival`, and
        return that board time on the host's clock (never after `arrival`)."""
        ms %= WRAP
        if self._last_ms is not None:
            step = (ms - self._last_ms) % WRAP
            if step > WRAP - BACK:  # a little back: an event's edge before the last heartbeat
                step -= WRAP
            elif step > WRAP // 2:  # far back: the board restarted without a greeting
                self.reset()
        if self._last_ms is None:
            board_s = self._board_s = ms / 1000
            self._last_ms = ms
        else:
            board_s = self._board_s + step / 1000
            if step > 0:
                self._board_s, self._last_ms = board_s, ms
        samples = self._samples
        offset = arrival - board_s
        while samples and samples[-1][1] >= offset:  # a worse bound than the new one
            samples.pop()
        samples.append((board_s, offset))
        while samples[0][0] < board_s - self.window:
            samples.popleft()
        return min(arrival, board_s + samples[0][1])

    def event(self, ms: int, arrival: float) -> float:
        """`sample`, and never before an earlier event's stamp (events stay in order)."""
        at = max(self.sample(ms, arrival), self._last_stamp)
        self._last_stamp = min(at, arrival)
        return self._last_stamp
