"""The runtime loop: timers on a real or virtual clock, and a thread-safe way in.

On a `VirtualClock` the loop jumps from timer to timer, so these tests are exact
about *when* things happen without waiting for them.
"""

from __future__ import annotations

import logging
import threading

import pytest

from museokit.core.bus import Bus
from museokit.core.clock import DEFAULT_VIRTUAL_EPOCH, RealClock, VirtualClock
from museokit.core.events import Event
from museokit.core.loop import Loop


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def loop(clock: VirtualClock) -> Loop:
    return Loop(clock, Bus())


def test_virtual_clock_moves_only_forwards(clock):
    assert clock.monotonic() == 0.0
    assert clock.time() == DEFAULT_VIRTUAL_EPOCH
    clock.advance_to(5)
    clock.advance_to(3)  # never backwards
    assert clock.monotonic() == 5.0
    assert clock.time() == DEFAULT_VIRTUAL_EPOCH + 5
    assert VirtualClock(epoch=100).time() == 100


def test_timers_run_in_time_order_at_their_own_time(loop, clock):
    ran: list[tuple[str, float]] = []

    def note(name: str) -> None:
        ran.append((name, clock.monotonic()))

    loop.call_later(3, note, "three")
    loop.call_later(1, note, "one")
    loop.call_at(2, note, "two")
    loop.call_later(10, note, "ten")
    loop.run_until(5)
    assert ran == [("one", 1.0), ("two", 2.0), ("three", 3.0)]
    assert clock.monotonic() == 5.0  # the clock ends where it was asked to
    assert loop.next_timer_at() == 10.0
    loop.run_for(5)
    assert ran[-1] == ("ten", 10.0)
    assert loop.next_timer_at() is None


def test_timers_due_at_the_same_time_run_in_the_order_they_were_made(loop):
    ran: list[int] = []
    for n in range(5):
        loop.call_later(1, ran.append, n)
    loop.run_for(1)
    assert ran == [0, 1, 2, 3, 4]


def test_a_timer_at_exactly_the_end_runs(loop):
    ran: list[str] = []
    loop.call_later(2, ran.append, "x")
    loop.run_until(1.999)
    assert ran == []
    loop.run_until(2)
    assert ran == ["x"]


def test_events_a_timer_posts_are_handled_before_the_next_timer(loop, clock):
    order: list[str] = []
    loop.bus.subscribe("door.pressed", lambda e: order.append(f"handler at {clock.monotonic()}"))
    loop.call_later(1, loop.post, Event("door", "pressed"))
    loop.call_later(2, lambda: order.append(f"timer at {clock.monotonic()}"))
    loop.run_for(3)
    assert order == ["handler at 1.0", "timer at 2.0"]


def test_a_timer_that_schedules_another(loop, clock):
    ran: list[float] = []

    def chain() -> None:
        ran.append(clock.monotonic())
        if len(ran) < 3:
            loop.call_later(0.5, chain)

    loop.call_later(1, chain)
    loop.run_for(10)
    assert ran == [1.0, 1.5, 2.0]


def test_a_cancelled_timer_never_runs(loop):
    ran: list[str] = []
    timer = loop.call_later(1, ran.append, "x")
    assert loop.next_timer_at() == 1.0
    timer.cancel()
    assert loop.next_timer_at() is None
    loop.run_for(2)
    assert ran == []
    assert "cancelled" in repr(timer)


def test_negative_delay_runs_now(loop):
    ran: list[str] = []
    loop.call_later(-5, ran.append, "x")
    loop.run_for(0)
    assert ran == ["x"]


def test_call_every_repeats_on_whole_intervals(loop, clock):
    ran: list[float] = []
    loop.call_every(0.5, lambda: ran.append(clock.monotonic()))
    loop.run_for(2.2)
    assert ran == [0.5, 1.0, 1.5, 2.0]


def test_call_every_with_a_first_delay(loop, clock):
    ran: list[float] = []
    loop.call_every(1, lambda: ran.append(clock.monotonic()), first=0)
    loop.run_for(2.5)
    assert ran == [0.0, 1.0, 2.0]


def test_call_every_does_not_drift_when_the_work_takes_time(loop, clock):
    # Each run "takes" 0.3 s of (virtual) time. The next run is still one whole
    # interval after the previous *start*, not 1 s after the work finished.
    ran: list[float] = []

    def slow_tick() -> None:
        ran.append(clock.monotonic())
        clock.advance_to(clock.monotonic() + 0.3)

    loop.call_every(1, slow_tick)
    loop.run_for(4.5)
    assert ran == [1.0, 2.0, 3.0, 4.0]


def test_call_every_stays_exact_over_a_long_day(loop, clock):
    ran: list[float] = []
    loop.call_every(0.1, lambda: ran.append(clock.monotonic()))
    loop.run_for(3600)
    assert len(ran) == 36000
    assert ran[-1] == pytest.approx(3600.0, abs=1e-6)


def test_cancel_stops_call_every_even_from_inside(loop):
    ran: list[int] = []

    def tick() -> None:
        ran.append(len(ran))
        if len(ran) == 3:
            timer.cancel()

    timer = loop.call_every(1, tick)
    loop.run_for(10)
    assert ran == [0, 1, 2]
    assert loop.next_timer_at() is None


def test_call_every_needs_a_positive_interval(loop):
    for bad in (0, -1):
        with pytest.raises(ValueError, match="above 0"):
            loop.call_every(bad, lambda: None)


