"""QR codes: `qr` (value: the text in the code) when a code is shown to the camera.

The same code is reported again only after it has been out of sight for
`forget_after` seconds, so a visitor holding a card up does not fire it ten
times a second. QR codes are searched in the whole picture (no zones), and
decoding costs more than the other triggers: keep the camera's `fps` at 10 or
less on a Pi.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame, cv2
from museokit.vision.trigger import FrameContext, Sighting, Sightings, Trigger


class QrCode(Trigger):
    kind = "qr"
    summary = "the text of a QR code shown to the camera"
    events = ("qr",)
    uses_zones = False
    options: ClassVar[dict[str, Option]] = {
        "forget_after": Option(float, 3.0, "seconds a code must be out of sight before it "
                               "is reported again", min=0),
    }

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.detector = cv2.QRCodeDetector()
        self.sightings = Sightings(0.0, opts["forget_after"])

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        text, points, _ = self.detector.detectAndDecode(ctx.gray)
        if not text or points is None:
            return []
        ctx.mark(points, f"QR {text[:20]}", (255, 255, 0))
        return [("qr", text)]

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        shown, _ = self.sightings.update((text for _, text in seen), now)
        return [("qr", text) for text in shown]
