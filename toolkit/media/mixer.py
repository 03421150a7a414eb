"""The one pygame mixer a process has, shared by sound devices and video soundtracks.

Sound devices play on numbered channels (short sounds, decoded into memory);
video soundtracks stream through `pygame.mixer.music`, so a ten-minute film's
sound is never decoded whole into a Pi's memory.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pygame

from museokit.media.files import MediaError

_lock = threading.Lock()
#: Why the mixer could not start: asked once, not at every sound (a failed open is slow).
_failure: list[MediaError] = []


def get_mixer(channels: int = 8) -> Any:
    """`pygame.mixer`, started with at least `channels` channels; MediaError if there is no
    sound output."""
    with _lock:
        if _failure:
            raise _failure[0]
        if not pygame.mixer.get_init():
            try:
                pygame.mixer.init(44100, -16, 2, 512)
            except pygame.error as exc:
                _failure.append(MediaError(
                    f"no sound output ({exc}) — check the speaker or HDMI audio is connected and "
                    "selected (`raspi-config`, System, Audio); SDL_AUDIODRIVER=dummy runs silent"))
                raise _failure[0] from None
        if pygame.mixer.get_num_channels() < channels:
            pygame.mixer.set_num_channels(channels)
        return pygame.mixer


def load_sound(path: Path, name: str, stream: bool = False) -> Any:
    """A decoded pygame Sound; with `stream`, load `path` into the music stream instead (a
    soundtrack, played from disk). MediaError if the mixer cannot read it."""
    mixer = get_mixer()
    try:
        if stream:
            mixer.music.load(str(path))
            return None
        return mixer.Sound(str(path))
    except pygame.error as exc:
        raise MediaError(f"{name}: cannot decode this sound ({exc}) — export it again as .wav "
                         "or .ogg") from None
