"""DistanceSensor (ultrasonic, HC-SR04 and friends): distance in cm, and zones.

Readings are smoothed with a median over the last `smoothing` readings, which
drops the odd echo from a coat or a wall without lagging like an average would.
"No echo" and readings beyond `max_distance` count as *nothing in range*.

Zones are named by their far edge, `zones = {near = 50, far = 150}`: *near* is
closer than 50 cm, *far* from 50 to 150 cm, and beyond that is no zone. Someone
is in one zone at a time; moving from one to another fires `left` with the old
zone's name, then `entered` with the new one's. A reading must lie `hysteresis`
cm past a zone's edge to count, so a visitor standing on a boundary does not make
the installation flap.
"""

from __future__ import annotations

import math
from collections import deque
from statistics import median_high
from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import Device
from museokit.core.options import Option
from museokit.devices.analog import Bands, parse_reading


class DistanceSensor(Device):
    kind = "distance"
    role = "input"
    summary = "an ultrasonic distance sensor (HC-SR04): distance in cm, zone entered/left"
    pins = ("trigger", "echo")
    events = ("entered", "left")
    sim_actions = ("value",)
    signals = ("distance",)
    wiring = {"gpio": "HC-SR04 VCC to 5 V, TRIG to `trigger`, ECHO to `echo` through a divider "
                      "(1 kΩ then 2 kΩ to ground): ECHO is 5 V, the Pi takes 3.3 V",
              "serial": "TRIG and ECHO straight to two board pins (an Uno is 5 V), VCC 5 V"}
    options = {
        "max_distance": Option(float, 200.0, "farthest reading in cm that counts; beyond it is "
                               "'nothing in range' (HC-SR04s are reliable to about 300)",
                               min=2, max=600),
        "smoothing": Option(int, 5, "median of this many readings: higher is steadier but "
                            "slower to react; 1 turns smoothing off", min=1, max=50),
        "zones": Option(dict, {}, "named zones by their far edge in cm: {near = 50, far = 150} "
                        "makes near closer than 50 cm and far from 50 to 150 cm", item=float, min=0),
        "hysteresis": Option(float, 5.0, "cm a reading must go past a zone's edge to count, so a "
                             "visitor on the boundary does not flap", min=0),
    }

    def open(self) -> None:
        self.channel: InputChannel = self.open_input("distance", "trigger",
                                                     echo=self.pin_refs.get("echo"),
                                                     max_distance=self.opts["max_distance"])
        zones = sorted(self.opts["zones"].items(), key=lambda item: item[1])
        self._zone_names: list[str | None] = [name for name, _ in zones] + [None]
        self._zones = Bands([edge for _, edge in zones], self.opts["hysteresis"],
                            start=len(zones))
        self._readings: deque[float] = deque(maxlen=self.opts["smoothing"])
        self._distance: float | None = None
        self.set_state(label="clear", distance=None, zone=None)

    # gpiozero vocabulary (but in cm, the unit makers measure a gallery in)
    @property
    def distance(self) -> float | None:
        """Smoothed distance in cm, or None when nothing is in range."""
        return self._distance

    @property
    def value(self) -> float:
        """Distance as a fraction of max_distance: 1.0 when nothing is in range."""
        return 1.0 if self._distance is None else self._distance / self.opts["max_distance"]

    @property
    def in_range(self) -> bool:
        return self._distance is not None

    @property
    def zone(self) -> str | None:
        """The zone someone is in, or None."""
        return self._zone_names[self._zones.index]

    def on_input(self, value: Any) -> None:
        reading = math.inf if value is None else float(value)
        if not 0 <= reading <= self.opts["max_distance"]:
            reading = math.inf
        self._readings.append(reading)
        smoothed = median_high(self._readings)
        self._distance = None if smoothed == math.inf else smoothed
        before = self.zone
        if self._zones.update(smoothed):
            if before is not None:
                self.emit("left", before)
            if self.zone is not None:
                self.emit("entered", self.zone)
        rounded = None if self._distance is None else round(self._distance)
        self.set_state(label=self.zone or "clear", distance=rounded, zone=self.zone)

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """A visitor standing at `arg` cm: enough equal readings to fill the smoothing."""
        reading = parse_reading(self, arg, "a distance in cm (like 'value 80'), or 'none' when "
                                "nothing is in range", allow_none=True)
        return [reading] * self.opts["smoothing"]
