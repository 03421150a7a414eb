"""Test pieces for the media tests: a folder of generated media and a screen installation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygame

from museokit.core.config import load_installation
from museokit.media import samples
from museokit.sim.harness import Harness
from tests.conftest import write_installation

RED, BLUE, GREEN = (255, 0, 0), (0, 0, 255), (0, 160, 0)
FPS = 25
#: The screen's size in these tests (16:9, small so tests stay fast).
SIZE = (320, 180)

SCREEN = """\
[[devices]]
id = "pir"
kind = "motion"
pin = 4

[[devices]]
id = "screen"
kind = "screen"
width = 320
height = 180
"""


def make_media(folder: Path) -> Path:
    """red.png, blue.png, film.mp4 (20 numbered frames, green tint), loop.mp4 (12 frames)."""
    samples.solid_image(folder / "red.png", (64, 36), RED)
    samples.solid_image(folder / "blue.png", (64, 36), BLUE)
    samples.numbered_video(folder / "film.mp4", 20, fps=FPS, tint=GREEN)
    samples.numbered_video(folder / "loop.mp4", 12, fps=FPS)
    return folder


def open_piece(folder: Path, extra: str = "", behaviour: str | None = None,
               screen_options: str = 'attract = ["red.png"]') -> Harness:
    """A started harness: motion sensor `pir`, screen `screen` (with `screen_options`), `extra`."""
    make_media(folder)
    write_installation(folder, f"{SCREEN}{screen_options}\n\n{extra}", behaviour)
    h = Harness(load_installation(folder))
    h.run_for(0)
    return h


def drawn(h: Harness) -> np.ndarray:
    """What the screen shows now, as an RGB array (rows first)."""
    surface = pygame.Surface(SIZE)
    h.device("screen").draw(surface)
    return pygame.surfarray.array3d(surface).swapaxes(0, 1)


def near(pixel: np.ndarray, rgb: tuple[float, float, float], tolerance: float = 3) -> bool:
    return bool(np.all(np.abs(pixel.astype(float) - np.array(rgb)) <= tolerance))
