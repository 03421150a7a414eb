"""Finding a board by its id, whichever port it is plugged into.

Candidate ports are USB serial adapters with a known vendor/product id (Arduino,
CH340, FTDI, CP210x, Pico, ESP32) from `serial.tools.list_ports`, or, when the
installation names `ports` (paths or globs such as `/dev/serial/by-id/*`), exactly
those. Each candidate is opened once and asked for its greeting; the board ids seen
are remembered per port until the port disappears, so a board that belongs to no
one is not reset by a probe every few seconds. All links of one backend share one
`BoardFinder`, so a board found while looking for another is handed over, already
open, to the link that wants it.
"""

from __future__ import annotations

import glob
import logging
import os
import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from museokit.backends.serial.protocol import (
    MAGIC,
    Counters,
    Greeting,
    LineFramer,
    encode,
    parse,
)

if TYPE_CHECKING:
    import serial

log = logging.getLogger("museokit.serial")

#: USB (vendor, product) ids of the boards and adapters museokit firmware runs behind;
#: product None matches every product of that vendor.
KNOWN_USB_IDS: tuple[tuple[int, int | None], ...] = (
    (0x2341, None),    # Arduino (Uno, Nano Every, Leonardo...)
    (0x2A03, None),    # Arduino.org
    (0x1A86, 0x7523),  # CH340 (most Nano and Uno clones)
    (0x0403, 0x6001),  # FTDI FT232R (older Nano)
    (0x10C4, 0xEA60),  # Silicon Labs CP210x (ESP32 boards)
    (0x2E8A, None),    # Raspberry Pi (Pico, Pico W)
    (0x303A, None),    # Espressif native USB (ESP32-S2/S3/C3)
)


@dataclass
class Found:
    port: str
    conn: serial.Serial | None
    greeting: Greeting | None
    problem: str = ""


def usb_ports(extra_ids: Iterable[tuple[int, int | None]] = ()) -> list[str]:
    """Serial ports whose USB ids look like a microcontroller board."""
    from serial.tools import list_ports

    wanted = (*KNOWN_USB_IDS, *extra_ids)
    return sorted(p.device for p in list_ports.comports()
                  if p.vid is not None and any(p.vid == v and (pid is None or p.pid == pid)
                                               for v, pid in wanted))


def probe(port: str, baud: int, greeting_timeout: float, stop: threading.Event) -> Found:
    """Open `port` and read its greeting (asking with `hello` if none comes by itself).

    Returns the open port with the greeting, or no port and a problem saying why.
    """
    import serial

    try:
        conn = serial.Serial(port, baud, timeout=0.05, write_timeout=1.0)
    except (serial.SerialException, OSError) as exc:
        return Found(port, None, None, f"cannot open: {exc}")
    counters = Counters()
    framer = LineFramer(counters)
    deadline = time.monotonic() + greeting_timeout
    asked = False
    try:
        while not stop.is_set():
            now = time.monotonic()
            if now >= deadline:
                if asked:
                    break
                # A Pico or a Nano clone does not reset on open, so it does not greet.
                conn.write(encode(None, "hello"))
                asked, deadline = True, now + max(0.5, greeting_timeout / 2)
            for line in framer.feed(conn.read(conn.in_waiting or 1)):
                message = parse(line, counters)
                if isinstance(message, Greeting):
                    return Found(port, conn, message)
                if line.startswith(b"hello ") and MAGIC.encode() not in line:
                    break  # some other sketch's greeting
    except (serial.SerialException, OSError) as exc:
        conn.close()
        return Found(port, None, None, f"lost while probing: {exc}")
    conn.close()
    return Found(port, None, None, "no museokit greeting (is the museokit firmware flashed, "
                 f"at {baud} baud?)")


