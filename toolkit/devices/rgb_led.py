"""RgbLed: a three-colour LED (gpiozero's RGBLED): on, off, color, brightness, blink, pulse.

It opens three ordinary `pwm` outputs (`digital` with pwm = false), one per colour
pin, rather than a signal of its own: every backend already has them (the sim,
gpiozero's PWMOutputDevice, a board's PWM pins), so an RGB LED works wherever an
LED does, and a third-party backend needs nothing new. The colour is each
channel's share of the LED's level (`Led._shares`), so blink and pulse are the
LED's own patterns scaled per colour. The three channels are opened `in_step`:
a backend that could run a pattern in its own thread per pin (gpiozero) steps
it on the loop's clock instead, so red, green and blue never drift apart.

A common-anode LED (long leg to 3.3 V) lights a colour when its pin is low:
`common_anode = true` opens the pins active-low, as gpiozero's `active_high=False`.
Without pwm, a colour shows each component that is not 0 at full strength
(8 colours).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from museokit.core.colors import RGB, hex_color
from museokit.core.device import command
from museokit.core.options import Option
from museokit.devices.led import Led
from museokit.devices.pixels import color_arg

WHITE: RGB = (255, 255, 255)


class RgbLed(Led):
    kind = "rgb_led"
    summary = "a three-colour (RGB) LED on three pins: colours, dimming, blink and pulse"
    pins = ("red", "green", "blue")
    wiring = {"gpio": "each colour leg through its own 330 Ω resistor to its pin; the common leg "
                      "to ground (or to 3.3 V with `common_anode = true`)",
              "serial": "each colour leg through its resistor to a PWM pin (Uno: D3 D5 D6 D9 D10 "
                        "D11); the common leg to GND (or 5 V with `common_anode = true`)"}
    options = {
        "pwm": Option(bool, True, "dimmable colours; false: 8 colours, no pulse or brightness"),
        "common_anode": Option(bool, False, "true if the LED's common (long) leg goes to 3.3 V: "
                               "a colour then lights when its pin is low"),
        "brightness": Led.options["brightness"],
        "color": Option("color", WHITE, "colour of `on`: a name ('warm'), '#rrggbb' or [r, g, b]"),
    }

    def open(self) -> None:
        self._color: RGB = self.opts["color"]
        signal = "pwm" if self.opts["pwm"] else "digital"
        self.channels = [self.open_output(signal, key, active_high=not self.opts["common_anode"],
                                          in_step=True) for key in self.pins]
        self.channel = self.channels[0]
        self._level = 0.0
        self.set_state(color=hex_color(self._color))
        self._write(0.0, "off")

    def _shares(self) -> Sequence[float]:
        return tuple(c / 255 for c in self._color)

    @property
    def value(self) -> tuple[float, float, float]:  # type: ignore[override]
        """(red, green, blue), 0..1 each, as gpiozero's RGBLED; (0, 0, 0) while off or animating."""
        r, g, b = (self._level * share for share in self._shares())
        return (r, g, b)

    @command
    def color(self, color: Any) -> None:
        """Light up in `color`: a name ('red', 'warm'), '#rrggbb' or [r, g, b]."""
        self._set_color(color)
        self.on()

    @command
    def blink(self, on_time: float = 0.5, off_time: float = 0.5, n: int | None = None,
              color: Any = None) -> None:
        """Blink `n` times (forever without n), in `color` if given, then off and `finished`."""
        self._set_color(color)
        super().blink(on_time, off_time, n)

    @command
    def pulse(self, fade_in: float = 1.0, fade_out: float = 1.0, n: int | None = None,
              color: Any = None) -> None:
        """Fade in and out, `n` times or forever, in `color` if given (needs pwm)."""
        self._need_pwm("pulse")
        self._set_color(color)
        super().pulse(fade_in, fade_out, n)

    def _set_color(self, color: Any) -> None:
        if color is not None:
            self._color = color_arg(color)
            self.set_state(color=hex_color(self._color))
