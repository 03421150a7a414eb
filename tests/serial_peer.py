"""A scripted board on a pseudo-terminal, for the serial backend's bad-input tests.

It speaks firmware/PROTOCOL.md well enough to be configured (the real firmware,
run in simavr, is what the main-path tests use), and the test drives it: send raw
bytes (garbage, partial, overlong lines, bad checksums), events, a reset greeting,
or close the pty (an unplug). It records every command it executed, so a test can
check nothing was executed twice.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from pathlib import Path

from museokit.backends.serial.protocol import checksum, verify


def signed(body: str) -> bytes:
    raw = body.encode()
    return raw + b"*%02X\n" % checksum(raw)


class ScriptedBoard:
    def __init__(self, board_id: str = "3FA29C01", protocol: int = 1, link: Path | None = None,
                 answer: bool = True) -> None:
        self.board_id = board_id
        self.protocol = protocol
        self.answer = answer  # False: swallow commands (a hung board)
        self.master, slave = os.openpty()
        self.port = os.ttyname(slave)
        self._slave = slave  # kept open so the pty survives until the host opens it
        self.link = link
        if link is not None:
            link.unlink(missing_ok=True)
            link.symlink_to(self.port)
        self.n = 0
        self.executed: list[str] = []  # commands executed, in order ("set D13 1")
        self.roles: dict[str, str] = {}
        self.levels: dict[str, str] = {}
        self.drop_replies = 0  # swallow the next N replies (as if lost on the wire)
        self.heartbeat = 0.0  # seconds, set by the host's `hb`
        self._last: tuple[int, bytes] | None = None
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # -- what the test does -------------------------------------------------------------
    def raw(self, data: bytes) -> None:
        with self._lock:
            os.write(self.master, data)

    def unsolicited(self, body: str) -> None:
        with self._lock:
            self.n += 1
            os.write(self.master, signed(body.format(n=self.n)))

    def event(self, pin: str, value: str) -> None:
        self.unsolicited(f"ev {{n}} {int(time.monotonic() * 1000) % 2**32} {pin} {value}")
        self.levels[pin] = value

    def greet(self, stub: bytes = b"") -> None:
        """A reset: roles forgotten, line numbers start again at 0. `stub`: the start of the
        line the reset cut short, sent just before the greeting (which it then garbles)."""
        with self._lock:
            self.n, self.roles, self._last = 0, {}, None
            os.write(self.master, stub + signed(self._greeting()))

    def unplug(self) -> None:
        if self._closed.is_set():
            return
        self._closed.set()
        self._thread.join(timeout=2)
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.link is not None:
            self.link.unlink(missing_ok=True)

    def wait_for(self, command: str, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if command in self.executed:
                return True
            time.sleep(0.01)
        return False

    # -- the board ------------------------------------------------------------------------
    def _greeting(self) -> str:
        return (f"hello {self.n} museokit {self.protocol} scripted-0.1 {self.board_id} "
                "in,ana,dist,out,pwm,servo,tone,pix")

    def _serve(self) -> None:
        buf = b""
        next_beat = 0.0
        while not self._closed.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if self.heartbeat and self.answer and time.monotonic() >= next_beat:
                next_beat = time.monotonic() + self.heartbeat
                try:
                    self.unsolicited("hb {n} 0 0 0")
                except OSError:
                    return
            if not ready:
                continue
            try:
                buf += os.read(self.master, 1024)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if self.answer:
                    self._command(line.strip())

    def _command(self, line: bytes) -> None:
        body = verify(line)
        if body is None:
            return
        words = body.decode().split()
        seq = int(words[0]) if words and words[0].isdigit() else 0
        words = words[1:] if seq else words
        with self._lock:
            if seq and self._last is not None and self._last[0] == seq:
                os.write(self.master, self._last[1])  # a retry: answer again, do not redo
                return
            reply = self._execute(seq, words)
            self._last = (seq, reply)
            if self.drop_replies:
                self.drop_replies -= 1
                return
            os.write(self.master, reply)

    def _execute(self, seq: int, words: list[str]) -> bytes:
        verb, args = words[0].lower(), words[1:]
        self.executed.append(" ".join(words))
        value = ""
        if verb == "hello":
            os.write(self.master, signed(self._greeting()))
        elif verb == "id":
            self.board_id = args[0].upper()
            value = " " + self.board_id
        elif verb == "hb":
            self.heartbeat = int(args[0]) / 1000
        elif verb == "clear":
            self.roles.clear()
        elif verb in ("in", "ana", "dist", "out", "pwm", "servo", "tone", "pix", "rfid"):
            self.roles[args[0]] = verb
            if verb == "in":
                value = " " + self.levels.setdefault(args[0], "1")
            elif verb == "ana":
                value = " " + self.levels.setdefault(args[0], "0")
        elif verb == "get":
            value = " " + self.levels.get(args[0], "0")
        elif verb == "set" and self.roles.get(args[0]) in (None, "in", "ana"):
            return signed(f"err {seq} role")
        return signed(f"ok {seq}{value}")
