"""museokit: a toolkit for interactive museum installations.

Behaviour modules import their vocabulary from here::

    from museokit import on, after, every, goto

The names are resolved lazily so that `import museokit` stays cheap on a Pi Zero.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_BEHAVIOUR_API = {
    "on", "after", "every", "goto", "state", "enter", "lockout", "device", "emit", "options", "do",
}


def __getattr__(name: str) -> Any:
    if name in _BEHAVIOUR_API:
        from museokit.core import behaviour

        return getattr(behaviour, name)
    raise AttributeError(f"module 'museokit' has no attribute {name!r}")
