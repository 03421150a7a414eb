"""MotionSensor (PIR): `motion` when someone arrives, `no_motion` once they have gone.

PIR modules pulse their output while they see movement. Each pulse restarts a
retrigger window; `no_motion` fires only when the window passes with no pulse,
so a visitor standing almost still does not flicker the installation.
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import CommandError, Device
from museokit.core.options import Option


class MotionSensor(Device):
    kind = "motion"
    role = "input"
    summary = "a PIR presence sensor (HC-SR501 and friends)"
    events = ("motion", "no_motion")
    sim_actions = ("motion",)
    signals = ("digital",)
    wiring = {"gpio": "PIR VCC to 5 V (pin 2), GND to ground, OUT to the pin (OUT is 3.3 V: safe)",
              "serial": "PIR VCC to 5 V, GND to GND, OUT to the board pin"}
    options = {
        "retrigger": Option(float, 5.0, "seconds without a pulse before `no_motion`", min=0),
        "pull_up": Option(bool, False, "PIR outputs drive the line: leave false"),
    }

    def open(self) -> None:
        self.channel: InputChannel = self.open_input("digital", pull_up=self.opts["pull_up"])
        self._active = False
        self.set_state(label="still", motion=False)

    @property
    def motion_detected(self) -> bool:
        return self._active

    is_active = motion_detected

    @property
    def value(self) -> int:
        return int(self._active)

    def on_input(self, value: Any) -> None:
        if not value:
            if self._active:
                self.later("retrigger", self.opts["retrigger"], self._gone)
            return
        self.cancel("retrigger")
        if not self._active:
            self._active = True
            self.set_state(label="motion", motion=True)
            self.emit("motion")

    def _gone(self) -> None:
        self._active = False
        self.set_state(label="still", motion=False)
        self.emit("no_motion")

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        if action == "motion":
            return [True, False]
        raise CommandError(f"a motion sensor can only see 'motion', not {action!r}")
