"""The host side of firmware/PROTOCOL.md (version 1): framing, checksums, parsing.

Standard library only, so `museokit check` and the tests can use it without pyserial.
Everything that arrives from a board goes through `LineFramer` (bytes -> lines, with
overlong lines and non-ASCII bytes dropped and counted) and `parse` (checksum checked,
line typed); anything that fails is counted in `Counters` and never acted on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import reduce

PROTOCOL_VERSION = 1
MAGIC = "museokit"
MAX_LINE = 128  # bytes, checksum and "\n" included
MAX_SEQ = 65535
BOARD_ID_RE = re.compile(r"^[0-9A-F]{8}$")
#: Colours per `px` line (PROTOCOL.md 3.3): the longest such line, with seq 65535, pin D13,
#: index 255 and the checksum, is 125 bytes; a 16th colour would make it 132.
PIXELS_PER_LINE = 15


class ProtocolError(ValueError):
    """A line that passed its checksum but does not parse; counted as `malformed`."""


def checksum(body: bytes) -> int:
    return reduce(lambda acc, byte: acc ^ byte, body, 0)


def encode(seq: int | None, *words: object) -> bytes:
    """`encode(3, "in", "D2", "up", 20)` -> b"3 in D2 up 20*45\\n"; seq None: none (the board
    answers with seq 0 and remembers nothing, so the link's first seq cannot collide)."""
    body = " ".join(str(w) for w in (*([] if seq is None else [seq]), *words)).encode("ascii")
    line = body + b"*%02X\n" % checksum(body)
    if len(line) > MAX_LINE:
        raise ValueError(f"line of {len(line)} bytes is over the protocol's {MAX_LINE}: {body!r}")
    return line


def next_seq(seq: int) -> int:
    return 1 if seq >= MAX_SEQ else seq + 1


@dataclass
class Counters:
    """Lines the host refused from a board; never acted on. `dup` are repeated event numbers."""

    badsum: int = 0
    long: int = 0
    junk: int = 0
    malformed: int = 0
    dup: int = 0
    gaps: int = 0

    def total(self) -> int:
        return self.badsum + self.long + self.junk + self.malformed

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in vars(self).items() if v) or "none"


@dataclass
class LineFramer:
    """Cuts a byte stream into lines, dropping overlong ones and lines with non-ASCII bytes."""

    counters: Counters
    _buf: bytearray = field(default_factory=bytearray)
    _skipping: bool = False  # inside an overlong line: discard up to the next "\n"

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        buf = self._buf
        start = 0
        while True:
            end = data.find(b"\n", start)
            chunk = data[start:] if end < 0 else data[start:end]
            if not self._skipping:
                buf += chunk
                if len(buf) + 1 > MAX_LINE:  # the "\n" counts too
                    self.counters.long += 1
                    self._skipping = True
                    buf.clear()
            if end < 0:
                return lines
            if not self._skipping:
                line = bytes(buf).rstrip(b"\r")
                if line and _printable(line):
                    lines.append(line)
                elif line:
                    self.counters.junk += 1
            self._skipping = False
            buf.clear()
            start = end + 1


def _printable(line: bytes) -> bool:
    return all(0x20 <= b <= 0x7E for b in line)


# -- what a board sends ---------------------------------------------------------------

@dataclass(frozen=True)
class Greeting:
    n: int
    protocol: int
    firmware: str
    board_id: str
    features: frozenset[str]


@dataclass(frozen=True)
class BoardEvent:
    n: int
    ms: int
    pin: str
    value: str


@dataclass(frozen=True)
class Heartbeat:
    n: int
    ms: int
    dropped: int
    lost: int


@dataclass(frozen=True)
class Reply:
    seq: int
    ok: bool
    words: tuple[str, ...]  # ok: the values; err: the code, then any detail

    @property
    def code(self) -> str:
        return "" if self.ok or not self.words else self.words[0]


Message = Greeting | BoardEvent | Heartbeat | Reply


def verify(line: bytes) -> bytes | None:
    """The line's body if its `*HH` checksum is present and right, else None."""
    body, star, tail = line.rpartition(b"*")
    if not star or len(tail) != 2:
        return None
    try:
        expected = int(tail, 16)
    except ValueError:
        return None
    return body if checksum(body) == expected else None


def parse(line: bytes, counters: Counters) -> Message | None:
    """A board's line as a message; None (and counted) if it must not be acted on.

    Line types this host does not know are ignored without counting (PROTOCOL.md §8).
    """
    body = verify(line)
    if body is None:
        counters.badsum += 1
        return None
    words = body.decode("ascii").split()
    try:
        return _parse_words(words)
    except (ProtocolError, ValueError, IndexError):
        counters.malformed += 1
        return None


def _parse_words(words: list[str]) -> Message | None:
    verb = words[0].lower() if words else ""
    if verb == "ev":
        return BoardEvent(_num(words[1]), _num(words[2]), words[3].upper(), words[4])
    if verb == "hb":
        return Heartbeat(_num(words[1]), _num(words[2]), _num(words[3]), _num(words[4]))
    if verb in ("ok", "err"):
        if verb == "err" and len(words) < 3:
            raise ProtocolError("err without a code")
        return Reply(_num(words[1]), verb == "ok", tuple(words[2:]))
    if verb == "hello":
        if words[2] != MAGIC:
            raise ProtocolError(f"not museokit firmware: {' '.join(words)}")
        features = frozenset(f for f in words[6].lower().split(",") if f) if len(words) > 6 else \
            frozenset()
        return Greeting(_num(words[1]), _num(words[3]), words[4], words[5].upper(), features)
    return None


def _num(word: str) -> int:
    if not word.isdigit():
        raise ProtocolError(f"expected a number, got {word!r}")
    return int(word)
