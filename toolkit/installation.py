"""The devices of the installation being loaded, by id, for its behaviour file::

    from museokit.installation import door, lamp

    @on("door.pressed")
    def light():
        lamp.on()

Each name is looked up in the installation that is loading (or, inside a handler,
running) the behaviour, so linters and editors see an ordinary import, and a
misspelled id stops the load with one line: `installation.toml has no device
'dor' — did you mean 'door'?`. `museokit check` says the same before anything
starts, and checks each device's attributes against its kind.

The names are typed `Any`: which class a device has depends on the installation
file, which only `museokit check` reads.
"""

from __future__ import annotations

from typing import Any


class UnknownDevice(ImportError):
    """`from museokit.installation import dor` names no device of the installation.

    An ImportError rather than an AttributeError, so that `from … import` shows this
    message and not Python's generic "cannot import name".
    """


def __getattr__(name: str) -> Any:
    if name.startswith("__"):  # copy, pickle, doctest and editors probe dunders
        raise AttributeError(name)
    from museokit.core.behaviour import current_runtime
    from museokit.core.suggest import suggest

    runtime = current_runtime()
    devices = runtime.devices
    if name in devices:
        return devices[name]
    file = runtime.installation.file.name
    hint = suggest(name, devices) or f"its devices: {', '.join(devices) or 'none'}"
    raise UnknownDevice(f"{file} has no device {name!r} — {hint}", name=name)
