"""ArUco markers: `marker_placed` (value: the marker's id) when a printed marker appears,
`marker_removed` when it has been gone `removal_delay` seconds.

Print markers from the same dictionary (default 4x4 squares, ids 0..49: big
squares that a webcam reads from a metre away; `synth.marker_image(7)` or any
online ArUco generator makes them). Stick one on each object; the id says which
object it is. A hand passing over a marker for less than `removal_delay` does
not remove it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame, cv2
from museokit.vision.trigger import FrameContext, Sighting, Sightings, Trigger

DICTIONARIES = ("4X4_50", "4X4_100", "4X4_250", "5X5_50", "5X5_100", "5X5_250", "6X6_50",
                "6X6_250", "7X7_50", "ARUCO_ORIGINAL", "APRILTAG_36h11")


def dictionary(name: str) -> Any:
    return cv2.aruco.getPredefinedDictionary(getattr(cv2.aruco, f"DICT_{name}"))


class Marker(Trigger):
    kind = "marker"
    summary = "printed ArUco markers placed and removed, by id"
    events = ("marker_placed", "marker_removed")
    options: ClassVar[dict[str, Option]] = {
        "dictionary": Option(str, "4X4_50", "which family of markers you printed",
                             choices=DICTIONARIES),
        "ids": Option(list, [], "marker ids to report; leave it out to report every id"),
        "place_after": Option(float, 0.2, "seconds a marker must be seen before `marker_placed`",
                              min=0),
        "removal_delay": Option(float, 1.0, "seconds a marker must be gone before "
                                "`marker_removed`, so a hand passing over it does not count",
                                min=0),
    }

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        super().__init__(opts, zones)
        self.detector = cv2.aruco.ArucoDetector(dictionary(opts["dictionary"]),
                                                cv2.aruco.DetectorParameters())
        self.wanted = set(opts["ids"])
        self.sightings = Sightings(opts["place_after"], opts["removal_delay"])

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        corners, ids, _ = self.detector.detectMarkers(ctx.gray)
        if ids is None:
            return []
        zones = self.watched(ctx)
        seen = []
        for quad, marker_id in zip(corners, ids.flatten().tolist(), strict=True):
            if self.wanted and marker_id not in self.wanted:
                continue
            centre = quad.reshape(-1, 2).mean(axis=0)
            if any(zone.contains(centre) for zone in zones):
                seen.append(("marker", marker_id))
                ctx.mark(quad, f"marker {marker_id}", (255, 0, 255))
        return seen

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        placed, removed = self.sightings.update((marker_id for _, marker_id in seen), now)
        return [*(("marker_removed", m) for m in removed), *(("marker_placed", m) for m in placed)]
