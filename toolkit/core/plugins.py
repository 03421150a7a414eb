"""Devices, backends and camera triggers found through entry points.

The project's own devices register in pyproject.toml exactly like a third-party
brick does, so `pip install museokit-brick-foo` makes `kind = "foo"` available
with no change to museokit. Classes are imported only when used.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

DEVICES = "museokit.devices"
BACKENDS = "museokit.backends"
TRIGGERS = "museokit.triggers"


class PluginError(RuntimeError):
    """A registered plugin failed to import; the message names the package."""


@cache
def registered(group: str) -> dict[str, EntryPoint]:
    found = {ep.name: ep for ep in entry_points(group=group)}
    if group in (DEVICES, BACKENDS) and not found:
        raise PluginError("no museokit devices are registered: museokit is not installed in "
                          "this Python. Run `pip install -e .` in the museokit folder.")
    return found


@cache
def load(group: str, name: str) -> Any:
    ep = registered(group)[name]
    try:
        return ep.load()
    except Exception as exc:  # a broken brick must not hide behind a traceback
        dist = ep.dist.name if ep.dist else "?"
        raise PluginError(f"{group} entry point {name!r} ({ep.value}, from {dist}) failed "
                          f"to import: {type(exc).__name__}: {exc}") from exc
