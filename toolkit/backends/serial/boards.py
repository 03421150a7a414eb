"""`museokit boards`: which museokit boards are plugged in, and giving one a new id.

A maker needs a board's id for the installation file (`[serial] boards = {plinth =
"3FA29C01"}`), and two boards that came out with the same id need one changed.
"""

from __future__ import annotations

import threading
import time

from museokit.backends.serial.ports import probe, usb_ports
from museokit.backends.serial.protocol import (
    BOARD_ID_RE,
    Counters,
    LineFramer,
    Reply,
    encode,
    parse,
)


def describe(ports: list[str], baud: int = 115200, greeting_timeout: float = 2.5) -> list[str]:
    """One line per port: its board's id, firmware and features, or why there is none."""
    lines = []
    for port in ports or usb_ports():
        found = probe(port, baud, greeting_timeout, threading.Event())
        if found.conn is not None:
            found.conn.close()
        g = found.greeting
        lines.append(f"{port}  board {g.board_id}  {g.firmware}  protocol {g.protocol}  "
                     f"{','.join(sorted(g.features))}" if g else f"{port}  {found.problem}")
    return lines or ["no USB serial boards found (plugged in? `ls /dev/ttyACM* /dev/ttyUSB*`)"]


def set_id(port: str, board_id: str, baud: int = 115200, greeting_timeout: float = 2.5) -> str:
    """Store `board_id` on the board at `port`; returns what happened, in one line."""
    board_id = board_id.upper()
    if not BOARD_ID_RE.match(board_id) or board_id in ("00000000", "FFFFFFFF"):
        raise ValueError(f"{board_id!r} is not a board id: 8 hex digits like 3FA29C02 "
                         "(not all 0 or all F)")
    found = probe(port, baud, greeting_timeout, threading.Event())
    if found.conn is None or found.greeting is None:
        raise ValueError(f"{port}: {found.problem}")
    conn, counters = found.conn, Counters()
    framer = LineFramer(counters)
    try:
        conn.write(encode(7, "id", board_id))
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            for line in framer.feed(conn.read(conn.in_waiting or 1)):
                reply = parse(line, counters)
                if isinstance(reply, Reply) and reply.seq == 7:
                    if not reply.ok:
                        raise ValueError(f"{port}: the board refused the id ({reply.code})")
                    return f"{port}: board {found.greeting.board_id} is now board {board_id}"
    finally:
        conn.close()
    raise ValueError(f"{port}: no answer to `id {board_id}`")
