"""The gpio backend: museokit devices on a Raspberry Pi's own pins and buses, through gpiozero.

This module is what the `museokit.backends` entry point names, and it imports no
hardware library: `museokit check` asks it what the Pi can serve (`gpio_serves`)
without loading gpiozero, so checking a button-and-LED piece stays fast on a Pi
Zero. The runtime opens `GpioBackend.opened_as()`, the backend at work,
`gpio_zero.ZeroBackend`, which imports gpiozero.
"""

from __future__ import annotations

from typing import Any

from museokit.backends.gpio_serves import GpioServes
from museokit.core.backend import Backend


class GpioBackend(GpioServes):
    @classmethod
    def opened_as(cls) -> type[Backend]:
        """The backend at work, which imports gpiozero."""
        from museokit.backends.gpio_zero import ZeroBackend

        return ZeroBackend


def pin_factory() -> Any:
    """gpiozero's pin factory, chosen its own way (see gpio_zero.pin_factory)."""
    from museokit.backends.gpio_zero import pin_factory as zero_factory

    return zero_factory()
