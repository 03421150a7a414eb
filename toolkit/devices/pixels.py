"""PixelStrip: an addressable LED strip or ring (WS2812 / NeoPixel).

Colours are names (`red`, `warm`), `#rrggbb` or `[r, g, b]`. Animations are
`museokit.core.waveforms.PixelAnimation` patterns (chase, breathe, rainbow,
blink): the backend runs them, so nothing ticks in a simulation.

On a Raspberry Pi (the gpio backend) the strip's DIN goes to GPIO10 (SPI0 MOSI, or
GPIO20 for SPI1): the SPI method works on every Pi, a Pi 5 too, without root. On a
Pi 4 or older, `method = "pwm"` drives it from GPIO18 through rpi_ws281x (as root).
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import OutputChannel
from museokit.core.colors import RGB, hex_color, parse_color
from museokit.core.device import CommandError, Device, command
from museokit.core.options import Option
from museokit.core.suggest import suggest
from museokit.core.waveforms import PixelAnimation

#: Colour orders strips are wired in (as in museokit.backends.chips.ws2812_spi).
ORDERS = ("GRB", "RGB", "BRG", "RBG", "GBR", "BGR", "GRBW", "RGBW")

BLACK: RGB = (0, 0, 0)
PERIOD = Option(float, 2.0, "seconds", min=0.05)


def color_arg(raw: Any) -> RGB:
    try:
        return parse_color(raw)
    except ValueError as exc:
        raise CommandError(f"color: {exc}") from None


class PixelStrip(Device):
    kind = "pixels"
    role = "output"
    summary = "an addressable LED strip or ring (WS2812, NeoPixel): colours and animations"
    signals = ("pixels",)
    example = ('[serial]\nboards = { plinth = "3FA29C01" }   # `museokit boards` lists the ids\n\n'
               '[[devices]]\nid = "ring"\nkind = "pixels"\nbackend = "serial"\nboard = "plinth"\n'
               'pin = "D6"\ncount = 12\n')
    wiring = {"serial": "DIN through a 330 Ω resistor to the board pin; 5 V supply sized for the "
                        "strip (60 mA per pixel at full white), grounds joined; AVR: one strip, "
                        "≤ 60 pixels"}
    options = {
        "count": Option(int, 8, "how many pixels the strip or ring has", min=1, max=1024),
        "order": Option(str, "GRB", "the strip's colour order: GRB for WS2812B, GRBW for SK6812 "
                        "RGBW (if red shows green, swap GRB and RGB)", choices=ORDERS),
        "method": Option(str, "spi", "on the Pi: spi (DIN on GPIO10, every Pi) or pwm "
                         "(rpi_ws281x on GPIO18, Pi 4 and older, root)", choices=("spi", "pwm")),
        "spi_bits": Option(int, 3, "SPI bits per strip bit: 3 (2.4 MHz) or 4 (3.2 MHz, for "
                           "strips that misread at 3)", min=3, max=4),
    }
    #: `pin` is a bus line (SPI MOSI) when the strip is driven through SPI.
    bus_pin_keys = ("pin",)

    def open(self) -> None:
        self.count: int = self.opts["count"]
        self.channel: OutputChannel = self.open_output(
            "pixels", **{key: self.opts[key] for key in ("count", "order", "method", "spi_bits")})
        self._frame: list[RGB] = [BLACK] * self.count
        self._animation: PixelAnimation | None = None
        self._started = 0.0
        self._show(self._frame)

    def sleep(self) -> None:
        self.off()
        super().sleep()

    @property
    def value(self) -> tuple[RGB, ...]:
        """The colour of every pixel now (animations included)."""
        if self._animation is not None:
            return tuple(self._animation.frame_at(self.clock.monotonic() - self._started))
        return tuple(self._frame)

    @property
    def is_lit(self) -> bool:
        return self._animation is not None or any(p != BLACK for p in self._frame)

    is_active = is_lit

    @command
    def fill(self, color: Any) -> None:
        """Set every pixel to `color`."""
        self._show([color_arg(color)] * self.count)

    @command
    def set(self, index: int, color: Any) -> None:
        """Set pixel `index` (0 is the first) to `color`, keeping the others; stops an animation."""
        rgb = color_arg(color)
        index = Option(int, 0, "pixel", min=0, max=self.count - 1).check("index", index,
                                                                        CommandError)
        frame = list(self._frame)
        frame[index] = rgb
        self._show(frame)

    @command
    def off(self) -> None:
        """Every pixel dark (stops an animation)."""
        self._show([BLACK] * self.count)

    @command
    def animate(self, name: str, color: Any = "white", period: float = 2.0) -> None:
        """Run animation `name` (chase, breathe, rainbow, blink) in `color`, one cycle per `period` s."""
        if name not in PixelAnimation.NAMES:
            hint = suggest(str(name), PixelAnimation.NAMES) or "animations: " + ", ".join(
                PixelAnimation.NAMES)
            raise CommandError(f"no animation {name!r}; {hint}")
        pattern = PixelAnimation(name, self.count, color_arg(color),
                                 PERIOD.check("period", period, CommandError))
        self._animation, self._started = pattern, self.clock.monotonic()
        self.channel.animate(pattern)
        self.set_state(label=name, color=hex_color(pattern.color), animation=name)

    def _show(self, frame: list[RGB]) -> None:
        self._frame, self._animation = frame, None
        self.channel.write(list(frame))
        uniform = frame[0] if all(p == frame[0] for p in frame) else None
        self.set_state(label="on" if self.is_lit else "off",
                       color=None if uniform is None else hex_color(uniform), animation=None)
