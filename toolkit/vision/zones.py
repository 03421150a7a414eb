"""Zones: named polygons of the camera picture that triggers watch.

In the installation file a zone is a list of `[x, y]` corners. With
`zone_units = "fraction"` (the default) x and y go from 0 (left, top) to 1
(right, bottom) of the picture, so a zone stays put when the resolution
changes; with `zone_units = "pixels"` they are pixels of the camera's
processing `resolution`. A corner outside the picture is refused by
`museokit check`. Without any zone, triggers watch the whole picture, called
`frame`.
"""

from __future__ import annotations

from typing import Any

from museokit.vision.cv import cv2, np

WHOLE_FRAME = "frame"
UNITS = ("fraction", "pixels")

Point = tuple[float, float]
Problem = tuple[tuple[str | int, ...], str]


def check_zones(raw: Any, units: str, resolution: tuple[int, int]) -> tuple[dict[str, list[Point]],
                                                                           list[Problem]]:
    """The zones as fractions of the picture, and every problem with the key it is under."""
    if not isinstance(raw, dict):
        return {}, [(("zones",), "expected a table of zones: zones = { plinth = [[0.2, 0.5], "
                     "[0.8, 0.5], [0.8, 1.0], [0.2, 1.0]] }")]
    width, height = resolution
    scale = (1.0, 1.0) if units == "fraction" else (float(width), float(height))
    zones: dict[str, list[Point]] = {}
    problems: list[Problem] = []
    for name, corners in raw.items():
        key: tuple[str | int, ...] = ("zones", name)
        if not _is_polygon(corners):
            problems.append((key, f"zone {name!r}: expected a list of at least 3 corners "
                                  "[x, y], like [[0.2, 0.5], [0.8, 0.5], [0.5, 1.0]]"))
            continue
        for i, (x, y) in enumerate(corners):
            if not (0 <= x <= scale[0] and 0 <= y <= scale[1]):
                problems.append((key, f"zone {name!r}: corner {i + 1} [{x:g}, {y:g}] is outside "
                                      f"the picture — {_units_hint(units, resolution)}"))
                break
        else:
            zones[name] = [(x / scale[0], y / scale[1]) for x, y in corners]
    return zones, problems


def _is_polygon(corners: Any) -> bool:
    return isinstance(corners, list) and len(corners) >= 3 and all(
        isinstance(c, list) and len(c) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in c) for c in corners)


def _units_hint(units: str, resolution: tuple[int, int]) -> str:
    width, height = resolution
    if units == "fraction":
        return ("zones are fractions of the picture, x and y from 0 (left, top) to 1 (right, "
                f"bottom); for pixels of the {width}x{height} resolution set "
                'zone_units = "pixels"')
    return (f"the picture is {width}x{height} pixels (`resolution`): keep x within 0..{width} "
            f"and y within 0..{height}")


class Zone:
    """A zone at the processing resolution: its polygon, bounding box and mask."""

    def __init__(self, name: str, corners: list[Point], size: tuple[int, int]) -> None:
        width, height = size
        self.name = name
        self.polygon = np.array([[min(round(x * width), width - 1), min(round(y * height), height - 1)]
                                 for x, y in corners], dtype=np.int32)
        x, y, w, h = cv2.boundingRect(self.polygon)
        self.box = (x, y, w, h)
        mask = np.zeros((h, w), np.uint8)
        cv2.fillPoly(mask, [self.polygon - (x, y)], 255)
        self.area = max(1, cv2.countNonZero(mask))
        #: A rectangle needs no mask: the crop is the zone.
        self.mask: np.ndarray | None = None if self.area == w * h else mask

    def crop(self, image: np.ndarray) -> np.ndarray:
        x, y, w, h = self.box
        return image[y:y + h, x:x + w]

    def share(self, binary: np.ndarray) -> float:
        """The fraction of the zone that is set (non-zero) in a black-and-white image."""
        roi = self.crop(binary)
        if self.mask is not None:
            roi = cv2.bitwise_and(roi, self.mask)
        return cv2.countNonZero(roi) / self.area

    def contains(self, point: tuple[float, float]) -> bool:
        return cv2.pointPolygonTest(self.polygon, (float(point[0]), float(point[1])), False) >= 0


def build_zones(corners: dict[str, list[Point]], size: tuple[int, int]) -> dict[str, Zone]:
    """Zones at the processing size; the whole picture is zone `frame` unless one is named so."""
    whole = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
    return {name: Zone(name, points, size)
            for name, points in ({WHOLE_FRAME: whole} | corners).items()}
