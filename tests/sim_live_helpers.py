"""Shared pieces of the live simulator tests: a piece to edit, and waiting for a condition."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from museokit.core.config import load_installation
from museokit.sim.live import LiveSession
from tests.conftest import device, write_installation

#: A piece to edit while it runs: a button, a lamp and a distance sensor.
PIECE = ('[installation]\nname = "Edit me"\n\n' + device("door", "button", "pin = 17")
         + device("lamp", "led", "pin = 18")
         + device("dist", "distance", "trigger = 23\necho = 24\nsmoothing = 1"))

LAMP_ON = """\
from museokit import on

@on("door.pressed")
def light():
    lamp.on()
"""


def wait_for(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait (in real time) until `condition()` is true; fail naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def save(path: Path, text: str) -> None:
    """Write `text` and move the mtime on, as an editor's save does (even within one tick)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


@contextmanager
def live_piece(folder: Path, toml: str = PIECE, behaviour: str = LAMP_ON,
               before_start: Callable[[LiveSession], object] = lambda session: None,
               ) -> Iterator[LiveSession]:
    """A started LiveSession of the editable piece (`before_start` may attach to it); closed after."""
    write_installation(folder, toml, behaviour)
    session = LiveSession(load_installation(folder))
    before_start(session)
    session.start()
    try:
        yield session
    finally:
        session.close()


def label(session: LiveSession, device_id: str) -> str:
    assert session.runtime is not None
    return session.runtime.devices[device_id].label
