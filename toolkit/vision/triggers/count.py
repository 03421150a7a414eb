"""A count of people or objects: `count` (value: how many) when the number of separate
shapes that differ from the background changes and holds for `settle` seconds.

Shapes are found in the MOG2 foreground (shared with `presence`); a shape counts
when it covers at least `min_size` of the picture and its centre is in a watched
zone. From above (a camera in the ceiling) people are separate blobs and the
count is good; from the side, people overlapping count as one.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame, cv2
from museokit.vision.trigger import FrameContext, Sighting, Steady, Trigger


class Count(Trigger):
    kind = "count"
    summary = "how many people or objects (separate shapes) are in the zones"
    events = ("count",)
    options: ClassVar[dict[str, Option]] = {
        "min_size": Option(float, 0.01, "smallest shape that counts, as a share of the picture "
                           "(0.01 = 1 %); raise it so a hand or a bag is not a person",
                           min=0.0001, max=1),
        "settle": Option(float, 1.0, "seconds a new count must hold before `count`", min=0),
    }

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.steady = Steady(opts["settle"], initial=0)

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        height, width = frame.shape[:2]
        smallest = self.opts["min_size"] * width * height
        contours, _ = cv2.findContours(ctx.foreground, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        zones = self.watched(ctx)
        n = 0
        for contour in contours:
            if cv2.contourArea(contour) < smallest:
                continue
            x, y, w, h = cv2.boundingRect(contour)
            if any(zone.contains((x + w / 2, y + h / 2)) for zone in zones):
                n += 1
                ctx.mark_box((x, y, w, h), f"#{n}", (255, 128, 0))
        return [("count", n)]

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        events: list[Sighting] = []
        for _, n in seen:
            changed, value = self.steady.update("count", n, now)
            if changed:
                events.append(("count", value))
        return events
