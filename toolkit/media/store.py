"""A screen's decoded images and preloaded videos, so a trigger shows its first frame
at the next display refresh instead of after a file open and a decode."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import pygame

from museokit.media.files import MediaError, kind_of, resolve
from museokit.media.images import load_image
from museokit.media.video import VideoSource

#: Decoded images kept (a 1080p image is 8 MB).
MAX_IMAGES = 32
#: Videos kept open with their first frames decoded, ready to play.
MAX_PRELOADED_VIDEOS = 4

ShortHandler = Callable[[str, int, int], None]


class MediaStore:
    def __init__(self, folder: Path | None, bound: tuple[int, int], on_short: ShortHandler) -> None:
        self.folder = folder
        self.bound = bound
        self.on_short = on_short
        self._images: OrderedDict[str, pygame.Surface] = OrderedDict()
        self._videos: dict[tuple[str, bool], VideoSource] = {}

    def image(self, name: str) -> pygame.Surface:
        """The decoded image `name`; MediaError if it is missing, damaged or too large."""
        if name in self._images:
            self._images.move_to_end(name)
            return self._images[name]
        image = load_image(resolve(self.folder, name), name, self.bound)
        self._images[name] = image
        if len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)
        return image

    def video(self, name: str, loop: bool) -> VideoSource:
        """A source for one playback of `name`: the preloaded one if there is one."""
        source = self._videos.pop((name, loop), None)
        return source if source is not None else self._open(name, loop)

    def preload(self, name: str, loop: bool = False) -> None:
        """Decode `name` (an image) or open it with its first frames (a video) ahead of use."""
        if kind_of(name) == "image":
            self.image(name)
        elif kind_of(name) == "video" and (name, loop) not in self._videos \
                and len(self._videos) < MAX_PRELOADED_VIDEOS:
            self._videos[(name, loop)] = self._open(name, loop)

    def is_preloaded(self, name: str, loop: bool = False) -> bool:
        return name in self._images or (name, loop) in self._videos

    def _open(self, name: str, loop: bool) -> VideoSource:
        if kind_of(name) != "video":
            raise MediaError(f"{name}: not a video file name (.mp4, .mov, .avi, .mkv, .webm)")
        return VideoSource(resolve(self.folder, name), name, loop,
                           on_short=lambda decoded, expected: self.on_short(name, decoded, expected))

    def close(self) -> None:
        for source in self._videos.values():
            source.close()
        self._videos.clear()
        self._images.clear()
