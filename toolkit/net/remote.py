"""Devices that live on another node, seen from this one.

`for_node(installation, node)` is the installation as one node runs it:

- on the lead node (the one that runs states, rules and behaviour), every
  device of another node is replaced by a *remote device* on the `mqtt`
  backend: a proxy with the same kind, events and commands, so behaviours
  and rules subscribe to `door.pressed` and call `lamp.on()` exactly as for a
  local device. Its events arrive from the broker, its commands leave as
  `…/<device>/cmd/<name>`, its state mirrors the node's retained `…/state`,
  and it goes offline/online with its node's `…/status`.
- on any other node, only its own devices run; no states, rules or behaviour
  (the lead runs those), so nothing fires twice.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, ClassVar

from toolkit.core.config import Installation
from toolkit.core.device import Device

BACKEND = "mqtt"


class RemoteDevice(Device):
    """Base of the proxy classes `remote_class` builds; one instance per remote device."""

    remote_of: ClassVar[type[Device]] = Device
    pins = ()

    def open(self) -> None:
        # Unknown until the node's retained status arrives; no event for that.
        self._state["online"] = False
        self.backend.attach(self)  # type: ignore[attr-defined]

    def mirror(self, state: dict[str, Any]) -> None:
        """The remote node published this device's state (on the loop thread)."""
        changes = {k: v for k, v in state.items() if k != "online"}
        if changes:
            self.set_state(**changes)


def _remote_command(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)  # keeps the signature, so check_call checks arguments alike
    def send(self: RemoteDevice, *args: Any, **kwargs: Any) -> None:
        self.backend.send_command(self, name, list(args), kwargs)  # type: ignore[attr-defined]

    return send


_classes: dict[type[Device], type[RemoteDevice]] = {}


def remote_class(cls: type[Device]) -> type[RemoteDevice]:
    """A proxy class for devices of `cls` that live on another node (one per class)."""
    if cls in _classes:
        return _classes[cls]
    namespace: dict[str, Any] = {
        "kind": cls.kind, "role": cls.role, "events": cls.events, "options": cls.options,
        "summary": f"{cls.summary} (on another node)", "remote_of": cls,
        "check_command": classmethod(lambda _c, name, opts: cls.check_command(name, opts)),
    }
    for name, method in cls.commands.items():
        namespace[name] = _remote_command(name, method)
    proxy = _classes[cls] = type(f"Remote{cls.__name__}", (RemoteDevice,), namespace)
    return proxy


def for_node(inst: Installation, node: str) -> Installation:
    """The installation as node `node` runs it; raises ValueError for an unknown node."""
    declared = [n.id for n in inst.nodes] or [inst.node]
    if node not in declared:
        raise ValueError(f"{inst.file}: node {node!r} is not declared; nodes: "
                         f"{', '.join(declared)} — add a [[nodes]] table with id = \"{node}\"")
    if node == inst.node:
        devices = [d if inst.node_of(d) == node else
                   dataclasses.replace(d, cls=remote_class(d.cls), backend=BACKEND, pins={})
                   for d in inst.devices]
        return dataclasses.replace(inst, devices=devices)
    return dataclasses.replace(inst, node=node, devices=[d for d in inst.devices
                                                           if inst.node_of(d) == node],
                               states=[], rules=[], behaviour=None)


def simulated(inst: Installation) -> Installation:
    """`inst` with this node's devices on the simulator and remote ones left on mqtt."""
    return dataclasses.replace(inst, devices=[d if d.backend == BACKEND else
                                              dataclasses.replace(d, backend="sim")
                                              for d in inst.devices])
