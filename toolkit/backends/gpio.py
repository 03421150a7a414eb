"""The gpio backend: museokit devices on a Raspberry Pi's own pins and buses, through gpiozero.

This module is what the `museokit.backends` entry point names, and it imports no
hardware library: `museokit check` asks it what the Pi can serve (`gpio_serves`)
without loading gpiozero, so checking a button-and-LED piece stays fast on a Pi
Zero. Making a `GpioBackend` builds the backend at work, `gpio_zero.ZeroBackend`,
which imports gpiozero.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from museokit.backends import gpio_serves
from museokit.core.backend import Backend
from museokit.core.loop import Loop

if TYPE_CHECKING:
    from museokit.core.config import DeviceConfig

NO_GPIO = ("no GPIO here: this machine is not a Raspberry Pi (gpiozero found no pin library); "
           "`museokit run PATH --backend sim` simulates the devices, `museokit sim PATH` too")


class GpioBackend(Backend):
    name = "gpio"
    wiring = ("the Raspberry Pi's own header, pins by BCM number: `pin = 17`, `\"GPIO17\"` "
              "or `\"BOARD11\"` (header pin 11); the Pi's pins take 3.3 V, never 5 V")
    input_signals = gpio_serves.INPUT_SIGNALS
    output_signals = gpio_serves.OUTPUT_SIGNALS

    def __new__(cls, loop: Loop, options: dict[str, Any] | None = None) -> GpioBackend:
        if cls is GpioBackend:
            from museokit.backends.gpio_zero import ZeroBackend
            cls = ZeroBackend
        return super().__new__(cls)

    @classmethod
    def check_device(cls, device: DeviceConfig, opts: dict[str, Any]) -> list[tuple[str, str]]:
        return gpio_serves.check_device(cls, device, opts)

    @classmethod
    def check_together(cls, devices: list[DeviceConfig],
                       opts: dict[str, Any]) -> list[tuple[str, str, str]]:
        return gpio_serves.check_together(cls, devices, opts)


def pin_factory() -> Any:
    """gpiozero's pin factory, chosen its own way (see gpio_zero.pin_factory)."""
    from museokit.backends.gpio_zero import pin_factory as zero_factory
    return zero_factory()
