"""Encoder: a rotary knob (an incremental encoder, KY-040 and friends).

`<id>.rotated` carries the steps turned (positive clockwise), one event per detent on
the hardware; `position` counts them since the start. Its push switch is an ordinary
`button` device on the SW pin, with museokit's debounce, hold and clicks.
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import CommandError, Device


class Encoder(Device):
    kind = "encoder"
    role = "input"
    pins = ("a", "b")
    summary = "a rotary knob: turned clockwise or back, in steps (its push switch is a button)"
    events = ("rotated",)
    sim_actions = ("turn",)
    signals = ("rotary",)
    wiring = {"gpio": "CLK to `a`, DT to `b`, + to 3.3 V and GND to ground (a KY-040 module); "
                      "its SW pin is a separate `button` device"}

    def open(self) -> None:
        self.channel: InputChannel = self.open_input("rotary", "a", b=self.pin_refs.get("b"))
        self.position = 0
        self.set_state(label="0", position=0)

    @property
    def value(self) -> int:
        return self.position

    @property
    def is_active(self) -> bool:
        return False

    def on_input(self, value: Any) -> None:
        steps = int(value or 0)
        if not steps:
            return
        self.position += steps
        self.set_state(label=str(self.position), position=self.position)
        self.emit("rotated", steps)

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """`turn N`: N steps clockwise (negative: back); `turn` alone is one step."""
        text = (arg or "1").strip()
        try:
            steps = int(text)
        except ValueError:
            raise CommandError(f"{self.id}: turn takes a whole number of steps, got {text!r}") from None
        return [steps, 0]
