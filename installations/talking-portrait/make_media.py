"""Make the talking portrait's sample media: the repository keeps this script, not binaries.

    python installations/talking-portrait/make_media.py

The behaviour runs it too when the files are missing, so `museokit sim` just works.
Replace the files in media/ with your own (same names, or change installation.toml).
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from museokit.media import samples
from museokit.vision.synth import write_frames

MEDIA = Path(__file__).resolve().parent / "media"
#: Attract slides: names with accents and spaces, as curators write them.
SLIDES = {"salle 1 — l'atelier.png": (70, 50, 40), "portrait d'Élodie.png": (40, 60, 90),
          "la fenêtre.png": (90, 80, 30)}
PORTRAIT_FRAMES = 75  # 3 s at 25 fps


def make_media(folder: Path = MEDIA) -> list[Path]:
    """Write every sample file that is missing; returns those written."""
    written = []
    for name, color in SLIDES.items():
        if not (folder / name).exists():
            written.append(samples.solid_image(folder / name, (1280, 720), color))
    video = folder / "portrait.mp4"
    if not video.exists():
        # Numbered frames (tests read them) with a face drawn over the middle.
        write_frames(video, (_portrait_frame(k) for k in range(PORTRAIT_FRAMES)), 25, "mp4v")
        written.append(video)
    if not (folder / "portrait.wav").exists():
        written.append(samples.tone_wav(folder / "portrait.wav", PORTRAIT_FRAMES / 25, hz=180))
    return written


def _portrait_frame(k: int) -> np.ndarray:
    frame = samples.numbered_frame(k, (640, 360), tint=(30, 20, 60))
    mouth = 6 + 14 * abs((k % 10) - 5) // 5  # the mouth opens and closes: it talks
    cv2.circle(frame, (320, 180), 70, (150, 190, 230), -1)
    cv2.ellipse(frame, (320, 215), (28, mouth), 0, 0, 360, (40, 40, 120), -1)
    return frame


if __name__ == "__main__":
    made = make_media()
    print("\n".join(f"wrote {p}" for p in made) or "media/ is complete", file=sys.stderr)
