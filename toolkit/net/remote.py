"""Devices that live on another node, seen from this one.

`for_node(installation, node)` is the installation as one node runs it:

- on the lead node (the one that runs states, rules and behaviour), every
  device of another node is replaced by a *remote device* on the `mqtt`
  backend: a proxy with the same kind, events and commands, so behaviours
  and rules subscribe to `door.pressed` and call `lamp.on()` exactly as for a
  local device. Its events arrive from the broker, its commands leave as
  `…/<device>/cmd/<name>`, its state mirrors the node's retained `…/state`,
  and it goes offline/online with its node's `…/status`. gpiozero's read
  properties (`door.is_pressed`, `pir.motion_detected`, `sonar.distance`,
  `reader.tag`, `lamp.is_lit`, `.is_active`, `.value`...) read that mirrored
  state, so a behaviour reads a remote button like a local one. An event
  carries its device's new state, so in a handler of `door.pressed` the
  remote `door.is_pressed` is already True.
- on any other node, only its own devices run; no states, rules or behaviour
  (the lead runs those), so nothing fires twice.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, ClassVar

from museokit.core.config import Installation
from museokit.core.device import Device

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


Read = Callable[[dict[str, Any], dict[str, Any]], Any]  # (mirrored state, options) -> value


def _flag(key: str) -> Read:
    return lambda state, opts: bool(state.get(key))


def _number(key: str) -> Read:
    return lambda state, opts: int(bool(state.get(key)))


def _get(key: str) -> Read:
    return lambda state, opts: state.get(key)


def _fraction(state: dict[str, Any], opts: dict[str, Any]) -> float:
    distance = state.get("distance")
    return 1.0 if distance is None else float(distance) / float(opts["max_distance"])


def _lit(state: dict[str, Any], opts: dict[str, Any]) -> bool:
    return bool(state.get("value")) or state.get("label") in ("blinking", "pulsing")


#: The read properties of each kind, computed from the state its node publishes
#: (the same keys the local device class sets with `set_state`).
READS: dict[str, dict[str, Read]] = {
    "button": {"is_pressed": _flag("pressed"), "is_active": _flag("pressed"), "value": _number("pressed")},
    "motion": {"motion_detected": _flag("motion"), "is_active": _flag("motion"),
               "value": _number("motion")},
    "distance": {"distance": _get("distance"), "zone": _get("zone"), "value": _fraction,
                 "in_range": lambda state, opts: state.get("distance") is not None},
    "analog": {"value": lambda state, opts: float(state.get("value") or 0.0),
               "is_active": lambda state, opts: state.get("label") == "above"},
    "tag_reader": {"tag": _get("tag"), "value": _get("tag"), "tag_name": _get("name"),
                   "is_active": lambda state, opts: state.get("tag") is not None},
    "touch": {"touched": lambda state, opts: list(state.get("touched") or []),
              "value": lambda state, opts: list(state.get("touched") or []),
              "is_active": lambda state, opts: bool(state.get("touched"))},
    "encoder": {"position": lambda state, opts: int(state.get("position") or 0),
                "value": lambda state, opts: int(state.get("position") or 0)},
    "relay": {"value": _number("value"), "is_active": _flag("value")},
    "led": {"value": lambda state, opts: float(state.get("value") or 0.0), "is_lit": _lit,
            "is_active": _lit},
}


def _read_property(read: Read) -> property:
    return property(lambda self: read(self._state, self.opts))


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
    for name, read in READS.get(cls.kind, {}).items():
        namespace[name] = _read_property(read)
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
