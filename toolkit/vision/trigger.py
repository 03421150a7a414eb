"""The Trigger plugin: what a camera watches for.

A trigger has two halves, on two threads:

- `process(frame, ctx)` runs on the camera's processing thread for every
  processed frame and says what *this frame* shows, as (name, value) pairs:
  `[("marker", 7)]`, `[("motion", "door")]`. It does the image work and may
  keep image state (a previous frame); it never reads a clock or touches the bus.
- `settle(seen, now)` runs on the runtime loop with the time of that frame
  read from the installation's clock (real or virtual), and turns sightings into
  the events the camera emits: `[("marker_placed", 7)]`. Waiting, dwell and
  debouncing live here, so scenarios on the virtual clock are deterministic.

A new trigger subclasses `Trigger`, declares `events` and `options` (with
defaults a maker who does not know OpenCV can keep), and registers in the
`museokit.triggers` entry-point group of its package.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from museokit.core.options import Option
from museokit.vision.cv import Frame, cv2, np
from museokit.vision.zones import Zone

Sighting = tuple[str, Any]

#: Frame times come from a clock stepped in 1/fps increments: 5.0 may be 4.9999999.
_EPS = 1e-6

#: Every trigger takes `zones`; `kind` names the trigger itself.
ZONES = Option(list, [], "names of the zones to watch; leave it out to watch every zone "
                         "(the whole picture when the camera has no zones)")


@dataclass(frozen=True)
class Mark:
    """A shape for the debug view: a closed polygon in processing pixels, with a label."""

    points: np.ndarray
    label: str
    colour: tuple[int, int, int] = (0, 200, 255)  # BGR


class FrameContext:
    """One frame's shared work: conversions computed once, whichever trigger asks first."""

    def __init__(self, frame: Frame, t: float, zones: dict[str, Zone],
                 background: Callable[[Frame, Frame], Frame],
                 buffers: dict[str, Frame] | None = None) -> None:
        self.frame = frame
        #: When the frame was taken, on the installation's clock.
        self.t = t
        self.zones = zones
        self.marks: list[Mark] = []
        self._background = background
        self._buffers = {} if buffers is None else buffers
        self._gray: Frame | None = None
        self._hsv: Frame | None = None
        self._foreground: Frame | None = None

    def buffer(self, name: str, channels: int = 1) -> Frame:
        """A scratch image the size of the frame, reused from frame to frame.

        OpenCV writes into it (`dst=`) instead of allocating a new array per frame:
        fresh 300 kB arrays cost page faults that halve the throughput. Its content
        is only valid until the next frame: copy what must be kept.
        """
        shape = self.frame.shape[:2] if channels == 1 else (*self.frame.shape[:2], channels)
        found = self._buffers.get(name)
        if found is None or found.shape != shape:
            found = self._buffers[name] = np.empty(shape, np.uint8)
        return found

    @property
    def gray(self) -> Frame:
        if self._gray is None:
            self._gray = cv2.cvtColor(self.frame, cv2.COLOR_BGR2GRAY, dst=self.buffer("gray"))
        return self._gray

    @property
    def hsv(self) -> Frame:
        if self._hsv is None:
            self._hsv = cv2.cvtColor(self.frame, cv2.COLOR_BGR2HSV, dst=self.buffer("hsv", 3))
        return self._hsv

    @property
    def foreground(self) -> Frame:
        """What differs from the learned background (MOG2), as a 0/255 mask, noise removed.

        One background model per camera, updated once per frame, shared by presence and count.
        """
        if self._foreground is None:
            mask = self._background(self.frame, self.buffer("background"))
            self._foreground = cv2.morphologyEx(mask, cv2.MORPH_OPEN, _KERNEL,
                                                dst=self.buffer("foreground"))
        return self._foreground

    def mark(self, points: Any, label: str, colour: tuple[int, int, int] = (0, 200, 255)) -> None:
        self.marks.append(Mark(np.asarray(points, dtype=np.int32).reshape(-1, 2), label, colour))

    def mark_box(self, box: tuple[int, int, int, int], label: str,
                 colour: tuple[int, int, int] = (0, 200, 255)) -> None:
        x, y, w, h = box
        self.mark([(x, y), (x + w, y), (x + w, y + h), (x, y + h)], label, colour)


