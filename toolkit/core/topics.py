"""The one-to-one mapping between bus names and MQTT topics (docs/design.md, wire contract 1).

    bus event `door.pressed`  <->  museokit/<site>/<node>/door/event/pressed
    device state of `led`     <->  museokit/<site>/<node>/led/state
    the node's counters       <->  museokit/<site>/<node>/health (retained, core/health.py)
    command `led.blink`       <->  museokit/<site>/<node>/led/cmd/blink
    sim action `door.press`   <->  museokit/<site>/<node>/door/sim/press
"""

from __future__ import annotations

from typing import Literal, NamedTuple

ROOT = "museokit"
Channel = Literal["event", "state", "cmd", "sim", "status", "meta", "health"]
#: Channels of the node itself: `museokit/<site>/<node>/<channel>`.
_NODE_CHANNELS = ("status", "meta", "health")
_WITH_NAME = ("event", "cmd", "sim")


class Topic(NamedTuple):
    site: str
    node: str
    channel: Channel
    device: str = ""
    name: str = ""


def node_prefix(site: str, node: str) -> str:
    return f"{ROOT}/{site}/{node}"


def format_topic(t: Topic) -> str:
    base = node_prefix(t.site, t.node)
    if t.channel in _NODE_CHANNELS:
        return f"{base}/{t.channel}"
    if t.channel == "state":
        return f"{base}/{t.device}/state"
    return f"{base}/{t.device}/{t.channel}/{t.name}"


def parse_topic(topic: str) -> Topic:
    """Parse a museokit topic; raises ValueError for anything outside the contract."""
    parts = topic.split("/")
    if len(parts) < 4 or parts[0] != ROOT:
        raise ValueError(f"not a museokit topic: {topic!r}")
    site, node, rest = parts[1], parts[2], parts[3:]
    if len(rest) == 1 and rest[0] in _NODE_CHANNELS:
        return Topic(site, node, rest[0])  # type: ignore[arg-type]
    if len(rest) == 2 and rest[1] == "state":
        return Topic(site, node, "state", rest[0])
    if len(rest) == 3 and rest[1] in _WITH_NAME:
        return Topic(site, node, rest[1], rest[0], rest[2])  # type: ignore[arg-type]
    raise ValueError(f"not a museokit topic: {topic!r}")
