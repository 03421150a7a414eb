"""The simulator window: see and poke a whole installation on a laptop.

    museokit sim installations/hello-button          (opens it when a display is present)

One pygame window: the projection (what a Screen device shows, drawn by the media
code through `Screen.draw(surface)`), the camera feed (`debug_frame()`, with its
zones and detections), one panel of device controls per node, a scrolling log of
bus events, and clock controls (pause, 1×, 10×, step). The runtime loops run on
their own threads (`LiveSession`); this window owns the main thread, as display
libraries want on macOS. Saved files are reloaded; a refused reload shows as a
red banner while the previous version keeps running.

Keyboard: Tab / Shift+Tab move between controls, Enter or Space uses one (held
down, it holds a button), arrows move a slider, each button's key (shown on it)
presses it, F5 pause, F6 1×, F7 10×, F8 step, Ctrl + / Ctrl - zoom, Ctrl+Q quit.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from typing import Any

import pygame

from museokit.core.events import Event
from museokit.core.runtime import Runtime
from museokit.sim import ui
from museokit.sim.live import LiveSession
from museokit.sim.panel import NodePanel

log = logging.getLogger("museokit.sim")

FPS = 30
#: Seconds between two looks at the installation files for a hot reload.
RELOAD_POLL = 0.25
#: What the step control moves a paused clock on by.
STEP = 0.1
HELP = ("Tab: next control · Enter/Space: use · arrows: slider · keys on buttons press them · "
        "F5 pause · F6 1× · F7 10× · F8 step · Ctrl± zoom · Ctrl+Q quit")
_SHORTCUTS = [*"1234567890", *"qwertyuiopasdfghjklzxcvbnm"]


class _LogLines(logging.Handler):
    """museokit's log lines (reload errors, handler errors, behaviour info) into the window log."""

    def __init__(self, lines: deque[tuple[ui.Color, str]]) -> None:
        super().__init__(logging.INFO)
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        colour = ui.BAD if record.levelno >= logging.ERROR else (
            ui.WARN if record.levelno >= logging.WARNING else ui.DIM)
        self.lines.append((colour, record.getMessage().splitlines()[0]))


