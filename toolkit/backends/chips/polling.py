"""An input read from a chip by its own thread: a tag reader, a touch controller.

The thread reads the chip every `interval` seconds and hands each new value to the
loop. A chip that stops answering (`ChipSilent` or an OSError from the bus) makes
the device go `offline` once, with the reason; the thread keeps trying, re-starts
the chip when it answers again (it may have lost power, and its set-up with it), and
the device goes `online`. A reader that does not answer at start is the same case:
the installation starts, the device starts offline.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from museokit.backends.chips import ChipSilent
from museokit.core.backend import Backend, InputChannel, Sink

log = logging.getLogger("museokit.chips")


class Unsure(Exception):
    """This reading says nothing (two tags over each other): keep the last value."""


class ChipInput(InputChannel):
    def __init__(self, backend: Backend, device_id: str, sink: Sink, what: str,
                 start: Callable[[], object], read: Callable[[], Any], interval: float,
                 close: Callable[[], None] = lambda: None) -> None:
        super().__init__(sink)
        self.backend = backend
        self.device_id = device_id
        self.what = what
        self.start = start
        self.read = read
        self.interval = interval
        self._close = close
        self.online: bool | None = None
        self.reads = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"museokit {device_id} reader",
                                        daemon=True)

    def begin(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        last: Any = None
        due = time.monotonic()
        while True:
            # Reads start every `interval` s however long each takes, so a tag waits at
            # most one interval plus one read.
            due = max(due + self.interval, time.monotonic())
            try:
                if not self.online:
                    self.start()
                value = self.read()
            except Unsure:
                value = last
            except Exception as exc:  # a driver's bug, too, must not end the thread silently
                silent = isinstance(exc, ChipSilent | OSError)
                self._went(False, f"{self.what} does not answer ({exc})" if silent else
                           f"{self.what} failed: {type(exc).__name__}: {exc}")
                if self._stop.wait(max(self.interval, 0.5)):
                    return
                continue
            self.reads += 1
            self._went(True, "")
            if value != last:
                last = value
                self.backend.loop.call_soon_threadsafe(self.deliver, value)
            if self._stop.wait(max(0.0, due - time.monotonic())):
                return

    def _went(self, online: bool, reason: str) -> None:
        if self.online == online or (online and self.online is None):
            self.online = online
            return
        self.online = online
        if not online:
            log.warning("%s: %s", self.device_id, reason)
        self.backend.set_online(self.device_id, online, reason)

    def deliver(self, value: Any) -> None:
        self.value = value
        self.sink(value)

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        self._close()
