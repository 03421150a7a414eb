"""A board's presses are timed on the board: the Arduino sketch in simavr (and the MicroPython
firmware on CPython) sees short presses,
a double click, a hold and a long press while a handler holds the host's loop for 1 s at
every first press, and the host reports what the board saw, not when it got round to it.

The firmware puts its millis() at the edge on every `ev` line (PROTOCOL.md §4.2); the link
maps it onto the loop's clock (toolkit/backends/serial/boardclock.py)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from museokit.core.events import Event
from tests.conftest import device
from tests.live import Live
from tests.simboard import BOARDS, FAMILIES, _ProcessBoard
from tests.test_serial_simavr import BOARD, on_a_board, plug

BLOCK = 1.0
DOOR = device("door", "button", f'board = "{BOARD}"\npin = "D2"')


def _visit(uno: _ProcessBoard, blocking: threading.Event, steps: list[tuple[int, float]]) -> None:
    """Drive D2 (0: pressed, the pin pulled low) and wait each step's time; the loop is
    blocked for 1 s by the first `pressed`."""
    blocking.set()
    for level, pause in steps:
        uno.pin("D2", level)
        time.sleep(pause)


@pytest.mark.parametrize("family", FAMILIES)
def test_presses_of_every_kind_survive_a_blocked_loop(tmp_path, installation, family) -> None:
    with plug(BOARDS[family](board_id=BOARD), tmp_path / "ttyACM-door") as uno, \
            Live(installation(on_a_board(tmp_path, DOOR))) as run:
        assert run.runtime.devices["door"].is_online
        blocking = threading.Event()

        def block(event: Event) -> None:
            if blocking.is_set():
                blocking.clear()
                time.sleep(BLOCK)  # the loop is held: nothing else runs meanwhile

        run.call(run.runtime.bus.subscribe, "door.pressed", block, "test blocker")
        time.sleep(1.5)  # a few heartbeats: the board's clock is known

        def seen(mark: int, last: str) -> list[Event]:
            run.wait_for(f"door.{last}", since=mark, timeout=6)
            time.sleep(0.5)  # anything that should not come would come now
            return [e for e in run.events[mark:] if e.device == "door"]

        def value(events: list[Event], name: str) -> Any:
            return next(e.value for e in events if e.name == name)

        mark = run.mark()  # a short press: still a click, 0.3 s long
        _visit(uno, blocking, [(0, 0.3), (1, 0)])
        events = seen(mark, "clicked")
        assert [e.name for e in events] == ["pressed", "released", "clicked"], events
        assert value(events, "released") == pytest.approx(0.3, abs=0.1)
        assert value(events, "clicked") == 1

        mark = run.mark()  # a double click: two clicks, not two separate ones or a hold
        _visit(uno, blocking, [(0, 0.1), (1, 0.15), (0, 0.1), (1, 0)])
        events = seen(mark, "clicked")
        assert [e.name for e in events] == ["pressed", "released", "pressed", "released",
                                            "clicked"], events
        assert value(events, "clicked") == 2

        mark = run.mark()  # held at 1 s, released at 1.5 s: no long press
        _visit(uno, blocking, [(0, 1.5), (1, 0)])
        events = seen(mark, "released")
        assert [e.name for e in events] == ["pressed", "held", "released"], events
        assert value(events, "released") == pytest.approx(1.5, abs=0.1)

        time.sleep(0.5)
        mark = run.mark()  # a long press: 2 s by default
        _visit(uno, blocking, [(0, 2.3), (1, 0)])
        events = seen(mark, "long_press")
        assert [e.name for e in events] == ["pressed", "held", "released", "long_press"], events
        assert value(events, "long_press") == pytest.approx(2.3, abs=0.1)
