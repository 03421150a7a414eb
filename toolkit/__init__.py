"""museokit: a toolkit for interactive museum installations.

Behaviour modules import their vocabulary from here, and their devices from
`museokit.installation`::

    from museokit import after, goto, on
    from museokit.installation import door, lamp

`import museokit` loads only the behaviour API (`museokit.core.behaviour`, which
defers the rest of the toolkit until an installation is loaded), so it stays cheap
on a Pi Zero.
"""

from __future__ import annotations

from museokit.core.behaviour import (
    Event,
    after,
    device,
    do,
    emit,
    enter,
    every,
    goto,
    lockout,
    log,
    on,
    options,
    state,
)

__version__ = "0.1.0"

__all__ = ["Event", "__version__", "after", "device", "do", "emit", "enter", "every", "goto",
           "lockout", "log", "on", "options", "state"]
