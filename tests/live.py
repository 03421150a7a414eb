"""An installation running in real time on a background thread, for backend tests.

Backends with real I/O (a serial board on a pty, a simulated Uno) cannot run on the
virtual clock: their threads deliver readings whenever the hardware sends them. This
runs the normal `Runtime` loop on a thread and lets a test wait for events.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from museokit.core.config import Installation
from museokit.core.events import Event
from museokit.core.runtime import Runtime


class Live:
    def __init__(self, installation: Installation, backend: str | None = None) -> None:
        self.runtime = Runtime(installation, backend=backend)
        self.events: list[Event] = []
        self._seen = threading.Condition()
        self.runtime.bus.tap(self._record, name="test recorder")

    def __enter__(self) -> Live:
        self.runtime.start()
        self.runtime.start_in_thread()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.runtime.running:
            self.runtime.stop()
            self.runtime.join(timeout=5)
        self.runtime.close()

    def _record(self, event: Event) -> None:
        with self._seen:
            self.events.append(event)
            self._seen.notify_all()

    def keys(self, since: int = 0) -> list[str]:
        with self._seen:
            return [e.key for e in self.events[since:]]

    def wait_for(self, key: str, timeout: float = 10.0, since: int = 0) -> Event:
        """The first `key` event from index `since` on; fails the test after `timeout` s."""
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for event in self.events[since:]:
                    if event.key == key:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {key} within {timeout}s; saw {self.keys(since)}")
                self._seen.wait(left)

    def mark(self) -> int:
        """Index of the next event, for `wait_for(..., since=live.mark())`."""
        with self._seen:
            return len(self.events)

    def call(self, fn: Any, *args: Any) -> Any:
        """Run `fn(*args)` on the loop thread and return its result."""
        done: Future[Any] = Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)
        self.runtime.loop.call_soon_threadsafe(run)
        return done.result(timeout=5)

    def command(self, device_id: str, name: str, *args: Any) -> Any:
        return self.call(self.runtime.command, device_id, name, list(args))


def settle(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """True as soon as `check()` is, polling; False after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False
