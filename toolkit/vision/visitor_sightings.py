"""What a simulated visitor shows a camera, handed to its triggers without any picture.

`show cam marker 7`, `show cam presence shelf`, `show cam qr hello`, `hide cam marker 7`,
`hide cam` (everything): a scenario line, a virtual visitor of a gallery day, the console
or MQTT (`…/cam/sim/show`). This is injection at the trigger level, chosen over
composing frames because the triggers' own `settle` (place/removal delays, dwell,
debouncing) is the part a behaviour depends on, and it then costs nothing per frame: a
gallery day of 2000 visitors at the camera runs thousands of times faster than real time,
where drawing and decoding 288,000 frames would run at about 60x. The image side of
each trigger is tested on drawn frames (`sim_source` scripts, tests/test_vision_*).

`settle` is called when what is shown changes (once with what was shown until now, once
with what is shown from now) and again just after each of the triggers' time options
(`place_after`, `removal_delay`, `dwell`...) have passed, which is when a frame-by-frame
camera could first see a difference.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from museokit.core.loop import Loop
from museokit.vision.trigger import Sighting, Trigger

Emit = Callable[[list[list[Sighting]], float], object]


def parse_sighting(arg: str | None) -> Sighting | None:
    """`"marker 7"` -> ("marker", 7); `"presence shelf"` -> ("presence", "shelf"); None: all."""
    if arg is None or not arg.strip():
        return None
    kind, _, value = arg.strip().partition(" ")
    value = value.strip()
    parsed: Any = int(value) if value.lstrip("-").isdigit() else (value or None)
    return kind, parsed


class VisitorSightings:
    def __init__(self, loop: Loop, triggers: list[Trigger], settle: Emit) -> None:
        self.loop = loop
        self.triggers = triggers
        self.settle = settle
        self.shown: dict[Hashable, Sighting] = {}
        delays = {float(v) for t in triggers for v in t.opts.values()
                  if isinstance(v, int | float) and not isinstance(v, bool) and 0 < v <= 3600}
        self.delays = sorted(delays)

    def apply(self, action: str, sighting: Sighting | None) -> None:
        now = self.loop.clock.monotonic()
        self._settle(now)  # what was shown until now, seen for the last time now
        if action == "show" and sighting is not None:
            self.shown[sighting] = sighting
        elif sighting is None:
            self.shown.clear()
        else:
            self.shown.pop(sighting, None)
        self._settle(now)
        for delay in self.delays:
            self.loop.call_later(delay + 1e-6, self._tick, name="camera visitor sightings")

    def _tick(self) -> None:
        self._settle(self.loop.clock.monotonic())

    def _settle(self, now: float) -> None:
        self.settle([[s for s in self.shown.values() if s[0] == t.kind] for t in self.triggers], now)
