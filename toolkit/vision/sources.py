"""Where a camera's frames come from, behind one interface.

    source = 0                  the first USB webcam (also "usb:0", "/dev/video0")
    source = "picamera"         the Raspberry Pi camera, through picamera2
    source = "visitor.mp4"      a video file, looping (relative to the installation folder)

and, from Python (tests, benchmarks), `GeneratedSource(fn)` where `fn(t)` draws
the frame for time `t`.

Each source can be read two ways: `read()` in real time (blocks until the next
frame, at the source's own pace), and `frame_at(t)` on the virtual clock (the
frame for installation time `t`, so a scenario sees the same frames every run).
`read`/`frame_at` return None for a corrupt or empty frame (skipped and
counted) and raise `SourceLost` when the camera has gone (unplugged).
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.vision.cv import Frame, cv2

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpeg", ".mjpg")


class SourceError(RuntimeError):
    """A source cannot open; `hint` says what to check."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


class SourceLost(RuntimeError):
    """The camera stopped giving frames (unplugged, driver gone)."""


class FrameSource:
    #: How the source is named in messages.
    name = "camera"
    #: Frames per second it delivers in real time.
    fps = 30.0

    def open(self) -> None:
        """Start the camera; raise SourceError saying why it cannot."""

    def read(self) -> Frame | None:
        """The next frame in real time; None for a bad frame; SourceLost if gone."""
        raise NotImplementedError

    def frame_at(self, t: float) -> Frame | None:
        """The frame for time `t` (seconds since the camera started) on a virtual clock.

        A live camera has no past or future: it gives its newest frame.
        """
        return self.read()

    def close(self) -> None:
        """Release the camera. Safe to call twice, or after a failed open."""


class _Captured(FrameSource):
    """A source read through an OpenCV VideoCapture."""

    capture: Any = None

    def close(self) -> None:
        if self.capture is not None:
            self.capture.release()
            self.capture = None


class WebcamSource(_Captured):
    """A USB webcam (or any device OpenCV's VideoCapture opens)."""

    def __init__(self, device: int | str, size: tuple[int, int] | None = None) -> None:
        self.device = device
        self.size = size
        self.name = f"webcam {device}"
        self.capture: Any = None

    def open(self) -> None:
        capture = cv2.VideoCapture(self.device)
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"no camera at {self.device!r}",
                              "check the USB cable, and `ls /dev/video*` for its number")
        if self.size:
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        self.fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
        self.capture = capture

    def read(self) -> Frame | None:
        if self.capture is None or not self.capture.isOpened():
            raise SourceLost(f"{self.name} is closed")
        ok, frame = self.capture.read()
        if not ok:
            raise SourceLost(f"{self.name} stopped giving frames (unplugged?)")
        result: Frame = frame
        return result


class PiCameraSource(FrameSource):
    """The Raspberry Pi camera module, through picamera2 (imported only here)."""

    name = "Pi camera"

    def __init__(self, size: tuple[int, int] = (640, 480)) -> None:
        self.size = size
        self.camera: Any = None

    def open(self) -> None:
        try:
            from picamera2 import Picamera2
        except ImportError:
            raise SourceError("picamera2 is not installed",
                              "on Raspberry Pi OS: sudo apt install python3-picamera2, and "
                              "create the venv with --system-site-packages") from None
        try:
            camera = Picamera2()
            # picamera2's "RGB888" is laid out B, G, R in memory: what OpenCV expects.
            camera.configure(camera.create_video_configuration(
                main={"size": self.size, "format": "RGB888"}))
            camera.start()
        except Exception as exc:  # picamera2 raises plain errors when no camera is attached
            raise SourceError(f"the Pi camera did not start: {exc}",
                              "check the ribbon cable and `rpicam-hello --list-cameras`") from None
        self.camera = camera

    def read(self) -> Frame | None:
        try:
            frame: Frame = self.camera.capture_array()
        except Exception as exc:
            raise SourceLost(f"the Pi camera stopped: {exc}") from None
        return frame

    def close(self) -> None:
        if self.camera is not None:
            self.camera.close()
            self.camera = None


class _Paced(FrameSource):
    """A source that makes its frames itself, delivered at `fps` in real time."""

    def __init__(self) -> None:
        self._started = 0.0
        self._next = 0.0

    def open(self) -> None:
        self._started = self._next = time.monotonic()

    def read(self) -> Frame | None:
        delay = self._next - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self._next = max(self._next + 1 / self.fps, time.monotonic())
        return self.frame_at(time.monotonic() - self._started)


