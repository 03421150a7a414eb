"""The host side of firmware/PROTOCOL.md: the document's own examples, and what is refused."""

from __future__ import annotations

import pytest

from museokit.backends.serial.protocol import (
    MAX_LINE,
    BoardEvent,
    Counters,
    Greeting,
    Heartbeat,
    LineFramer,
    Reply,
    encode,
    next_seq,
    parse,
)


@pytest.mark.parametrize(("seq", "words", "line"), [
    (1, ("strict", 1), b"1 strict 1*0B\n"),
    (2, ("clear",), b"2 clear*6B\n"),
    (3, ("in", "D2", "up", 20), b"3 in D2 up 20*45\n"),
    (4, ("ana", "A0", 50, 10), b"4 ana A0 50 10*2F\n"),
    (7, ("set", "D13", 1), b"7 set D13 1*02\n"),
    (None, ("ping",), b"ping*10\n"),
])
def test_host_lines_match_the_protocol_examples(seq, words, line):
    assert encode(seq, *words) == line


def test_a_line_over_the_limit_is_never_sent():
    with pytest.raises(ValueError, match="over the protocol's 128"):
        encode(65535, "px", "D6", 0, *["FFFFFF"] * 17)


def test_the_longest_pixel_line_fits_and_one_more_colour_would_not():
    """PROTOCOL.md 3.3's limit, with MicroPython's largest index (its strips take 256)."""
    from museokit.backends.serial.protocol import PIXELS_PER_LINE
    assert PIXELS_PER_LINE == 15
    assert len(encode(65535, "px", "D13", 255, *["FFFFFF"] * PIXELS_PER_LINE)) <= MAX_LINE
    with pytest.raises(ValueError, match="over the protocol's 128"):
        encode(65535, "px", "D13", 255, *["FFFFFF"] * (PIXELS_PER_LINE + 1))


def test_board_lines_parse():
    c = Counters()
    assert parse(b"ok 0*14", c) == Reply(0, True, ())
    assert parse(b"err 0 role*41", c) == Reply(0, False, ("role",))
    assert parse(b"ev 1 18250 D2 0*5A", c) == BoardEvent(1, 18250, "D2", "0")
    assert parse(b"hb 3 19000 0 0*01", c) == Heartbeat(3, 19000, 0, 0)
    greeting = parse(b"hello 0 museokit 1 avr-0.1.0 3FA29C01 in,ana,dist,out,pwm,servo,tone,pix*37",
                     c)
    assert greeting == Greeting(0, 1, "avr-0.1.0", "3FA29C01", frozenset(
        ["in", "ana", "dist", "out", "pwm", "servo", "tone", "pix"]))
    assert c.total() == 0


def test_refused_lines_are_counted_by_cause():
    c = Counters()
    assert parse(b"ok 0", c) is None          # no checksum: the board always sends one
    assert parse(b"ok 0*15", c) is None       # wrong
    assert parse(b"ok 0*1", c) is None        # cut
    assert parse(b"ev 1 x D2 0*" + b"%02X" % _sum(b"ev 1 x D2 0"), c) is None
    assert (c.badsum, c.malformed) == (3, 1)
    assert parse(b"news 1 2*" + b"%02X" % _sum(b"news 1 2"), c) is None  # a newer line type
    assert c.total() == 4


def test_framer_drops_overlong_and_non_ascii_lines_and_keeps_partial_ones_for_later():
    c = Counters()
    framer = LineFramer(c)
    assert framer.feed(b"ok 0*14\nok 1") == [b"ok 0*14"]
    assert framer.feed(b"*15\r\n") == [b"ok 1*15"]
    assert framer.feed(b"x" * 300) == []
    assert framer.feed(b"yyy\nok 2*16\n") == [b"ok 2*16"]
    assert framer.feed(b"\xff\x00bad\n\n") == []
    assert (c.long, c.junk) == (1, 1)


def test_sequence_numbers_wrap_from_65535_to_1():
    assert next_seq(65535) == 1 and next_seq(1) == 2


def _sum(body: bytes) -> int:
    from museokit.backends.serial.protocol import checksum
    return checksum(body)
