"""The `mqtt` backend: devices wired to another node, reached through the broker.

It is the meeting point of the remote devices (`museokit.net.remote`) and the
node's `Link`: the link creates it when the node joins a broker, remote
devices attach to it when they open, and their commands leave through it.
Without a broker there is nothing to reach another node with, so the entry
point alone refuses to start and says how to give one.
"""

from __future__ import annotations

from typing import Any, Protocol

from museokit.core.backend import Backend, BackendError
from museokit.core.loop import Loop


class Route(Protocol):
    """What the backend needs of the node's link (`museokit.net.link.Link`, one floor up).

    The devices are `museokit.net.remote.RemoteDevice`s; the backend only hands them on.
    """

    def attach_remote(self, device: Any) -> None: ...

    def send_command(self, device: Any, name: str, args: list[Any],
                     kwargs: dict[str, Any]) -> None: ...


class MqttBackend(Backend):
    name = "mqtt"
    wiring = ("`node = \"entrance\"` on the device: wired to that node, on its backend; the "
              "lead node reaches it through the broker like a local device")

    def __init__(self, loop: Loop, options: dict[str, Any] | None = None) -> None:
        super().__init__(loop, options)
        link = self.options.get("link")
        if link is None:
            raise BackendError("devices on another node need a broker: run with "
                               "--broker mqtt://HOST:PORT (or set MUSEOKIT_BROKER, or "
                               "[broker] url in the installation file)")
        self.link: Route = link

    def attach(self, device: Any) -> None:
        self.link.attach_remote(device)

    def send_command(self, device: Any, name: str, args: list[Any],
                     kwargs: dict[str, Any]) -> None:
        self.link.send_command(device, name, args, kwargs)
