"""USB tag readers that type like a keyboard, through evdev.

This machine has no /dev/uinput, so the kernel cannot make a virtual keyboard here:
the reader code is fed evdev's own `InputEvent` objects, first directly, then through a
stand-in for the one evdev.InputDevice (its fd, read, grab) on the gpio backend.
"""

from __future__ import annotations

import logging
import os
import threading

import evdev
import pytest
from evdev import ecodes
from evdev.events import InputEvent

from museokit.backends.chips.hid_reader import KeyTyping
from tests.conftest import device
from tests.gpio_pins import wait_for

KEYS = {**{str(d): getattr(ecodes, f"KEY_{d}") for d in range(10)},
        **{c: getattr(ecodes, f"KEY_{c}") for c in "ABCDEF"}, "\n": ecodes.KEY_ENTER,
        "x": ecodes.KEY_X, "-": ecodes.KEY_MINUS}


def typed(text: str, start: float = 100.0, gap: float = 0.004) -> list[InputEvent]:
    """What a reader sends for `text`: key down and key up for each character."""
    events, t = [], start
    for char in text:
        sec, usec = int(t), round(t % 1 * 1e6)
        events += [InputEvent(sec, usec, ecodes.EV_KEY, KEYS[char], 1),
                   InputEvent(sec, usec, ecodes.EV_KEY, KEYS[char], 0),
                   InputEvent(sec, usec, ecodes.EV_SYN, 0, 0)]
        t += gap
    return events


def feed(typing: KeyTyping, events: list[InputEvent]) -> list[str]:
    return [uid for uid in map(typing.feed, events) if uid]


def test_a_typed_id_comes_back_whole():
    typing = KeyTyping()
    assert feed(typing, typed("04A3B2C1\n")) == ["04A3B2C1"]
    assert feed(typing, typed("0012345678\n", start=200)) == ["0012345678"]  # EM4100, decimal
    assert typing.dropped == 0


@pytest.mark.parametrize("text", ["04A3x2C1\n", "04A3-B2C1\n", "04A3\n", "04A3B2C1FF\n"])
def test_garbage_and_wrong_lengths_are_dropped_and_counted(text):
    typing = KeyTyping()
    assert feed(typing, typed(text)) == []
    assert typing.dropped == 1
    assert feed(typing, typed("04A3B2C1\n", start=300)) == ["04A3B2C1"]  # and the next is fine


def test_half_an_id_then_silence_is_dropped_and_the_next_id_is_whole():
    typing = KeyTyping()
    events = typed("04A3", start=100) + typed("DEADBEEF\n", start=101)
    assert feed(typing, events) == ["DEADBEEF"]
    assert typing.dropped == 1


class FakeInputDevice:
    """Stands in for evdev.InputDevice on /dev/input/event-reader: a pipe gives it an fd
    select() can wait on; `events` are what read() returns."""

    plugged = True
    opened: list[FakeInputDevice] = []

    def __init__(self, path: str) -> None:
        if not FakeInputDevice.plugged:
            raise OSError(2, "No such file or directory", path)
        self.path = path
        self.read_end, self.write_end = os.pipe()
        self.fd = self.read_end
        self.queue: list[InputEvent] = []
        self.lock = threading.Lock()
        self.grabbed = False
        FakeInputDevice.opened.append(self)

    def type(self, events: list[InputEvent]) -> None:
        with self.lock:
            self.queue += events
        os.write(self.write_end, b"x")

    def unplug(self) -> None:
        FakeInputDevice.plugged = False
        os.write(self.write_end, b"x")

    def read(self):
        os.read(self.read_end, 1)
        if not FakeInputDevice.plugged:
            raise OSError(19, "No such device")
        with self.lock:
            events, self.queue = self.queue, []
        return iter(events)

    def grab(self) -> None:
        self.grabbed = True

    def ungrab(self) -> None:
        self.grabbed = False

    def close(self) -> None:
        os.close(self.read_end)
        os.close(self.write_end)


@pytest.fixture
def usb_reader(monkeypatch, pins):
    FakeInputDevice.plugged, FakeInputDevice.opened = True, []
    monkeypatch.setattr(evdev, "InputDevice", FakeInputDevice)
    return FakeInputDevice.opened


HID = device("reader", "tag_reader", 'reader = "hid"\ndevice = "/dev/input/event-reader"\n'
             "removal_delay = 0.5")


def test_a_usb_reader_is_grabbed_and_its_ids_are_tags(usb_reader, harness, caplog):
    h = harness(HID, backend="gpio")
    wait_for(h, lambda: usb_reader and usb_reader[-1].grabbed)
    reader = usb_reader[-1]
    reader.type(typed("04a3b2c1\n".upper()))
    wait_for(h, lambda: h.fired("reader.placed"))
    assert h.events("reader.placed")[0].value == "04A3B2C1"
    with caplog.at_level(logging.INFO, "museokit.gpio"):
        reader.type(typed("04x\n", start=500))
        wait_for(h, lambda: "dropped what the reader typed" in caplog.text)
    h.run_for(1)
    assert h.fired("reader.removed") and len(h.events("reader.placed")) == 1


def test_a_usb_reader_unplugged_goes_offline_and_online_when_plugged_back(usb_reader, harness):
    h = harness(HID, backend="gpio")
    wait_for(h, lambda: usb_reader and usb_reader[-1].grabbed)
    usb_reader[-1].unplug()
    wait_for(h, lambda: h.fired("reader.offline"))
    assert "USB reader '/dev/input/event-reader' does not answer" in h.events("reader.offline")[0].value
    FakeInputDevice.plugged = True
    wait_for(h, lambda: h.fired("reader.online"))
    usb_reader[-1].type(typed("DEADBEEF\n"))
    wait_for(h, lambda: h.fired("reader.placed"))


def test_check_asks_for_the_reader_name(installation):
    from museokit.core.config import InstallationError
    with pytest.raises(InstallationError, match=r'reader = "hid" needs device = '):
        installation(device("reader", "tag_reader", 'reader = "hid"'))
