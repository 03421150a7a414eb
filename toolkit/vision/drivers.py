"""What makes a camera run: threads on the real clock, loop timers on the virtual one.

Real clock (`ThreadedDriver`): a capture thread reads the source as fast as it
gives frames and keeps only the newest (`LatestFrame`), so a slow pipeline
skips frames instead of lagging behind; one processing thread takes the newest
frame at most `fps` times a second and hands the result to the loop with
`loop.call_soon_threadsafe`. CPU use is bounded by that one thread and `fps`.

Virtual clock (`SteppedDriver`): a loop timer every 1/fps takes the source's
frame *for that moment* (`frame_at`) and processes it on the loop, so a scenario
sees the same frames at the same virtual times in every run.

Both open the source through a `SourceKeeper`, which retries a missing camera
every `retry` seconds and tells the camera when it is lost and when frames
flow again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from museokit.core.loop import Loop
from museokit.vision.cv import Frame
from museokit.vision.pipeline import Pipeline, Processed
from museokit.vision.sources import FrameSource, SourceError, SourceLost

log = logging.getLogger("museokit.vision")


class CameraHooks(Protocol):
    """What a driver tells the camera device; always called on the loop thread."""

    def on_processed(self, processed: Processed | None) -> None: ...
    def on_unavailable(self, reason: str, hint: str) -> None: ...
    def on_frames(self) -> None: ...
    def make_source(self) -> FrameSource: ...


class SourceKeeper:
    """Opens the source, reopens it every `retry` seconds while it is missing.

    `report(fn, *args)` runs a camera hook on the loop thread.
    """

    def __init__(self, hooks: CameraHooks, retry: float,
                 report: Callable[..., None]) -> None:
        self.hooks = hooks
        self.retry = retry
        self.report = report
        self.source: FrameSource | None = None
        self.retry_at = 0.0
        self.flowing = False
        self.swap = False

    def ready(self, now: float) -> FrameSource | None:
        """The open source, opening it if it is time to try; None while it is missing."""
        if self.swap:
            self.swap = False
            self.close()
        if self.source is not None:
            return self.source
        if now < self.retry_at - 1e-6:  # a virtual clock stepped by 1/fps may land just short
            return None
        source = self.hooks.make_source()
        try:
            source.open()
        except SourceError as exc:
            source.close()
            self.retry_at = now + self.retry
            self.report(self.hooks.on_unavailable, f"{source.name}: {exc}", exc.hint)
            return None
        self.source = source
        return source

    def frame(self, read: Callable[[FrameSource], Frame | None], now: float) -> tuple[bool, Any]:
        """(True, frame) from the source, or (False, None) while it is missing or just lost."""
        source = self.ready(now)
        if source is None:
            return False, None
        try:
            frame = read(source)
        except SourceLost as exc:
            self.close()
            self.flowing = False
            self.retry_at = now + self.retry
            self.report(self.hooks.on_unavailable, str(exc), "check its cable; it is retried")
            return False, None
        if not self.flowing:
            self.flowing = True
            self.report(self.hooks.on_frames)
        return True, frame

    def close(self) -> None:
        if self.source is not None:
            self.source.close()
            self.source = None


class SteppedDriver:
    """Virtual clock: one frame every 1/fps of virtual time, processed on the loop."""

    def __init__(self, loop: Loop, hooks: CameraHooks, pipeline: Pipeline, fps: float,
                 retry: float, name: str) -> None:
        self.loop = loop
        self.hooks = hooks
        self.pipeline = pipeline
        self.keeper = SourceKeeper(hooks, retry, lambda fn, *args: fn(*args))
        self.period = 1.0 / fps
        self.name = name
        self.started = 0.0
        self.timer: Any = None

    def start(self) -> None:
        self.started = self.loop.clock.monotonic()
        self.timer = self.loop.call_every(self.period, self.step, first=0.0,
                                          name=f"{self.name} frame")

    def step(self) -> None:
        now = self.loop.clock.monotonic()
        # Rounded so that 10 steps of 0.1 s are 1.0 s, not 0.9999999.
        t = round(now - self.started, 6)
        ok, frame = self.keeper.frame(lambda s: s.frame_at(t), now)
        if ok:
            self.hooks.on_processed(self.pipeline.run(frame, now))

    def stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.keeper.close()


class LatestFrame:
    """A slot holding only the newest frame: putting a new one drops an unread one."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: tuple[Any, float] | None = None
        self._fresh = False
        self.dropped = 0

    def put(self, frame: Any, t: float) -> None:
        with self._cond:
            if self._fresh:
                self.dropped += 1
            self._item, self._fresh = (frame, t), True
            self._cond.notify()

    def take(self, timeout: float) -> tuple[Any, float] | None:
        """The newest frame not taken yet, waiting up to `timeout` s for one."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._fresh, timeout):
                return None
            self._fresh = False
            return self._item


class ThreadedDriver:
    """Real clock: a capture thread and one processing thread."""

    def __init__(self, loop: Loop, hooks: CameraHooks, pipeline: Pipeline, fps: float,
                 retry: float, name: str, show: Callable[[Processed], None] | None = None) -> None:
        self.loop = loop
        self.hooks = hooks
        self.pipeline = pipeline
        self.period = 1.0 / fps
        self.keeper = SourceKeeper(hooks, retry, loop.call_soon_threadsafe)
        self.slot = LatestFrame()
        self.name = name
        self.show = show
        self.running = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self) -> None:
        self.running.set()
        self.threads = [threading.Thread(target=self._capture, name=f"{self.name} capture",
                                         daemon=True),
                        threading.Thread(target=self._process, name=f"{self.name} processing",
                                         daemon=True)]
        for thread in self.threads:
            thread.start()

    def _capture(self) -> None:
        clock = self.loop.clock
        while self.running.is_set():
            ok, frame = self.keeper.frame(lambda s: s.read(), time.monotonic())
            if ok:
                self.slot.put(frame, clock.monotonic())
            else:
                time.sleep(0.05)  # missing: the keeper knows when to try again
        self.keeper.close()

    def _process(self) -> None:
        due = time.monotonic()
        while self.running.is_set():
            item = self.slot.take(timeout=0.2)
            if item is None:
                continue
            wait = due - time.monotonic()
            if wait > 0:  # early: wait, then take whatever is newest by then
                time.sleep(wait)
                item = self.slot.take(timeout=0) or item
            due = max(due + self.period, time.monotonic())
            processed = self.pipeline.run(*item)
            self.loop.call_soon_threadsafe(self.hooks.on_processed, processed)
            if processed is not None and self.show is not None:
                self.show(processed)

    def stop(self) -> None:
        self.running.clear()
        for thread in self.threads:
            thread.join(timeout=2.0)
        self.threads = []
