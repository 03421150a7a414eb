"""The display host: the render loop on the main thread (SDL requires it), the runtime
loop on another, so a slow behaviour never holds a frame back.

Each refresh, every screen device draws its current frame into its part of the
window; the loop is paced by the display's vsync where SDL offers it, and by a
frame clock (`fps`) everywhere. Modes:

- `fullscreen`: the gallery kiosk; cursor hidden, the picture scaled to the
  projector's resolution.
- `window`: a window on a laptop (Escape or closing it stops the installation).
- `headless`: SDL's dummy video driver, for tests, CI and a Pi with no screen yet.

Several screens sit side by side in one window (a Pi 4 drives two HDMI outputs
as one wide desktop).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

import pygame

from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.display")

MODES = ("fullscreen", "window", "headless")
#: A window on a laptop is at most this wide; the screens are scaled down to fit.
_WINDOW_WIDTH = 1280


def default_mode(kiosk: bool) -> str:
    """`fullscreen` for `museokit run`; for the simulator, a window if there is a desktop."""
    if kiosk:
        return "fullscreen"
    return "window" if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") else "headless"


def screens_of(runtime: Runtime) -> list[Any]:
    """The devices that draw (screens, built in or from a brick)."""
    return [d for d in runtime.devices.values() if callable(getattr(d, "draw", None))]


class DisplayHost:
    def __init__(self, runtime: Runtime, screens: Sequence[Any], mode: str = "window",
                 fps: int = 60) -> None:
        if mode not in MODES:
            raise ValueError(f"display mode {mode!r}: expected one of {', '.join(MODES)}")
        self.runtime = runtime
        self.screens = list(screens)
        self.mode = mode
        self.fps = fps
        #: Refreshes drawn so far.
        self.frames = 0
        self.vsync = False
        self.surface: pygame.Surface | None = None
        self._parts: list[tuple[Any, pygame.Surface]] = []

    def open(self) -> pygame.Surface:
        """Open the window (or the fullscreen display); returns its surface."""
        if self.mode == "headless":
            os.environ["SDL_VIDEODRIVER"] = "dummy"
        pygame.display.init()
        width = sum(s.size[0] for s in self.screens)
        height = max(s.size[1] for s in self.screens)
        if self.mode == "window" and width > _WINDOW_WIDTH:
            width, height = _WINDOW_WIDTH, round(height * _WINDOW_WIDTH / width)
        self.surface = self._set_mode((width, height))
        pygame.display.set_caption(f"museokit — {self.runtime.installation.name}")
        if self.mode == "fullscreen":
            pygame.mouse.set_visible(False)
        self._parts = self._layout(self.surface)
        log.info("display: %s %dx%d%s, %d screen(s)", self.mode, width, height,
                 ", vsync" if self.vsync else f", {self.fps} fps", len(self.screens))
        return self.surface

    def _set_mode(self, size: tuple[int, int]) -> pygame.Surface:
        if self.mode == "fullscreen":
            # SCALED lets SDL fit the picture to the projector and allows vsync.
            flags = pygame.FULLSCREEN | pygame.SCALED
            try:
                surface = pygame.display.set_mode(size, flags, vsync=1)
                self.vsync = True
                return surface
            except pygame.error as exc:
                log.warning("display: no vsync (%s); pacing at %d fps", exc, self.fps)
                return pygame.display.set_mode(size, flags)
        return pygame.display.set_mode(size)

    def _layout(self, surface: pygame.Surface) -> list[tuple[Any, pygame.Surface]]:
        """Each screen's part of the window, side by side, in proportion to their widths."""
        total = sum(s.size[0] for s in self.screens)
        parts, x = [], 0
        for i, screen in enumerate(self.screens):
            w = surface.get_width() - x if i == len(self.screens) - 1 else round(
                surface.get_width() * screen.size[0] / total)
            parts.append((screen, surface.subsurface((x, 0, w, surface.get_height()))))
            x += w
        return parts

    def render(self) -> None:
        """Draw every screen once and show the result."""
        for screen, part in self._parts:
            screen.draw(part)
        pygame.display.flip()
        self.frames += 1

    def run(self) -> None:
        """Run the installation: its loop on a thread, the display here, until it stops.

        The window stays open (its last frame readable) until `close()`.
        """
        if self.surface is None:
            self.open()
        self.runtime.start_in_thread()
        pace = pygame.time.Clock()
        try:
            while self.runtime.running:
                self._handle_events()
                self.render()
                pace.tick(self.fps)
        finally:
            self.runtime.stop()
            if not self.runtime.join(5):
                log.error("display: the runtime loop did not stop within 5 s")

    def close(self) -> None:
        pygame.display.quit()
        self.surface = None

    def _handle_events(self) -> None:
        for event in pygame.event.get():
            if event.type == pygame.QUIT or (
                    self.mode == "window" and event.type == pygame.KEYDOWN
                    and event.key == pygame.K_ESCAPE):
                log.info("display: window closed, stopping")
                self.runtime.stop()
