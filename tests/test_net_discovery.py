"""Home Assistant discovery configs, checked against the documented format.

The rules below are those of https://www.home-assistant.io/integrations/mqtt/
("MQTT Discovery"), and of the `sensor` and `button` platform pages: the topic
`<discovery_prefix>/<component>/[<node_id>/]<object_id>/config` with ids from
`[a-zA-Z0-9_-]`; a retained JSON object; `unique_id` (needed for `device`); a
`device` with `identifiers` or `connections`; `availability` as a list of
{topic, payload_available, payload_not_available} and never together with
`availability_topic`; `state_topic` required for a sensor, `command_topic` for
a button; and only the options each platform documents.
"""

from __future__ import annotations

import json
import re

from tests.conftest import REPO
from tests.net_fixtures import wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
TOPIC = re.compile(r"^homeassistant/(?P<component>[a-z_]+)/(?:[a-zA-Z0-9_-]+/)?[a-zA-Z0-9_-]+/config$")
COMMON = {"name", "unique_id", "availability", "availability_mode", "availability_topic", "device",
          "origin", "icon", "qos", "enabled_by_default", "entity_category", "object_id",
          "json_attributes_topic", "json_attributes_template", "encoding", "payload_available",
          "payload_not_available"}
PLATFORMS = {
    "sensor": ({"state_topic"}, {"state_topic", "value_template", "unit_of_measurement",
                                 "device_class", "state_class", "expire_after", "force_update"}),
    "button": ({"command_topic"}, {"command_topic", "command_template", "payload_press", "retain",
                                   "device_class"}),
}
DEVICE_KEYS = {"identifiers", "connections", "name", "manufacturer", "model", "sw_version",
               "hw_version", "suggested_area", "via_device", "configuration_url", "serial_number"}


def problems(topic: str, payload: bytes, retained: bool) -> list[str]:
    found = []
    match = TOPIC.match(topic)
    if not match:
        return [f"{topic}: not <prefix>/<component>/[<node_id>/]<object_id>/config"]
    required, own = PLATFORMS.get(match["component"], (set(), set()))
    if not own:
        return [f"{topic}: platform {match['component']} not expected"]
    config = json.loads(payload)
    if not isinstance(config, dict):
        return [f"{topic}: payload is not a JSON object"]
    found += [f"{topic}: missing {key}" for key in sorted(required | {"unique_id"}) if key not in config]
    found += [f"{topic}: unknown option {key}" for key in config if key not in COMMON | own]
    device = config.get("device", {})
    if not (device.get("identifiers") or device.get("connections")):
        found.append(f"{topic}: device needs identifiers or connections")
    found += [f"{topic}: unknown device key {key}" for key in device if key not in DEVICE_KEYS]
    if "availability" in config and "availability_topic" in config:
        found.append(f"{topic}: availability and availability_topic together")
    for entry in config.get("availability", []):
        if "topic" not in entry or set(entry) - {"topic", "payload_available",
                                                 "payload_not_available", "value_template"}:
            found.append(f"{topic}: bad availability entry {entry}")
    if not retained:
        found.append(f"{topic}: not retained")
    return found


def test_discovery_configs_follow_the_documented_format_and_come_back_when_ha_does(
        mosquitto, node, observer):
    obs = observer(["homeassistant/#"])
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance", discovery=True)
    expected = 2 + 5  # 2 sensors; on, off, toggle, blink, pulse (ready's commands without arguments)
    wait_for(lambda: len(obs.messages) >= expected, what="the discovery configs")
    configs = {t: p for t, p, _ in obs.messages}
    assert "homeassistant/sensor/museokit_two_rooms_entrance/start/config" in configs
    assert "homeassistant/button/museokit_two_rooms_entrance/ready_on/config" in configs
    assert not any("ready_brightness" in t for t in configs)  # it needs a level: no button

    late = observer(["homeassistant/+/+/+/config"])  # retained: a restarted HA gets them at once
    wait_for(lambda: len(late.messages) == len(configs), what="the retained configs")
    assert [p for t, p, r in late.messages for p in problems(t, configs[t], r)] == []

    button = json.loads(configs["homeassistant/button/museokit_two_rooms_entrance/ready_on/config"])
    obs.publish(button["command_topic"], button["payload_press"])
    wait_for(lambda: entrance.runtime.devices["ready"].label == "on", what="the HA button to work")

    before = len(obs.messages)
    obs.publish("homeassistant/status", "online")  # HA (re)started: publish everything again
    wait_for(lambda: len(obs.messages) >= before + len(configs), what="configs re-published")
