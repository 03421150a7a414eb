"""WS2812 / SK6812 ("NeoPixel") frames encoded as SPI bytes on MOSI (GPIO10).

The strip reads a 0 as a short high pulse and a 1 as a long one, 1.25 µs a bit. Sent
at 2.4 MHz, three SPI bits make one strip bit (0 -> 100, 1 -> 110: 417 / 833 ns
high); at 3.2 MHz, four (0 -> 1000, 1 -> 1110: 312 / 937 ns). The SPI clock paces
every bit, so the timing holds on every Pi from the Zero 2 to the Pi 5, without
root and without the PWM/DMA hardware `rpi_ws281x` needs (which a Pi 5 lacks).

After the last pixel MOSI stays low for at least `RESET_US` (80 µs: WS2812B-V5 and
SK6812 need 80, older WS2812 50), which latches the frame; that gap is sent as
zero bytes at the end of every frame, so back-to-back frames cannot run together.
"""

from __future__ import annotations

from collections.abc import Sequence

RGB = tuple[int, int, int]

#: SPI bits per strip bit -> SPI clock in Hz.
SPEEDS = {3: 2_400_000, 4: 3_200_000}
#: The colour orders strips ship with: WS2812B is GRB, SK6812 RGBW is GRBW.
ORDERS = ("GRB", "RGB", "BRG", "RBG", "GBR", "BGR", "GRBW", "RGBW")
RESET_US = 80


def _table(bits: int) -> list[bytes]:
    zero, one = (0b100, 0b110) if bits == 3 else (0b1000, 0b1110)
    table = []
    for value in range(256):
        word = 0
        for bit in range(7, -1, -1):
            word = (word << bits) | (one if value >> bit & 1 else zero)
        table.append(word.to_bytes(bits, "big"))
    return table


_TABLES = {bits: _table(bits) for bits in SPEEDS}


def reset_bytes(bits: int) -> int:
    """Zero bytes that keep MOSI low for RESET_US at this encoding's clock."""
    return -(-SPEEDS[bits] * RESET_US // 8_000_000)


def frame_bytes(count: int, order: str = "GRB", bits: int = 3) -> int:
    """How many SPI bytes one frame of `count` pixels takes, reset gap included."""
    return count * len(order) * bits + reset_bytes(bits)


def encode(frame: Sequence[RGB], order: str = "GRB", bits: int = 3) -> bytes:
    """The SPI bytes that show `frame` on a strip wired in colour `order`."""
    table = _TABLES[bits]
    pick = ["RGB".index(c) if c != "W" else -1 for c in order]
    out = bytearray()
    for pixel in frame:
        for index in pick:
            out += table[pixel[index] & 0xFF] if index >= 0 else table[0]
    out += bytes(reset_bytes(bits))
    return bytes(out)
