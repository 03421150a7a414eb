"""The dominant colour in a zone: `colour` ({zone, name, rgb}) when the colour that covers
most of a zone changes to one of `colours` and holds for `settle` seconds.

Colours are named by hue (red, orange, yellow, green, cyan, blue, purple, pink),
which holds up under gallery light better than exact RGB values; white, grey and
black can be added to `colours` but a plinth is usually one of them. `rgb` is the
zone's average colour in that hue, for a pixel strip to copy.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.core.suggest import suggest
from museokit.vision.cv import Frame, cv2, np
from museokit.vision.trigger import FrameContext, Sighting, Steady, Trigger

#: OpenCV hue (0..179) ranges of each colour name; red wraps around 0.
HUES: dict[str, tuple[tuple[int, int], ...]] = {
    "red": ((0, 9), (170, 179)), "orange": ((10, 21),), "yellow": ((22, 33),),
    "green": ((34, 84),), "cyan": ((85, 99),), "blue": ((100, 129),), "purple": ((130, 149),),
    "pink": ((150, 169),),
}
#: HSV bounds of the colours without a hue.
GREYS: dict[str, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "white": ((0, 0, 200), (179, 40, 255)), "grey": ((0, 0, 60), (179, 40, 199)),
    "black": ((0, 0, 0), (179, 255, 59)),
}
NAMES = (*HUES, *GREYS)


class Colour(Trigger):
    kind = "colour"
    summary = "the dominant colour in a zone (red, green, blue...)"
    events = ("colour",)
    options: ClassVar[dict[str, Option]] = {
        "colours": Option(list, list(HUES), f"colour names to report, from: {', '.join(NAMES)}"),
        "min_share": Option(float, 0.3, "share of the zone the colour must cover (0.3 = 30 %)",
                            min=0.01, max=1),
        "min_saturation": Option(int, 80, "how vivid (0..255) a pixel must be to have a hue; "
                                 "lower it under dim or yellowish light", min=0, max=255),
        "settle": Option(float, 0.5, "seconds a new colour must hold before `colour`", min=0),
    }

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        return [("colours", f"unknown colour {name!r} — "
                            f"{suggest(str(name), NAMES) or 'colours: ' + ', '.join(NAMES)}")
                for name in opts["colours"] if name not in NAMES]

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.hues = [name for name in opts["colours"] if name in HUES]
        self.greys = [name for name in opts["colours"] if name in GREYS]
        self.steady = Steady(opts["settle"])

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        seen: list[Sighting] = []
        for zone in self.watched(ctx):
            hsv = zone.crop(ctx.hsv)
            shares = self.hue_shares(hsv, zone.mask) | self.grey_shares(hsv, zone.mask)
            best = max(shares, key=lambda name: shares[name][0], default=None)
            if best is None or shares[best][0] < self.opts["min_share"] * zone.area:
                seen.append(("colour", {"zone": zone.name, "name": None, "rgb": None}))
                continue
            b, g, r, _ = cv2.mean(zone.crop(frame), shares[best][1])
            seen.append(("colour", {"zone": zone.name, "name": best,
                                    "rgb": [round(r), round(g), round(b)]}))
            ctx.mark(zone.polygon, f"{zone.name}: {best}", (round(b), round(g), round(r)))
        return seen

    def hue_shares(self, hsv: Frame, mask: Frame | None) -> dict[str, tuple[int, Frame]]:
        if not self.hues:
            return {}
        vivid = cv2.inRange(hsv, (0, self.opts["min_saturation"], 60), (179, 255, 255))
        if mask is not None:
            vivid = cv2.bitwise_and(vivid, mask)
        hue = hsv[:, :, 0]
        shares = {}
        for name in self.hues:
            pixels = np.zeros_like(vivid)
            for low, high in HUES[name]:
                pixels = cv2.bitwise_or(pixels, cv2.inRange(hue, low, high))
            pixels = cv2.bitwise_and(pixels, vivid)
            shares[name] = (cv2.countNonZero(pixels), pixels)
        return shares

    def grey_shares(self, hsv: Frame, mask: Frame | None) -> dict[str, tuple[int, Frame]]:
        shares = {}
        for name in self.greys:
            low, high = GREYS[name]
            pixels = cv2.inRange(hsv, low, high)
            if mask is not None:
                pixels = cv2.bitwise_and(pixels, mask)
            shares[name] = (cv2.countNonZero(pixels), pixels)
        return shares

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        events: list[Sighting] = []
        for _, found in seen:
            changed, name = self.steady.update(found["zone"], found["name"], now)
            if changed and name is not None:
                events.append(("colour", found))
        return events
