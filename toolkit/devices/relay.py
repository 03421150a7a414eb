"""Relay: switch a lamp, a fan, a motor or a smoke machine on and off, or for a while."""

from __future__ import annotations

from museokit.core.backend import OutputChannel
from museokit.core.device import CommandError, Device, command
from museokit.core.options import SECONDS, Option


class Relay(Device):
    kind = "relay"
    role = "output"
    summary = "a relay module (or a MOSFET) switching mains or motor power"
    events = ("finished",)
    signals = ("digital",)
    wiring = {"gpio": "relay module IN to the pin, VCC to 5 V, GND to ground; the load on COM "
                      "and NO (mains: an enclosed, certified module only)",
              "serial": "relay module IN to the board pin, VCC 5 V, GND; the load on COM and NO"}
    options = {
        "active_high": Option(bool, True, "false for relay boards that switch on when the pin "
                              "is low (many cheap ones); if the relay clicks on at start, "
                              "flip this"),
    }

    def open(self) -> None:
        self.channel: OutputChannel = self.open_output("digital",
                                                       active_high=self.opts["active_high"])
        self._set(False)

    def sleep(self) -> None:
        self.off()
        super().sleep()

    # gpiozero vocabulary
    @property
    def value(self) -> int:
        return int(self._on)

    @property
    def is_active(self) -> bool:
        return self._on

    @command
    def on(self) -> None:
        """Switch on (and stay on)."""
        self._set(True)

    @command
    def off(self) -> None:
        """Switch off (cancels a pulse)."""
        self._set(False)

    @command
    def toggle(self) -> None:
        """Off if on, else on."""
        self._set(not self._on)

    @command
    def pulse(self, seconds: float) -> None:
        """Switch on for `seconds`, then off, emitting `finished`."""
        duration = SECONDS.check("seconds", seconds, CommandError)
        self._set(True, "pulsing")
        self.later("finish", duration, self._finished)

    def _finished(self) -> None:
        self._set(False)
        self.emit("finished")

    def _set(self, on: bool, label: str | None = None) -> None:
        self.cancel("finish")
        self._on = on
        self.channel.write(on)
        self.set_state(label=label or ("on" if on else "off"), value=on)
