"""Small drivers for the chips makers wire to a Pi, one module per chip.

Each driver talks to its chip through a plain transfer function (SPI: a list of
bytes out, as many in) or an smbus2-style bus object, never a pin library, so the
same code runs on gpiozero's SPI (lgpio on a Pi 5, spidev on older Pis), on
smbus2, and in tests against register-level models of the chips (tests/chips/).
"""

from __future__ import annotations


class ChipSilent(OSError):
    """The chip does not answer: unplugged, unpowered or miswired."""
