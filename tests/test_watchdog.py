"""The watchdog names a handler that blocks the loop, while it blocks."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest

from museokit.core.bus import Bus
from museokit.core.clock import RealClock
from museokit.core.events import Event
from museokit.core.loop import Loop
from museokit.core.watchdog import Watchdog
from tests.net_fixtures import wait_for
from tests.test_cli import sim_door_for


def press() -> Event:
    return Event("door", "pressed")


def warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_check_warns_once_past_the_threshold_then_repeats(caplog):
    bus = Bus(slow_threshold=0.1)
    dog = Watchdog(bus, repeat=5)
    bus.running = "behaviour.py:3 tell on door.pressed"
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        dog.check(100.0)
        dog.check(100.05)
        assert warnings(caplog) == []
        dog.check(100.12)
        assert len(warnings(caplog)) == 1
        assert "behaviour.py:3 tell on door.pressed is blocking the loop: 120 ms" in warnings(caplog)[0]
        dog.check(103.0)
        assert len(warnings(caplog)) == 1  # not every look
        dog.check(105.2)
        assert "5200 ms so far" in warnings(caplog)[-1]  # a hung handler is named again
        bus.running = None
        dog.check(105.3)
        assert "returned after blocking the loop for 5.3 s" in warnings(caplog)[-1]
    assert bus.stats.slow_warnings == 2
    assert bus.stats.slowest_name == "behaviour.py:3 tell on door.pressed"
    assert 5.2 < bus.stats.slowest_seconds < 5.4


def test_a_new_handler_call_restarts_the_count(caplog):
    bus = Bus(slow_threshold=0.1)
    dog = Watchdog(bus)
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        for i in range(20):  # the same handler, called again and again, each quick
            bus.running = "h on door.pressed"
            bus.published = i
            dog.check(i * 0.06)
    assert warnings(caplog) == []


def test_a_real_blocking_handler_is_named_and_the_next_handler_still_runs(caplog):
    bus = Bus(slow_threshold=0.1)
    after: list[str] = []

    def slow_story(event: Event) -> None:  # blocks the loop until the watchdog has said so
        wait_for(lambda: warnings(caplog), 5, what="the watchdog's warning")

    bus.subscribe("door.pressed", slow_story)
    bus.subscribe("door.pressed", lambda e: after.append(e.key))
    dog = Watchdog(bus)
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        dog.start()
        bus.publish(press())
        wait_for(lambda: any("returned after" in w for w in warnings(caplog)), 5,
                 what="the watchdog to see the handler return")
        dog.stop()
    found = warnings(caplog)
    assert any("slow_story on door.pressed is blocking the loop" in w for w in found), found
    assert any("returned after blocking" in w for w in found), found
    assert after == ["door.pressed"]


def test_a_hung_handler_is_named_while_it_is_still_hung(caplog):
    bus = Bus(slow_threshold=0.1)
    release = threading.Event()

    def waits_forever(event: Event) -> None:
        release.wait(10)

    bus.subscribe("door.pressed", waits_forever)
    dog = Watchdog(bus)
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        dog.start()
        loop = threading.Thread(target=bus.publish, args=(press(),))
        loop.start()
        wait_for(lambda: warnings(caplog), 5, what="the watchdog's warning")
        still_running = bus.running
        release.set()
        loop.join()
        dog.stop()
    assert still_running is not None and "waits_forever" in still_running
    assert "waits_forever on door.pressed is blocking the loop" in warnings(caplog)[0]


def test_quick_handlers_never_warn(caplog):
    bus = Bus(slow_threshold=0.1)
    bus.subscribe("door.pressed", lambda e: None)
    dog = Watchdog(bus)
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        dog.start()
        deadline = time.monotonic() + 0.3
        while time.monotonic() < deadline:
            bus.publish(press())
        dog.stop()
    assert warnings(caplog) == []


@pytest.mark.subprocess
def test_museokit_names_a_blocking_handler_and_keeps_running(tmp_path):
    result = sim_door_for(tmp_path, """\
        import time
        from museokit import on

        @on("door.pressed")
        def long_story():
            time.sleep(0.4)

        @on("door.released")
        def fine():
            print("released ok", flush=True)
    """, 1.5)
    assert result.returncode == 0
    assert "behaviour.py:4 long_story on door.pressed is blocking the loop" in result.stderr
    assert "released ok" in result.stdout


def wakeups(thread: threading.Thread) -> int:
    """How many times `thread` has gone to sleep and woken up (Linux's count)."""
    status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
    return int(status.split("voluntary_ctxt_switches:")[1].split()[0])


def test_the_watchdog_sleeps_while_the_loop_is_idle_and_wakes_for_a_blocking_handler(caplog):
    """An idle installation costs no wake-ups; a handler that blocks after hours of quiet
    is still named."""
    bus = Bus(slow_threshold=0.1)
    loop = Loop(RealClock(), bus)
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()
    dog = Watchdog(bus, loop=loop)
    try:
        with caplog.at_level(logging.WARNING, logger="museokit.bus"):
            dog.start()
            assert dog._thread is not None
            time.sleep(0.2)
            before = wakeups(dog._thread)
            time.sleep(1.0)
            assert wakeups(dog._thread) - before <= 2  # sampling every 20 ms would be 50
            bus.subscribe("door.pressed", lambda e: time.sleep(0.4), name="long_story")
            loop.post(press())
            wait_for(lambda: any("returned after" in w for w in warnings(caplog)), 5,
                     what="the watchdog to see the handler return")
    finally:
        loop.stop()
        runner.join(5)
        dog.stop()
    assert "long_story on door.pressed is blocking the loop" in warnings(caplog)[0]
