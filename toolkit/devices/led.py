"""Led: on, off, toggle, brightness, blink and pulse (pulse and brightness need pwm = true).

The logic drives a list of channels, each at a fixed share of the LED's level
(`_shares`): one channel at 1.0 here, three at the colour's red, green and blue
for an RGB LED (`museokit.devices.rgb_led`), so both dim, blink and pulse alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from museokit.core.backend import OutputChannel
from museokit.core.device import CommandError, Device, command
from museokit.core.options import COUNT, SECONDS, Option
from museokit.core.waveforms import Blink, Pulse

#: A brightness; out-of-range levels are clamped to 0..1, anything not a number refused.
LEVEL = Option(float, 1.0, "level, 0..1")


class Led(Device):
    kind = "led"
    role = "output"
    summary = "an LED (or any lamp through a transistor); pwm = true for dimming"
    events = ("finished",)
    signals = ("digital", "pwm")
    wiring = {"gpio": "pin → 330 Ω resistor → LED's long leg; short leg to ground",
              "serial": "board pin → 220 Ω resistor → LED → GND; `pwm = true` needs a PWM pin "
                        "(Uno: D3 D5 D6 D9 D10 D11)"}
    options = {
        "pwm": Option(bool, False, "dimmable: brightness and pulse need it"),
        "active_high": Option(bool, True, "false if the LED lights when the pin is low"),
        "brightness": Option(float, 1.0, "level of `on`, 0..1 (pwm only)", min=0, max=1),
    }

    def open(self) -> None:
        self.channel: OutputChannel = self.open_output(
            "pwm" if self.opts["pwm"] else "digital", active_high=self.opts["active_high"])
        self.channels = [self.channel]
        self._level = 0.0
        self._write(0.0, "off")

    def _shares(self) -> Sequence[float]:
        """Each channel's share of the LED's level, in the order of `channels`."""
        return (1.0,)

    def sleep(self) -> None:
        self.off()
        super().sleep()

    @property
    def value(self) -> float:
        return self._level

    @property
    def is_lit(self) -> bool:
        return self._level > 0 or self.label in ("blinking", "pulsing")

    is_active = is_lit

    @command
    def on(self) -> None:
        """Light up (at the configured brightness)."""
        self._write(self.opts["brightness"] if self.opts["pwm"] else 1.0, "on")

    @command
    def off(self) -> None:
        """Go dark (stops a blink or pulse)."""
        self._write(0.0, "off")

    @command
    def toggle(self) -> None:
        """Off if lit (or blinking), else on."""
        if self.label == "off":
            self.on()
        else:
            self.off()

    @command
    def brightness(self, level: float) -> None:
        """Set the level, 0..1."""
        self._need_pwm("brightness")
        level = min(1.0, max(0.0, LEVEL.check("level", level, CommandError)))
        self._write(level, "on" if level > 0 else "off")

    @command
    def blink(self, on_time: float = 0.5, off_time: float = 0.5, n: int | None = None) -> None:
        """Blink `n` times (forever without n), then turn off and emit `finished`."""
        self._animate(Blink(SECONDS.check("on_time", on_time, CommandError),
                            SECONDS.check("off_time", off_time, CommandError), _count(n),
                            self._on_level()),
                      "blinking")

    @command
    def pulse(self, fade_in: float = 1.0, fade_out: float = 1.0, n: int | None = None) -> None:
        """Fade in and out smoothly, `n` times or forever."""
        self._need_pwm("pulse")
        self._animate(Pulse(SECONDS.check("fade_in", fade_in, CommandError),
                            SECONDS.check("fade_out", fade_out, CommandError), _count(n),
                            self._on_level()),
                      "pulsing")

    def _on_level(self) -> float:
        return float(self.opts["brightness"]) if self.opts["pwm"] else 1.0

    @classmethod
    def check_command(cls, name: str, opts: dict[str, Any]) -> str | None:
        if name in ("pulse", "brightness") and not opts["pwm"]:
            return (f"{name} needs a dimmable LED; set pwm = true on the device in "
                    "installation.toml (and wire it to a PWM pin)")
        return None

    def _need_pwm(self, what: str) -> None:
        problem = self.check_command(what, self.opts)
        if problem:
            raise CommandError(f"{self.id}: {problem}")

    def _write(self, level: float, label: str) -> None:
        self.cancel("pattern")
        self._level = level
        for channel, share in zip(self.channels, self._shares(), strict=True):
            channel.write(level * share if self.opts["pwm"] else level * share > 0)
        self.set_state(label=label, value=level, pattern=None)

    def _animate(self, pattern: Blink | Pulse, label: str) -> None:
        self.cancel("pattern")
        for channel, share in zip(self.channels, self._shares(), strict=True):
            channel.animate(pattern if share == 1.0 else
                            dataclasses.replace(pattern, level=pattern.level * share))
        self._level = 0.0
        self.set_state(label=label, value=None, pattern=repr(pattern))
        if pattern.duration is not None:
            self.later("pattern", pattern.duration, self._pattern_done)

    def _pattern_done(self) -> None:
        self._write(0.0, "off")
        self.emit("finished")


def _count(n: int | None) -> int | None:
    """`n` checked as a repeat count; None means forever."""
    return None if n is None else int(COUNT.check("n", n, CommandError))
