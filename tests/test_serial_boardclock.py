"""The board's millis() mapped to the host's clock (toolkit/backends/serial/boardclock.py),
with synthetic lines: transmission delay and jitter, a late reader, drift, wrap, reset."""

from __future__ import annotations

import random

import pytest

from museokit.backends.serial.boardclock import WRAP, BoardClock

BASE = 1000.0  # host time when the board's counter was 0


def test_the_smallest_delay_wins_and_a_late_read_does_not_move_the_stamp() -> None:
    clock = BoardClock()
    rng = random.Random(1)
    for ms in range(0, 20_000, 1000):  # heartbeats, 1 to 6 ms on the way
        clock.sample(ms, BASE + ms / 1000 + 0.001 + rng.random() * 0.005)
    # An edge at 20.3 s read 1 s late (the host thread was busy): stamped at the edge.
    at = clock.event(20_300, BASE + 21.3)
    assert at == pytest.approx(BASE + 20.3, abs=0.002)


def test_a_stamp_is_never_after_the_arrival() -> None:
    clock = BoardClock()
    clock.sample(0, BASE + 0.050)  # a slow first line: the offset is 50 ms too high
    assert clock.event(100, BASE + 0.101) <= BASE + 0.101


def test_events_keep_their_order() -> None:
    clock = BoardClock()
    clock.sample(5000, BASE + 5.001)
    first = clock.event(5100, BASE + 5.2)
    # The next edge is before the previous heartbeat's board time (its debounce began
    # earlier): it is stamped no earlier than the event before it.
    clock.sample(6000, BASE + 6.001)
    assert clock.event(5050, BASE + 6.01) >= first


@pytest.mark.parametrize("ppm", [-300, 300])
def test_a_drifting_crystal_is_followed(ppm: int) -> None:
    clock = BoardClock()
    rate = 1 + ppm / 1e6
    for ms in range(0, 3_600_000, 1000):  # an hour of heartbeats
        clock.sample(ms, BASE + ms / 1000 * rate + 0.002)
    ms = 3_600_500
    assert clock.event(ms, BASE + 3700) == pytest.approx(BASE + ms / 1000 * rate, abs=0.025)


def test_the_counter_wraps_after_49_days() -> None:
    clock = BoardClock()
    start = WRAP - 2000
    for i in range(5):  # 2^32 - 2000 ms .. past the wrap
        ms = (start + i * 1000) % WRAP
        clock.sample(ms, BASE + i + 0.001)
    at = clock.event((start + 4500) % WRAP, BASE + 10)
    assert at == pytest.approx(BASE + 4.5, abs=0.002)


def test_a_reset_starts_a_new_mapping_without_going_back() -> None:
    clock = BoardClock()
    for ms in range(0, 10_000, 1000):
        clock.sample(ms, BASE + ms / 1000 + 0.001)
    before = clock.event(9500, BASE + 9.6)
    clock.reset()  # hello 0: the board rebooted at host time BASE + 12
    clock.sample(0, BASE + 12.001)
    at = clock.event(300, BASE + 12.5)
    assert at == pytest.approx(BASE + 12.3, abs=0.002)
    assert at > before


def test_a_reset_without_a_greeting_is_seen_from_the_counter() -> None:
    clock = BoardClock()
    for ms in range(0, 100_000, 1000):
        clock.sample(ms, BASE + ms / 1000 + 0.001)
    clock.sample(200, BASE + 120.001)  # the counter went from 99 s back to 0.2 s
    assert clock.resets == 1
    assert clock.event(700, BASE + 121) == pytest.approx(BASE + 120.5, abs=0.002)


def test_the_greeting_after_a_reset_bounds_the_new_mapping_at_once() -> None:
    """The link samples `hello 0` as board time 0: the first press after the reboot, read
    late, is already stamped near its edge, and after the last stamp before the reset."""
    clock = BoardClock()
    clock.sample(50_000, BASE + 50.001)
    before = clock.event(50_100, BASE + 50.2)
    clock.reset()
    clock.sample(0, BASE + 60.004)  # greeted 4 ms after booting at BASE + 60
    at = clock.event(800, BASE + 61.8)  # pressed at 0.8 s, read a second late
    assert at == pytest.approx(BASE + 60.8, abs=0.005)
    assert at > before
