"""Tag readers, LED strips, touch pads and knobs on the gpio backend, through gpiozero's
MockFactory pins and register-level models of the chips (tests/chips/).

The RC522 is museokit's own driver speaking SPI through gpiozero's SPI layer, bit-banged
on the mock pins into the MFRC522 model. The strip's SPI bytes are decoded back into
colours. The MPR121 is an smbus2-shaped bus of chip models.
"""

from __future__ import annotations

import pytest
import smbus2
import spidev

from museokit.backends import gpio_parts
from museokit.backends.chips.ws2812_spi import SPEEDS, encode
from museokit.cli import main
from museokit.core.config import InstallationError
from museokit.core.runtime import StartError
from tests.chips.mfrc522_model import Mfrc522Model
from tests.chips.mpr121_model import TOUCHED, UNTOUCHED, Mpr121Bus, Mpr121Chip
from tests.conftest import device, write_installation
from tests.gpio_pins import wait_for

READER = device("reader", "tag_reader", "pin = 25\nremoval_delay = 0.5\npoll = 0.02")


def gpio(harness, toml: str):
    return harness(toml, backend="gpio")


def keys(h) -> list[str]:
    return [s.key for s in h.seen]


# -- RC522 ------------------------------------------------------------------------------------

@pytest.fixture
def rc522(pins):
    return Mfrc522Model(pins)


def test_a_card_on_the_reader_is_placed_once_with_its_uid_and_removed_when_taken(rc522, harness):
    h = gpio(harness, READER)
    rc522.place("04a3b2c1")
    wait_for(h, lambda: h.fired("reader.placed"))
    reads = len(rc522.frames)
    wait_for(h, lambda: len(rc522.frames) > reads + 20)  # read again and again: no new tag
    assert [e.value for e in h.events("reader.placed")] == ["04A3B2C1"]
    assert h.device("reader").tag == "04A3B2C1"
    rc522.take()
    wait_for(h, lambda: h.fired("reader.removed"))
    assert keys(h).count("reader.placed") == 1


def test_seven_byte_uids_go_through_both_cascade_levels(rc522, harness):
    h = gpio(harness, READER)
    rc522.place("04112233445566")
    wait_for(h, lambda: h.fired("reader.placed"))
    assert h.events("reader.placed")[0].value == "04112233445566"


def test_a_tag_flickering_at_the_edge_of_range_is_still_one_tag(rc522, harness):
    """Gone for a few polls at a time, back for a few: shorter gaps than removal_delay."""
    h = gpio(harness, READER.replace("removal_delay = 0.5", "removal_delay = 2"))
    card = rc522.place("DEADBEEF")
    wait_for(h, lambda: h.fired("reader.placed"))
    for _ in range(6):  # out of range for a few polls, back, out again...
        for cards, polls in (([], 3), ([card], 10)):
            rc522.cards = cards
            until = len(rc522.frames) + polls
            wait_for(h, lambda until=until: len(rc522.frames) > until)
    h.run_for(0.1)
    assert keys(h).count("reader.placed") == 1
    assert not h.fired("reader.removed")


def test_two_cards_at_once_keep_the_tag_that_was_there(rc522, harness):
    h = gpio(harness, READER)
    rc522.place("DEADBEEF")
    wait_for(h, lambda: h.fired("reader.placed"))
    rc522.place("CAFEBABE")  # collide: the reader cannot tell which
    seen = len(rc522.frames)
    wait_for(h, lambda: len(rc522.frames) > seen + 30)
    h.run_for(1)
    assert h.device("reader").tag == "DEADBEEF" and not h.fired("reader.removed")


def test_a_reader_unplugged_mid_show_goes_offline_then_online(rc522, harness):
    h = gpio(harness, READER + device("door", "button", "pin = 17"))
    rc522.place("04A3B2C1")
    wait_for(h, lambda: h.fired("reader.placed"))
    rc522.unplug()
    wait_for(h, lambda: h.fired("reader.offline"))
    reason = h.events("reader.offline")[0].value
    assert "RC522 on SPI0 CE0" in reason and "does not answer" in reason
    pins_door = h.runtime.backends["gpio"].factory.pin(17)
    pins_door.drive_low()  # the rest of the installation keeps running
    h.run_for(0.3)
    assert h.fired("door.pressed")
    rc522.plug()  # it lost power: registers are back at reset values, the driver sets it up again
    wait_for(h, lambda: h.fired("reader.online"))
    rc522.take()
    rc522.place("CAFEBABE")
    wait_for(h, lambda: any(e.value == "CAFEBABE" for e in h.events("reader.placed")))


