"""Touch: capacitive pads (an MPR121, 12 pads): any object a visitor touches is a button.

`<id>.touched` and `<id>.released` carry the pad: its name from `pads = {owl = 0}`, or
its number. A pad that reads as touched for longer than `recalibrate_after` seconds
(its wire runs along metal, the object was moved) is recalibrated by the backend and
`<id>.recalibrated` names it, so the log says why a pad went quiet.

On a Raspberry Pi the MPR121 sits on I2C1 (SDA GPIO2, SCL GPIO3); `address` is set by
its ADDR pin: 0x5A (to GND, the default), 0x5B (3.3 V), 0x5C (SDA), 0x5D (SCL).
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import CommandError, Device
from museokit.core.options import Option

PADS = 12


class Touch(Device):
    kind = "touch"
    role = "input"
    pins = ()
    on_bus = True
    summary = "capacitive touch pads (MPR121, 12 on I2C): touch an object to trigger"
    events = ("touched", "released", "recalibrated")
    sim_actions = ("touch", "release")
    signals = ("touch",)
    wiring = {"gpio": "an MPR121 breakout on I2C1: SDA to GPIO2 (header pin 3), SCL to GPIO3 "
                      "(pin 5), 3.3 V and GND; each pad by a wire to an object (foil, a screw)",
              "sim": "pads to touch in the simulator window, or `touch pads owl` typed"}
    example = ('[[devices]]\nid = "pads"\nkind = "touch"      # an MPR121 on I2C1\n'
               'pads = { owl = 0, vase = 3 }\n')
    options = {
        "address": Option(int, 0x5A, "the MPR121's I2C address, set by its ADDR pin: 0x5A (GND), "
                          "0x5B (3.3 V), 0x5C (SDA), 0x5D (SCL)", min=0x5A, max=0x5D),
        "pads": Option(dict, {}, "names for the pads: pads = {owl = 0, vase = 3}", item=int,
                       min=0, max=PADS - 1),
        "recalibrate_after": Option(float, 30.0, "seconds a pad may read as touched before it "
                                    "is recalibrated (and reported)", min=0.2, max=3600),
        "poll": Option(float, 0.05, "seconds between two reads of the pads", min=0.01, max=1),
    }

    def open(self) -> None:
        self.channel: InputChannel = self.open_input(
            "touch", **{key: self.opts[key] for key in ("address", "recalibrate_after", "poll")})
        self._names = {number: name for name, number in self.opts["pads"].items()}
        self._mask = 0
        self.set_state(label="idle", touched=[])

    @property
    def touched(self) -> list[Any]:
        """The pads touched now (names where given, else numbers)."""
        return [self._pad(p) for p in range(PADS) if self._mask >> p & 1]

    @property
    def is_active(self) -> bool:
        return bool(self._mask)

    value = touched

    def _pad(self, number: int) -> Any:
        return self._names.get(number, number)

    def on_input(self, value: Any) -> None:
        mask, recalibrated = value if isinstance(value, tuple) else (value, ())
        mask = int(mask or 0) & 0x0FFF
        old, self._mask = self._mask, mask
        for pad in range(PADS):
            bit = 1 << pad
            if mask & bit and not old & bit:
                self.emit("touched", self._pad(pad))
            elif old & bit and not mask & bit:
                self.emit("released", self._pad(pad))
        if recalibrated:
            self.emit("recalibrated", [self._pad(p) for p in recalibrated])
        self.set_state(label="touched" if mask else "idle", touched=self.touched)

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """`touch PAD` / `release PAD`: a pad by name or number (all pads if none given)."""
        if arg is None or not arg.strip():
            bits = 0x0FFF if action == "release" else 1
        else:
            bits = 1 << self._number(arg.strip())
        return [self._mask | bits if action == "touch" else self._mask & ~bits]

    def _number(self, pad: str) -> int:
        by_name = {name: number for number, name in self._names.items()}
        if pad in by_name:
            return int(by_name[pad])
        if pad.isdigit() and int(pad) < PADS:
            return int(pad)
        names = ", ".join(by_name) or "none"
        raise CommandError(f"{self.id} has no pad {pad!r}: pads are 0-{PADS - 1} (named: {names})")
