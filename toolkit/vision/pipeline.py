"""One processed frame: check it, scale it to the processing size, run every trigger.

The pipeline runs on one thread (the camera's processing thread on the real
clock, the loop on the virtual clock) and never touches the bus: what it
returns is handed to the camera device on the loop.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from museokit.vision.cv import Frame, cv2, np
from museokit.vision.trigger import FrameContext, Mark, Sighting, Trigger
from museokit.vision.zones import WHOLE_FRAME, Zone

log = logging.getLogger("museokit.vision")

ZONE_COLOUR = (0, 255, 255)  # BGR yellow


@dataclass
class Processed:
    """What one frame showed: each trigger's sightings, and what to draw for the debug view."""

    t: float
    frame: Frame
    sightings: list[list[Sighting]]
    marks: list[Mark]


def usable(frame: Any) -> Frame | None:
    """The frame as 8-bit BGR, or None when it is empty or not a picture."""
    if not isinstance(frame, np.ndarray) or frame.size == 0 or frame.dtype != np.uint8:
        return None
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 4:
        return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    return None


class Pipeline:
    def __init__(self, triggers: list[Trigger], zones: dict[str, Zone], size: tuple[int, int],
                 background_frames: float, who: str = "camera") -> None:
        """`background_frames`: after about this many frames, something that stopped moving
        is background (MOG2 absorbs a still object after about 0.1 / learning rate frames)."""
        self.triggers = triggers
        self.zones = zones
        self.size = size
        self.who = who
        # Fed only on frames where a trigger asks for the foreground (presence, count, mog2).
        self.subtractor = cv2.createBackgroundSubtractorMOG2(detectShadows=False)
        self.rate = min(1.0, 0.1 / max(background_frames, 1.0))
        self.learnt = False
        #: Scratch images reused from frame to frame (FrameContext.buffer).
        self.buffers: dict[str, Frame] = {}
        self.frames = 0
        self.bad_frames = 0
        self.trigger_errors = 0

    def run(self, raw: Any, t: float) -> Processed | None:
        """Process one frame taken at time `t`; None for a bad frame (counted)."""
        frame = usable(raw)
        if frame is None:
            self.bad_frames += 1
            return None
        if (frame.shape[1], frame.shape[0]) != self.size:
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_AREA)
        ctx = FrameContext(frame, t, self.zones, self.foreground, self.buffers)
        sightings = [self._process(trigger, frame, ctx) for trigger in self.triggers]
        self.frames += 1
        return Processed(t, frame, sightings, ctx.marks)

    def foreground(self, frame: Frame, out: Frame) -> Frame:
        """What differs from the background model (into `out`); the model learns this frame.

        The first frame *is* the background: nothing is foreground in it.
        """
        if not self.learnt:
            self.learnt = True
            self.subtractor.apply(frame, out, learningRate=1.0)
            out[:] = 0
            return out
        mask: Frame = self.subtractor.apply(frame, out, learningRate=self.rate)
        return mask

    def _process(self, trigger: Trigger, frame: Frame, ctx: FrameContext) -> list[Sighting]:
        try:
            return trigger.process(frame, ctx)
        except Exception as exc:  # one broken trigger must not blind the others
            self.trigger_errors += 1
            if self.trigger_errors == 1:
                log.error("%s: trigger %r failed on a frame: %s: %s (further failures are "
                          "counted, not logged)", self.who, trigger.kind, type(exc).__name__, exc)
            return []


def annotate(processed: Processed, zones: dict[str, Zone]) -> Frame:
    """A copy of the processed frame with the zones and this frame's detections drawn on it."""
    out = processed.frame.copy()
    for zone in zones.values():
        if zone.name == WHOLE_FRAME:
            continue
        cv2.polylines(out, [zone.polygon], True, ZONE_COLOUR, 1)
        _label(out, zone.name, zone.polygon[0], ZONE_COLOUR)
    for mark in processed.marks:
        cv2.polylines(out, [mark.points], True, mark.colour, 2)
        x, y = mark.points.min(axis=0)
        _label(out, mark.label, (x, y + 14), mark.colour)
    return out


def _label(image: Frame, text: str, at: Any, colour: tuple[int, int, int]) -> None:
    x, y = int(at[0]) + 3, max(int(at[1]) + 12, 12)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(image, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
