"""MPR121s on an I2C bus, at register level, served in smbus2's shape.

Each chip has its electrodes' filtered data and baselines, the touch/release thresholds,
the ECR run/stop register (its CL bits load the baselines from the current data) and a
soft reset after which CONFIG2 reads 0x24. A pad is touched while its data sits more
than its touch threshold below its baseline, and released again once it is within its
release threshold. An address nothing answers on raises OSError 121, as the kernel does.
"""

from __future__ import annotations

import errno

UNTOUCHED, TOUCHED = 700, 560


class Mpr121Chip:
    def __init__(self) -> None:
        self.data = [UNTOUCHED] * 12
        self.reset()

    def reset(self) -> None:
        self.regs = [0] * 256
        self.regs[0x5C], self.regs[0x5D] = 0x10, 0x24
        self.baseline = [0] * 12
        self.status = 0
        self.recalibrations = 0

    def running(self) -> int:
        return self.regs[0x5E] & 0x0F

    def write(self, reg: int, value: int) -> None:
        if reg == 0x80:
            if value == 0x63:
                self.reset()
            return
        was = self.running()
        self.regs[reg] = value
        if reg == 0x5E and value & 0x0F and not was:
            if value & 0xC0 == 0x80:  # CL = 10: baselines loaded from the data now
                self.baseline = list(self.data)
                self.recalibrations += 1
            self.status = 0

    def read(self, reg: int) -> int:
        if reg in (0x00, 0x01):
            self.update()
            return (self.status >> (8 * reg)) & 0xFF
        return self.regs[reg]

    def update(self) -> None:
        for pad in range(min(self.running(), 12)):
            drop = self.baseline[pad] - self.data[pad]
            bit = 1 << pad
            if drop > self.regs[0x41 + 2 * pad]:
                self.status |= bit
            elif drop < self.regs[0x42 + 2 * pad]:
                self.status &= ~bit


class Mpr121Bus:
    """What `smbus2.SMBus(1)` returns in the tests: the chips at their addresses."""

    def __init__(self, chips: dict[int, Mpr121Chip]) -> None:
        self.chips = chips
        self.closed = False

    def _chip(self, address: int) -> Mpr121Chip:
        chip = self.chips.get(address)
        if chip is None:
            raise OSError(errno.EREMOTEIO, "Remote I/O error")
        return chip

    def write_byte_data(self, address: int, register: int, value: int) -> None:
        self._chip(address).write(register, value)

    def read_byte_data(self, address: int, register: int) -> int:
        return self._chip(address).read(register)

    def read_i2c_block_data(self, address: int, register: int, length: int) -> list[int]:
        chip = self._chip(address)
        return [chip.read(register + i) for i in range(length)]

    def close(self) -> None:
        self.closed = True
