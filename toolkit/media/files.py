"""Media file names: where they live, what kind they are, and what is wrong with them.

Paths in an installation are relative to its folder. Names with spaces and
accents work, and a name typed in one Unicode normal form (é as one code point)
finds a file saved in the other (e + combining accent, as macOS writes it), since
files copied from a Mac to a Pi keep their decomposed names.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

IMAGE_TYPES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tga"})
VIDEO_TYPES = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm"})
SOUND_TYPES = frozenset({".wav", ".ogg", ".mp3", ".flac"})
#: A video's soundtrack is a sound file of the same name beside it, tried in this order.
SOUNDTRACK_TYPES = (".ogg", ".wav", ".mp3", ".flac")


class MediaError(Exception):
    """A media file cannot be shown or played; the message names it and says the fix."""


def kind_of(name: str) -> str:
    """'image', 'video', 'sound' or '' from a file name's extension."""
    suffix = Path(name).suffix.lower()
    if suffix in IMAGE_TYPES:
        return "image"
    if suffix in VIDEO_TYPES:
        return "video"
    if suffix in SOUND_TYPES:
        return "sound"
    return ""


def resolve(folder: Path | None, name: str) -> Path:
    """The file `name` (relative to `folder`) on disk; raises MediaError if it is not there."""
    path = Path(name) if folder is None else folder / name
    if path.is_file():
        return path
    for form in ("NFC", "NFD"):
        other = Path(unicodedata.normalize(form, str(path)))
        if other.is_file():
            return other
    near = _near_names(path)
    hint = f"; in {path.parent}: {', '.join(near)}" if near else ""
    raise MediaError(f"{name}: file not found at {path} — check the name (paths are relative to "
                     f"the installation folder){hint}")


def sidecar(video: Path) -> Path | None:
    """The soundtrack beside `video` (film.mp4 -> film.ogg or film.wav ...), if there is one."""
    for suffix in SOUNDTRACK_TYPES:
        for candidate in (video.with_suffix(suffix), video.with_suffix(suffix.upper())):
            if candidate.is_file():
                return candidate
    return None


def _near_names(path: Path) -> list[str]:
    """Media files beside where `path` was expected, to show what is there (at most 5)."""
    if not path.parent.is_dir():
        return []
    return sorted(p.name for p in path.parent.iterdir() if p.is_file() and kind_of(p.name))[:5]
