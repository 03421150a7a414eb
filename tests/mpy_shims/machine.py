"""MicroPython's `machine` for CPython, so firmware/micropython runs in the tests.

The pins are a small world that tests/mpy_runner.py drives: `levels` (what a visitor holds
an input at), `adc` (10-bit values by ADC channel), `sonar` (mm in front of an echo pin);
the firmware's outputs land in `outputs` and `strips`. Only the calls the firmware makes.
"""

from __future__ import annotations

import os
import time

_T0 = time.monotonic()
_MASK = 0x3FFFFFFF  # MicroPython's ticks wrap at 2**30

levels: dict[int, int] = {}
adc: dict[int, int] = {}
sonar: dict[int, int] = {}
outputs: dict[int, int] = {}
strips: dict[int, bytes] = {}


def ticks_ms() -> int:
    return int((time.monotonic() - _T0) * 1000) & _MASK


def ticks_diff(a: int, b: int) -> int:
    return ((a - b + (_MASK + 1) // 2) & _MASK) - (_MASK + 1) // 2


def sleep_ms(ms: int) -> None:
    time.sleep(ms / 1000)


def sleep_us(us: int) -> None:
    time.sleep(us / 1e6)


def unique_id() -> bytes:
    return bytes.fromhex(os.environ.get("MUSEOKIT_BOARD_ID", "E6614C31"))


class Pin:
    IN, OUT = 0, 1
    PULL_UP, PULL_DOWN = 1, 2

    def __init__(self, n: int, mode: int = IN, pull: int | None = None, value: int | None = None) -> None:
        self.n, self.mode = n, mode
        if mode == Pin.OUT:
            outputs[n] = value or 0
        else:
            outputs.pop(n, None)

    def value(self, v: int | None = None) -> int:
        if v is None:
            return outputs.get(self.n, 0) if self.mode == Pin.OUT else levels.get(self.n, 1)
        outputs[self.n] = 1 if v else 0
        return outputs[self.n]


class ADC:
    def __init__(self, channel: int) -> None:
        self.channel = channel

    def read_u16(self) -> int:
        return adc.get(self.channel, 0) << 6


class PWM:
    def __init__(self, pin: Pin) -> None:
        self.pin = pin

    def freq(self, hz: int) -> None:
        self.hz = hz

    def duty_u16(self, duty: int) -> None:
        outputs[self.pin.n] = duty

    def duty_ns(self, ns: int) -> None:
        outputs[self.pin.n] = ns

    def deinit(self) -> None:
        outputs.pop(self.pin.n, None)


def time_pulse_us(pin: Pin, level: int, timeout_us: int) -> int:
    """An HC-SR04 echo: 5.83 us per mm, or a timeout (-1) when nothing is in range."""
    mm = sonar.get(pin.n, 0)
    us = round(mm * 5.8309) if mm else 38000
    return us if us <= timeout_us else -1


def reset_outputs() -> None:
    """What a reset does to the board's own pins; the visitor's world stays."""
    outputs.clear()
    strips.clear()
