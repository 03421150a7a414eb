"""Devices, backends and camera triggers found through entry points.

The project's own devices register in pyproject.toml exactly like a third-party
brick does, so `pip install museokit-brick-foo` makes `kind = "foo"` available
with no change to museokit. Classes are imported only when used.

Two installed packages may register the same name (two bricks both providing
`kind = "fog"`): the one whose distribution name sorts first wins, whatever order
Python finds them in, and one warning line names both packages.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from importlib.metadata import EntryPoint, entry_points
from typing import Any

DEVICES = "museokit.devices"
BACKENDS = "museokit.backends"
TRIGGERS = "museokit.triggers"


log = logging.getLogger("museokit.plugins")


class PluginError(RuntimeError):
    """A registered plugin failed to import; the message names the package."""


@cache
def registered(group: str) -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in sorted(entry_points(group=group), key=_by_dist):
        first = found.setdefault(ep.name, ep)
        if first is not ep and (_dist(first), first.value) != (_dist(ep), ep.value):
            log.warning("%s %r is provided by two packages, %s (%s) and %s (%s): %s's is used; "
                        "uninstall one of them", group, ep.name, _dist(first), first.value,
                        _dist(ep), ep.value, _dist(first))
    if group in (DEVICES, BACKENDS) and not found:
        raise PluginError("no museokit devices are registered: museokit is not installed in "
                          "this Python. Run `pip install -e .` in the museokit folder.")
    return found


def _by_dist(ep: EntryPoint) -> tuple[str, str]:
    """Sort key: the normalised distribution name (PEP 503), so one package wins everywhere."""
    return re.sub(r"[-_.]+", "-", _dist(ep)).lower(), ep.value


def _dist(ep: EntryPoint) -> str:
    """The distribution that registered `ep` ('?' when Python cannot say)."""
    return ep.dist.name if ep.dist else "?"


@cache
def load(group: str, name: str) -> Any:
    ep = registered(group)[name]
    try:
        return ep.load()
    except Exception as exc:  # a broken brick must not hide behind a traceback
        dist = _dist(ep)
        raise PluginError(f"{group} entry point {name!r} ({ep.value}, from {dist}) failed "
                          f"to import: {type(exc).__name__}: {exc}") from exc
