"""Screen frame rates and trigger latency, beside raw pygame/OpenCV loops doing the same work.

All on SDL's dummy video driver (what CI and a headless Pi have), so the figures
measure museokit's own work (scene lookup, locks, caches, the decoder thread),
not a GPU.

- Scene: a 1920x1080 screen showing a 1080p image with a caption (a translucent
  band with text). museokit: `DisplayHost.render()` (the screen's `draw` into the
  display, then flip). Raw: blit the same image, blit a pre-rendered band with
  text, flip, into the same display. The two sides alternate in short blocks and
  each reports its median block.
- Video: a 720p MPEG-4 (mp4v) file, 120 frames, looping. museokit: a screen plays
  it on the virtual clock, advanced one frame per render, so every render needs
  the next frame: decode (on the decoder thread) + `frombuffer` + blit + flip.
  Raw: one loop (same display) doing `VideoCapture.read()` + `frombuffer` + blit + flip, reopening
  the file at its end.
- Trigger → first frame: the runtime loop in its thread, the display at 60 fps on
  the main thread; another thread posts `screen.play(film)` at a random moment;
  counted: refreshes from the trigger up to the first one showing the film's first
  frame (1 = the very next refresh). Raw: a flag set by another thread, read by the
  render loop, which then blits an already decoded frame.
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ["SDL_AUDIODRIVER"] = "dummy"

import cv2
import pygame
from _common import Result, median, progress, report

from museokit.core.config import load_installation
from museokit.core.runtime import Runtime
from museokit.media import samples
from museokit.media.display import DisplayHost, screens_of
from museokit.sim.harness import Harness

SECONDS = 3.0
BLOCKS = 6
CAPTION = "Élodie, à l'âge de douze ans — approchez-vous…"
TRIALS = 20


def _piece(folder: Path, width: int, height: int, attract: str = "") -> Path:
    (folder / "installation.toml").write_text(
        f'[[devices]]\nid = "screen"\nkind = "screen"\nwidth = {width}\nheight = {height}\n'
        f'{attract}\n[devices.captions]\n"photo.png" = "{CAPTION}"\n', encoding="utf-8")
    return folder


def _rate(render: Callable[[], object], seconds: float) -> float:
    """Frames per second of calling `render()` for `seconds`."""
    frames, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        render()
        frames += 1
    return frames / (time.perf_counter() - t0)


def _alternate(ours: Callable[[], object], raw: Callable[[], object]) -> tuple[float, float]:
    """Median fps of each side over alternating blocks (a shared 2-core machine drifts)."""
    _rate(ours, 0.2), _rate(raw, 0.2)  # warm-up: caches, decoder queue
    blocks = [(_rate(ours, SECONDS / BLOCKS), _rate(raw, SECONDS / BLOCKS)) for _ in range(BLOCKS)]
    return median(b[0] for b in blocks), median(b[1] for b in blocks)


# -- scene -------------------------------------------------------------------------------
def scene(folder: Path) -> tuple[float, float]:
    h = Harness(load_installation(_piece(folder, 1920, 1080, 'attract = ["photo.png"]')))
    h.run_for(0)
    host = DisplayHost(h.runtime, screens_of(h.runtime), "headless")
    display = host.open()
    image = pygame.image.load(str(folder / "photo.png")).convert()
    pygame.font.init()
    font = pygame.font.Font("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 45)
    text = font.render(CAPTION, True, (255, 255, 255))
    band = pygame.Surface((1920, text.get_height() + 44), pygame.SRCALPHA)
    band.fill((0, 0, 0, 160))
    band.blit(text, ((1920 - text.get_width()) // 2, 22))

    def raw() -> None:
        display.blit(image, (0, 0))
        display.blit(band, (0, 930))
        pygame.display.flip()

    rates = _alternate(host.render, raw)
    host.close()
    h.close()
    return rates


# -- video -------------------------------------------------------------------------------
def video(folder: Path) -> tuple[float, float]:
    h = Harness(load_installation(_piece(folder, 1280, 720)))
    h.run_for(0)
    host = DisplayHost(h.runtime, screens_of(h.runtime), "headless")
    display = host.open()
    h.command("screen", "play", "hd.mp4", loop=True)
    step = 1 / 25

    def ours() -> None:
        h.run_for(step)  # the next frame is due: the render waits for the decoder if it must
        host.render()

    capture = [cv2.VideoCapture(str(folder / "hd.mp4"))]

    def raw() -> None:
        ok, frame = capture[0].read()
        if not ok:
            capture[0].release()
            capture[0] = cv2.VideoCapture(str(folder / "hd.mp4"))
            ok, frame = capture[0].read()
        display.blit(pygame.image.frombuffer(frame, (1280, 720), "BGR"), (0, 0))
        pygame.display.flip()

    rates = _alternate(ours, raw)
    capture[0].release()
    host.close()
    h.close()
    return rates


# -- trigger -----------------------------------------------------------------------------
def _trials(render_until_shown: Callable[[threading.Event], int],
            trigger: Callable[[], object]) -> list[int]:
    """Refreshes from each trigger to the first refresh showing the new content."""
    counts = []
    for _ in range(TRIALS):
        fired = threading.Event()

        def fire(fired: threading.Event = fired) -> None:
            trigger()
            fired.set()

        timer = threading.Timer(random.uniform(0.05, 0.1), fire)
        timer.start()
        counts.append(render_until_shown(fired))
        timer.join()
    return counts


def trigger_museokit(folder: Path) -> list[int]:
    _piece(folder, 640, 360, 'attract = ["photo.png"]')
    runtime = Runtime(load_installation(folder), backend_override="sim")
    runtime.start()
    screen = runtime.devices["screen"]
    host = DisplayHost(runtime, screens_of(runtime), "headless")
    surface = host.open()
    runtime.start_in_thread()
    pace = pygame.time.Clock()
    runtime.loop.call_soon_threadsafe(screen.preload, "film.mp4")

    def render_until_shown(fired: threading.Event) -> int:
        frames = 0
        while True:
            was_fired = fired.is_set()
            host.render()
            frames += was_fired
            if was_fired and surface.get_at((5, 5))[1] > 120:  # the film's green
                runtime.loop.call_soon_threadsafe(screen.attract)
                while surface.get_at((5, 5))[1] > 120:
                    host.render()
                runtime.loop.call_soon_threadsafe(screen.preload, "film.mp4")
                return frames
            pace.tick(60)

    counts = _trials(render_until_shown, lambda: runtime.loop.call_soon_threadsafe(
        screen.play, "film.mp4"))
    runtime.stop()
    runtime.join(5)
    host.close()
    runtime.close()
    return counts


def trigger_raw(folder: Path) -> list[int]:
    pygame.display.init()
    display = pygame.display.set_mode((640, 360))
    capture = cv2.VideoCapture(str(folder / "film.mp4"))
    _, first = capture.read()
    film = pygame.transform.scale(pygame.image.frombuffer(first, (first.shape[1], first.shape[0]),
                                                          "BGR"), (640, 360))
    photo = pygame.transform.scale(pygame.image.load(str(folder / "photo.png")), (640, 360))
    wanted = [False]
    pace = pygame.time.Clock()

    def render_until_shown(fired: threading.Event) -> int:
        frames = 0
        while True:
            was_fired = fired.is_set()
            display.blit(film if wanted[0] else photo, (0, 0))
            pygame.display.flip()
            frames += was_fired
            if was_fired and display.get_at((5, 5))[1] > 120:
                wanted[0] = False
                return frames
            pace.tick(60)

    counts = _trials(render_until_shown, lambda: wanted.__setitem__(0, True))
    capture.release()
    pygame.display.quit()
    return counts


def run() -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        progress("making media (1080p image, 720p video)")
        samples.solid_image(folder / "photo.png", (1920, 1080), (60, 40, 90))
        samples.numbered_video(folder / "hd.mp4", 120, size=(1280, 720), fps=25)
        samples.numbered_video(folder / "film.mp4", 10, size=(640, 360), tint=(0, 200, 0))
        progress("scene: 1080p image + caption")
        scene_ours, scene_raw_fps = scene(folder)
        progress("video: 720p mp4v")
        video_ours, video_raw_fps = video(folder)
        progress(f"trigger → first frame, {TRIALS} triggers at 60 fps")
        raw_counts, our_counts = trigger_raw(folder), trigger_museokit(folder)
    return [
        Result("scene: 1080p image + text", scene_ours, scene_raw_fps, "fps", 0.9,
               higher_is_better=True, target_is_ratio=True,
               note="DisplayHost.render() vs blit image + blit caption band + flip"),
        Result("video: 720p mp4v loop", video_ours, video_raw_fps, "fps", 0.9,
               higher_is_better=True, target_is_ratio=True,
               note="decoder thread + frombuffer + blit + flip vs one read/frombuffer/blit loop"),
        Result("trigger → first frame (max)", max(our_counts), max(raw_counts), "frames", 1,
               note=f"{TRIALS} triggers at 60 fps; median {median(our_counts):g} "
                    f"(raw {median(raw_counts):g}); 1 = the next refresh"),
    ]


if __name__ == "__main__":
    report("media", run())
    sys.exit(0)
