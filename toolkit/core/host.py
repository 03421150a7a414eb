"""What the behaviour API needs of the installation running it.

`museokit.core.runtime.Runtime` is the host: it loads the behaviour module
(`museokit.core.behaviour.load`) and makes itself the one the API acts on. The API
names only this much of it, so the behaviour layer sits below the runtime and the
two do not import each other.
"""

from __future__ import annotations

from typing import Any, Protocol

from museokit.core.bus import Handler, Subscription
from museokit.core.config import Installation
from museokit.core.device import Device
from museokit.core.loop import Loop
from museokit.core.states import StateMachine
from museokit.core.triggers import ANY_VALUE, Lockout


class Host(Protocol):
    installation: Installation
    loop: Loop
    devices: dict[str, Device]
    states: StateMachine | None
    lockout: Lockout
    #: Events the behaviour module emits itself, found when it loads (`emit("story", "chapter")`).
    custom_events: dict[str, set[str] | None]

    def subscribe(self, pattern: str, fn: Handler, name: str, *, value: Any = ANY_VALUE,
                  states: tuple[str, ...] = (), cooldown: float = 0.0, lockout: float = 0.0,
                  until: str | None = None) -> Subscription: ...

    def current_state(self) -> str: ...

    def emit(self, device_id: str, name: str, value: Any = None) -> None: ...

    def command(self, device_id: str, name: str, args: list[Any] | None = None,
                kwargs: dict[str, Any] | None = None) -> Any: ...
