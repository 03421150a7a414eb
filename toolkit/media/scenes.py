"""What a screen shows, as scenes that render themselves at a time `t` into a surface
of any size.

A scene is a pure function of the clock: a fade at 2.5 s looks the same whoever
draws it and however often, so tests on the virtual clock read exact pixels, and
the display host and the simulator window can draw the same scene side by side.
Scaled images, text and caption bands are cached per target size.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import pygame

from museokit.media import text as texts
from museokit.media.video import VideoSource

Color = tuple[int, int, int]
Size = tuple[int, int]

#: Frames are numbered from t * fps; this absorbs the float error of a clock that
#: advanced by 1/fps steps, so frame k never shows as k - 1.
_FRAME_EPSILON = 1e-6


def fitted(src: Size, dst: Size, fit: str) -> tuple[Size, tuple[int, int]]:
    """The scaled size of `src` in `dst` and where its top-left goes.

    `fit` shows the whole picture (bars where the shapes differ); `fill` covers the
    screen and crops what overflows, centred.
    """
    sw, sh = src
    dw, dh = dst
    scale = (min if fit == "fit" else max)(dw / sw, dh / sh)
    size = (max(1, round(sw * scale)), max(1, round(sh * scale)))
    return size, ((dw - size[0]) // 2, (dh - size[1]) // 2)


@dataclass(frozen=True)
class Style:
    """How a screen lays things out (from the device's options)."""

    fit: str = "fit"
    background: Color = (0, 0, 0)
    text_color: Color = (255, 255, 255)
    font: str | None = None


class Scene:
    """Base scene: a plain background (what `blank` shows)."""

    def __init__(self, style: Style, caption: str | None = None) -> None:
        self.style = style
        self.caption = caption
        self._lock = threading.Lock()
        self._captions: dict[Size, tuple[pygame.Surface, tuple[int, int]]] = {}

    def ready(self, wait: bool) -> bool:
        """Whether the first frame can be drawn now (video: frame 0 decoded)."""
        return True

    def render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        with self._lock:
            self._render(target, t, wait)
            if self.caption:
                band, pos = self._caption_for(target.get_size())
                target.blit(band, pos)

    def _render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        target.fill(self.style.background)

    def _caption_for(self, size: Size) -> tuple[pygame.Surface, tuple[int, int]]:
        if size not in self._captions:
            assert self.caption is not None
            self._captions[size] = texts.caption_band(self.caption, self.style.font, size,
                                                      self.style.text_color)
        return self._captions[size]

    def close(self) -> None:
        """Release what the scene holds (a video's decoder); it can still draw its last frame."""


class FittedImages:
    """Images scaled to each target size once, kept while that size is drawn."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self._cache: dict[tuple[int, Size, str], tuple[pygame.Surface, tuple[int, int]]] = {}

    def get(self, image: pygame.Surface, target: pygame.Surface,
            fit: str) -> tuple[pygame.Surface, tuple[int, int]]:
        size = target.get_size()
        key = (id(image), size, fit)
        if key not in self._cache:
            scaled_size, pos = fitted(image.get_size(), size, fit)
            scaled = image if scaled_size == image.get_size() else pygame.transform.smoothscale(
                image, scaled_size)
            if pygame.display.get_init():  # same pixel format as the target: the fastest blit
                scaled = scaled.convert_alpha(target) if scaled.get_alpha() else scaled.convert(target)
            self._cache = {k: v for k, v in self._cache.items() if k[1] == size}
            self._cache[key] = (scaled, pos)
        return self._cache[key]

    def frame(self, image: pygame.Surface, target: pygame.Surface, fit: str) -> None:
        """Draw `image` as a whole frame on `target`: background where it does not reach."""
        scaled, pos = self.get(image, target, fit)
        if not _covers(scaled, pos, target):
            target.fill(self.style.background)
        target.blit(scaled, pos)


class ImageScene(Scene):
    def __init__(self, image: pygame.Surface, style: Style, fit: str | None = None,
                 caption: str | None = None) -> None:
        super().__init__(style, caption)
        self.image = image
        self.fit = fit or style.fit
        self._fitted = FittedImages(style)

    def _render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        self._fitted.frame(self.image, target, self.fit)


class SlideshowScene(Scene):
    """Slides every `interval` seconds from `start`; a fade blends the last `fade` seconds
    of the previous slide into the next, computed from the clock alone."""

    def __init__(self, images: Sequence[pygame.Surface], captions: Sequence[str | None],
                 start: float, interval: float, fade: float, loop: bool, style: Style) -> None:
        super().__init__(style)
        self.images = list(images)
        self.captions = list(captions)
        self.start = start
        self.interval = interval
        self.fade = fade
        self.loop = loop
        self._fitted = FittedImages(style)
        #: Whole composed frames (image, bars, caption) of the last slides drawn, for fades.
        self._frames: dict[tuple[int, Size], pygame.Surface] = {}

    def slide_at(self, t: float) -> tuple[int, float]:
        """(slide number since the start, seconds into it)."""
        elapsed = max(0.0, t - self.start)
        n = int(elapsed // self.interval)
        if not self.loop and n >= len(self.images):
            return len(self.images) - 1, self.interval
        return n, elapsed - n * self.interval

    def _render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        n, into = self.slide_at(t)
        current = n % len(self.images)
        if self.fade > 0 and n > 0 and into < self.fade:
            target.blit(self._frame((n - 1) % len(self.images), target), (0, 0))
            incoming = self._frame(current, target)
            incoming.set_alpha(round(255 * into / self.fade))
            target.blit(incoming, (0, 0))
            incoming.set_alpha(None)
        else:
            target.blit(self._frame(current, target), (0, 0))

    def _frame(self, index: int, target: pygame.Surface) -> pygame.Surface:
        size = target.get_size()
        key = (index, size)
        if key not in self._frames:
            frame = pygame.Surface(size, 0, target)
            self._fitted.frame(self.images[index], frame, self.style.fit)
            caption = self.captions[index]
            if caption:
                band, pos = texts.caption_band(caption, self.style.font, size, self.style.text_color)
                frame.blit(band, pos)
            if len(self._frames) >= 3:
                self._frames.pop(next(iter(self._frames)))
            self._frames[key] = frame
        return self._frames[key]


class VideoScene(Scene):
    """Frame `(t - start) * fps` of a video source, scaled to fit."""

    def __init__(self, source: VideoSource, start: float, style: Style, fit: str | None = None,
                 caption: str | None = None) -> None:
        super().__init__(style, caption)
        self.source = source
        self.start = start
        self.fit = fit or style.fit
        #: The global index of the frame last drawn (tests and the seam check read it).
        self.shown = -1

    def ready(self, wait: bool) -> bool:
        return True  # frame 0 is decoded when the source is created

    def frame_index(self, t: float) -> int:
        return max(0, int((t - self.start) * self.source.fps + _FRAME_EPSILON))

    def _render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        index, frame = self.source.frame(self.frame_index(t), wait)
        self.shown = index
        w, h = self.source.size
        image = pygame.image.frombuffer(frame, (w, h), "BGR")
        size = target.get_size()
        scaled_size, pos = fitted((w, h), size, self.fit)
        if scaled_size != (w, h):
            image = pygame.transform.scale(image, scaled_size)
        if not _covers(image, pos, target):
            target.fill(self.style.background)
        target.blit(image, pos)

    def close(self) -> None:
        self.source.close()


class TextScene(Scene):
    """Text, wrapped to 90% of the width and centred."""

    def __init__(self, text: str, size: int, color: Color, background: Color, style: Style) -> None:
        super().__init__(style)
        self.text = text
        self.size = size
        self.color = color
        self.background = background
        self._blocks: dict[Size, pygame.Surface] = {}

    def _render(self, target: pygame.Surface, t: float, wait: bool) -> None:
        w, h = target.get_size()
        if (w, h) not in self._blocks:
            # The size is given for a 1080-line screen and scales with the target.
            size = max(8, round(self.size * h / 1080))
            self._blocks = {(w, h): texts.render_block(self.text, self.style.font, size, self.color,
                                                       int(w * 0.9))}
        block = self._blocks[(w, h)]
        target.fill(self.background)
        target.blit(block, ((w - block.get_width()) // 2, (h - block.get_height()) // 2))


def _covers(image: pygame.Surface, pos: tuple[int, int], target: pygame.Surface) -> bool:
    x, y = pos
    return (x <= 0 and y <= 0 and x + image.get_width() >= target.get_width()
            and y + image.get_height() >= target.get_height() and not image.get_alpha()
            and not image.get_flags() & pygame.SRCALPHA)
