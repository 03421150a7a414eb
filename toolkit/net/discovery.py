"""Home Assistant MQTT discovery (opt-in: `[broker] discovery = true` or `--discovery`).

Each local device becomes, in Home Assistant (and any tool that reads the same
configs, like Node-RED's HA nodes):

- a `sensor` whose state is the device's label (`pressed`, `on`, `blinking`)
  and whose attributes are its whole `…/state`;
- one `button` per command that needs no argument (`lamp.on`, `lamp.toggle`),
  pressing it publishes `[]` on `…/<device>/cmd/<name>`.

Configs follow https://www.home-assistant.io/integrations/mqtt/#mqtt-discovery:
topic `homeassistant/<component>/<node_id>/<object_id>/config`, retained JSON,
a `unique_id`, a `device` with `identifiers`, an `origin`, and `availability`
on the node's `…/status` (`online`/`offline`, our last will), so entities go
unavailable with the node and come back with it. They are re-published on
every connect and whenever HA announces itself on `homeassistant/status`, so
entities do not stay "unavailable" after an HA or broker restart.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from museokit import __version__
from museokit.core.device import Device
from museokit.core.topics import Topic, format_topic

PREFIX = "homeassistant"
HA_STATUS = f"{PREFIX}/status"


def needs_arguments(method: Any) -> bool:
    params = list(inspect.signature(method).parameters.values())[1:]
    return any(p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD,
                                                   p.KEYWORD_ONLY) for p in params)


def configs(site: str, node: str, installation: str,
            devices: Mapping[str, Device]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(topic, config) for every entity of this node's devices."""
    node_id = f"museokit_{site}_{node}"
    availability = [{"topic": format_topic(Topic(site, node, "status")),
                     "payload_available": "online", "payload_not_available": "offline"}]
    shared = {
        "availability": availability,
        "device": {"identifiers": [node_id], "name": f"{installation} ({node})",
                   "manufacturer": "museokit", "model": "museokit node", "sw_version": __version__},
        "origin": {"name": "museokit", "sw_version": __version__},
    }
    for dev_id, device in devices.items():
        state = format_topic(Topic(site, node, "state", dev_id))
        yield (f"{PREFIX}/sensor/{node_id}/{dev_id}/config",
               {"name": dev_id, "unique_id": f"{node_id}_{dev_id}", "state_topic": state,
                "value_template": "{{ value_json.label }}", "json_attributes_topic": state,
                **shared})
        for name, method in sorted(device.commands.items()):
            if needs_arguments(method):
                continue
            yield (f"{PREFIX}/button/{node_id}/{dev_id}_{name}/config",
                   {"name": f"{dev_id} {name}", "unique_id": f"{node_id}_{dev_id}_{name}",
                    "command_topic": format_topic(Topic(site, node, "cmd", dev_id, name)),
                    "payload_press": "[]", **shared})