class SimWindow:
    def __init__(self, sessions: list[LiveSession], size: tuple[int, int] | None = None) -> None:
        self.sessions = sessions
        self.size = size
        self.zoom = 1.0
        self.closed = False
        self.lines: deque[tuple[ui.Color, str]] = deque(maxlen=500)
        self._log_handler = _LogLines(self.lines)
        keys = iter(_SHORTCUTS)
        self.panels = [NodePanel(s, [next(keys, "") for _ in range(len(_SHORTCUTS) // len(sessions))])
                       for s in sessions]
        for session in sessions:
            session.before_start.append(self._tap)
            if session.runtime is not None:
                self._tap(session.runtime)
        main = sessions[0]
        self.clock_controls: list[ui.Control] = [
            ui.PushButton("pause", "pause", self.toggle_pause, lit=lambda: main.clock.paused),
            ui.PushButton("1x", "1×", lambda: self.set_rate(1), lit=lambda: main.clock.rate == 1),
            ui.PushButton("10x", "10×", lambda: self.set_rate(10), lit=lambda: main.clock.rate == 10),
            ui.PushButton("step", "step", self.step)]
        self.focus: str | None = None
        self._grabbed: ui.Control | None = None
        self._held_keys: dict[int, ui.Control] = {}
        self._next_reload = 0.0
        self._running_rate = 1.0
        self.screen: pygame.Surface | None = None
        self.theme = ui.Theme((1280, 800))
        self._theme_for: tuple[tuple[int, int], float] | None = None
        self.bar = self.body = self.log_rect = pygame.Rect(0, 0, 0, 0)

    # -- life -------------------------------------------------------------------------------
    def open(self) -> pygame.Surface:
        if sys.platform == "win32":  # real pixels on HiDPI Windows instead of a blurry stretch
            import ctypes

            ctypes.windll.shcore.SetProcessDpiAwareness(1)  # type: ignore[attr-defined]
        pygame.display.init()
        pygame.font.init()
        size = self.size or _default_size()
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        pygame.display.set_caption(f"museokit sim — {self.sessions[0].installation.name}")
        pygame.key.set_repeat()  # a held key is one press, like a held button
        logging.getLogger("museokit").addHandler(self._log_handler)
        return self.screen

    def run(self, duration: float | None = None) -> None:
        """Show the window until it is closed (or `duration` real seconds), then close it."""
        self.open()
        ticker = pygame.time.Clock()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while not self.closed:
                if deadline is not None and time.monotonic() >= deadline:
                    break
                self.frame()
                ticker.tick(FPS)
        finally:
            self.shutdown()

    def close(self) -> None:
        """Ask the window to close at the next frame; safe from signal handlers and threads."""
        self.closed = True

    def shutdown(self) -> None:
        logging.getLogger("museokit").removeHandler(self._log_handler)
        pygame.display.quit()
        self.screen = None

    # -- one frame ------------------------------------------------------------------------------
    def frame(self) -> None:
        """Handle input, reload saved files, draw. Tests and screenshots call it directly."""
        assert self.screen is not None, "open() the window first"
        for event in pygame.event.get():
            self.handle(event)
        now = time.monotonic()
        if now >= self._next_reload:
            self._next_reload = now + RELOAD_POLL
            for session in self.sessions:
                session.reload_if_changed()
        for panel in self.panels:
            panel.sync()
            panel.tick()
        self.screen = pygame.display.get_surface() or self.screen
        self.layout()
        self.draw(self.screen)
        pygame.display.flip()

    # -- clock ---------------------------------------------------------------------------------
    def set_rate(self, rate: float) -> None:
        for session in self.sessions:
            session.set_rate(rate)
        if rate:
            self._running_rate = rate

    def toggle_pause(self) -> None:
        self.set_rate(self._running_rate if self.sessions[0].clock.paused else 0)

    def step(self) -> None:
        if not self.sessions[0].clock.paused:
            self.set_rate(0)
        for session in self.sessions:
            session.step(STEP)

    # -- input ---------------------------------------------------------------------------------
    def controls(self) -> list[ui.Control]:
        return [*self.clock_controls, *(c for p in self.panels for c in p.controls)]

    def control(self, name: str) -> ui.Control:
        return next(c for c in self.controls() if c.name == name)

    def handle(self, event: Any) -> None:
        if event.type == pygame.QUIT:
            self.close()
        elif event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            hit = next((c for c in self.controls() if c.rect.collidepoint(event.pos)), None)
            if hit is not None:
                self.focus, self._grabbed = hit.name, hit
                hit.mouse_down(event.pos)
        elif event.type == pygame.MOUSEMOTION and self._grabbed is not None:
            self._grabbed.mouse_drag(event.pos)
        elif event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self._grabbed is not None:
            self._grabbed.mouse_up(event.pos)
            self._grabbed = None
        elif event.type == pygame.KEYDOWN:
            self._key_down(event)
        elif event.type == pygame.KEYUP:
            held = self._held_keys.pop(event.key, None)
            focused = self._focused()
            if held is not None:
                held.key(pygame.K_SPACE, False)
            elif focused is not None:
                focused.key(event.key, False)

    def _key_down(self, event: Any) -> None:
        ctrl = event.mod & (pygame.KMOD_CTRL | pygame.KMOD_META)
        clock_keys = {pygame.K_F5: self.toggle_pause, pygame.K_F6: lambda: self.set_rate(1),
                      pygame.K_F7: lambda: self.set_rate(10), pygame.K_F8: self.step}
        if event.key == pygame.K_TAB:
            self._move_focus(-1 if event.mod & pygame.KMOD_SHIFT else 1)
        elif event.key in clock_keys:
            clock_keys[event.key]()
        elif ctrl and event.key == pygame.K_q:
            self.close()
        elif ctrl and event.key in (pygame.K_EQUALS, pygame.K_PLUS, pygame.K_KP_PLUS):
            self.zoom = min(3.0, self.zoom * 1.15)
        elif ctrl and event.key in (pygame.K_MINUS, pygame.K_KP_MINUS):
            self.zoom = max(0.5, self.zoom / 1.15)
        else:
            focused = self._focused()
            if focused is not None and focused.key(event.key, True):
                return
            shortcut = self._shortcuts().get(event.unicode or "")
            if shortcut is not None:
                self._held_keys[event.key] = shortcut
                shortcut.key(pygame.K_SPACE, True)

    def _shortcuts(self) -> dict[str, ui.Control]:
        found: dict[str, ui.Control] = {}
        for panel in self.panels:
            found.update(panel.shortcut_controls())
        return found

    def _focused(self) -> ui.Control | None:
        return next((c for c in self.controls() if c.name == self.focus), None)

    def _move_focus(self, direction: int) -> None:
        controls = self.controls()
        names = [c.name for c in controls]
        index = names.index(self.focus) if self.focus in names else (-1 if direction > 0 else 0)
        self.focus = names[(index + direction) % len(names)]

    # -- bus log ---------------------------------------------------------------------------------
    def _tap(self, runtime: Runtime) -> None:
        clock = runtime.clock

        def note(event: Event) -> None:
            value = "" if event.value is None else f" {event.value}"
            self.lines.append((ui.TEXT, f"{clock.monotonic():9.2f}  {event.key}{value}"))

        runtime.bus.tap(note, name="simulator window log")

    # -- layout and drawing ------------------------------------------------------------------------
    def layout(self) -> None:
        assert self.screen is not None
        size = self.screen.get_size()
        if self._theme_for != (size, self.zoom):  # fonts are cached per theme: keep it if we can
            self._theme_for = (size, self.zoom)
            self.theme = ui.Theme(size, self.zoom)
        theme = self.theme
        width, height = size
        u, pad = theme.unit, theme.pad
        bar = pygame.Rect(0, 0, width, round(u * 1.8))
        x = round(width * 0.36)
        for control in self.clock_controls:
            control.rect = pygame.Rect(x, pad, round(u * 3.2), bar.height - 2 * pad)
            x += control.rect.width + pad
        self.bar = bar
        top = bar.bottom + (round(u * 1.4) if self._errors() else 0)
        bottom = height - round(u * 1.2)
        left_w = round(width * 0.56)
        self.body = pygame.Rect(pad, top + pad, left_w - 2 * pad, bottom - top - 2 * pad)
        right = pygame.Rect(left_w, top + pad, width - left_w - pad, bottom - top - 2 * pad)
        share = right.height // max(1, len(self.panels))
        for i, panel in enumerate(self.panels):
            panel.layout(pygame.Rect(right.left, right.top + i * share, right.width, share - pad), theme)
        self.focus_sync()

    def focus_sync(self) -> None:
        for control in self.controls():
            control.focused = control.name == self.focus

    def _errors(self) -> list[str]:
        return [s.error for s in self.sessions if s.error]

    def draw(self, surface: pygame.Surface) -> None:
        theme, u, pad = self.theme, self.theme.unit, self.theme.pad
        surface.fill(ui.BACKGROUND)
        main = self.sessions[0]
        theme.text(surface, main.installation.name, (pad * 2, pad * 2), ui.TEXT, size=1.1, bold=True,
                   max_width=round(surface.get_width() * 0.36) - 4 * pad)
        for control in self.clock_controls:
            control.draw(surface, theme)
        rate = "paused" if main.clock.paused else f"{main.clock.rate:g}×"
        theme.text(surface, f"{main.clock.monotonic():.1f} s · {rate}",
                   (self.clock_controls[-1].rect.right + 2 * pad, pad * 2), ui.DIM)
        errors = self._errors()
        if errors:
            banner = pygame.Rect(0, self.bar.bottom, surface.get_width(), round(u * 1.4))
            pygame.draw.rect(surface, (110, 30, 28), banner)
            theme.text(surface, f"reload refused — {errors[0]}", (pad * 2, banner.top + pad), ui.TEXT,
                       max_width=banner.width - 4 * pad)
        self._draw_body(surface)
        for panel in self.panels:
            panel.draw(surface, theme)
        theme.text(surface, HELP, (pad * 2, surface.get_height() - round(u * 1.1)), ui.DIM, size=0.8,
                   max_width=surface.get_width() - 4 * pad)

    def _draw_body(self, surface: pygame.Surface) -> None:
        theme, body = self.theme, self.body
        devices = [d for s in self.sessions if s.runtime for d in s.runtime.devices.values()]
        screens = [d for d in devices if callable(getattr(d, "draw", None))]
        cameras = [d for d in devices if callable(getattr(d, "debug_frame", None))]
        view_h = min(round(body.width * 9 / 16), round(body.height * (0.45 if cameras else 0.6)))
        projection = pygame.Rect(body.left, body.top, body.width, view_h)
        _draw_projection(surface, projection, theme, screens, devices)
        top = projection.bottom + theme.pad
        if cameras:
            camera_rect = pygame.Rect(body.left, top, body.width, round(body.height * 0.3))
            _draw_cameras(surface, camera_rect, theme, cameras)
            top = camera_rect.bottom + theme.pad
        self.log_rect = pygame.Rect(body.left, top, body.width, body.bottom - top)
        self._draw_log(surface, self.log_rect)

    def _draw_log(self, surface: pygame.Surface, rect: pygame.Rect) -> None:
        theme = self.theme
        pygame.draw.rect(surface, ui.PANEL, rect, border_radius=theme.pad)
        line_h = round(theme.unit * 0.85)
        rows = max(0, (rect.height - 2 * theme.pad) // line_h)
        shown = list(self.lines)[-rows:] if rows else []
        for i, (colour, text) in enumerate(shown):
            theme.text(surface, text, (rect.left + theme.pad, rect.top + theme.pad + i * line_h), colour,
                       size=0.8, max_width=rect.width - 2 * theme.pad)


def _draw_projection(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, screens: list[Any],
                     devices: list[Any]) -> None:
    pygame.draw.rect(surface, (0, 0, 0), rect)
    if not screens:
        kinds: dict[str, int] = {}
        for device in devices:
            if device.kind != "states":
                kinds[device.kind] = kinds.get(device.kind, 0) + 1
        has = ", ".join(f"{n} {kind}" for kind, n in kinds.items()) or "no devices"
        _centred(surface, rect, theme, ["no screen in this installation", f"it has: {has}"])
        return
    width = rect.width // len(screens)
    for i, screen in enumerate(screens):
        area = pygame.Rect(rect.left + i * width, rect.top, width, rect.height)
        target = surface.subsurface(_fit(area, 16 / 9))
        try:
            screen.draw(target)
        except Exception as exc:  # a media bug must not take the simulator down
            _centred(surface, area, theme, [f"{screen.id}: cannot draw", f"{type(exc).__name__}: {exc}"],
                     ui.BAD)


def _draw_cameras(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, cameras: list[Any]) -> None:
    width = rect.width // len(cameras)
    for i, camera in enumerate(cameras):
        area = pygame.Rect(rect.left + i * width, rect.top, width - theme.pad, rect.height)
        pygame.draw.rect(surface, (0, 0, 0), area)
        try:
            frame = camera.debug_frame()
        except Exception as exc:
            frame, why = None, f"{type(exc).__name__}: {exc}"
        else:
            why = "offline" if not camera.is_online else "no picture yet"
        if frame is None:
            _centred(surface, area, theme, [f"camera {camera.id}: {why}",
                                            "is a webcam connected, or the video file there?"], ui.WARN)
            continue
        height, width_px = frame.shape[:2]
        image = pygame.image.frombuffer(frame[:, :, ::-1].tobytes(), (width_px, height), "RGB")
        fitted = _fit(area, width_px / height)
        surface.blit(pygame.transform.smoothscale(image, fitted.size), fitted)
        theme.text(surface, camera.id, (area.left + theme.pad, area.top + theme.pad), ui.TEXT, size=0.8)


def _fit(area: pygame.Rect, aspect: float) -> pygame.Rect:
    """The largest rectangle of `aspect` centred in `area`."""
    width = min(area.width, round(area.height * aspect))
    height = min(area.height, round(width / aspect))
    fitted = pygame.Rect(0, 0, max(1, width), max(1, height))
    fitted.center = area.center
    return fitted


def _centred(surface: pygame.Surface, rect: pygame.Rect, theme: ui.Theme, lines: list[str],
             colour: ui.Color = ui.DIM) -> None:
    line_h = round(theme.unit * 1.1)
    top = rect.centery - line_h * len(lines) // 2
    for i, text in enumerate(lines):
        image = theme.font().render(text, True, colour)
        if image.get_width() > rect.width:
            image = pygame.transform.smoothscale(
                image, (rect.width, max(1, image.get_height() * rect.width // image.get_width())))
        surface.blit(image, image.get_rect(midtop=(rect.centerx, top + i * line_h)))


def _default_size() -> tuple[int, int]:
    """Three quarters of the desktop: on a HiDPI screen that is more pixels, and the theme scales."""
    sizes = pygame.display.get_desktop_sizes()
    width, height = sizes[0] if sizes else (1280, 800)
    return max(800, width * 3 // 4), max(500, height * 3 // 4)
