"""The simulator window's small widget kit: a theme that scales, and focusable controls.

Everything is sized from one `Theme.unit` (a line of text), which follows the
window's size, so the window reads the same on a small laptop and on a HiDPI
screen (where the window simply has more pixels). Every control can be reached
with Tab and used with Enter, Space and the arrow keys; the mouse works too.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame

Color = tuple[int, int, int]

BACKGROUND: Color = (24, 26, 31)
PANEL: Color = (36, 39, 46)
RAISED: Color = (58, 62, 72)
PRESSED: Color = (226, 160, 52)
TEXT: Color = (228, 230, 235)
DIM: Color = (150, 155, 165)
FOCUS: Color = (90, 170, 255)
GOOD: Color = (92, 200, 120)
BAD: Color = (235, 80, 72)
WARN: Color = (240, 190, 70)

#: Design size: at this window height the unit (one text line) is 22 px.
_BASE_HEIGHT = 800
_BASE_UNIT = 22


class Theme:
    def __init__(self, size: tuple[int, int], zoom: float = 1.0) -> None:
        width, height = size
        scale = min(width / 1280, height / _BASE_HEIGHT) * zoom
        self.unit = max(12, round(_BASE_UNIT * scale))
        self.pad = max(3, self.unit // 4)
        self._fonts: dict[tuple[int, bool], pygame.font.Font] = {}

    def font(self, size: float = 1.0, bold: bool = False) -> pygame.font.Font:
        px = max(9, round(self.unit * 0.72 * size))
        key = (px, bold)
        if key not in self._fonts:
            font = pygame.font.Font(None, round(px * 1.35))  # pygame's bundled font: same everywhere
            font.set_bold(bold)
            self._fonts[key] = font
        return self._fonts[key]

    def text(self, surface: pygame.Surface, text: str, pos: tuple[int, int], color: Color = TEXT,
             size: float = 1.0, bold: bool = False, max_width: int | None = None) -> pygame.Rect:
        """Draw one line of text, cut with '…' to `max_width`; returns where it went."""
        font = self.font(size, bold)
        if max_width is not None and font.size(text)[0] > max_width:
            while text and font.size(text + "…")[0] > max_width:
                text = text[:-1]
            text += "…"
        image = font.render(text, True, color)
        return surface.blit(image, pos)


class Control:
    """A focusable thing in the window. Subclasses draw themselves and act on input."""

    focusable = True

    def __init__(self, name: str) -> None:
        self.name = name
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.focused = False
        self.down = False

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        raise NotImplementedError

    def frame(self, surface: pygame.Surface, theme: Theme, fill: Color) -> None:
        pygame.draw.rect(surface, fill, self.rect, border_radius=theme.pad)
        if self.focused:
            pygame.draw.rect(surface, FOCUS, self.rect, width=max(2, theme.pad // 2),
                             border_radius=theme.pad)

    # What the window calls; the defaults make a click out of mouse or keys.
    def mouse_down(self, pos: tuple[int, int]) -> None:
        self.down = True
        self.press()

    def mouse_up(self, pos: tuple[int, int]) -> None:
        if self.down:
            self.down = False
            self.release()

    def mouse_drag(self, pos: tuple[int, int]) -> None:
        """The mouse moved while this control holds it."""

    def key(self, key: int, down: bool) -> bool:
        """A key while focused; True if the control used it."""
        if key in (pygame.K_SPACE, pygame.K_RETURN, pygame.K_KP_ENTER):
            if down and not self.down:
                self.down = True
                self.press()
            elif not down and self.down:
                self.down = False
                self.release()
            return True
        return False

    def press(self) -> None:
        """Pressed (mouse down, or key down when focused)."""

    def release(self) -> None:
        """Let go."""


class PushButton(Control):
    """A button that runs `action` when clicked (on release, like a desktop button)."""

    def __init__(self, name: str, text: str, action: Callable[[], None],
                 lit: Callable[[], bool] = lambda: False) -> None:
        super().__init__(name)
        self.caption = text
        self.action = action
        self.lit = lit

    def release(self) -> None:
        self.action()

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        self.frame(surface, theme, PRESSED if self.down or self.lit() else RAISED)
        image = theme.font(0.9, bold=True).render(self.caption, True, TEXT)
        surface.blit(image, image.get_rect(center=self.rect.center))


class Slider(Control):
    """A horizontal slider from `low` to `high`; `commit(value)` runs when a new value is set.

    With `none_label`, the far right end means "nothing" (a distance sensor with nobody
    in range) and commits None.
    """

    def __init__(self, name: str, low: float, high: float, step: float,
                 commit: Callable[[float | None], None], none_label: str | None = None,
                 start: float | None = None) -> None:
        super().__init__(name)
        self.low, self.high, self.step = low, high, step
        self.commit = commit
        self.none_label = none_label
        self.value: float | None = start if start is not None or none_label else low

    def _span(self) -> float:
        return self.high - self.low + (self.step if self.none_label else 0.0)

    def _from_x(self, x: int) -> float | None:
        track = self.track()
        fraction = min(1.0, max(0.0, (x - track.left) / max(1, track.width)))
        value = self.low + round(fraction * self._span() / self.step) * self.step
        return None if value > self.high + 1e-9 else round(value, 6)

    def track(self) -> pygame.Rect:
        inset = self.rect.height // 2
        return pygame.Rect(self.rect.left + inset, self.rect.centery - 2,
                           max(1, self.rect.width - 2 * inset), 4)

    def mouse_down(self, pos: tuple[int, int]) -> None:
        self.down = True
        self.value = self._from_x(pos[0])

    def mouse_drag(self, pos: tuple[int, int]) -> None:
        self.value = self._from_x(pos[0])

    def mouse_up(self, pos: tuple[int, int]) -> None:
        if self.down:
            self.down = False
            self.commit(self.value)

    def key(self, key: int, down: bool) -> bool:
        moves = {pygame.K_LEFT: -1, pygame.K_DOWN: -1, pygame.K_RIGHT: 1, pygame.K_UP: 1}
        if key not in moves:
            return False
        if down:
            current = self.high + self.step if self.value is None else self.value
            value = min(self.high + (self.step if self.none_label else 0.0),
                        max(self.low, current + moves[key] * self.step))
            self.value = None if value > self.high + 1e-9 else round(value, 6)
            self.commit(self.value)
        return True

    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        self.frame(surface, theme, PANEL)
        track = self.track()
        pygame.draw.rect(surface, RAISED, track)
        position = self._span() if self.value is None else self.value - self.low
        x = track.left + round(track.width * position / self._span())
        pygame.draw.circle(surface, PRESSED if self.down else TEXT, (x, track.centery),
                           max(4, self.rect.height // 3))
