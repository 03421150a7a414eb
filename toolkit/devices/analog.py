"""AnalogSensor (0..1): `above` / `below` a threshold, and `changed` readings.

Also home of what every reading-based sensor shares: `Bands` (which range a
reading is in, with hysteresis so a value wobbling on a boundary does not flap)
and `parse_reading` (a scenario's text argument as a number).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from museokit.core.arguments import excerpt
from museokit.core.backend import InputChannel
from museokit.core.device import CommandError, Device
from museokit.core.options import Option


class Bands:
    """Which of several ranges a reading is in, with hysteresis at each boundary.

    `bounds` are the sorted upper limits of every band but the last: (50, 150)
    makes the bands [-inf, 50), [50, 150) and [150, inf]. A reading changes the
    band only when it lies at least `margin` past the current band's edges.
    """

    def __init__(self, bounds: Sequence[float], margin: float, start: int = 0) -> None:
        self.bounds = tuple(bounds)
        self.margin = margin
        self.index = start

    def update(self, reading: float) -> bool:
        """Place `reading` in a band; True when that is a different band than before."""
        i, bounds = self.index, self.bounds
        low = bounds[i - 1] - self.margin if i > 0 else -math.inf
        high = bounds[i] + self.margin if i < len(bounds) else math.inf
        if low <= reading < high:
            return False
        self.index = bisect_right(bounds, reading)
        return True


def parse_reading(device: Device, arg: str | None, expected: str, *, low: float = 0.0,
                  high: float = math.inf, allow_none: bool = False) -> float | None:
    """A simulated reading from a scenario's text: a number from `low` to `high`, or
    `none` (no reading) when `allow_none`; anything else is refused saying `expected`."""
    text = (arg or "").strip().lower()
    if allow_none and text == "none":
        return None
    try:
        reading = float(text)
    except ValueError:
        reading = math.nan
    if not (math.isfinite(reading) and low <= reading <= high):
        raise CommandError(f"{device.id} ({device.kind}): 'value' needs {expected}, "
                           f"got {excerpt(repr(arg), 60)}")
    return reading


class AnalogSensor(Device):
    kind = "analog"
    role = "input"
    summary = "a sensor read as a level 0..1 (light, sound, a knob, pressure) through an ADC"
    events = ("above", "below", "changed")
    sim_actions = ("value",)
    signals = ("analog",)
    example = ('[[devices]]\nid = "light"\nkind = "analog"\nboard = "mcp3008"   '
               '# the ADC on the Pi\'s SPI0\npin = 0              # its channel 0\n')
    wiring = {"gpio": "the Pi has no analog pins: through an MCP3008 on SPI0, with "
                      "`board = \"mcp3008\"` and `pin` = its channel 0..7",
              "serial": "an analog pin of the board: `pin = \"A0\"` (A0..A5 on an Uno)"}
    options = {
        "threshold": Option(float, 0.5, "level (0..1) where `above` and `below` fire",
                            min=0, max=1),
        "hysteresis": Option(float, 0.05, "how far (0..0.5) past the threshold a reading must go "
                             "to count, so a noisy level near it does not flap", min=0, max=0.5),
        "change": Option(float, 0.0, "fire `changed` (with the level) whenever the level moves by "
                         "at least this much; 0 turns `changed` off", min=0, max=1),
    }

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        low, high = opts["threshold"] - opts["hysteresis"], opts["threshold"] + opts["hysteresis"]
        if low < 0 or high > 1:
            return [("hysteresis", f"threshold {opts['threshold']:g} ± hysteresis "
                     f"{opts['hysteresis']:g} reaches past 0..1, so one of `above`/`below` can "
                     "never fire; lower the hysteresis or move the threshold")]
        return []

    def open(self) -> None:
        self.channel: InputChannel = self.open_input("analog")
        self._value = 0.0
        self._reported = 0.0
        self._side = Bands((self.opts["threshold"],), self.opts["hysteresis"])
        self.set_state(label="below", value=0.0)

    # gpiozero vocabulary
    @property
    def value(self) -> float:
        return self._value

    @property
    def is_active(self) -> bool:
        """Above the threshold (with hysteresis)."""
        return self._side.index == 1

    def on_input(self, value: Any) -> None:
        self._value = level = min(1.0, max(0.0, float(value)))
        step = self.opts["change"]
        if step > 0 and abs(level - self._reported) >= step:
            self._reported = level
            self.emit("changed", round(level, 4))
        if self._side.update(level):
            self.emit("above" if self.is_active else "below", round(level, 4))
        self.set_state(label="above" if self.is_active else "below", value=round(level, 2))

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        return [parse_reading(self, arg, "a level from 0 to 1, like 'value 0.7'", high=1.0)]
