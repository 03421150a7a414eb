"""One board's connection: find it, configure it, move levels, survive unplugging.

Each board gets one thread that owns the port's reading side. Commands go out one
line at a time (PROTOCOL.md §5: the Uno's 64-byte receive buffer must never
overflow), each with a sequence number; the next leaves as soon as the reply to the
last arrives, on whichever thread sees it. A command without a reply within
`ack_timeout` is resent with the same number (the board does not execute a repeat);
after `retries` tries the board counts as gone.

Output writes are kept per output (`key`): a newer level for the same output
replaces one still waiting to be sent, so a fast animation never piles up behind a
slow link. The last level of every output is re-sent after a reconnect or a reset,
so nothing the host had acked is lost.

Board events carry a line number: a repeat is dropped, a gap (lost line) makes the
host re-read its inputs with `get`. Everything a board sends reaches devices through
`loop.call_soon_threadsafe`, on the loop thread.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from museokit.backends.serial.boardclock import BoardClock
from museokit.backends.serial.ports import BoardFinder, Found, close_port
from museokit.backends.serial.protocol import (
    PROTOCOL_VERSION,
    BoardEvent,
    Counters,
    Greeting,
    Heartbeat,
    LineFramer,
    Message,
    Reply,
    encode,
    next_seq,
    parse,
)
from museokit.core.loop import Loop
from museokit.core.ratelog import RateLimitedLog

if TYPE_CHECKING:
    import serial

log = logging.getLogger("museokit.serial")

Words = tuple[object, ...]
OnReply = Callable[[Reply], None]

#: What each refusal code means for a maker (PROTOCOL.md §4.4).
ERROR_HINTS = {
    "pin": "that pin cannot do this on this board (PWM: D3 D5 D6 D9 D10 D11 on an Uno; "
           "analog: A0..A5); move the device to another pin",
    "taken": "two devices share the pin; give each its own pin",
    "full": "the board has no room for more devices (Uno: 16 pins, 4 servos, 1 tone, 1 pixel "
            "strip); move some to another board",
    "nofeat": "this firmware build does not include that device type (RFID readers are not "
              "supported on a board yet: wire the reader to the Raspberry Pi or use a USB HID "
              "reader); see firmware/README.md",
    "range": "a value is outside what the board accepts",
    "role": "the pin is not configured for this",
    "args": "the firmware did not understand the arguments; is it an older firmware?",
    "verb": "the firmware does not know this command; flash the firmware of this museokit",
}


class LinkLost(Exception):
    """The board is gone (unplugged, hung, reset into silence); the message says how."""


class Pin(Protocol):
    """What a link needs from each channel on its board (see backend.py)."""

    device_id: str
    pin: str

    def configure_words(self) -> Words: ...


class InputPin(Pin, Protocol):
    def deliver(self, raw: str, at: float | None = None) -> None:
        """A raw value from the board (event, configure or `get` reply); any thread. `at`:
        for an event, when the board saw the edge, on the loop's clock."""


class OutputPin(Pin, Protocol):
    key: str

    def restore_words(self) -> list[Words]:
        """Commands that put the output back to its last level after a reconnect."""


@dataclass
class Pending:
    words: Words
    on_reply: OnReply | None = None
    seq: int = 0
    line: bytes = b""
    tries: int = 0
    deadline: float = 0.0


@dataclass(frozen=True)
class LinkOptions:
    ack_timeout: float = 0.25
    retries: int = 3
    heartbeat: float = 1.0
    scan_interval: float = 1.0


#: Line numbers a board sends after a boot within which a number behind the last one
#: counts as a reset whose greeting was lost (a few heartbeats; no pin is configured yet).
_FIRST_LINES = 16