def test_a_timer_that_raises_is_counted_and_the_loop_goes_on(loop, clock, caplog):
    ran: list[float] = []

    def broken_tick() -> None:
        raise RuntimeError("projector offline")

    loop.call_every(1, broken_tick)
    loop.call_later(1.5, lambda: ran.append(clock.monotonic()))
    with caplog.at_level(logging.ERROR, logger="museokit.bus"):
        loop.run_for(2.5)
    assert ran == [1.5]
    assert loop.bus.stats.errors == 2  # at 1.0 and 2.0 ...
    assert loop.next_timer_at() == 3.0  # ... and it is still scheduled: the next run may work
    assert "broken_tick" in caplog.text and "projector offline" in caplog.text


def test_a_posted_call_that_raises_is_counted(loop):
    ran: list[str] = []
    loop.call_soon_threadsafe(lambda: 1 / 0)
    loop.call_soon_threadsafe(ran.append, "next")
    loop.run_for(0)
    assert ran == ["next"]
    assert loop.bus.stats.errors == 1


def test_a_named_timer_is_reported_by_that_name(loop, caplog):
    loop.call_later(1, lambda: 1 / 0, name="lamp blink timer")
    with caplog.at_level(logging.ERROR):
        loop.run_for(1)
    assert loop.bus.stats.errors_by_handler == {"lamp blink timer": 1}


def test_drain_runs_what_was_posted_without_moving_the_clock(loop, clock):
    got: list[str] = []
    loop.bus.subscribe("*", lambda e: got.append(e.key))
    loop.post(Event("door", "pressed"))
    loop.post(Event("door", "released"))
    assert got == []  # nothing runs until the loop does
    assert loop.drain() == 2
    assert got == ["door.pressed", "door.released"]
    assert clock.monotonic() == 0.0


def test_max_queue_depth_counts_what_waited(loop):
    for _ in range(5):
        loop.post(Event("door", "pressed"))
    loop.drain()
    assert loop.max_queue_depth == 5
    loop.post(Event("door", "pressed"))
    loop.drain()
    assert loop.max_queue_depth == 5  # the largest so far


def test_run_until_on_a_real_clock_serves_the_loop_until_that_time():
    """What a scenario against real hardware does: the calling thread serves the loop."""
    clock = RealClock()
    loop = Loop(clock, Bus())
    ran: list[str] = []
    start = clock.monotonic()
    loop.call_later(0.05, ran.append, "timer")
    posted = threading.Event()

    def post() -> None:
        loop.call_soon_threadsafe(ran.append, "from a thread")
        posted.set()

    threading.Timer(0.02, post).start()
    loop.run_until(start + 0.15)
    assert clock.monotonic() >= start + 0.15
    assert "timer" in ran
    # A loaded machine (or an emulated one) may start the thread late: then the next
    # run_until serves its call.
    assert posted.wait(10)
    loop.run_until(clock.monotonic())
    assert sorted(ran) == ["from a thread", "timer"]
    loop.call_later(1.0, ran.append, "later")
    loop.run_until(clock.monotonic() + 0.01)
    assert "later" not in ran  # not due yet: returned at the time asked for


def test_next_timer_at_skips_cancelled_timers(loop):
    loop.call_later(1, lambda: None).cancel()
    loop.call_later(2, lambda: None)
    assert loop.next_timer_at() == 2.0


# -- real time, real threads (short) -------------------------------------------------------


def start_real_loop() -> tuple[Loop, threading.Thread]:
    loop = Loop(RealClock(), Bus())
    thread = threading.Thread(target=loop.run_forever, name="museokit-loop", daemon=True)
    thread.start()
    return loop, thread


def test_events_posted_from_other_threads_run_on_the_loop_thread():
    loop, thread = start_real_loop()
    handled_on: list[str] = []
    values: list[int] = []
    all_in = threading.Event()

    def handler(event: Event) -> None:
        handled_on.append(threading.current_thread().name)
        values.append(event.value)
        if len(values) == 200:
            all_in.set()

    loop.bus.subscribe("door.pressed", handler)

    def backend_thread(start: int) -> None:  # a gpiozero callback thread, say
        for n in range(start, start + 100):
            loop.post(Event("door", "pressed", n))

    posters = [threading.Thread(target=backend_thread, args=(n,)) for n in (0, 100)]
    for t in posters:
        t.start()
    try:
        assert all_in.wait(5), f"only {len(values)} of 200 events arrived"
    finally:
        loop.stop()
        thread.join(5)
    assert not thread.is_alive()
    assert set(handled_on) == {"museokit-loop"}
    assert sorted(values) == list(range(200))
    # Each poster's events arrive in the order it posted them.
    assert [v for v in values if v < 100] == list(range(100))
    assert loop.max_queue_depth >= 1


def test_real_time_timers_run_and_stop_ends_the_loop():
    loop, thread = start_real_loop()
    fired = threading.Event()
    loop.call_soon_threadsafe(loop.call_later, 0.01, fired.set)
    try:
        assert fired.wait(5)
    finally:
        loop.stop()
        thread.join(5)
    assert not thread.is_alive()


def test_stop_before_the_loop_starts_is_not_lost():
    # A Ctrl-C that arrives while the installation is still starting must still stop it.
    loop = Loop(RealClock(), Bus())
    loop.stop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    thread.join(5)
    assert not thread.is_alive()
    # ...and a stopped loop can run again.
    loop2, thread2 = loop, threading.Thread(target=loop.run_forever, daemon=True)
    thread2.start()
    loop2.call_soon_threadsafe(loop2.stop)
    thread2.join(5)
    assert not thread2.is_alive()
