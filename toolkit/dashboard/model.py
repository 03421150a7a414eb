"""What the dashboard shows, kept in the dashboard's own thread.

Feeds (the installation's bus on the lead node, or a broker's retained topics for the
fleet view) never touch this model directly: they append small tuples to a `Handoff`,
which wakes the dashboard's asyncio loop at most once per burst. So the installation's
loop only pays for a deque append, whatever the number of open dashboards.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: ("dev", site, node, device, fields) | ("node", site, node, fields) |
#: ("error", site, node, text) | ("alert", site, node, id, payload or None) | ("mode", fields)
#: | ("site", site, fields)
Update = tuple[Any, ...]
MAX_ERRORS = 20


class Handoff:
    """Thread-safe: producers `put`, the dashboard loop `take`s everything at once."""

    def __init__(self) -> None:
        self._items: deque[Update] = deque(maxlen=100_000)
        self._lock = threading.Lock()
        self._woken = False
        self.wake: Callable[[], None] | None = None

    def put(self, item: Update) -> None:
        with self._lock:
            self._items.append(item)
            if self._woken or self.wake is None:
                return
            self._woken = True
        self.wake()

    def take(self) -> list[Update]:
        with self._lock:
            items = list(self._items)
            self._items.clear()
            self._woken = False
        return items


@dataclass
class DeviceView:
    id: str
    kind: str = ""
    role: str = ""
    online: bool = True
    last_seen: float = 0.0
    last_event: str = ""
    state: dict[str, Any] = field(default_factory=dict)


@dataclass
class NodeView:
    id: str
    online: bool = False
    last_seen: float = 0.0
    health: dict[str, Any] = field(default_factory=dict)
    devices: dict[str, DeviceView] = field(default_factory=dict)
    #: (unix time, "online"/"offline") changes, newest last: the connection history.
    history: deque[tuple[float, str, str]] = field(default_factory=lambda: deque(maxlen=200))


@dataclass
class SiteView:
    id: str
    name: str = ""
    nodes: dict[str, NodeView] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: False when the site's bridge to the central broker is down (fleet view): its nodes'
    #: last retained `online` cannot be trusted then.
    reachable: bool = True


class Model:
    def __init__(self) -> None:
        self.sites: dict[str, SiteView] = {}
        self.errors: deque[tuple[float, str, str]] = deque(maxlen=MAX_ERRORS)
        self.mode: dict[str, Any] = {"out_of_order": False, "maintenance": False}
        self.updates = 0

    def node(self, site: str, node: str) -> NodeView:
        s = self.sites.get(site)
        if s is None:
            s = self.sites[site] = SiteView(site)
        n = s.nodes.get(node)
        if n is None:
            n = s.nodes[node] = NodeView(node)
        return n

    def apply(self, item: Update) -> dict[str, Any] | None:
        """Change the model; returns the message for live clients (None: nothing to show)."""
        self.updates += 1
        kind = item[0]
        if kind == "dev":
            _, site, node, dev_id, fields = item
            n = self.node(site, node)
            d = n.devices.get(dev_id) or n.devices.setdefault(dev_id, DeviceView(dev_id))
            was = d.online
            for key, value in fields.items():
                setattr(d, key, value)
            if d.online != was:
                n.history.append((d.last_seen or time.time(), dev_id,
                                  "online" if d.online else "offline"))
            return {"t": "dev", "site": site, "node": node, "id": dev_id, **device_json(d)}
        if kind == "node":
            _, site, node, fields = item
            n = self.node(site, node)
            was = n.online
            for key, value in fields.items():
                setattr(n, key, value)
            if "online" in fields and n.online != was:
                n.history.append((n.last_seen or time.time(), "", "online" if n.online else "offline"))
            return {"t": "node", "site": site, "node": node, "online": n.online,
                    "last_seen": n.last_seen, "health": n.health}
        if kind == "error":
            _, site, node, text = item
            self.errors.append((time.time(), f"{site}/{node}", text))
            return {"t": "error", "where": f"{site}/{node}", "text": text, "ts": time.time()}
        if kind == "alert":
            _, site, node, alert_id, payload = item
            s = self.sites.setdefault(site, SiteView(site))
            key = f"{node}/{alert_id}"
            if payload is None:
                s.alerts.pop(key, None)
            else:
                s.alerts[key] = payload
            return {"t": "alert", "site": site, "key": key, "alert": payload}
        if kind == "site":
            _, site, fields = item
            s = self.sites.setdefault(site, SiteView(site))
            s.reachable = bool(fields.get("reachable", True))
            for n in s.nodes.values():
                n.history.append((time.time(), "", "reachable" if s.reachable else "unreachable"))
            return {"t": "site", "site": site, "reachable": s.reachable}
        if kind == "mode":
            self.mode.update(item[1])
            return {"t": "mode", **self.mode}
        return None


def device_json(d: DeviceView) -> dict[str, Any]:
    return {"kind": d.kind, "online": d.online, "last_seen": d.last_seen,
            "last_event": d.last_event, "label": str(d.state.get("label", "")),
            "state": d.state}
