"""gpiozero's MockSPIDevice on pins that may share a factory with PWM pins.

gpiozero's MockFactory refuses to hand out one pin as two classes, and MockSPIDevice asks
for its clock and select pins as plain (non-PWM) classes; the gpio tests' factory makes
PWM pins. These pin classes are both, so a chip model sits beside PWM LEDs.
"""

from __future__ import annotations

from typing import Any

from gpiozero.pins.mock import MockFactory, MockPWMPin, MockSPIClockPin, MockSPIDevice, MockSPISelectPin


class ClockPin(MockSPIClockPin, MockPWMPin):
    pass


class SelectPin(MockSPISelectPin, MockPWMPin):
    pass


class SpiChip(MockSPIDevice):
    """The chip side of SPI0 on CE0 (select 8) or CE1 (select 7), byte by byte: subclasses
    implement `on_byte(index, byte)` and queue answers with `tx_word`."""

    def __init__(self, factory: MockFactory, select: int = 8, **kwargs: Any) -> None:
        pwm = issubclass(factory.pin_class, MockPWMPin)
        self.clock_pin = factory.pin(11, pin_class=ClockPin if pwm else MockSPIClockPin)
        self.mosi_pin = factory.pin(10)
        self.miso_pin = factory.pin(9)
        self.select_pin = factory.pin(select, pin_class=SelectPin if pwm else MockSPISelectPin)
        self.clock_polarity = self.clock_phase = self.lsb_first = self.select_high = False
        self.bits_per_word = 8
        self.rx_bit, self.rx_buf, self.tx_buf = 0, [], []
        self.clock_pin.spi_devices.append(self)
        self.select_pin.spi_device = self
        self.index = 0

    def on_clock(self) -> None:
        # MockSPIDevice.on_clock, reading the levels as bools (PWM mock pins hold floats).
        if self.select_pin.state != self.select_high:
            return
        if bool(self.clock_pin.state) ^ self.clock_polarity ^ self.clock_phase:
            self.rx_bit += 1
            self.rx_buf.append(int(bool(self.mosi_pin.state)))
            bit = self.tx_buf.pop(0) if self.tx_buf else 0
            self.miso_pin.drive_high() if bit else self.miso_pin.drive_low()
            self.on_bit()

    def on_start(self) -> None:
        super().on_start()
        self.index = 0

    def on_bit(self) -> None:
        if len(self.rx_buf) == 8:
            byte = self.rx_word()
            self.rx_buf = []
            self.on_byte(self.index, byte)
            self.index += 1

    def on_byte(self, index: int, byte: int) -> None:
        raise NotImplementedError
