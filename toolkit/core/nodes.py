"""Nodes and the broker they share, as the installation file declares them.

An installation may span several boxes ("nodes"): `[[nodes]]` tables name them,
and a device says where it is wired with `node = "entrance"`. Devices without
a `node` live on the *lead* node (`[installation] node`, by default the first
declared node), which also runs the states, rules and behaviour. Which broker
the nodes meet on comes from `--broker`, `MUSEOKIT_BROKER` or `[broker] url`,
written `mqtt://[user:pass@]host[:port]` (`mqtts://` for TLS).

Only the standard library here: `museokit check` parses this without paho.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from museokit.core.report import KeyPath, Report
from museokit.core.suggest import suggest

DEFAULT_PORT = {"mqtt": 1883, "mqtts": 8883}
#: Most events a node keeps on disk while the broker is away (paho numbers
#: in-flight messages with 16 bits, so the queue must stay below 65,535).
MAX_QUEUE_LIMIT = 60_000
DEFAULT_QUEUE_LIMIT = 50_000

URL_HINT = "write mqtt://HOST:PORT, mqtt://USER:PASSWORD@HOST:PORT or mqtts://HOST:PORT for TLS"


@dataclass(frozen=True)
class NodeConfig:
    id: str
    description: str = ""
    line: int | None = None


@dataclass(frozen=True)
class BrokerUrl:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    def __str__(self) -> str:
        """The URL without the password, for logs."""
        user = f"{self.username}@" if self.username else ""
        return f"{'mqtts' if self.tls else 'mqtt'}://{user}{self.host}:{self.port}"


@dataclass(frozen=True)
class BrokerConfig:
    """The `[broker]` table; every key is optional."""

    url: BrokerUrl | None = None
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    discovery: bool = False
    queue_limit: int = DEFAULT_QUEUE_LIMIT


BROKER_KEYS = ("url", "tls_ca", "tls_cert", "tls_key", "discovery", "queue_limit")
NODE_KEYS = ("id", "description")


def parse_broker_url(text: str) -> BrokerUrl:
    """`mqtt://user:pw@host:1883` -> BrokerUrl; raises ValueError saying what is wrong."""
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"broker address {text!r}: {exc}") from None
    if parts.scheme not in DEFAULT_PORT:
        raise ValueError(f"broker address {text!r} must start with mqtt:// or mqtts://")
    if not parts.hostname:
        raise ValueError(f"broker address {text!r} has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"broker address {text!r} has a path; give only host and port")
    return BrokerUrl(parts.hostname, port or DEFAULT_PORT[parts.scheme],
                     unquote(parts.username) if parts.username else None,
                     unquote(parts.password) if parts.password is not None else None,
                     parts.scheme == "mqtts")


def check_nodes(report: Report, raw: Any) -> list[NodeConfig]:
    """The `[[nodes]]` tables."""
    result: list[NodeConfig] = []
    for i, table in enumerate(report.tables(raw, "nodes")):
        path: KeyPath = ("nodes", i)
        report.unknown_keys(path, table, NODE_KEYS, "a node")
        node_id = report.text_value(path, table, "id", None, slug=True)
        if node_id is None:
            report.error(path, "node without an id", 'add id = "entrance" (a short name)')
            continue
        if node_id in [n.id for n in result]:
            report.error((*path, "id"), f"duplicate node {node_id!r}", "give each node its own id")
            continue
        description = report.text_value(path, table, "description", None) or ""
        result.append(NodeConfig(node_id, description, report.line(path)))
    return result


def check_device_nodes(report: Report, placed: Iterable[tuple[KeyPath, str, str | None]],
                       nodes: list[NodeConfig]) -> None:
    """Each device's `node` (given as its key path, id and node) names a declared node."""
    ids = [n.id for n in nodes]
    for path, dev_id, node in placed:
        if node is None or node in ids:
            continue
        hint = (suggest(node, ids) or f"declared nodes: {', '.join(ids)}") if ids else \
            f'declare it: [[nodes]] id = "{node}"'
        report.error(path, f"device {dev_id!r} is on node {node!r}, which is not declared "
                     "in [[nodes]]", hint)


def check_broker(report: Report, table: dict[str, Any]) -> BrokerConfig:
    """The `[broker]` table."""
    path: KeyPath = ("broker",)
    report.unknown_keys(path, table, BROKER_KEYS, "[broker]")
    url = None
    text = report.text_value(path, table, "url", None)
    if text is not None:
        try:
            url = parse_broker_url(text)
        except ValueError as exc:
            report.error((*path, "url"), str(exc), URL_HINT)
    tls = {key: report.text_value(path, table, key, None) for key in ("tls_ca", "tls_cert", "tls_key")}
    discovery = table.get("discovery", False)
    if not isinstance(discovery, bool):
        report.error((*path, "discovery"), f"expected true or false, got {discovery!r}",
                     "discovery = true publishes Home Assistant discovery configs")
        discovery = False
    limit = table.get("queue_limit", BrokerConfig.queue_limit)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_QUEUE_LIMIT:
        report.error((*path, "queue_limit"), f"expected a whole number from 1 to "
                     f"{MAX_QUEUE_LIMIT}, got {limit!r}",
                     "how many events a node keeps on disk while the broker is away")
        limit = BrokerConfig.queue_limit
    return BrokerConfig(url, tls["tls_ca"], tls["tls_cert"], tls["tls_key"], discovery, limit)
