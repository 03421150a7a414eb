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

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

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
