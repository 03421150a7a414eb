"""`museokit check` for media: every file the installation names exists and decodes.

Images are decoded, videos opened and their first frame decoded, sounds and
video soundtracks loaded by the mixer (SDL's dummy audio driver when there is no
sound output, since only decoding is checked).
"""

from __future__ import annotations

import os

from museokit.core.config import ConfigIssue, Installation
from museokit.media.files import MediaError, kind_of, resolve, sidecar
from museokit.media.images import load_image
from museokit.media.mixer import load_sound
from museokit.media.refs import MediaRef, media_refs
from museokit.media.video import VideoSource


def check_media(inst: Installation) -> tuple[list[ConfigIssue], int]:
    """One issue per media reference that is missing or does not decode, and how many
    files were checked."""
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    issues = []
    checked: dict[str, str | None] = {}
    for ref in media_refs(inst):
        if ref.name not in checked:
            checked[ref.name] = _problem(inst, ref)
        problem = checked[ref.name]
        if problem is not None:
            issues.append(ConfigIssue(str(ref.file), ref.line, ref.key, problem))
    return issues, len(checked)


def _problem(inst: Installation, ref: MediaRef) -> str | None:
    try:
        path = resolve(inst.folder, ref.name)
        kind = kind_of(ref.name)
        if kind == "image":
            opts = inst.device(ref.device).options
            load_image(path, ref.name, (opts.get("width", 1920), opts.get("height", 1080)))
        elif kind == "video":
            VideoSource(path, ref.name, loop=False, queue_frames=1).close()
            track = sidecar(path)
            if track is not None:
                load_sound(track, track.name, stream=True)
        else:
            load_sound(path, ref.name)
    except MediaError as exc:
        return str(exc)
    return None
