"""Render the simulator window of each example installation into docs/screenshots/.

    .venv/bin/python -m museokit.sim.screenshots             # every folder in installations/
    .venv/bin/python -m museokit.sim.screenshots installations/hello-button --out /tmp/shots

It draws offscreen (SDL's dummy video driver: no display needed), with the clock
paused, after a visitor played each input device once, so the pictures are the
same on every run on a given machine and show the controls in use. The README
shows them; run this after changing an installation or the window.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SIZE = (1280, 800)
#: Clock time the picture is taken at, after the visitor's actions.
SHOT_AT = 0.6


def render(folder: Path, out: Path, size: tuple[int, int] = SIZE) -> Path:
    """Save `out` (a PNG) of the window for the installation in `folder`; returns `out`."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    import pygame

    from museokit.core.clock import ScaledClock
    from museokit.core.config import load_installation
    from museokit.sim.live import LiveSession
    from museokit.sim.window import SimWindow

    session = LiveSession(load_installation(folder), ScaledClock(rate=0))
    window = SimWindow([session], size=size)
    session.start()
    try:
        window.open()
        assert session.runtime is not None
        for device in session.runtime.devices.values():
            if device.role == "input" and device.sim_actions:
                session.act(device.id, device.sim_actions[0], _sample(device.kind))
        session.step(SHOT_AT)
        session.sync()
        window.frame()
        out.parent.mkdir(parents=True, exist_ok=True)
        pygame.image.save(pygame.display.get_surface(), str(out))
    finally:
        window.shutdown()
        session.close()
    return out


def _sample(kind: str) -> str | None:
    """What a visitor does to show each input in use: a distance, a level, a tag."""
    return {"distance": "80", "analog": "0.7", "tag_reader": "04A3B2"}.get(kind)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m museokit.sim.screenshots",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("installations", nargs="*", type=Path,
                        help="installation folders (default: every folder in installations/)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args(argv)
    folders = args.installations or sorted(
        p.parent for p in (REPO / "installations").glob("*/installation.toml"))
    for folder in folders:
        print(render(folder, args.out / f"{folder.resolve().name}.png"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
