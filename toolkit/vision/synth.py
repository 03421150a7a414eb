"""Generated pictures and videos: ArUco markers, QR codes, moving shapes, colour patches.

For tests, benchmarks and scenarios, so nothing recorded has to be committed:

    scene = Scene([Show(2, 6, marker_at(7, (320, 300)))])
    write_video(Path("visitor.avi"), scene.frame, seconds=8)   # plays a marker from 2 s to 6 s
    camera.use_source(GeneratedSource(scene.frame, fps=10))    # or straight from memory

`marker_image(7)` also makes a marker to print.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from museokit.vision.cv import Frame, cv2, np
from museokit.vision.triggers.marker import dictionary

Size = tuple[int, int]
#: Draws on a frame, given the seconds since it started showing.
Draw = Callable[[Frame, float], None]
BACKGROUND = (96, 96, 96)  # BGR mid grey: a plinth, a wall


def marker_image(marker_id: int, side: int = 120, family: str = "4X4_50") -> Frame:
    """An ArUco marker with its white margin, as BGR (print it, or paste it in a frame)."""
    inner = cv2.aruco.generateImageMarker(dictionary(family), marker_id, side * 3 // 4)
    margin = (side - inner.shape[0]) // 2
    framed = cv2.copyMakeBorder(inner, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                                value=255)
    return cv2.cvtColor(framed, cv2.COLOR_GRAY2BGR)


def qr_image(text: str, side: int = 200) -> Frame:
    """A QR code for `text` with its quiet zone, as BGR."""
    code = cv2.QRCodeEncoder.create().encode(text)
    scaled = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    margin = side // 8
    framed = cv2.copyMakeBorder(scaled, margin, margin, margin, margin, cv2.BORDER_CONSTANT,
                                value=255)
    return cv2.cvtColor(framed, cv2.COLOR_GRAY2BGR)


def paste(frame: Frame, image: Frame, centre: tuple[int, int]) -> None:
    """Put `image` on `frame` centred at `centre` (clipped at the edges)."""
    h, w = image.shape[:2]
    x0, y0 = centre[0] - w // 2, centre[1] - h // 2
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1, fy1 = min(x0 + w, frame.shape[1]), min(y0 + h, frame.shape[0])
    if fx0 < fx1 and fy0 < fy1:
        frame[fy0:fy1, fx0:fx1] = image[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0]


def marker_at(marker_id: int, centre: tuple[int, int], side: int = 120) -> Draw:
    image = marker_image(marker_id, side)
    return lambda frame, t: paste(frame, image, centre)


def qr_at(text: str, centre: tuple[int, int], side: int = 200) -> Draw:
    image = qr_image(text, side)
    return lambda frame, t: paste(frame, image, centre)


def box_at(box: tuple[int, int, int, int], colour: tuple[int, int, int]) -> Draw:
    """A filled rectangle (x, y, w, h) in a BGR colour: a colour patch, a still visitor."""
    x, y, w, h = box

    def draw(frame: Frame, t: float) -> None:
        cv2.rectangle(frame, (x, y), (x + w, y + h), colour, -1)
    return draw


def moving_box(start: tuple[int, int], velocity: tuple[float, float], size: tuple[int, int],
               colour: tuple[int, int, int] = (230, 230, 230)) -> Draw:
    """A rectangle moving `velocity` pixels per second from `start` (its top-left corner)."""
    def draw(frame: Frame, t: float) -> None:
        x = round(start[0] + velocity[0] * t)
        y = round(start[1] + velocity[1] * t)
        cv2.rectangle(frame, (x, y), (x + size[0], y + size[1]), colour, -1)
    return draw


@dataclass(frozen=True)
class Show:
    """Draw something from `start` to `end` seconds (end None: until the end).

    `draw(frame, t)` gets the time since `start`, so a moving shape starts where it is told.
    """

    start: float
    end: float | None
    draw: Draw

    def active(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


class Scene:
    """A scripted picture: a background and the things shown at each moment."""

    def __init__(self, shows: Sequence[Show], size: Size = (640, 480),
                 background: tuple[int, int, int] = BACKGROUND) -> None:
        self.shows = list(shows)
        self.size = size
        self.background = background

    def frame(self, t: float) -> Frame:
        frame = np.empty((self.size[1], self.size[0], 3), np.uint8)
        frame[:] = self.background
        for show in self.shows:
            if show.active(t):
                show.draw(frame, t - show.start)
        return frame


def write_video(path: Path, frame_at: Callable[[float], Frame], seconds: float,
                fps: float = 10.0) -> Path:
    """Write `frame_at(t)` for `seconds` as a Motion-JPEG .avi (every OpenCV build reads it)."""
    return write_frames(path, (frame_at(i / fps) for i in range(round(seconds * fps))), fps)


def write_frames(path: Path, frames: Iterable[Frame], fps: float, fourcc: str = "MJPG") -> Path:
    """Write BGR `frames` (all of the first one's size) as a video; makes its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = None
    try:
        for frame in frames:
            if writer is None:
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps,
                                         (frame.shape[1], frame.shape[0]))
                if not writer.isOpened():
                    raise OSError(f"OpenCV cannot write {fourcc} to {path}")
            writer.write(frame)
    finally:
        if writer is not None:
            writer.release()
    return path
