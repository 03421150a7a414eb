"""Input time is taken where the visitor acts: a handler that holds the loop for 1 s does not
turn a 0.3 s press into a long press, merge clicks, or stretch a hold.

Visitors act through MQTT `…/sim/press|release` on a real Mosquitto (stamped when paho
receives them) and through the console (stamped when the line is read), while a handler
on `pressed` blocks the loop for a second.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pytest

from museokit.core.events import Event
from tests.conftest import REPO
from tests.net_fixtures import wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
SIM = "museokit/two_rooms/entrance/start/sim"
BLOCK = 1.0


@pytest.fixture
def entrance(mosquitto, node, observer):
    n = node(TWO_ROOMS, mosquitto.url, "entrance")
    seen: list[Event] = []
    blocking = threading.Event()

    def record(event: Event) -> None:
        if event.device == "start":
            seen.append(event)

    def block(event: Event) -> None:
        if blocking.is_set():
            blocking.clear()
            time.sleep(BLOCK)  # the loop is held: nothing else runs meanwhile

    n.on_loop(lambda: (n.runtime.bus.tap(record, name="test record"),
                       n.runtime.bus.subscribe("start.pressed", block, "test blocker")))
    return n, observer([]), seen, blocking


def _names(seen: list[Event]) -> list[str]:
    return [e.name for e in seen if e.name not in ("online", "offline")]


def _value(seen: list[Event], name: str) -> Any:
    return next(e.value for e in seen if e.name == name)


def _visit(obs, blocking: threading.Event, steps: list[tuple[str, float]]) -> None:
    """Publish each action, then wait its time (a visitor's pace); the first press blocks."""
    blocking.set()
    for action, pause in steps:
        obs.publish(f"{SIM}/{action}", b"")
        time.sleep(pause)


def test_short_press_during_a_blocked_loop_stays_a_click(entrance) -> None:
    _node, obs, seen, blocking = entrance
    _visit(obs, blocking, [("press", 0.3), ("release", 0)])
    wait_for(lambda: "clicked" in _names(seen), timeout=5, what=lambda: _names(seen))
    assert _names(seen) == ["pressed", "released", "clicked"]
    assert _value(seen, "released") == pytest.approx(0.3, abs=0.15)
    assert _value(seen, "clicked") == 1


def test_double_click_during_a_blocked_loop_counts_two(entrance) -> None:
    _node, obs, seen, blocking = entrance
    _visit(obs, blocking, [("press", 0.1), ("release", 0.15), ("press", 0.1), ("release", 0)])
    wait_for(lambda: "clicked" in _names(seen), timeout=5, what=lambda: _names(seen))
    assert _names(seen) == ["pressed", "released", "pressed", "released", "clicked"]
    assert _value(seen, "clicked") == 2


def test_hold_and_long_press_measured_from_the_edges(entrance) -> None:
    _node, obs, seen, blocking = entrance
    _visit(obs, blocking, [("press", 1.5), ("release", 0)])  # held at 1 s, released at 1.5 s
    wait_for(lambda: "released" in _names(seen), timeout=5, what=lambda: _names(seen))
    assert _names(seen)[:3] == ["pressed", "held", "released"]
    assert _value(seen, "released") == pytest.approx(1.5, abs=0.15)
    assert "long_press" not in _names(seen)
    seen.clear()
    _visit(obs, blocking, [("press", 2.3), ("release", 0)])  # long press: 2 s by default
    wait_for(lambda: "long_press" in _names(seen), timeout=5, what=lambda: _names(seen))
    assert _value(seen, "long_press") == pytest.approx(2.3, abs=0.15)


def test_console_lines_are_stamped_when_read(tmp_path) -> None:
    """`press door` / `release door` typed 0.3 s apart while a handler blocks the loop: the
    console stamps each line as it reads it, so the press lasted 0.3 s, not 1 s."""
    from museokit.core.config import load_installation
    from museokit.sim.console import Console
    from museokit.sim.live import LiveSession

    session = LiveSession(load_installation(REPO / "installations/hello-button"))
    session.start()
    try:
        seen: list[Event] = []
        blocking = threading.Event()

        def block(event: Event) -> None:
            if blocking.is_set():
                blocking.clear()
                time.sleep(BLOCK)

        session.post(lambda: (session.runtime.bus.tap(seen.append, name="test record"),
                              session.runtime.bus.subscribe("door.pressed", block, "blocker")))
        assert session.sync()
        console = Console(session, out=io.StringIO())
        reader, writer = _pipe()
        console.read_stdin(reader)
        blocking.set()
        writer.write("press door\n")
        writer.flush()
        time.sleep(0.3)
        writer.write("release door\n")
        writer.flush()
        wait_for(lambda: any(e.name == "released" for e in seen), timeout=5)
        released = next(e for e in seen if e.device == "door" and e.name == "released")
        assert released.value == pytest.approx(0.3, abs=0.15)
        assert not any(e.name == "long_press" for e in seen)
        writer.close()
    finally:
        session.close()


def _pipe() -> tuple[io.TextIOWrapper, io.TextIOWrapper]:
    import os

    r, w = os.pipe()
    return os.fdopen(r, "r"), os.fdopen(w, "w")
