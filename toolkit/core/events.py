"""Events: what travels on the bus.

An event is named `<device>.<name>` (`door.pressed`); that name maps one-to-one
onto the MQTT topic `museokit/<site>/<node>/<device>/event/<name>` (see
`museokit.core.topics`).
"""

from __future__ import annotations

import re
from typing import Any

NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

#: Matches any event value: the default of `@on(..., value=)` and of a trigger's value.
ANY_VALUE: Any = object()


class Event:
    """One thing that happened: a press, a tag, a state entered, a video finished."""

    __slots__ = ("device", "key", "name", "node", "seq", "ts", "value")

    def __init__(
        self,
        device: str,
        name: str,
        value: Any = None,
        ts: float = 0.0,
        seq: int = 0,
        node: str = "",
    ) -> None:
        self.device = device
        self.name = name
        self.key = f"{device}.{name}"
        self.value = value
        self.ts = ts
        self.seq = seq
        self.node = node

    def payload(self) -> dict[str, Any]:
        """The JSON payload of docs/design.md's event topic."""
        return {"ts": self.ts, "value": self.value, "seq": self.seq}

    def __repr__(self) -> str:
        value = "" if self.value is None else f" {self.value!r}"
        return f"<Event {self.key}{value} seq={self.seq}>"


def split_key(key: str) -> tuple[str, str]:
    """`'door.pressed'` -> `('door', 'pressed')`; raises ValueError on anything else."""
    device, sep, name = key.partition(".")
    if not sep or not device or not name or "." in name:
        raise ValueError(f"an event is named '<device>.<event>', got {key!r}")
    return device, name
