"""firmware/PROTOCOL.md, checked against every firmware: the same cases, one run per board.

`avr` is the Arduino sketch built with gcc-avr and run in simavr (tests/simboard.py);
`micropython` is firmware/micropython under CPython with its machine shims. A visitor is
played through the board's simulated pins.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from museokit.backends.serial.protocol import MAX_LINE, PIXELS_PER_LINE
from tests.simboard import BOARDS, FAMILIES, Wire, checksum


@dataclass
class Link:
    board: object  # SimAvrBoard or MicroPythonBoard: the same visitor methods
    wire: Wire
    hello: list[str]

    @property
    def features(self) -> set[str]:
        return set(self.hello[6].split(","))

    def need(self, feature: str) -> None:
        if feature not in self.features:
            pytest.skip(f"{feature} is not in this firmware build")


@pytest.fixture(params=FAMILIES)
def link(request: pytest.FixtureRequest) -> Iterator[Link]:
    with BOARDS[request.param](board_id="0BADCAFE") as board:
        wire = Wire(board.port)
        board.start()
        try:
            yield Link(board, wire, wire.expect("hello ").split(" "))
        finally:
            wire.close()


def numbers(lines: list[str]) -> list[int]:
    return [int(line.split(" ")[1]) for line in lines]


def test_greeting_names_firmware_protocol_and_board(link: Link) -> None:
    tag, n, magic, protocol, firmware, board_id, _features = link.hello
    assert (tag, n, magic, protocol, board_id) == ("hello", "0", "museokit", "1", "0BADCAFE")
    assert firmware.split("-")[0] in ("avr", "mpy")
    assert {"in", "ana", "out"} <= link.features
    # asked again, it greets with the next line number and acks
    link.wire.send("hello", seq=1)
    again = link.wire.expect("hello ").split(" ")
    assert again[2:] == link.hello[2:] and int(again[1]) > 0
    assert link.wire.expect("ok ") == "ok 1"


def test_configure_acks_and_drives_outputs(link: Link) -> None:
    w = link.wire
    assert w.ask("strict 1") == "ok 1"
    assert w.ask("in D2 up 20") == "ok 2 1"          # pulled up, not pressed
    assert w.ask("out D13") == "ok 3"
    assert w.ask("set D13 1") == "ok 4"
    assert link.board.level("D13") == 1
    assert w.ask("set D13 0") == "ok 5"
    assert link.board.level("D13") == 0
    assert w.ask("get D2") == "ok 6 1"


def test_button_change_becomes_numbered_events(link: Link) -> None:
    w = link.wire
    assert w.ask("in D2 up 10") == "ok 1 1"
    link.board.pin("D2", 0)
    pressed = w.expect("ev ").split(" ")
    link.board.pin("D2", 1)
    released = w.expect("ev ").split(" ")
    assert pressed[3:] == ["D2", "0"] and released[3:] == ["D2", "1"]
    assert int(released[1]) > int(pressed[1]) > 0      # numbered, in order
    assert int(released[2]) >= int(pressed[2])         # board milliseconds


def test_analog_reports_changes_over_the_threshold(link: Link) -> None:
    w = link.wire
    link.board.adc(0, 100)
    assert w.ask("ana A0 20 50") == "ok 1 100"
    link.board.adc(0, 130)                              # under the threshold: silent
    assert not [line for line in w.quiet(0.3) if line.startswith("ev ")]
    link.board.adc(0, 700)
    assert w.expect("ev ").split(" ")[3:] == ["A0", "700"]


def test_distance_sensor_timed_on_the_board(link: Link) -> None:
    link.need("dist")
    w = link.wire
    link.board.sonar("D7", "D8", 1000)
    assert w.ask("dist D7 D8 50 30") == "ok 1"
    mm = int(w.expect("ev ").split(" ")[4])
    assert abs(mm - 1000) <= 5
    link.board.sonar("D7", "D8", 0)                     # the visitor walks away: no echo
    assert w.expect("ev ").split(" ")[3:] == ["D7", "0"]


def test_distance_threshold_zero_reports_every_ping(link: Link) -> None:
    """What the host configures: its DistanceSensor smooths over every reading."""
    link.need("dist")
    w = link.wire
    link.board.sonar("D7", "D8", 800)
    assert w.ask("dist D7 D8 30 0") == "ok 1"
    pings = [line.split(" ") for line in w.quiet(0.6) if line.startswith("ev ")]
    assert len(pings) >= 8                              # ~one per 30 ms, though nothing moved
    assert all(p[3] == "D7" and abs(int(p[4]) - 800) <= 5 for p in pings), pings


def test_pixels_reach_the_strip(link: Link) -> None:
    link.need("pix")
    w = link.wire
    assert w.ask("pix D6 3") == "ok 1"
    assert w.ask("px D6 0 FF0000 00FF00 0000FF") == "ok 2"
    assert link.board.pixels("D6") == bytes.fromhex("00FF00" "FF0000" "0000FF")  # GRB order
    assert w.ask("px D6 all 102030") == "ok 3"
    assert link.board.pixels("D6") == bytes.fromhex("201030") * 3


def test_the_longest_pixel_line_fits_and_one_more_colour_is_refused(link: Link) -> None:
    """PROTOCOL.md 3.3: up to 15 colours per `px` line, which fit beside the largest seq,
    a 3-character pin, an index and the checksum; the host sends that many."""
    link.need("pix")
    w = link.wire
    assert w.ask("pix D13 60") == "ok 1"
    body = "px D13 45 " + " ".join(["0A0B0C"] * PIXELS_PER_LINE)
    assert len(f"65535 {body}*HH\n") <= MAX_LINE
    assert w.ask(body, seq=65535) == "ok 65535"
    assert link.board.pixels("D13")[-3:] == bytes.fromhex("0B0A0C")  # pixel 59, GRB
    assert w.ask("px D13 0 " + " ".join(["0A0B0C"] * (PIXELS_PER_LINE + 1))) == "err 2 args"
    assert w.ask("stat").split(" ")[4] == "long=0"


def test_a_servo_detaches_and_comes_back(link: Link) -> None:
    link.need("servo")
    w = link.wire
    assert w.ask("servo D9") == "ok 1"
    assert w.ask("get D9") == "ok 2 -"                  # no pulses before the first angle
    assert w.ask("set D9 90") == "ok 3"
    assert w.ask("get D9") == "ok 4 90"
    assert w.ask("set D9 off") == "ok 5"                # limp: no pulses
    assert w.ask("get D9") == "ok 6 -"
    assert w.ask("set D9 45") == "ok 7"
    assert w.ask("get D9") == "ok 8 45"
    assert w.ask("out D13") == "ok 9"
    assert w.ask("set D13 off") == "err 10 args"        # only a servo detaches


def test_errors_carry_the_seq(link: Link) -> None:
    w = link.wire
    assert w.ask("frobnicate") == "err 1 verb"
    assert w.ask("in D2") == "ok 2 1"
    assert w.ask("set D2 1") == "err 3 role"
    assert w.ask("out D2") == "err 4 taken"
    assert w.ask("in D99") == "err 5 pin"
    assert w.ask("hb 5") == "err 6 range"
    assert w.ask("ping", seq=0, check=False) == "ok 0"  # typed by a person


def test_retry_with_the_same_seq_is_answered_not_executed_twice(link: Link) -> None:
    w = link.wire
    assert w.ask("out D13", seq=40) == "ok 40"
    assert w.ask("set D13 1", seq=41) == "ok 41"
    assert w.ask("set D13 7", seq=42) == "err 42 range"
    assert w.ask("set D13 7", seq=42) == "err 42 range"
    assert w.ask("stat", seq=43).split(" ")[2] == "lines=5"
    assert w.ask("stat", seq=43).split(" ")[2] == "lines=5"  # the stored reply, not a new count
    assert w.ask("stat", seq=44).split(" ")[2] == "lines=7"


def test_bad_lines_are_dropped_counted_and_never_acted_on(link: Link) -> None:
    w = link.wire
    assert w.ask("out D13") == "ok 1"
    w.write(b"\x00\xff\x13garbage\x07\n")               # junk
    w.write(b"8 set D13 1 " + b"0" * 200 + b"\n")       # overlong
    w.write(b"7 set D13 1*00\n")                        # wrong checksum
    assert w.ask("strict 1") == "ok 2"
    whole = "9 set D13 1"
    whole += "*" + checksum(whole)
    w.write(whole[4:].encode() + b"\n")                 # its start lost
    w.write(whole[:-3].encode() + b"\n")                # its checksum lost (strict)
    w.write(b"set D13 1\n")                             # typed (strict)
    assert w.ask("stat") == "ok 3 lines=3 badsum=4 long=1 junk=1 lost=0"
    assert link.board.level("D13") == 0                 # nothing was acted on
    assert not [line for line in w.quiet(0.2) if line.startswith(("ok", "err"))]


def test_full_length_lines_back_to_back_lose_nothing(link: Link) -> None:
    """128-byte lines with a window of one: the 64-byte receive buffer never overflows."""
    w = link.wire
    assert w.ask("strict 1") == "ok 1"
    for _ in range(40):
        body = "ping"
        seq = w.seq % 65535 + 1
        pad = 128 - len(f"{seq} {body}") - 4        # "*HH\n"
        w.send(body + " " * pad)
        line = w.read()
        assert line == f"ok {seq}", line
    counts = w.ask("stat").split(" ")
    assert counts[2:6] == ["lines=42", "badsum=0", "long=0", "junk=0"]


def test_heartbeats_are_numbered_and_carry_the_counters(link: Link) -> None:
    w = link.wire
    assert w.ask("hb 100") == "ok 1"
    w.write(b"1 ping*00\n")
    beats = [w.expect("hb ").split(" ") for _ in range(3)]
    assert numbers([" ".join(b) for b in beats]) == sorted(numbers([" ".join(b) for b in beats]))
    assert beats[-1][3:] == ["1", "0"]                 # one dropped line, no lost events
    assert w.ask("hb 0") == "ok 2"
    time.sleep(0.05)
    assert not [line for line in w.quiet(0.4) if line.startswith("hb ")]


def test_reset_mid_session_greets_again_and_forgets_the_configuration(link: Link) -> None:
    w = link.wire
    assert w.ask("strict 1") == "ok 1"
    assert w.ask("out D13") == "ok 2"
    assert w.ask("set D13 1") == "ok 3"
    link.board.pin("D2", 0)                            # a button held through the reset
    link.board.reset()
    hello = w.expect("hello ").split(" ")
    assert hello[1] == "0" and hello[5] == "0BADCAFE"  # n = 0: a boot, same board
    assert w.ask("set D13 1", check=False) == "err 4 role"  # strict and roles are gone
    assert link.board.level("D13") == 0
    assert w.ask("in D2 up 20") == "ok 5 0"            # still held; D3 was left alone
    assert w.ask("in D3 up 20") == "ok 6 1"


def test_micropython_times_are_32_bit_across_its_ticks_wrap(monkeypatch) -> None:
    """MicroPython's ticks_ms wraps at 2**30 (~12 days); `<ms>` on the wire is 32-bit
    (PROTOCOL.md 4.2), so the firmware counts on across the wrap instead of going back."""
    import importlib.util
    import sys

    from tests.conftest import REPO

    def load(name: str, path):  # beside the real museokit package, not instead of it
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        monkeypatch.setitem(sys.modules, name, module)
        spec.loader.exec_module(module)
        return module

    machine = load("machine", REPO / "tests/mpy_shims/machine.py")
    monkeypatch.setattr(machine, "_T0", time.monotonic() - (2**30 - 150) / 1000)
    firmware = load("museokit_mpy_firmware", REPO / "firmware/micropython/museokit.py")
    lines: list[bytes] = []
    board = firmware.Firmware(lines.append, "3FA29C01")
    board.feed(b"hb 100\n")
    beats: list[int] = []
    deadline = time.monotonic() + 2
    while len(beats) < 4 and time.monotonic() < deadline:
        board.poll()
        beats = [int(line.split()[2]) for line in lines if line.startswith(b"hb ")]
        time.sleep(0.01)
    assert machine.ticks_ms() < 1000  # the ticks wrapped meanwhile
    assert len(beats) == 4 and beats == sorted(beats) and beats[-1] < 1000, beats
