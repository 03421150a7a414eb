"""MicroPython's `neopixel` for CPython: write() puts the GRB bytes in machine.strips."""

from __future__ import annotations

import machine


class NeoPixel:
    def __init__(self, pin: machine.Pin, n: int) -> None:
        self.pin, self.n = pin, n
        self.buf = bytearray(3 * n)

    def __setitem__(self, i: int, rgb: tuple[int, int, int]) -> None:
        r, g, b = rgb
        self.buf[3 * i:3 * i + 3] = bytes((g, r, b))

    def fill(self, rgb: tuple[int, int, int]) -> None:
        for i in range(self.n):
            self[i] = rgb

    def write(self) -> None:
        machine.strips[self.pin.n] = bytes(self.buf)