def test_a_reader_that_does_not_answer_at_start_starts_offline(rc522, harness):
    rc522.unplug()
    h = gpio(harness, READER)
    wait_for(h, lambda: h.fired("reader.offline"))
    assert not h.device("reader").is_online
    rc522.plug()
    wait_for(h, lambda: h.fired("reader.online"))
    rc522.place("04A3B2C1")
    wait_for(h, lambda: h.fired("reader.placed"))


def test_a_reader_on_ce1_answers_on_its_own_chip_select(pins, harness):
    model = Mfrc522Model(pins, select=7)
    h = gpio(harness, device("reader", "tag_reader", 'spi = "CE1"\npoll = 0.02'))
    model.place("11223344")
    wait_for(h, lambda: h.fired("reader.placed"))


# -- LED strips ------------------------------------------------------------------------------

class RecordingSpiDev:
    """Stands in for /dev/spidev (absent here) and keeps every byte written to it."""

    opened: list[RecordingSpiDev] = []

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.mode = -1
        self.max_speed_hz = 0
        RecordingSpiDev.opened.append(self)

    def open(self, bus: int, device: int) -> None:
        self.where = (bus, device)

    def writebytes2(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.where = None


@pytest.fixture
def spi(monkeypatch, pins):
    RecordingSpiDev.opened = []
    monkeypatch.setattr(spidev, "SpiDev", RecordingSpiDev)
    return RecordingSpiDev.opened


def decode(data: bytes, order: str, bits: int) -> tuple[list[tuple[int, ...]], int]:
    """The pixels (in RGB order) and the trailing low time in µs in a strip's SPI bytes."""
    stream = "".join(f"{b:08b}" for b in data)
    tail = len(stream) - len(stream.rstrip("0"))
    body = stream[:len(stream) - tail]
    symbols = {"100": "0", "110": "1"} if bits == 3 else {"1000": "0", "1110": "1"}
    pad = -len(body) % bits  # the last symbol's own low end, counted in the tail
    body += "0" * pad
    strip_bits = "".join(symbols[body[i:i + bits]] for i in range(0, len(body), bits))
    channels = [int(strip_bits[i:i + 8], 2) for i in range(0, len(strip_bits), 8)]
    width = len(order)
    pixels = []
    for i in range(0, len(channels), width):
        by_name = dict(zip(order, channels[i:i + width], strict=True))
        pixels.append(tuple(by_name[c] for c in "RGB" if c in by_name))
    tail_us = (tail - pad) / SPEEDS[bits] * 1e6
    return pixels, tail_us


def last_frame(h, spi, order: str = "GRB", bits: int = 3):
    strip = h.runtime.backends["gpio"].channels[-1]
    strip.flush()
    return decode(spi[-1].writes[-1], order, bits)


@pytest.mark.parametrize(("order", "bits"), [("GRB", 3), ("RGB", 3), ("GRBW", 4)])
def test_strip_frames_decode_back_to_what_the_installation_set(spi, harness, order, bits):
    h = gpio(harness, device("ring", "pixels", f'pin = 10\ncount = 4\norder = "{order}"\n'
                             f"spi_bits = {bits}"))
    h.command("ring", "set", 1, "#ff8000")
    h.command("ring", "set", 3, [1, 2, 3])
    pixels, gap = last_frame(h, spi, order, bits)
    assert pixels == [(0, 0, 0), (255, 128, 0), (0, 0, 0), (1, 2, 3)]
    assert gap >= 80  # the reset gap that latches the frame
    assert spi[-1].max_speed_hz == SPEEDS[bits] and spi[-1].mode == 0 and spi[-1].where == (0, 0)


def test_an_animation_reaches_the_strip_as_frames(spi, harness):
    h = gpio(harness, device("ring", "pixels", "pin = 10\ncount = 8"))
    h.command("ring", "animate", "chase", "red", 1.0)
    h.run_for(0.5)
    pixels, _ = last_frame(h, spi)
    assert len(pixels) == 8 and any(p[0] > 0 for p in pixels) and all(p[1] == p[2] == 0 for p in pixels)


def test_a_strip_on_spi1_opens_spidev1(spi, harness):
    h = gpio(harness, device("ring", "pixels", "pin = 20\ncount = 3"))
    h.command("ring", "fill", "blue")
    assert last_frame(h, spi)[0] == [(0, 0, 255)] * 3
    assert spi[-1].where == (1, 0)


def test_a_strip_longer_than_the_spi_buffer_is_refused_in_one_line(spi, harness, tmp_path,
                                                                    monkeypatch):
    bufsiz = tmp_path / "bufsiz"
    bufsiz.write_text("4096\n")
    monkeypatch.setattr(gpio_parts, "SPIDEV_BUFSIZ", bufsiz)
    with pytest.raises(StartError) as caught:
        gpio(harness, device("ring", "pixels", "pin = 10\ncount = 1000"))
    message = str(caught.value)
    assert "\n" not in message and "spidev.bufsiz=65536" in message and "ring" in message


@pytest.mark.parametrize(("options", "says"), [
    ("pin = 18", "pixels on GPIO18 need the PWM method"),
    ("pin = 18", "on any Pi (a Pi 5 too) use the SPI method"),
    ("pin = 21", "pixels on GPIO21 cannot be driven from that pin"),
    ('pin = 21\nmethod = "pwm"', "need a PWM pin: GPIO18"),
    ('pin = 10\norder = "GBRX"', "expected one of 'GRB'"),
])
def test_check_refuses_a_strip_the_pi_cannot_drive(tmp_path, capsys, options, says):
    write_installation(tmp_path, device("ring", "pixels", options))
    assert main(["check", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert says in err and "installation.toml:" in err


# -- bus conflicts ----------------------------------------------------------------------------

@pytest.mark.parametrize(("toml", "says"), [
    (device("a", "tag_reader") + device("b", "tag_reader"), "two devices on SPI0 CE0: 'a'"),
    (device("a", "touch") + device("b", "touch"), "two devices on I2C address 0x5a: 'a'"),
    (device("a", "tag_reader") + device("door", "button", "pin = 9"), "GPIO9 is SPI0 MISO, which 'a'"),
    (device("a", "touch") + device("door", "button", "pin = 3"), "GPIO3 is I2C1 SCL, which 'a'"),
    (device("a", "tag_reader") + device("ring", "pixels", "pin = 10"), "wire it to GPIO20"),
])
def test_check_refuses_two_devices_on_one_bus_place(installation, toml, says):
    with pytest.raises(InstallationError) as caught:
        installation(toml)
    assert says in str(caught.value)


# -- MPR121 touch -----------------------------------------------------------------------------

@pytest.fixture
def i2c(monkeypatch, pins):
    chips = {0x5A: Mpr121Chip()}
    monkeypatch.setattr(smbus2, "SMBus", lambda bus: Mpr121Bus(chips))
    return chips


TOUCH = device("pads", "touch", "pads = {owl = 0, vase = 3}\npoll = 0.01\nrecalibrate_after = 0.3")


def test_touching_and_releasing_a_pad_are_events_named_by_the_pad(i2c, harness):
    h = gpio(harness, TOUCH)
    wait_for(h, lambda: i2c[0x5A].running() == 12)
    i2c[0x5A].data[3] = TOUCHED
    wait_for(h, lambda: h.fired("pads.touched"))
    i2c[0x5A].data[3] = UNTOUCHED
    wait_for(h, lambda: h.fired("pads.released"))
    i2c[0x5A].data[7] = TOUCHED
    wait_for(h, lambda: len(h.events("pads.touched")) == 2)
    assert [e.value for e in h.events("pads.touched")] == ["vase", 7]
    assert [e.value for e in h.events("pads.released")] == ["vase"]
    assert h.device("pads").touched == [7]


def test_a_pad_that_reads_as_always_touched_is_recalibrated_and_reported(i2c, harness):
    h = gpio(harness, TOUCH)
    wait_for(h, lambda: i2c[0x5A].running() == 12)
    i2c[0x5A].data[0] = TOUCHED  # the owl's wire now runs along a metal shelf: for ever
    wait_for(h, lambda: h.fired("pads.recalibrated"))
    assert h.events("pads.recalibrated")[0].value == ["owl"]
    wait_for(h, lambda: h.fired("pads.released"))
    assert not h.device("pads").touched
    i2c[0x5A].data[5] = TOUCHED  # the other pads still work
    wait_for(h, lambda: any(e.value == 5 for e in h.events("pads.touched")))


def test_an_mpr121_that_is_not_there_goes_offline_and_online_when_plugged(i2c, harness):
    chip = i2c.pop(0x5A)
    h = gpio(harness, TOUCH)
    wait_for(h, lambda: h.fired("pads.offline"))
    assert "MPR121 at I2C address 0x5a" in h.events("pads.offline")[0].value
    i2c[0x5A] = chip
    wait_for(h, lambda: h.fired("pads.online"))
    chip.data[1] = TOUCHED
    wait_for(h, lambda: h.fired("pads.touched"))


# -- rotary encoder ---------------------------------------------------------------------------

def test_a_knob_turned_reports_each_step_with_its_direction(pins, harness):
    h = gpio(harness, device("knob", "encoder", "a = 5\nb = 6"))
    a, b = pins.pin(5), pins.pin(6)

    def detent(first, second):  # one quadrature cycle: first falls, second falls, both rise
        first.drive_low()
        second.drive_low()
        first.drive_high()
        second.drive_high()
        h.run_for(0.01)

    for _ in range(3):
        detent(a, b)
    detent(b, a)
    h.run_for(0.1)
    steps = [e.value for e in h.events("knob.rotated")]
    assert sum(steps) == 2 and len(steps) == 4 and steps.count(-1) == 1
    assert h.device("knob").position == 2


def test_encode_is_the_same_for_one_pixel_as_the_table_says():
    assert encode([(0, 0, 0)], "GRB", 3)[:9] == bytes([0x92, 0x49, 0x24]) * 3


# -- PN532 ------------------------------------------------------------------------------------

@pytest.fixture
def pn532(monkeypatch, pins):
    from tests.chips.pn532_model import Pn532Bus
    chip = Pn532Bus()
    monkeypatch.setattr(smbus2, "SMBus", lambda bus: chip)
    return chip


PN532 = device("reader", "tag_reader", 'reader = "pn532"\npoll = 0.02\nremoval_delay = 0.3')


def test_a_pn532_reads_cards_over_i2c(pn532, harness):
    h = gpio(harness, PN532)
    pn532.cards = [bytes.fromhex("04112233445566")]
    wait_for(h, lambda: h.fired("reader.placed"))
    assert h.events("reader.placed")[0].value == "04112233445566"
    assert pn532.commands[:3] == [0x02, 0x14, 0x32]  # firmware, SAM, one passive try
    pn532.garble_next = True  # a damaged answer changes nothing
    seen = len(pn532.commands)
    wait_for(h, lambda: len(pn532.commands) > seen + 5)
    assert len(h.events("reader.placed")) == 1 and not h.fired("reader.removed")
    pn532.cards = []
    wait_for(h, lambda: h.fired("reader.removed"))


def test_a_pn532_unplugged_goes_offline_and_online(pn532, harness):
    h = gpio(harness, PN532)
    wait_for(h, lambda: 0x4A in pn532.commands)
    pn532.connected = False
    wait_for(h, lambda: h.fired("reader.offline"))
    assert "PN532 at I2C address 0x24" in h.events("reader.offline")[0].value
    pn532.connected = True
    wait_for(h, lambda: h.fired("reader.online"))
    pn532.cards = [bytes.fromhex("DEADBEEF")]
    wait_for(h, lambda: h.fired("reader.placed"))


def test_a_pn532_and_an_mpr121_share_the_bus_but_not_two_pn532s(installation):
    installation(PN532 + device("pads", "touch"))
    with pytest.raises(InstallationError, match="two devices on I2C address 0x24"):
        installation(PN532 + device("other", "tag_reader", 'reader = "pn532"'))


def test_the_pwm_method_without_rpi_ws281x_says_what_to_install(spi, harness, monkeypatch):
    import builtins
    real_import = builtins.__import__

    def no_ws281x(name, *args, **kwargs):
        if name == "rpi_ws281x":
            raise ImportError("No module named 'rpi_ws281x'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ws281x)
    with pytest.raises(StartError) as caught:
        gpio(harness, device("ring", "pixels", 'pin = 18\nmethod = "pwm"'))
    assert "pip install rpi_ws281x" in str(caught.value) and "\n" not in str(caught.value)


# -- NDEF text records ------------------------------------------------------------------------

def test_a_tag_known_by_its_ndef_text_record(rc522, harness):
    h = gpio(harness, device("reader", "tag_reader", 'poll = 0.02\nid_from = "text"\n'
                             'removal_delay = 0.3\ntags = {"owl-1911" = "owl"}'))
    rc522.place("04112233445566", text="owl-1911")
    wait_for(h, lambda: h.fired("reader.placed"))
    assert h.events("reader.placed")[0].value == "owl-1911"
    assert h.device("reader").tag_name == "owl"
    reads = sum(1 for f in rc522.frames if f[0] == 0x30)
    seen = len(rc522.frames)
    wait_for(h, lambda: len(rc522.frames) > seen + 30)  # polled on: the text is not read again
    assert sum(1 for f in rc522.frames if f[0] == 0x30) == reads
    rc522.take()
    wait_for(h, lambda: h.fired("reader.removed"))
    rc522.place("DEADBEEF")  # a blank tag: known by its UID
    wait_for(h, lambda: len(h.events("reader.placed")) == 2)
    assert h.events("reader.placed")[1].value == "DEADBEEF"


def test_ndef_text_records_in_utf8_and_with_long_messages():
    from museokit.backends.chips.ndef import first_text, ndef_message
    from tests.chips.mfrc522_model import ntag_with_text
    memory = ntag_with_text("Hibou — chouette effraie, 1911", lang="fr")[16:]
    assert first_text(ndef_message(memory)) == "Hibou — chouette effraie, 1911"
    assert ndef_message(bytes([0x00, 0x00, 0xFE])) is None  # nulls then the terminator: empty
    uri_then_text = bytes([0x91, 0x01, 0x02]) + b"U\x04x" + bytes([0x51, 0x01, 0x04]) + b"T\x02enA"
    assert first_text(uri_then_text) == "A"