class BoardLink:
    def __init__(self, board_id: str, name: str, finder: BoardFinder, loop: Loop,
                 inputs: list[InputPin], outputs: list[OutputPin], options: LinkOptions,
                 on_availability: Callable[[str, bool, str], None]) -> None:
        self.board_id = board_id
        self.name = name if name == board_id else f"{name} ({board_id})"
        self.finder = finder
        self.loop = loop
        self.inputs = {i.pin: i for i in inputs}
        self.outputs = outputs
        self.options = options
        self._availability = on_availability
        self.counters = Counters()
        self.clock = BoardClock()  # the board's millis() on the loop's clock
        self._dropped = RateLimitedLog(log, f"serial lines dropped by board {name}")
        #: Commands the board refused (err replies nobody waited for), logged rate-limited.
        self.refusals = RateLimitedLog(log, f"commands refused by board {name}")
        self.port: str | None = None
        self.greeting: Greeting | None = None
        self.online = threading.Event()
        self.connects = 0
        self._refused: dict[str, str] = {}  # device id -> why the board refused it
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._conn: serial.Serial | None = None
        self._queue: dict[object, Pending] = {}
        self._inflight: Pending | None = None
        self._seq = 0
        self._last_n = 0
        self._reason = ""
        self._thread = threading.Thread(target=self._run, name=f"serial {name}", daemon=True)

    @property
    def limiters(self) -> tuple[RateLimitedLog, ...]:
        """Its rate-limited log lines, for the node's health to close their windows on time."""
        return self._dropped, self.refusals

    @property
    def device_ids(self) -> list[str]:
        return sorted({p.device_id for p in (*self.inputs.values(), *self.outputs)})

    # -- any thread ---------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            conn, self._conn = self._conn, None
        close_port(conn)  # wakes the link thread out of its read
        self._thread.join(timeout=2.0)

    def send(self, key: str, commands: list[Words], on_reply: OnReply | None = None) -> None:
        """Queue commands; those still queued under the same key are dropped (latest level
        wins). Nothing is queued while the board is away: outputs' last levels go out on
        reconnect.
        """
        with self._lock:
            if self._conn is None:
                return
            for old in [k for k in self._queue if isinstance(k, tuple) and k[0] == key]:
                del self._queue[old]
            for i, words in enumerate(commands):
                self._queue[(key, i)] = Pending(words, on_reply)
            self._pump()

    # -- the link thread --------------------------------------------------------------
    def _run(self) -> None:
        while not self._stop.is_set():
            found = self.finder.claim(self.board_id, self._stop)
            if found is None:
                if not self._reason:
                    self._set_offline("not found on any port yet" + self._seen())
                self._stop.wait(self.options.scan_interval)
                continue
            try:
                self._session(found)
            except LinkLost as exc:
                if not self._stop.is_set():
                    log.warning("serial: board %s on %s: %s; reconnecting", self.name, found.port,
                                exc)
                    self._set_offline(str(exc))
            finally:
                self._end_session(found)

    def _seen(self) -> str:
        others = {p: b for p, b in self.finder.boards_seen().items() if not b.startswith("?")}
        return f" (seen: {', '.join(f'{p} = board {b}' for p, b in others.items())})" \
            if others else ""

    def _session(self, found: Found) -> None:
        import serial

        assert found.conn is not None and found.greeting is not None
        greeting = found.greeting
        if greeting.protocol != PROTOCOL_VERSION:
            why = (f"firmware {greeting.firmware} on {found.port} speaks protocol version "
                   f"{greeting.protocol}; this museokit speaks version {PROTOCOL_VERSION} — "
                   "flash firmware/ from this museokit (firmware/README.md: avrdude for an "
                   "Uno/Nano, mpremote for a Pico/ESP32) or update museokit; refused")
            if self._reason != why:
                log.error("serial: board %s: %s", self.name, why)
            self._set_offline(why)
            self._stop.wait(self.options.scan_interval)  # re-checked after a replug
            raise LinkLost(why)
        with self._lock:
            self._conn = found.conn
        self.port, self.greeting = found.port, greeting
        self.clock.reset()  # a new session: maybe another boot of the board
        self.connects += 1
        log.info("serial: board %s found on %s (%s)", self.name, found.port, greeting.firmware)
        self._configure(greeting)
        framer = LineFramer(self.counters)
        dropped = self.counters.total()
        conn = found.conn
        last_rx = time.monotonic()
        while not self._stop.is_set():
            try:
                data = conn.read(conn.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                # TypeError/AttributeError: closed under our feet by close().
                raise LinkLost(f"unplugged or port closed ({type(exc).__name__})") from None
            now = time.monotonic()
            if data:
                last_rx = now
                arrival = self.loop.clock.monotonic()  # on the clock input edges are stamped in
                for line in framer.feed(data):
                    message = parse(line, self.counters)
                    if message is not None:
                        self._handle(message, arrival)
                if self.counters.total() != dropped:
                    self._dropped(logging.WARNING, "serial: board %s: %d garbled lines dropped "
                                  "(%s since start) — check the cable, its length and the baud "
                                  "rate", self.name, self.counters.total() - dropped, self.counters)
                    dropped = self.counters.total()
            self._check_timeouts(now, last_rx)

    def _end_session(self, found: Found) -> None:
        with self._lock:
            conn, self._conn = self._conn, None
            self._queue.clear()
            self._inflight = None
        close_port(conn if conn is not None else found.conn)
        self.finder.release(found.port)

    def _configure(self, greeting: Greeting) -> None:
        """Strict checksums, a clean slate, every pin role, outputs' last levels, heartbeat."""
        self._last_n = greeting.n
        self._refused.clear()
        with self._lock:
            self._queue.clear()
            self._inflight = None
            steps: list[tuple[object, Words, OnReply | None]] = [
                ("strict", ("strict", 1), None), ("clear", ("clear",), None)]
            for pin in (*self.inputs.values(), *self.outputs):
                steps.append((("cfg", pin.pin), pin.configure_words(),
                              self._configured_reply(pin)))
            for out in self.outputs:
                for i, words in enumerate(out.restore_words()):
                    steps.append(((out.key, i), words, None))
            hb_ms = round(self.options.heartbeat * 1000)
            steps.append(("hb", ("hb", hb_ms), self._ready))
            for key, words, on_reply in steps:
                self._queue[key] = Pending(words, on_reply)
            self._pump()

    def _configured_reply(self, pin: Pin) -> OnReply:
        def done(reply: Reply) -> None:
            if not reply.ok:
                why = (f"board refused `{' '.join(map(str, pin.configure_words()))}` "
                       f"({reply.code}) — {ERROR_HINTS.get(reply.code, 'see firmware/PROTOCOL.md')}")
                log.error("serial: board %s: device %r: %s", self.name, pin.device_id, why)
                self._refused[pin.device_id] = why
            elif reply.words and hasattr(pin, "deliver"):
                pin.deliver(reply.words[0])  # the input's level right now
        return done

    def _ready(self, reply: Reply) -> None:
        self._reason = ""
        for device_id in self.device_ids:
            why = self._refused.get(device_id)
            self._availability(device_id, why is None, why or "")
        self.online.set()

    def _set_offline(self, reason: str) -> None:
        self.online.clear()
        self._reason = reason
        for device_id in self.device_ids:
            self._availability(device_id, False, f"board {self.name}: {reason}")

    def _handle(self, message: Message, arrival: float) -> None:
        if isinstance(message, Reply):
            self._on_reply(message)
        elif isinstance(message, BoardEvent | Heartbeat):
            if self._restarted(message.n):
                assert self.greeting is not None
                self._board_reset(dataclasses.replace(self.greeting, n=(message.n - 1) % 2**32),
                                  " (its greeting was lost: its line numbers began again)")
            if not self._fresh(message.n):
                return
            if isinstance(message, Heartbeat):
                self.clock.sample(message.ms, arrival)
                return
            at = self.clock.event(message.ms, arrival)
            pin = self.inputs.get(message.pin)
            if pin is not None:
                pin.deliver(message.value, at)
        elif isinstance(message, Greeting) and message.n == 0:
            self._board_reset(message, "")
            # A greeting after boot leaves at board time >= 0, so 0 is a safe first bound
            # of the new mapping; stamps carry on from the last one, never back.
            self.clock.sample(0, arrival)

    def _board_reset(self, greeting: Greeting, how: str) -> None:
        """The board rebooted and forgot its pins (PROTOCOL.md §6 step 4): a new clock
        mapping, its devices offline, configured again, online again."""
        self.clock.reset()
        log.warning("serial: board %s reset%s; configuring it again", self.name, how)
        self._set_offline("board reset")
        self._configure(greeting)

    def _restarted(self, n: int) -> bool:
        """A line number behind the last one, and among the first after a boot: the board
        reset and the `hello 0` that says so was lost (a reset cuts the line being sent, and
        the greeting can arrive glued to that stub, failing its checksum)."""
        behind = (self._last_n - n) % 2**32
        return 0 < behind < 2**31 and n <= _FIRST_LINES

    def _fresh(self, n: int) -> bool:
        """Drop a repeated line number; re-read the inputs after a gap (a line was lost)."""
        ahead = (n - self._last_n) % 2**32
        if ahead == 0 or ahead >= 2**31:
            self.counters.dup += 1
            return False
        if ahead > 1:
            self.counters.gaps += 1
            for pin in self.inputs.values():
                self.send(f"get {pin.pin}", [("get", pin.pin)], _reply_to(pin))
        self._last_n = n
        return True

    def _on_reply(self, reply: Reply) -> None:
        with self._lock:
            pending = self._inflight
            if pending is None or reply.seq != pending.seq:
                return  # the reply to an earlier try of a command already answered
            self._inflight = None
            self._pump()
        if pending.on_reply is not None:
            pending.on_reply(reply)
        elif not reply.ok:
            self.refusals(logging.ERROR, "serial: board %s refused `%s` (%s) — %s", self.name,
                          " ".join(map(str, pending.words)), reply.code,
                          ERROR_HINTS.get(reply.code, "see firmware/PROTOCOL.md"))

    def _check_timeouts(self, now: float, last_rx: float) -> None:
        with self._lock:
            pending = self._inflight
            if pending is not None and now >= pending.deadline:
                if pending.tries >= self.options.retries:
                    raise LinkLost(f"no reply to `{' '.join(map(str, pending.words))}` after "
                                   f"{pending.tries} tries")
                self._write(pending)
        if self.online.is_set() and now - last_rx > 3.5 * self.options.heartbeat:
            raise LinkLost(f"no heartbeat for {now - last_rx:.1f} s")

    # -- with the lock held -------------------------------------------------------------
    def _pump(self) -> None:
        if self._inflight is not None or not self._queue or self._conn is None:
            return
        key = next(iter(self._queue))
        pending = self._queue.pop(key)
        self._seq = next_seq(self._seq)
        pending.seq = self._seq
        pending.line = encode(self._seq, *pending.words)
        self._inflight = pending
        self._write(pending)

    def _write(self, pending: Pending) -> None:
        pending.tries += 1
        pending.deadline = time.monotonic() + self.options.ack_timeout
        try:
            assert self._conn is not None
            self._conn.write(pending.line)
        except Exception as exc:  # the reading side notices the port is gone and says so
            log.debug("serial: board %s: write failed: %s", self.name, exc)


def _reply_to(pin: InputPin) -> OnReply:
    def deliver(reply: Reply) -> None:
        if reply.ok and reply.words:
            pin.deliver(reply.words[0])
    return deliver

