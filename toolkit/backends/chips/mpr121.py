"""MPR121: 12 capacitive touch pads on I2C (NXP/Freescale datasheet rev. 4, AN3944).

museokit's own small driver on an smbus2-style bus (`read_byte_data`,
`write_byte_data`, `read_i2c_block_data`). `init()` soft-resets the chip, checks it is
one (CONFIG2 reads 0x24 after a reset), sets the pads' thresholds and starts all 12
with baseline tracking loaded from what they read now. `recalibrate()` restarts them
the same way: a pad that reads as touched for ever (a wire laid along metal) is
released and measured afresh.
"""

from __future__ import annotations

from typing import Any

from museokit.backends.chips import ChipSilent

TOUCH_STATUS, THRESHOLDS, DEBOUNCE, CONFIG1, CONFIG2, ECR, SOFT_RESET = (
    0x00, 0x41, 0x5B, 0x5C, 0x5D, 0x5E, 0x80)
#: Baseline filter registers 0x2B-0x34 with AN3944's recommended values.
FILTER = (0x01, 0x01, 0x0E, 0x00, 0x01, 0x05, 0x01, 0x00, 0x00, 0x00)
#: ECR: load the baseline from the first readings (CL = 10), 12 electrodes.
RUN_ALL = 0x8C
PADS = 12
ADDRESSES = (0x5A, 0x5B, 0x5C, 0x5D)


class Mpr121:
    def __init__(self, bus: Any, address: int = 0x5A) -> None:
        self.bus = bus
        self.address = address

    def write(self, register: int, value: int) -> None:
        self.bus.write_byte_data(self.address, register, value)

    def init(self, touch: int = 12, release: int = 6) -> None:
        self.write(SOFT_RESET, 0x63)
        if self.bus.read_byte_data(self.address, CONFIG2) != 0x24:
            raise ChipSilent(f"the chip at {self.address:#04x} is not an MPR121")
        self.write(ECR, 0x00)  # stop mode: the only mode where settings may change
        for pad in range(PADS):
            self.write(THRESHOLDS + 2 * pad, touch)
            self.write(THRESHOLDS + 2 * pad + 1, release)
        for offset, value in enumerate(FILTER):
            self.write(0x2B + offset, value)
        self.write(DEBOUNCE, 0x00)
        self.write(CONFIG1, 0x10)  # 16 µA charge current
        self.write(CONFIG2, 0x20)  # 0.5 µs charge time, 4 samples, 1 ms period
        self.write(ECR, RUN_ALL)

    def touched(self) -> int:
        """The pads touched now, as a bit mask (bit 0: pad 0)."""
        low, high = self.bus.read_i2c_block_data(self.address, TOUCH_STATUS, 2)
        return int(low | (high << 8)) & 0x0FFF

    def recalibrate(self) -> None:
        self.write(ECR, 0x00)
        self.write(ECR, RUN_ALL)
