"""Loading still images: size read from the header first, so a huge file is refused
before it fills the Pi's memory, and big photos downscaled once to the screen."""

from __future__ import annotations

import struct
from pathlib import Path

import pygame

from museokit.media.files import MediaError

#: Largest image decoded at all: 50 Mpx is 200 MB of pixels, already a lot on a Pi.
MAX_PIXELS = 50_000_000


def header_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF, BMP or JPEG header without decoding it; None if unknown."""
    with path.open("rb") as f:
        head = f.read(32)
        if head.startswith(b"\x89PNG\r\n\x1a\n") and head[12:16] == b"IHDR":
            w, h = struct.unpack(">II", head[16:24])
            return w, h
        if head[:6] in (b"GIF87a", b"GIF89a"):
            w, h = struct.unpack("<HH", head[6:10])
            return w, h
        if head.startswith(b"BM") and len(head) >= 26:
            w, h = struct.unpack("<ii", head[18:26])
            return abs(w), abs(h)
        if head.startswith(b"\xff\xd8"):
            f.seek(2)
            return _jpeg_size(f)
    return None


def _jpeg_size(f: object) -> tuple[int, int] | None:
    read = f.read  # type: ignore[attr-defined]
    while True:
        marker = read(2)
        if len(marker) < 2 or marker[0] != 0xFF:
            return None
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue
        length_bytes = read(2)
        if len(length_bytes) < 2:
            return None
        length = struct.unpack(">H", length_bytes)[0]
        if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
            data = read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack(">HH", data[1:5])
            return w, h
        read(length - 2)


def load_image(path: Path, name: str, bound: tuple[int, int]) -> pygame.Surface:
    """Decode `path`; downscale it if it is larger than needed to cover `bound` (w, h).

    Raises MediaError for damaged files and for images over MAX_PIXELS.
    """
    try:
        size = header_size(path)
    except OSError as exc:
        raise MediaError(f"{name}: cannot read: {exc}") from None
    if size is not None and size[0] * size[1] > MAX_PIXELS:
        raise MediaError(f"{name}: image is {size[0]}x{size[1]} ({size[0] * size[1] / 1e6:.0f} Mpx), "
                         f"over the {MAX_PIXELS / 1e6:.0f} Mpx museokit decodes — scale it to the "
                         f"screen ({bound[0]}x{bound[1]}), e.g. `convert '{path.name}' -resize "
                         f"{bound[0]}x{bound[1]} smaller.png`")
    try:
        image = pygame.image.load(str(path))
    except (pygame.error, OSError, ValueError) as exc:
        raise MediaError(f"{name}: cannot decode this image ({exc}) — the file is damaged or not an "
                         "image; export it again as PNG or JPEG") from None
    if image.get_bitsize() < 24:  # palette images (GIF, 8-bit PNG): smoothscale needs 24/32 bits
        image = _as_32bit(image)
    w, h = image.get_size()
    scale = max(bound[0] / w, bound[1] / h)  # the smallest size that still covers the screen
    if scale < 1:
        image = pygame.transform.smoothscale(image, (max(1, round(w * scale)), max(1, round(h * scale))))
    return image


def _as_32bit(image: pygame.Surface) -> pygame.Surface:
    out = pygame.Surface(image.get_size(), pygame.SRCALPHA, 32)
    out.blit(image, (0, 0))
    return out
