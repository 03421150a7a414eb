"""USB tag readers that type like a keyboard (125 kHz EM4100 and 13.56 MHz "HID" readers).

Such a reader types the tag's id and presses Enter. `KeyTyping` turns the key events
of the reader (evdev's own `InputEvent`s) back into ids: digits and hex letters up to
Enter. What is not an id is dropped and counted, never passed on: other keys (the
reader sends garbage when a tag is half in range), ids cut short or too long, and keys
that trickle in slower than a reader types (`gap`: a half id, then nothing).

`open_reader` finds the reader by its `/dev/input/by-id` name and grabs it, so its
digits never reach the kiosk's browser or terminal.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from typing import Any

#: Key codes of the Linux input layer (linux/input-event-codes.h), as evdev.ecodes names them.
EV_KEY, KEY_DOWN = 1, 1
DIGITS = {11: "0", 2: "1", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "7", 9: "8", 10: "9",
          82: "0", 79: "1", 80: "2", 81: "3", 75: "4", 76: "5", 77: "6", 71: "7", 72: "8", 73: "9"}
HEX_LETTERS = {30: "A", 48: "B", 46: "C", 32: "D", 18: "E", 33: "F"}
ENTERS = (28, 96)  # KEY_ENTER, KEY_KPENTER
SHIFTS = (42, 54)  # KEY_LEFTSHIFT, KEY_RIGHTSHIFT: readers that type upper-case hex
#: Id lengths readers type in hex: 8 (4-byte UID), 14 and 20 (7- and 10-byte UIDs); EM4100
#: readers type 10 decimal digits.
HEX_LENGTHS, DECIMAL_LENGTHS = (8, 14, 20), (10,)


@dataclass
class KeyTyping:
    gap: float = 0.3
    dropped: int = 0
    typed: list[str] = field(default_factory=list)
    last: float = 0.0
    garbage: bool = False

    def feed(self, event: Any) -> str | None:
        """One evdev event; the id when Enter ends a good one, else None."""
        if event.type != EV_KEY or event.value != KEY_DOWN or event.code in SHIFTS:
            return None
        now = float(event.sec) + float(event.usec) / 1e6
        if self.typed and now - self.last > self.gap:
            self._drop()  # a half id, then silence: the next keys start a new one
        self.last = now
        if event.code in ENTERS:
            text, bad = "".join(self.typed), self.garbage
            self.typed, self.garbage = [], False
            whole = len(text) in HEX_LENGTHS or (len(text) in DECIMAL_LENGTHS and text.isdigit())
            if bad or not whole:
                self.dropped += 1
                return None
            return text
        key = DIGITS.get(event.code) or HEX_LETTERS.get(event.code)
        if key is None:
            self.garbage = True
        else:
            self.typed.append(key)
        return None

    def _drop(self) -> None:
        self.typed, self.garbage = [], False
        self.dropped += 1


def find_reader(name: str) -> str:
    """The event device of the reader named `name` (its /dev/input/by-id name, or part
    of it); OSError if none is plugged in."""
    if name.startswith("/dev/"):
        return name
    for pattern in (f"/dev/input/by-id/{name}", f"/dev/input/by-id/*{name}*event-kbd",
                    f"/dev/input/by-id/*{name}*"):
        found = sorted(glob.glob(pattern))
        if found:
            return os.path.realpath(found[0])
    raise OSError(f"no input device named like {name!r} in /dev/input/by-id")


def open_reader(name: str) -> Any:
    """The reader as an evdev InputDevice, grabbed (its keys go to museokit alone)."""
    import evdev

    device = evdev.InputDevice(find_reader(name))
    device.grab()
    return device
