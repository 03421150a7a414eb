"""gpiozero's own mock pins for tests of the gpio backend: a MockFactory fixture, an
MCP3008 on the mock SPI bus, and a wait for readings made on gpiozero's threads."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import gpiozero
import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin, MockSPIDevice, MockTriggerPin

from museokit.sim.harness import Harness


@pytest.fixture
def pins() -> Iterator[MockFactory]:
    """A fresh MockFactory as gpiozero's pin factory, every pin PWM-capable like lgpio's.

    gpiozero's MockFactory refuses to mix PWM and plain mock pins, so a test that needs
    plain ones (no PWM at all, or the SPI pins of an MCP3008) sets `pins.pin_class = MockPin`.
    """
    factory = MockFactory(pin_class=MockPWMPin)
    gpiozero.Device.pin_factory = factory
    yield factory
    factory.reset()
    gpiozero.Device.pin_factory = None


class MockMCP3008(MockSPIDevice):
    """The chip side of an MCP3008 on SPI0 CE0: answers single-ended reads of `voltages`.

    gpiozero's MCP3008 bit-bangs SPI over the mock clock/MOSI/MISO/select pins, so the
    real gpiozero read path runs: start bit, single/diff bit, 3 channel bits, then 10 bits
    of result (after one null bit) clocked out on MISO.
    """

    def __init__(self, vref: float = 3.3) -> None:
        super().__init__(clock_pin=11, mosi_pin=10, miso_pin=9, select_pin=8)
        self.vref = vref
        self.voltages = [0.0] * 8
        self.phase = "idle"

    def on_start(self) -> None:
        super().on_start()
        self.phase = "idle"

    def on_bit(self) -> None:
        if self.phase == "idle":
            if self.rx_buf[-1]:
                self.phase, self.rx_buf = "mode", []
        elif self.phase == "mode":
            self.phase, self.rx_buf = ("single" if self.rx_buf[-1] else "diff"), []
        elif self.phase in ("single", "diff"):
            if len(self.rx_buf) == 3:
                volts = min(self.vref, max(0.0, self.voltages[self.rx_word()]))
                self.tx_word(round(volts / self.vref * 1023), 12)
                self.phase = "result"
        elif not self.tx_buf:
            self.phase, self.rx_buf = "idle", []


def wait_for(h: Harness, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let gpiozero's threads (echo timing, the poller) work until `condition()` holds,
    running the virtual loop meanwhile; fails the test after `timeout` real seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        time.sleep(0.01)
        h.run_for(0.01)


class TriggerPin(MockTriggerPin, MockPWMPin):
    """gpiozero's HC-SR04 trigger pin (it drives the echo pin high for `echo_time` seconds
    when triggered), as a PWM-capable pin so it can share the factory with PWM outputs."""


def hc_sr04(factory: MockFactory, trigger: int, echo: int, echo_time: float) -> TriggerPin:
    """An HC-SR04 on mock pins: its echo lasts `echo_time` s (343.26 m/s: 0.01 s is 172 cm)."""
    echo_pin = factory.pin(echo)
    pin: TriggerPin = factory.pin(trigger, pin_class=TriggerPin, echo_pin=echo_pin,
                                  echo_time=echo_time)
    return pin
