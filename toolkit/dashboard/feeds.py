"""Where the dashboard's model gets its news: the local bus, or a broker's retained topics.

`BusFeed` runs on the lead node, in the installation's process: its handlers run on the
installation's loop and only hand tuples over. `MqttFeed` reads `museokit/#` on any broker
(one site's, or a central one that many sites are bridged to: the fleet view).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from museokit.core.events import Event
from museokit.dashboard.model import Handoff
from museokit.net.bridge import BRIDGE_NODE

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.dashboard")


class BusFeed:
    """Taps the runtime's bus. Create and `start()` it before the loop thread runs (or on it)."""

    def __init__(self, runtime: Runtime, handoff: Handoff) -> None:
        self.runtime = runtime
        self.handoff = handoff
        inst = runtime.installation
        self.site = inst.site
        self.node_of = {d.id: inst.node_of(d) for d in inst.devices}
        self.nodes = [n.id for n in inst.nodes] or [inst.node]
        self._online: dict[str, bool] = {}
        self._tap: Any = None

    def start(self) -> None:
        rt = self.runtime
        put = self.handoff.put
        for node in self.nodes:
            put(("node", self.site, node, {"online": True}))
        for dev_id, device in rt.devices.items():
            node = self.node_of.get(dev_id, rt.installation.node)
            self._online[dev_id] = device.is_online
            put(("dev", self.site, node, dev_id, {
                "kind": device.kind, "role": device.role, "online": device.is_online,
                "state": device.state}))
        self._note_nodes()
        self._tap = rt.bus.tap(self._on_event, name="dashboard")
        rt.bus.watch_state(self._on_state)
        rt.bus.stats.error_listeners.append(self._on_error)

    def close(self) -> None:
        bus = self.runtime.bus
        if self._tap is not None:
            bus.untap(self._tap)
            bus.unwatch_state(self._on_state)
            if self._on_error in bus.stats.error_listeners:
                bus.stats.error_listeners.remove(self._on_error)
            self._tap = None

    def _node(self, dev_id: str) -> str:
        return self.node_of.get(dev_id, self.runtime.installation.node)

    def _on_event(self, event: Event) -> None:
        fields: dict[str, Any] = {"last_seen": event.ts, "last_event": event.name}
        if event.name in ("online", "offline"):
            fields["online"] = online = event.name == "online"
            if self._online.get(event.device) != online:
                self._online[event.device] = online
                self.handoff.put(("dev", self.site, self._node(event.device), event.device, fields))
                self._note_nodes()
                return
        self.handoff.put(("dev", self.site, self._node(event.device), event.device, fields))

    def _on_state(self, device: str, state: dict[str, Any]) -> None:
        self.handoff.put(("dev", self.site, self._node(device), device, {"state": state}))

    def _on_error(self, name: str, what: str, exc: BaseException) -> None:
        self.handoff.put(("error", self.site, self.runtime.installation.node,
                          f"{name} on {what}: {type(exc).__name__}: {exc}"))

    def _note_nodes(self) -> None:
        """A node is online while any of its devices is (remote devices follow their node)."""
        lead = self.runtime.installation.node
        for node in self.nodes:
            ids = [d for d, n in self.node_of.items() if n == node]
            online = node == lead or any(self._online.get(d, True) for d in ids)
            self.handoff.put(("node", self.site, node, {"online": online}))


class MqttFeed:
    """Subscribes to `museokit/#` (retained status, meta, state, health, alerts, events)."""

    def __init__(self, url: Any, handoff: Handoff, *, sites: tuple[str, ...] = ()) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.url = url
        self.handoff = handoff
        self.sites = sites
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
        if url.username:
            self.client.username_pw_set(url.username, url.password)
        if url.tls:
            self.client.tls_set()
        self.client.reconnect_delay_set(min_delay=0.25, max_delay=5)  # type: ignore[arg-type]
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message

    def start(self) -> None:
        self.client.connect_async(self.url.host, self.url.port, keepalive=15)
        self.client.loop_start()

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        roots = [f"museokit/{s}/#" for s in self.sites] or ["museokit/#"]
        client.subscribe([(r, 0) for r in roots])

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            item = parse_message(msg.topic, bytes(msg.payload))
        except ValueError as exc:
            log.debug("fleet: ignored %s: %s", msg.topic, exc)
            return
        for update in item:
            self.handoff.put(update)


def parse_message(topic: str, payload: bytes) -> list[tuple[Any, ...]]:
    """The model updates one museokit message makes; ValueError for anything else."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != "museokit":
        raise ValueError("not a museokit topic")
    site, node, rest = parts[1], parts[2], parts[3:]
    if node == BRIDGE_NODE and rest == ["state"]:
        return [("site", site, {"reachable": payload == b"1"})]
    if rest == ["status"]:
        return [("node", site, node, {"online": payload == b"online"})]
    if rest == ["health"]:
        return [("node", site, node, {"health": _json(payload)})]
    if rest == ["meta"]:
        meta = _json(payload)
        devices = meta.get("devices", {}) if isinstance(meta, dict) else {}
        out: list[tuple[Any, ...]] = [
            ("dev", site, node, str(dev_id), {"kind": str(d.get("kind", "")),
                                               "role": str(d.get("role", ""))})
            for dev_id, d in devices.items() if isinstance(d, dict)]
        return out
    if len(rest) == 2 and rest[0] == "alert":
        return [("alert", site, node, rest[1], _json(payload) if payload else None)]
    if len(rest) == 2 and rest[1] == "state":
        state = _json(payload)
        if not isinstance(state, dict):
            raise ValueError("state is not an object")
        return [("dev", site, node, rest[0], {"state": state,
                                               "online": bool(state.get("online", True))})]
    if len(rest) == 3 and rest[1] == "event":
        data = _json(payload)
        ts = data.get("ts", 0.0) if isinstance(data, dict) else 0.0
        return [("dev", site, node, rest[0], {"last_seen": float(ts) if isinstance(ts, int | float)
                                              else 0.0, "last_event": rest[2]})]
    raise ValueError("not a topic the dashboard shows")


def _json(payload: bytes) -> Any:
    if len(payload) > 65536:
        raise ValueError("payload too large")
    try:
        return json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"bad JSON: {exc}") from None