class VideoFileSource(_Captured, _Paced):
    """A video file played in a loop, at its own frame rate."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.name = f"video {path.name}"
        self.capture: Any = None
        self.count = 0
        self.position = 0   # index of the next frame the capture will give
        self.current: Frame | None = None

    def open(self) -> None:
        if not self.path.is_file():
            raise SourceError(f"video file {self.path} not found",
                              "give a path relative to the installation folder")
        self._rewind()
        if not self.capture.isOpened():
            raise SourceError(f"cannot read video file {self.path}",
                              "OpenCV reads .mp4, .avi and .mkv; re-encode it with ffmpeg")
        self.fps = self.capture.get(cv2.CAP_PROP_FPS) or 25.0
        self.count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        super().open()

    def _rewind(self) -> None:
        self.close()
        self.capture = cv2.VideoCapture(str(self.path))
        self.position = 0

    def frame_at(self, t: float) -> Frame | None:
        """The frame showing at `t` seconds, looping; reads forward, rewinds on wrap."""
        index = int(t * self.fps + 1e-6)
        if self.count > 0:
            index %= self.count
        if index < self.position - 1:
            self._rewind()
        while self.position <= index:
            ok, frame = self.capture.read()
            if not ok:
                if self.position == 0:
                    raise SourceLost(f"{self.name} has no readable frame")
                self.count = self.position  # the real end, when the header said otherwise
                return self.frame_at(t)
            self.position += 1
            self.current = frame
        return self.current


class GeneratedSource(_Paced):
    """Frames drawn by `fn(t)`; `fn` may return None (a bad frame) or raise SourceLost."""

    def __init__(self, fn: Callable[[float], Frame | None], fps: float = 30.0,
                 name: str = "generated frames") -> None:
        super().__init__()
        self.fn = fn
        self.fps = fps
        self.name = name

    def frame_at(self, t: float) -> Frame | None:
        return self.fn(t)


def open_source(spec: Any, folder: Path | None, size: tuple[int, int]) -> FrameSource:
    """The source an installation file names: 0, "usb:1", "/dev/video2", "picamera", a file."""
    if isinstance(spec, FrameSource):
        return spec
    if isinstance(spec, int):
        return WebcamSource(spec, size)
    text = str(spec).strip()
    if text.isdigit():
        return WebcamSource(int(text), size)
    if text.startswith("usb:") and text[4:].isdigit():
        return WebcamSource(int(text[4:]), size)
    if text.startswith("/dev/"):
        return WebcamSource(text, size)
    if text == "picamera":
        return PiCameraSource(size)
    path = Path(text).expanduser()
    path = path if path.is_absolute() or folder is None else folder / path
    if path.suffix == ".py":  # a script that draws the visit
        return script_source(path, size)
    return VideoFileSource(path)


def describe_spec(spec: Any) -> str | None:
    """Why `spec` cannot name a source (None if it can), for `museokit check`."""
    if isinstance(spec, bool) or not isinstance(spec, int | str) or spec == "":
        return (f"expected a webcam number (0), \"picamera\" or a video file, got {spec!r}")
    if isinstance(spec, str) and not (spec.isdigit() or spec.startswith(("usb:", "/dev/"))
                                      or spec == "picamera"
                                      or Path(spec).suffix.lower() in (*VIDEO_SUFFIXES, ".py")):
        return (f"{spec!r} is not a camera: use a webcam number (0 or \"usb:0\"), \"picamera\", "
                f"a video file ending in {', '.join(VIDEO_SUFFIXES[:3])}..., or a .py script that "
                "draws one (sim_source)")
    return None


def script_source(path: Path, size: tuple[int, int]) -> GeneratedSource:
    """A camera source drawn by a Python script of the installation: `sim_source =
    "scenarios/make_video.py"`.

    The script defines `frame(t)` (a BGR picture for second `t`, or None) and may say how
    long its visit lasts in `SECONDS`, after which it starts again, as a video file loops.
    The simulator imports it from the installation folder (it is the installation's own
    code, like its behaviour), so scenarios need no generated video on disk: a fresh
    clone runs them as they are.
    """
    if not path.is_file():
        raise SourceError(f"{path}: no such script", "check sim_source (relative to the "
                          "installation folder)")
    spec = importlib.util.spec_from_file_location(f"museokit_sim_source_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SourceError(f"{path}: cannot be imported", "it must be a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the installation's own script: say what broke, in one line
        raise SourceError(f"{path} failed to run: {type(exc).__name__}: {exc}",
                          "fix the script; `python " + str(path) + "` shows the traceback") from None
    draw: Callable[[float], Any] | None = getattr(module, "frame", None)
    if not callable(draw):
        raise SourceError(f"{path} has no frame(t) function", "define frame(t) returning a "
                          "picture (museokit.vision.synth.Scene.frame draws one)")
    seconds = float(getattr(module, "SECONDS", 0) or 0)
    fn = draw if seconds <= 0 else (lambda t: draw(t % seconds))
    return GeneratedSource(fn, name=str(path))
