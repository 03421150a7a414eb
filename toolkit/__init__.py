"""museokit: a toolkit for interactive museum installations.

Behaviour modules import their vocabulary from here::

    from toolkit import on, after, every, goto

The names are resolved lazily so that `import toolkit` stays cheap on a Pi Zero.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_BEHAVIOUR_API = {
    "on", "after", "every", "goto", "state", "enter", "lockout", "device", "emit", "options",
}


def __getattr__(name: str) -> Any:
    if name in _BEHAVIOUR_API:
        from toolkit.core import behaviour

        return getattr(behaviour, name)
    raise AttributeError(f"module 'toolkit' has no attribute {name!r}")
