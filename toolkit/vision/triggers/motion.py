"""Motion in zones: `motion` (value: the zone) when something starts moving there, `still`
once nothing has moved in any watched zone for `still_after` seconds.

Two methods:

- `diff` (default): the difference from the previous processed frame. Cheapest,
  reacts at once, ignores anything that does not move (a visitor standing still
  is *still*). Good for "someone waves at the painting".
- `mog2`: OpenCV's MOG2 background model. Also sees a newcomer who stands still
  until the model learns them (about a minute), and shrugs off slow light changes.
  Good for "someone is in the zone"; the `presence` trigger uses it too.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame, cv2, np
from museokit.vision.trigger import FrameContext, Sighting, Sightings, Trigger


class Motion(Trigger):
    kind = "motion"
    summary = "movement in zones (frame differencing, or a MOG2 background model)"
    events = ("motion", "still")
    options: ClassVar[dict[str, Option]] = {
        "method": Option(str, "diff", "diff: difference from the previous frame (fast); mog2: "
                         "difference from a learned background", choices=("diff", "mog2")),
        "threshold": Option(int, 25, "(diff) how much a pixel's brightness must change (0..255) "
                            "to count as moving; raise it for a noisy camera", min=1, max=255),
        "min_area": Option(float, 0.01, "share of the zone that must move (0.01 = 1 %); raise "
                           "it so leaves and shadows do not count", min=0.0001, max=1),
        "still_after": Option(float, 2.0, "seconds without movement before `still`", min=0),
        "blur": Option(int, 5, "(diff) smooth the picture over this many pixels first (odd number; "
                       "0: off) so camera noise does not count as movement", min=0, max=31),
    }

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.previous: Frame | None = None
        self.spare: Frame | None = None
        self.sightings = Sightings(0.0, float(opts["still_after"]))
        self.moving = False

    def moving_pixels(self, ctx: FrameContext) -> Frame | None:
        """A 0/255 mask of the pixels that moved, or None on the first frame."""
        if self.opts["method"] == "mog2":
            return ctx.foreground
        # Two images kept in turn: this frame's (smoothed) grey and the previous one.
        gray = self.spare if self.spare is not None and self.spare.shape == ctx.gray.shape \
            else np.empty_like(ctx.gray)
        blur = self.opts["blur"]
        if blur > 1:
            cv2.GaussianBlur(ctx.gray, (blur | 1, blur | 1), 0, dst=gray)
        else:
            np.copyto(gray, ctx.gray)
        previous, self.previous, self.spare = self.previous, gray, self.previous
        if previous is None or previous.shape != gray.shape:
            return None
        moved = ctx.buffer("motion")
        cv2.absdiff(gray, previous, dst=moved)
        cv2.threshold(moved, self.opts["threshold"], 255, cv2.THRESH_BINARY, dst=moved)
        return moved

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        moved = self.moving_pixels(ctx)
        if moved is None:
            return []
        return self.covered_zones(ctx, moved, "motion", "motion in", (0, 0, 255))

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        arrived, _ = self.sightings.update((zone for _, zone in seen), now)
        events: list[Sighting] = [("motion", zone) for zone in arrived]
        if arrived:
            self.moving = True
        elif self.moving and not self.sightings.present:
            self.moving = False
            events.append(("still", None))
        return events
