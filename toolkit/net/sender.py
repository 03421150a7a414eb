"""The link's sender thread: the outbox's writes and every publish, off the loop thread.

The loop hands an event over with `event(topic, payload)`: one append to a
`SimpleQueue`, O(1), no lock held, no I/O. The sender thread takes whatever has
queued up as one batch, numbers the events in the outbox, writes them in one
`write()` (and `fdatasync()`s them while the broker is away: group commit, one
sync per batch however large), then hands them to paho. Other work for the
broker (a retained state, a command for another node, what a reconnect
re-publishes) is queued as a call with `call(fn, *args)` and runs on the same
thread, after the events queued before it, so the order on the wire is the
order of the loop.

A visitor's press on this node therefore never waits behind the disk or paho's
locks: the watchdog test holds the loop to under 20 ms through a 50,000-event
burst (tests/test_net_sender.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import Any

from museokit.net.outbox import Outbox

log = logging.getLogger("museokit.net")

#: Most events one batch takes before it is committed (bounds one write's size).
BATCH = 4096
_STOP = object()

Publish = Callable[[str, bytes, int], None]


class Sender:
    def __init__(self, outbox: Outbox, publish: Publish, synced: Callable[[], bool],
                 on_error: Callable[[str, BaseException], None]) -> None:
        """`publish(topic, payload, entry)` hands an event to paho; `synced()` says whether
        a batch must be fdatasync'ed (the broker is away); `on_error` is told of a call
        that raised (it never stops the thread)."""
        self.outbox = outbox
        self._publish = publish
        self._synced = synced
        self._on_error = on_error
        #: Events are handed to paho as they are committed (connected, backlog sent).
        self.sending = False
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="museokit mqtt sender", daemon=True)
        self._started = False

    def start(self) -> None:
        self._started = True
        self._thread.start()

    # -- from the loop thread (or any) ----------------------------------------------------
    def event(self, topic: str, payload: bytes) -> None:
        self._queue.put((topic, payload))

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))

    def stop(self, timeout: float = 5.0) -> None:
        """Commit and send what is queued, then end the thread."""
        if self._started and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is done (tests)."""
        done = threading.Event()
        self.call(done.set)
        return done.wait(timeout)

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        queue = self._queue
        while True:
            batch = [queue.get()]
            try:
                while len(batch) < BATCH:
                    batch.append(queue.get_nowait())
            except Empty:
                pass
            if not self._handle(batch):
                return

    def _handle(self, batch: list[Any]) -> bool:
        events: list[tuple[int, str, bytes]] = []
        add = self.outbox.add
        for item in batch:
            if item is _STOP:
                self._commit(events)
                return False
            first, second = item
            if isinstance(first, str):
                entry = add(first, second)
                if entry is not None:
                    events.append((entry, first, second))
                continue
            self._commit(events)  # what came before the call goes first
            events = []
            try:
                first(*second)
            except Exception as exc:
                self._on_error(getattr(first, "__qualname__", repr(first)), exc)
        self._commit(events)
        return True

    def _commit(self, events: list[tuple[int, str, bytes]]) -> None:
        if not events and not self._synced():
            return
        try:
            self.outbox.flush(sync=self._synced())
        except Exception as exc:  # the outbox handles the disk's errors; anything else is a bug
            self._on_error("outbox flush", exc)
        if self.sending:
            publish = self._publish
            for entry, topic, payload in events:
                publish(topic, payload, entry)
