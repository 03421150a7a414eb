"""Servo: turn to an angle, like gpiozero's AngularServo.

The output's value is the pulse width in seconds: `min_pulse_width` at
`min_angle`, `max_pulse_width` at `max_angle`, in a straight line between. Set
`min_angle` above `max_angle` to turn the other way. The servo starts detached
(no pulses: it does not move or hold) until the first `angle`. Outside opening hours
it turns to `rest_angle` if given, then goes limp.
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import OutputChannel
from museokit.core.device import CommandError, Device, command
from museokit.core.options import Option

DEGREES = Option(float, 0.0, "degrees")
#: Seconds a servo gets to reach its rest angle before it goes limp.
REST_TIME = 1.0


class Servo(Device):
    kind = "servo"
    role = "output"
    summary = "a hobby servo (SG90, MG996R) turned to an angle"
    steady_pulses = True
    signals = ("servo",)
    wiring = {"gpio": "signal (orange) to the pin; power (red, brown) from its own 5 V supply, "
                      "grounds joined; the Pi times pulses in software: a board is steadier",
              "serial": "signal to the board pin; power from its own 5 V supply, grounds joined "
                        "(AVR: up to 4 servos)"}
    options = {
        "min_angle": Option(float, 0.0, "the angle (degrees) at min_pulse_width"),
        "max_angle": Option(float, 180.0, "the angle (degrees) at max_pulse_width"),
        "min_pulse_width": Option(float, 0.001, "pulse in seconds for min_angle (0.001 is "
                                  "1 ms; many servos turn further, down to 0.0005)",
                                  min=0.0001, max=0.01),
        "max_pulse_width": Option(float, 0.002, "pulse in seconds for max_angle (0.002 is "
                                  "2 ms; many servos turn further, up to 0.0025)",
                                  min=0.0001, max=0.01),
        "rest_angle": Option(float, None, "angle to turn to when the gallery closes, before the "
                             "servo goes limp; leave out to just go limp where it is"),
    }

    def open(self) -> None:
        self.channel: OutputChannel = self.open_output(
            "servo", min_pulse_width=self.opts["min_pulse_width"],
            max_pulse_width=self.opts["max_pulse_width"])
        self._width: float | None = None
        self.detach()

    def sleep(self) -> None:
        rest = self.opts["rest_angle"]
        if rest is None:
            self.detach()
        else:
            self.angle(rest)
            self.later("rest", REST_TIME, self._go_limp)
        super().sleep()

    @property
    def pulse_width(self) -> float | None:
        """Seconds, or None while detached."""
        return self._width

    @property
    def is_active(self) -> bool:
        """Driven to an angle (not detached)."""
        return self._width is not None

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        if opts["min_angle"] == opts["max_angle"]:
            return [("max_angle", f"min_angle and max_angle are both {opts['min_angle']:g}; set "
                     "them to the two ends of the servo's travel")]
        rest = opts["rest_angle"]
        low, high = sorted((opts["min_angle"], opts["max_angle"]))
        if rest is not None and not low <= rest <= high:
            return [("rest_angle", f"rest_angle {rest:g} is outside {low:g}..{high:g}; pick an "
                     "angle the servo can reach")]
        return []

    @command
    def angle(self, degrees: float) -> None:
        """Turn to `degrees`, between min_angle and max_angle, and hold there."""
        o = self.opts
        degrees = DEGREES.check("angle", degrees, CommandError)
        low, high = sorted((o["min_angle"], o["max_angle"]))
        if not low <= degrees <= high:
            raise CommandError(f"{self.id}: angle {degrees:g} is outside {low:g}..{high:g}; if the "
                               "servo turns further, widen min_angle/max_angle (and the pulse "
                               "widths) in installation.toml")
        span = (degrees - o["min_angle"]) / (o["max_angle"] - o["min_angle"])
        width = o["min_pulse_width"] + span * (o["max_pulse_width"] - o["min_pulse_width"])
        self._width = width
        self.channel.write(width)
        self.set_state(label="holding", angle=degrees, pulse_width=round(width, 6))

    @command
    def detach(self) -> None:
        """Stop sending pulses: the servo goes limp (and quiet)."""
        self._go_limp()

    def _go_limp(self) -> None:
        self._width = None
        self.channel.write(None)
        self.set_state(label="detached", angle=None, pulse_width=None)
