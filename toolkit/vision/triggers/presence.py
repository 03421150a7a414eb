"""Presence and dwell: `presence` (value: the zone) when someone arrives in a zone,
`dwell` ({zone, seconds}) once they have stayed `dwell` seconds, `left` when they go.

"Someone" is whatever differs from the learned background (OpenCV's MOG2 model,
shared with `count`): a visitor standing still stays *someone* for about
`background` seconds (a camera option) before the model takes them for
furniture.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame
from museokit.vision.trigger import FrameContext, Sighting, Sightings, Trigger


class Presence(Trigger):
    kind = "presence"
    summary = "someone in a zone, and how long they stay (dwell)"
    events = ("presence", "dwell", "left")
    options: ClassVar[dict[str, Option]] = {
        "min_area": Option(float, 0.05, "share of the zone a visitor must cover (0.05 = 5 %)",
                           min=0.001, max=1),
        "arrive_after": Option(float, 0.5, "seconds someone must be there before `presence`, so "
                               "a passer-by does not count", min=0),
        "dwell": Option(float, 3.0, "seconds of staying before `dwell`", min=0),
        "leave_after": Option(float, 1.5, "seconds the zone must be empty before `left`", min=0),
    }

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.sightings = Sightings(opts["arrive_after"], opts["leave_after"])
        self.dwelt: set[str] = set()

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        return self.covered_zones(ctx, ctx.foreground, "presence", "someone in", (0, 255, 0))

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        arrived, gone = self.sightings.update((zone for _, zone in seen), now)
        events: list[Sighting] = [("presence", zone) for zone in arrived]
        for zone in self.sightings.present:
            stayed = now - self.sightings.since(zone)
            if zone not in self.dwelt and stayed >= self.opts["dwell"] - 1e-6:
                self.dwelt.add(str(zone))
                events.append(("dwell", {"zone": zone, "seconds": round(stayed, 2)}))
        for zone in gone:
            self.dwelt.discard(str(zone))
            events.append(("left", zone))
        return events
