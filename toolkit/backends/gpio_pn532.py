"""PN532 readers on the Pi's I2C1 (SDA GPIO2, SCL GPIO3), through smbus2 (`reader = "pn532"`).

The board's mode switches go to I2C (on most boards: SEL0 = 1, SEL1 = 0).
"""

from __future__ import annotations

from typing import Any

from museokit.backends.chips.pn532 import ADDRESS, FrameError, Pn532
from museokit.backends.chips.polling import ChipInput, Unsure
from museokit.backends.gpio_serves import claim
from museokit.core.backend import Backend, BackendError, Sink

I2C_BUS = 1


def pn532(backend: Backend, device_id: str, sink: Sink, params: dict[str, Any]) -> ChipInput:
    try:
        import smbus2
    except ImportError:
        raise BackendError(f"{device_id}: the smbus2 package is missing: pip install "
                           "'museokit[gpio]'") from None
    claim(backend, f"I2C address {ADDRESS:#04x}", device_id, (),
          "a PN532 always answers at 0x24: one PN532 per I2C bus")
    try:
        bus = smbus2.SMBus(I2C_BUS)
    except OSError as exc:
        raise BackendError(f"{device_id}: cannot open /dev/i2c-{I2C_BUS} ({exc}); turn I2C on "
                           "(raspi-config, Interface Options)") from None

    def write(data: bytes) -> None:
        bus.i2c_rdwr(smbus2.i2c_msg.write(ADDRESS, data))

    def read(count: int) -> bytes:
        msg = smbus2.i2c_msg.read(ADDRESS, count)
        bus.i2c_rdwr(msg)
        return bytes(msg)

    chip = Pn532(write, read)

    def read_uid() -> str | None:
        try:
            return chip.read_uid()
        except FrameError:
            raise Unsure() from None  # a garbled answer says nothing: keep what was there

    wiring = (f"PN532 at I2C address {ADDRESS:#04x} (SDA to GPIO2, SCL to GPIO3, 3.3 V, its mode "
              "switches on I2C)")
    return ChipInput(backend, device_id, sink, wiring, chip.init, read_uid,
                     float(params.get("poll", 0.1)), bus.close)
