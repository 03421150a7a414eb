"""MPR121 touch controllers on the Pi's I2C1 (SDA GPIO2, SCL GPIO3), through smbus2.

The reader thread delivers `(mask, recalibrated)`: the pads touched as a bit mask,
and the pads it has just recalibrated because they read as touched for longer than
`recalibrate_after` seconds (reported once, with a warning naming them).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from museokit.backends.chips.mpr121 import PADS, Mpr121
from museokit.backends.chips.polling import ChipInput
from museokit.backends.gpio_serves import claim
from museokit.core.backend import Backend, BackendError, Sink

log = logging.getLogger("museokit.gpio")
I2C_BUS = 1


def mpr121(backend: Backend, device_id: str, sink: Sink, params: dict[str, Any]) -> ChipInput:
    try:
        import smbus2
    except ImportError:
        raise BackendError(f"{device_id}: the smbus2 package is missing: pip install "
                           "'museokit[gpio]'") from None
    address = int(params.get("address", 0x5A))
    claim(backend, f"I2C address {address:#04x}", device_id, (),
          "give each MPR121 its own address with its ADDR pin (0x5B: to 3.3 V)")
    try:
        bus = smbus2.SMBus(I2C_BUS)
    except OSError as exc:
        raise BackendError(f"{device_id}: cannot open /dev/i2c-{I2C_BUS} ({exc}); turn I2C on "
                           "(raspi-config, Interface Options)") from None
    chip = Mpr121(bus, address)
    stuck_after = float(params.get("recalibrate_after", 30.0))
    since = [0.0] * PADS

    def read() -> tuple[int, tuple[int, ...]]:
        mask, now = chip.touched(), time.monotonic()
        stuck = []
        for pad in range(PADS):
            if not mask >> pad & 1:
                since[pad] = 0.0
            elif not since[pad]:
                since[pad] = now
            elif now - since[pad] >= stuck_after:
                stuck.append(pad)
        if not stuck:
            return mask, ()
        log.warning("%s: pads %s read as touched for %.0f s: recalibrated; if it comes back, keep "
                    "their wires short and away from metal and mains cables", device_id,
                    ", ".join(map(str, stuck)), stuck_after)
        chip.recalibrate()
        for pad in stuck:
            since[pad] = 0.0
        return chip.touched(), tuple(stuck)

    wiring = (f"MPR121 at I2C address {address:#04x} (SDA to GPIO2, SCL to GPIO3, 3.3 V; ADDR "
              "sets the address)")
    return ChipInput(backend, device_id, sink, wiring, chip.init, read,
                     float(params.get("poll", 0.05)), bus.close)
