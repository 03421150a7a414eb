"""USB tag readers that type like a keyboard, read through evdev (`reader = "hid"`).

Works on any Linux machine with the reader plugged in (a Pi or not). The reader is found
by its /dev/input/by-id name and grabbed. It says only when a tag arrives, never when it
leaves: each id is followed by "no tag", so the tag counts as removed `removal_delay`
after the reader last typed it (a tag held there and typed again stays one tag).
"""

from __future__ import annotations

import logging
import select
from typing import Any

from museokit.backends.chips.hid_reader import KeyTyping, open_reader
from museokit.backends.chips.polling import ChipInput
from museokit.core.backend import Backend, BackendError, Sink

log = logging.getLogger("museokit.gpio")
#: How long one read waits for keys before it says "no tag".
WAIT = 0.1


def hid_reader(backend: Backend, device_id: str, sink: Sink, params: dict[str, Any]) -> ChipInput:
    try:
        import evdev  # noqa: F401  (said here, in one line, rather than in the thread)
    except ImportError:
        raise BackendError(f"{device_id}: the evdev package is missing: pip install "
                           "'museokit[hid]'") from None
    name = str(params.get("device") or "")
    if not name:
        raise BackendError(f'{device_id}: reader = "hid" needs device = "<its name in '
                           '/dev/input/by-id>" (`ls /dev/input/by-id` lists them)')
    typing = KeyTyping()
    held: list[Any] = []

    def start() -> None:
        close()
        held.append(open_reader(name))

    def read() -> str | None:
        device = held[-1]
        ready, _, _ = select.select([device.fd], [], [], WAIT)
        found = None
        if ready:
            dropped = typing.dropped
            for event in device.read():  # OSError when it is unplugged: offline
                found = typing.feed(event) or found
            if typing.dropped > dropped:
                log.info("%s: dropped what the reader typed (not a whole tag id); %d so far",
                         device_id, typing.dropped)
        return found

    def close() -> None:
        while held:
            device = held.pop()
            try:
                device.ungrab()
                device.close()
            except OSError:
                pass

    return ChipInput(backend, device_id, sink, f"USB reader {name!r}", start, read, 0.0, close)