class BoardFinder:
    """Hands each link its board's open port; shared by every link of one backend."""

    #: Seconds before a port that gave no greeting (a board still booting, another
    #: program's device) is probed again.
    RETRY_SILENT = 5.0

    def __init__(self, patterns: list[str], baud: int, greeting_timeout: float,
                 extra_usb_ids: Iterable[tuple[int, int | None]] = ()) -> None:
        self.patterns = patterns
        self.baud = baud
        self.greeting_timeout = greeting_timeout
        self.extra_usb_ids = tuple(extra_usb_ids)
        self.wanted: set[str] = set()
        self._lock = threading.Lock()
        self._in_use: dict[str, str] = {}      # port -> board id of the link using it
        self._known: dict[str, tuple[str, float]] = {}  # port -> (board id or problem, when)
        self._waiting: dict[str, Found] = {}   # board id -> found open, for its link to take
        self._said: dict[str, str] = {}        # board id -> last complaint logged

    def candidates(self) -> list[str]:
        if not self.patterns:
            return usb_ports(self.extra_usb_ids)
        ports: list[str] = []
        for pattern in self.patterns:
            matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
            ports += [p for p in matches if p not in ports and os.path.exists(p)]
        return ports

    def claim(self, board_id: str, stop: threading.Event) -> Found | None:
        """One scan for `board_id`: its open port and greeting, or None (not there yet)."""
        with self._lock:
            present = self.candidates()
            now = time.monotonic()
            for port, (what, when) in list(self._known.items()):
                if port not in present or (what.startswith("?") and now - when > self.RETRY_SILENT):
                    del self._known[port]
            if board_id not in self._waiting:
                self._scan([p for p in present if p not in self._in_use and p not in self._known],
                           stop)
            found = self._waiting.pop(board_id, None)
            if found is not None:
                self._in_use[found.port] = board_id
                self._said.pop(board_id, None)
            return found

    def release(self, port: str) -> None:
        """The link lost or closed `port`; whatever is plugged in there next is probed again."""
        with self._lock:
            self._in_use.pop(port, None)

    def _scan(self, ports: list[str], stop: threading.Event) -> None:
        if not ports:
            return
        with ThreadPoolExecutor(max_workers=min(8, len(ports))) as pool:
            results = list(pool.map(
                lambda p: probe(p, self.baud, self.greeting_timeout, stop), ports))
        now = time.monotonic()
        seen: dict[str, list[Found]] = {}
        for found in results:
            if found.greeting is None:
                self._known[found.port] = (f"?{found.problem}", now)
                log.debug("serial: %s: %s", found.port, found.problem)
            else:
                seen.setdefault(found.greeting.board_id, []).append(found)
        for board_id, founds in seen.items():
            busy = [p for p, b in self._in_use.items() if b == board_id]
            waiting = self._waiting.get(board_id)
            if waiting is not None:
                founds.append(self._waiting.pop(board_id))
            if len(founds) > 1 or busy or board_id not in self.wanted:
                for f in founds:
                    self._known[f.port] = (board_id, now)
                    _close(f)
            if board_id not in self.wanted:
                continue
            if len(founds) + len(busy) > 1:
                ports_named = ", ".join(sorted([f.port for f in founds] + busy))
                self._complain(board_id, f"two boards answer as board {board_id} ({ports_named})"
                               " — unplug one, or give it another id with `museokit boards "
                               f"PORT --set-id NEW`; {'the new one' if busy else 'neither'} "
                               "is used until then")
            else:
                self._waiting[board_id] = founds[0]

    def boards_seen(self) -> dict[str, str]:
        """port -> board id (or `?problem`), for the message when a board is not found."""
        with self._lock:
            return {**{p: what for p, (what, _) in self._known.items()}, **self._in_use}

    def _complain(self, board_id: str, message: str) -> None:
        if self._said.get(board_id) != message:
            self._said[board_id] = message
            log.error("serial: %s", message)

    def close(self) -> None:
        with self._lock:
            for found in self._waiting.values():
                _close(found)
            self._waiting.clear()


def _close(found: Found) -> None:
    close_port(found.conn)


def close_port(conn: serial.Serial | None) -> None:
    """Close a port that may be gone or already closed by another thread (shutting down
    while the link thread ends its session): a second close must not kill that thread."""
    if conn is None:
        return
    try:
        conn.close()
    except OSError as exc:  # EBADF: closed under us; EIO: the board vanished
        log.debug("closing %s: %s", conn.port, exc)
