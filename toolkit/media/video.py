"""Video decode on its own thread into a small queue, with seamless loops.

Why OpenCV: it is already museokit's vision library, it hands frames over as
numpy arrays that pygame wraps without a copy (`frombuffer(..., "BGR")`), and
decoding frame by frame in our own thread gives what an external player cannot:
every frame numbered, so the screen can show exactly frame `t * fps` and loop
with no repeated or dropped frame, and can draw into any surface (tests, the
simulator window). Hardware decode: OpenCV is asked for any acceleration its
FFmpeg has (on a Pi 4, the V4L2 H.264 decoder when FFmpeg is built with it);
without it, 720p H.264 or MPEG-4 decodes in software on a Pi 4/5. Its cost is
that OpenCV decodes no audio, hence sidecar soundtracks (see `screen.py`).

Frames are numbered globally: on a loop, the first frame of the second pass is
`n`, not 0, and the decoder reopens the file ahead of time (the queue hides the
reopen), so the seam is one frame after another like any other.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any

import cv2

from museokit.media.files import MediaError

log = logging.getLogger("museokit.media")

cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # museokit logs one line itself

#: How long a draw on the virtual clock waits for a frame before giving up on it.
_VIRTUAL_WAIT = 5.0
_END = None
_HWACCEL = [cv2.CAP_PROP_HW_ACCELERATION, cv2.VIDEO_ACCELERATION_ANY]


def open_capture(path: Path, name: str) -> Any:
    """An opened cv2.VideoCapture, or MediaError saying why not."""
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG, _HWACCEL)
    if not capture.isOpened():
        raise MediaError(f"{name}: cannot open this video — the file is damaged, truncated, or uses "
                         "a codec this OpenCV cannot decode; re-encode it as H.264 MP4: `ffmpeg -i "
                         f"'{path.name}' -c:v libx264 -pix_fmt yuv420p -an fixed.mp4`")
    return capture


class VideoSource:
    """One playback of a video: frame 0 is decoded on creation, the rest on a thread.

    `on_short(decoded, expected)` is called (from the decoder thread) when the first
    pass ends before the frame count its header announced (expected 0: it announced none).
    """

    def __init__(self, path: Path, name: str, loop: bool, queue_frames: int = 4,
                 on_short: Callable[[int, int], None] | None = None) -> None:
        self.path = path
        self.name = name
        self.loop = loop
        self.on_short = on_short
        capture = open_capture(path, name)
        fps = capture.get(cv2.CAP_PROP_FPS)
        self.fps = fps if fps and math.isfinite(fps) and 1 <= fps <= 240 else 25.0
        count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        #: Frames the header announces (0 if it does not say).
        self.count = int(count) if count and math.isfinite(count) and count > 0 else 0
        ok, first = capture.read()
        if not ok:
            capture.release()
            raise MediaError(f"{name}: the video opens but no frame decodes — unsupported codec or "
                             f"damaged file; re-encode it as H.264 MP4: `ffmpeg -i '{path.name}' "
                             "-c:v libx264 -pix_fmt yuv420p fixed.mp4`")
        self.size: tuple[int, int] = (first.shape[1], first.shape[0])
        self._queue: Queue[tuple[int, Any] | None] = Queue(maxsize=queue_frames)
        self._index = 0
        self._frame: Any = first
        self._ended = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._decode, args=(capture,),
                                        name=f"video {name}", daemon=True)
        self._thread.start()
        _live.add(self)

    @property
    def duration(self) -> float:
        """Seconds of one pass, from the header (0 if unknown)."""
        return self.count / self.fps

    def frame(self, index: int, wait: bool) -> tuple[int, Any]:
        """(index, BGR frame) of the frame to show at `index`.

        Frames before `index` are skipped. Without `wait`, a frame not decoded yet
        leaves the latest one on screen (real time never blocks the display); with it
        (virtual clock), the decoder is waited for, so tests are deterministic. Past
        the end of a non-looping video, the last frame stays.
        """
        with self._lock:
            while self._index < index and not self._ended:
                try:
                    item = self._queue.get(timeout=_VIRTUAL_WAIT) if wait else self._queue.get_nowait()
                except Empty:
                    if wait:
                        log.error("%s: frame %d did not decode within %gs", self.name, index,
                                  _VIRTUAL_WAIT)
                    break
                if item is _END:
                    self._ended = True
                    break
                self._index, self._frame = item
            return self._index, self._frame

    def close(self, wait: float = 0.0) -> None:
        """Stop decoding; with `wait`, give the decoder thread that long to end."""
        self._stop.set()
        if wait:
            self._thread.join(wait)

    # -- the decoder thread ---------------------------------------------------------------
    def _decode(self, capture: Any) -> None:
        index, in_pass, first_pass = 1, 1, True
        try:
            while not self._stop.is_set():
                ok, frame = capture.read()
                if ok:
                    if not self._put((index, frame)):
                        return
                    index += 1
                    in_pass += 1
                    continue
                if first_pass and (in_pass < self.count or not self.count) and self.on_short:
                    self.on_short(in_pass, self.count)
                first_pass = False
                if not self.loop or in_pass == 0:
                    self._put(_END)
                    return
                capture.release()
                capture = open_capture(self.path, self.name)
                in_pass = 0
        except MediaError as exc:  # the file went away between two passes
            log.error("%s", exc)
            self._put(_END)
        finally:
            capture.release()

    def _put(self, item: tuple[int, Any] | None) -> bool:
        """Queue `item`, waiting for room; False once the source is closed."""
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False


#: Sources whose decoder may still run: stopped before the interpreter exits, since a
#: thread still inside FFmpeg at that moment aborts the process.
_live: weakref.WeakSet[VideoSource] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for source in list(_live):
        source.close(wait=1.0)
