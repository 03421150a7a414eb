"""A camera source drawn by a Python script of the installation: `sim_source =
"scenarios/make_video.py"`.

The script defines `frame(t)` (a BGR picture for second `t`, or None) and may say how
long its visit lasts in `SECONDS`, after which it starts again, as a video file loops.
The simulator imports it from the installation folder (it is the installation's own
code, like its behaviour), so scenarios need no generated video on disk: a fresh
clone runs them as they are.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.vision.sources import GeneratedSource, SourceError


def script_source(path: Path, size: tuple[int, int]) -> GeneratedSource:
    if not path.is_file():
        raise SourceError(f"{path}: no such script", "check sim_source (relative to the "
                          "installation folder)")
    spec = importlib.util.spec_from_file_location(f"museokit_sim_source_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SourceError(f"{path}: cannot be imported", "it must be a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # the installation's own script: say what broke, in one line
        raise SourceError(f"{path} failed to run: {type(exc).__name__}: {exc}",
                          "fix the script; `python " + str(path) + "` shows the traceback") from None
    draw: Callable[[float], Any] | None = getattr(module, "frame", None)
    if not callable(draw):
        raise SourceError(f"{path} has no frame(t) function", "define frame(t) returning a "
                          "picture (museokit.vision.synth.Scene.frame draws one)")
    seconds = float(getattr(module, "SECONDS", 0) or 0)
    fn = draw if seconds <= 0 else (lambda t: draw(t % seconds))
    return GeneratedSource(fn, name=str(path))