_KERNEL = np.ones((3, 3), np.uint8)


class Trigger:
    #: The trigger's name in the installation file (its entry-point name).
    kind: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    #: The events the camera emits for it (`marker_placed`, ...).
    events: ClassVar[tuple[str, ...]] = ()
    options: ClassVar[dict[str, Option]] = {}
    #: False for triggers that ignore zones (a QR code anywhere in the picture).
    uses_zones: ClassVar[bool] = True

    def __init__(self, opts: dict[str, Any], zones: list[str]) -> None:
        self.opts = opts
        #: The names of the zones this trigger watches.
        self.zones = zones

    @classmethod
    def all_options(cls) -> dict[str, Option]:
        return {"zones": ZONES, **cls.options} if cls.uses_zones else dict(cls.options)

    @classmethod
    def with_defaults(cls, opts: dict[str, Any]) -> dict[str, Any]:
        """`opts` with every option it leaves out set to its default."""
        return {name: opt.default for name, opt in cls.all_options().items()} | opts

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        """Problems beyond each option's own type and range, as (option, message) pairs."""
        return []

    def process(self, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        """What this frame shows (processing thread). Subclasses override."""
        raise NotImplementedError

    def settle(self, seen: list[Sighting], now: float) -> list[Sighting]:
        """The events this frame's sightings cause (loop thread, `now` from the clock).

        The default emits every sighting as it is.
        """
        return seen

    def watched(self, ctx: FrameContext) -> list[Zone]:
        return [ctx.zones[name] for name in self.zones]

    def covered_zones(self, ctx: FrameContext, mask: Frame, name: str, label: str,
                      colour: tuple[int, int, int]) -> list[Sighting]:
        """(name, zone) for each watched zone that `mask` covers by at least `min_area`."""
        seen: list[Sighting] = []
        for zone in self.watched(ctx):
            if zone.share(mask) >= self.opts["min_area"]:
                seen.append((name, zone.name))
                ctx.mark(zone.polygon, f"{label} {zone.name}", colour)
        return seen


class Sightings:
    """Things seen frame by frame (zones, marker ids, texts) → arrived and gone.

    A thing *arrives* once seen in every frame for `arrive_after` seconds, and is
    *gone* once not seen for `gone_after` seconds, so a marker a hand covers for
    a moment is not reported removed. Times are the frames' times on the clock.
    """

    def __init__(self, arrive_after: float, gone_after: float) -> None:
        self.arrive_after = arrive_after
        self.gone_after = gone_after
        self.first: dict[Hashable, float] = {}
        self.last: dict[Hashable, float] = {}
        self.present: dict[Hashable, None] = {}

    def update(self, seen: Iterable[Hashable], now: float) -> tuple[list[Hashable], list[Hashable]]:
        seen = list(dict.fromkeys(seen))
        arrived: list[Hashable] = []
        for key in seen:
            self.first.setdefault(key, now)
            self.last[key] = now
            if key not in self.present and now - self.first[key] >= self.arrive_after - _EPS:
                self.present[key] = None
                arrived.append(key)
        gone: list[Hashable] = []
        for key in list(self.first):
            if key in self.present:
                if now - self.last[key] >= self.gone_after - _EPS:
                    gone.append(key)
                    del self.present[key], self.first[key], self.last[key]
            elif self.last[key] < now - _EPS:  # a candidate missing from a frame starts again
                del self.first[key], self.last[key]
        return arrived, gone

    def since(self, key: Hashable) -> float:
        """When the thing present now was first seen."""
        return self.first[key]


class Steady:
    """A value per key (a count, a colour name) reported once it has held for `settle` s."""

    def __init__(self, settle: float, initial: Any = None) -> None:
        self.settle = settle
        self.initial = initial
        self.reported: dict[Hashable, Any] = {}
        self.candidate: dict[Hashable, tuple[Any, float]] = {}

    def update(self, key: Hashable, value: Any, now: float) -> tuple[bool, Any]:
        """(True, value) when `value` has just become the reported one."""
        held, since = self.candidate.get(key, (None, now))
        if key not in self.candidate or held != value:
            self.candidate[key] = (value, now)
            since = now
        if now - since >= self.settle - _EPS and self.reported.get(key, self.initial) != value:
            self.reported[key] = value
            return True, value
        return False, None
