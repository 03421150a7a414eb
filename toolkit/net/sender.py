"""The link's network thread: the outbox's writes, every publish and paho's socket, off the loop.

The loop hands an event over with `event(topic, payload)`: one append to a
`SimpleQueue` and, when the thread may be asleep, one byte on a socketpair,
O(1), no lock held, no I/O that can block. The thread takes whatever has queued
up as one batch, numbers the events in the outbox, writes them in one `write()`
(and `fdatasync()`s them while the broker is away: group commit, one sync per
batch however large), then hands them to paho, which writes them to the broker's
socket right here. Other work for the broker (a retained state, a command for
another node, what a reconnect re-publishes) is queued as a call with
`call(fn, *args)` and runs on the same thread, after the events queued before
it, so the order on the wire is the order of the loop.

The same thread runs paho's network loop through paho's external-loop calls
(`socket`, `loop_read`, `loop_write`, `loop_misc`, `reconnect`) instead of
`loop_start()`'s own thread: an event goes loop → this thread → socket, one
thread handoff, where paho's threaded mode adds a second (its `publish()` only
queues the packet and wakes paho's thread through a socketpair). Measured stage
by stage (bench/README.md), that second handoff was the largest single part of
the cross-node latency museokit added over raw paho. paho's callbacks
(`on_connect`, `on_message`, `on_publish`...) therefore run on this thread, and
nothing else may call into paho: `call()` it here.

A visitor's press on this node never waits behind the disk, paho or the
network: the watchdog test holds the loop to under 20 ms through a 50,000-event
burst (tests/test_net_sender.py).
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import TYPE_CHECKING, Any

from museokit.net.outbox import Outbox

if TYPE_CHECKING:
    import paho.mqtt.client as mqtt

log = logging.getLogger("museokit.net")

#: Most events one batch takes before it is committed (bounds one write's size).
BATCH = 4096
#: Longest wait for the network: paho's keepalive pings and timeouts run at least this often
#: (what paho's own loop does).
_TICK = 1.0
#: How long a closing link waits for the broker to ack its `offline`.
_FAREWELL = 2.0
_STOP = object()

Publish = Callable[[str, bytes, int], None]


class Sender:
    def __init__(self, outbox: Outbox, client: mqtt.Client, publish: Publish,
                 synced: Callable[[], bool], on_error: Callable[[str, BaseException], None],
                 on_connect_fail: Callable[[BaseException], None],
                 delays: tuple[float, float] = (0.25, 2.0)) -> None:
        """`publish(topic, payload, entry)` hands an event to paho; `synced()` says whether
        a batch must be fdatasync'ed (the broker is away); `on_error` is told of a call
        that raised (it never stops the thread); `on_connect_fail` of each failed attempt
        to reach the broker, which is tried again after `delays` (first, longest), doubling."""
        self.outbox = outbox
        self.client = client
        self._publish = publish
        self._synced = synced
        self._on_error = on_error
        self._on_connect_fail = on_connect_fail
        self._delays = delays
        #: Events are handed to paho as they are committed (connected, backlog sent).
        self.sending = False
        self._queue: SimpleQueue[Any] = SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._poked = False
        self._stopping = False
        self._farewell: Callable[[], Any] | None = None
        self._thread = threading.Thread(target=self._run, name="museokit mqtt network",
                                        daemon=True)
        self._started = False

    def start(self) -> None:
        self._started = True
        self._thread.start()

    # -- from the loop thread (or any) ----------------------------------------------------
    def event(self, topic: str, payload: bytes) -> None:
        self._queue.put((topic, payload))
        self._poke()

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        self._queue.put((fn, args))
        self._poke()

    def stop(self, farewell: Callable[[], Any] | None = None, timeout: float = 5.0) -> None:
        """Commit and send what is queued, then `farewell()` (its MQTTMessageInfo is waited
        for up to 2 s) if connected, disconnect, and end the thread."""
        if self._started and self._thread.is_alive():
            self._farewell = farewell
            self._queue.put(_STOP)
            self._poke()
            self._thread.join(timeout)
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until everything queued so far is done (tests)."""
        done = threading.Event()
        self.call(done.set)
        return done.wait(timeout)

    def _poke(self) -> None:
        """Wake the thread out of `select` (one byte, unless one is already on its way)."""
        if not self._poked:
            self._poked = True
            with contextlib.suppress(OSError):  # full (it will wake anyway) or closed
                self._wake_w.send(b"\0")

    # -- the thread ------------------------------------------------------------------------
    def _run(self) -> None:
        client = self.client
        delay = self._delays[0]
        while not self._stopping:
            sock = client.socket()
            if sock is not None:
                self._serve(sock)
                continue
            try:
                client.reconnect()  # the first time too: connect_async() gave the address
            except (OSError, ValueError) as exc:  # refused, unreachable, TLS, bad host name
                self._on_connect_fail(exc)
                self._wait(delay)
                delay = min(delay * 2, self._delays[1])
            else:
                delay = self._delays[0]
        self._goodbye()

    def _serve(self, sock: Any) -> None:  # Any: paho's SocketLike, or an SSLSocket
        """One round of the network loop while connected."""
        client = self.client
        readable, _, _ = select.select([sock, self._wake_r],
                                       [sock] if client.want_write() else [], [], _TICK)
        if self._wake_r in readable:
            self._take_queue()
        if sock in readable:
            client.loop_read()
            while isinstance(sock, ssl.SSLSocket) and sock.pending() and client.socket() is sock:
                client.loop_read()  # TLS may hold decrypted bytes that select cannot see
        if client.socket() is not None and client.want_write():
            client.loop_write()
        client.loop_misc()  # keepalive pings; a broker gone silent closes the socket

    def _wait(self, seconds: float) -> None:
        """Between two tries to connect: the queue is served (events are committed, synced,
        while the broker is away), for `seconds` or until stop."""
        until = time.monotonic() + seconds
        while not self._stopping and (left := until - time.monotonic()) > 0:
            readable, _, _ = select.select([self._wake_r], [], [], left)
            if readable:
                self._take_queue()

    def _take_queue(self) -> None:
        with contextlib.suppress(OSError):
            while self._wake_r.recv(4096):
                pass
        # After the bytes are gone and before the queue is: whoever queues from now on pokes
        # again, and whoever saw the flag still up queued before this line.
        self._poked = False
        queue = self._queue
        while True:
            batch: list[Any] = []
            try:
                while len(batch) < BATCH:
                    batch.append(queue.get_nowait())
            except Empty:
                pass
            if not batch:
                return
            if not self._handle(batch):
                self._stopping = True
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

    def _goodbye(self) -> None:
        """Say the farewell (`offline`) while connected, wait for its ack, disconnect."""
        client = self.client
        sock = client.socket()
        if sock is None:
            return
        if self._farewell is not None:
            try:
                info = self._farewell()
            except Exception as exc:
                self._on_error("farewell", exc)
            else:
                deadline = time.monotonic() + _FAREWELL
                while (client.socket() is sock and not info.is_published()
                       and time.monotonic() < deadline):
                    self._serve(sock)
        with contextlib.suppress(Exception):
            client.disconnect()  # written at once: this is paho's thread
            if client.socket() is not None:
                client.loop_write()
