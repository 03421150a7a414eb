"""Shared pieces of the vision tests: a camera installation and a scene to show it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from museokit.sim.harness import Harness
from museokit.vision.sources import GeneratedSource
from museokit.vision.synth import Scene

LEFT_RIGHT = """
[devices.zones]
left = [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]
right = [[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
"""


def camera_toml(triggers: str, zones: str = "", options: str = "", more: str = "",
                source: str = '"unused.avi"') -> str:
    """One camera `cam` (and `more` devices before it), its zones and trigger tables."""
    return (f'{more}\n[[devices]]\nid = "cam"\nkind = "camera"\nsource = {source}\n'
            f"{options}\n{zones}\n{triggers}\n")


def trigger(kind: str, options: str = "") -> str:
    return f'[[devices.triggers]]\nkind = "{kind}"\n{options}\n'


def watch(harness: Callable[..., Harness], toml: str, scene: Scene | Callable[[float], Any],
          seconds: float, fps: float = 10.0) -> Harness:
    """Start the installation, show the camera `scene`, run `seconds` of virtual time."""
    h = harness(toml)
    draw = scene.frame if isinstance(scene, Scene) else scene
    h.device("cam").use_source(GeneratedSource(draw, fps))
    h.run_for(seconds)
    return h


def seen(h: Harness, key: str) -> list[tuple[float, Any]]:
    """(virtual time, value) of every `key` event, times rounded to the millisecond."""
    return [(round(s.t, 3), s.value) for s in h.events(key)]
