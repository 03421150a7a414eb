"""Text on screen: a font that covers French and other accented scripts, word wrapping,
and captions.

The default font is DejaVu Sans (Debian's fonts-dejavu-core, on Raspberry Pi OS by
default), which covers Latin, Greek and Cyrillic with every accent; pygame's own
font (FreeSans Bold, Latin-1 and Latin Extended-A) stands in where it is missing.
"""

from __future__ import annotations

import logging
import threading
from functools import cache
from pathlib import Path

import pygame

from museokit.media.files import MediaError

log = logging.getLogger("museokit.media")

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# pygame's font objects are not meant to be shared across threads; the loop thread
# checks coverage and the display thread renders, so both go through this lock.
_lock = threading.Lock()


def default_font() -> str | None:
    """The font file used when none is configured (None: pygame's built-in font)."""
    return str(DEJAVU) if DEJAVU.is_file() else None


@cache
def font(path: str | None, size: int) -> pygame.font.Font:
    if not pygame.font.get_init():
        pygame.font.init()
    try:
        return pygame.font.Font(path, size)
    except (OSError, pygame.error) as exc:
        raise MediaError(f"font {path}: cannot load ({exc}) — give a .ttf or .otf file, or leave "
                         "`font` out for DejaVu Sans") from None


def missing_glyphs(path: str | None, text: str) -> str:
    """The characters of `text` the font has no glyph for (spaces and line breaks aside)."""
    import pygame.freetype  # says None for a missing glyph, where pygame.font draws a box

    chars = sorted({c for c in text if not c.isspace()})
    with _lock:
        if not pygame.freetype.get_init():
            pygame.freetype.init()
        metrics = pygame.freetype.Font(path, 24).get_metrics("".join(chars))
    return "".join(c for c, m in zip(chars, metrics, strict=True) if m is None)


def wrap(face: pygame.font.Font, text: str, width: int) -> list[str]:
    """`text` broken into lines no wider than `width` pixels, at spaces where possible."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if face.size(candidate)[0] <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while face.size(line)[0] > width and len(line) > 1:  # a word longer than the line
                cut = len(line) - 1
                while cut > 1 and face.size(line[:cut])[0] > width:
                    cut -= 1
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def render_block(text: str, path: str | None, size: int, color: tuple[int, int, int],
                 width: int) -> pygame.Surface:
    """Centred, wrapped lines of `text` on a transparent surface at most `width` wide."""
    with _lock:
        face = font(path, size)
        lines = wrap(face, text, width)
        rendered = [face.render(line, True, color) for line in lines]
        step = face.get_linesize()
    block = pygame.Surface((max((r.get_width() for r in rendered), default=1),
                            max(1, step * len(rendered))), pygame.SRCALPHA)
    for i, surface in enumerate(rendered):
        block.blit(surface, ((block.get_width() - surface.get_width()) // 2, i * step))
    return block


def caption_band(text: str, path: str | None, target: tuple[int, int],
                 color: tuple[int, int, int]) -> tuple[pygame.Surface, tuple[int, int]]:
    """A caption for a screen of size `target`: wrapped text on a dark translucent band at the
    bottom, and where to blit it."""
    w, h = target
    size = max(12, h // 24)
    block = render_block(text, path, size, color, int(w * 0.9))
    pad = size // 2
    band = pygame.Surface((w, block.get_height() + 2 * pad), pygame.SRCALPHA)
    band.fill((0, 0, 0, 160))
    band.blit(block, ((w - block.get_width()) // 2, pad))
    return band, (0, h - band.get_height() - h // 20)
