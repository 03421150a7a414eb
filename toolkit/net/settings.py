"""How a node joins a broker: from the command line, the environment or the file.

`--broker` beats `MUSEOKIT_BROKER`, which beats `[broker] url`; TLS files and
the other options come from the command line or `[broker]`. Without any broker
the in-process bus serves and paho is never imported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museokit.core.config import Installation
from museokit.core.nodes import URL_HINT, BrokerUrl, parse_broker_url

ENV_BROKER = "MUSEOKIT_BROKER"
ENV_STATE = "MUSEOKIT_STATE_DIR"


@dataclass(frozen=True)
class LinkSettings:
    url: BrokerUrl
    state_dir: Path
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    discovery: bool = False
    queue_limit: int = 50_000
    #: Seconds between keep-alive pings; a node whose network is cut is declared
    #: offline (its last will) after 1.5 times this.
    keepalive: int = 15

    @property
    def tls(self) -> bool:
        return self.url.tls or self.tls_ca is not None


def default_state_dir(site: str, node: str) -> Path:
    explicit = os.environ.get(ENV_STATE)
    if explicit:
        return Path(explicit) / site / node
    base = os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state"
    return Path(base) / "museokit" / site / node


def resolve(inst: Installation, node: str, *, broker: str | None = None,
            state_dir: str | None = None, tls_ca: str | None = None, tls_cert: str | None = None,
            tls_key: str | None = None, discovery: bool = False) -> LinkSettings | None:
    """The settings for `node`, or None when no broker is configured anywhere.

    Raises ValueError naming where a bad address came from and how to write it.
    """
    cfg = inst.broker
    url: BrokerUrl | None
    for text, where in ((broker, "--broker"), (os.environ.get(ENV_BROKER), ENV_BROKER)):
        if text:
            try:
                url = parse_broker_url(text)
            except ValueError as exc:
                raise ValueError(f"{where}: {exc} — {URL_HINT}") from None
            break
    else:
        url = cfg.url
    if url is None:
        return None
    folder = Path(state_dir) if state_dir else default_state_dir(inst.site, node)
    return LinkSettings(url, folder, tls_ca or cfg.tls_ca, tls_cert or cfg.tls_cert,
                        tls_key or cfg.tls_key, discovery or cfg.discovery, cfg.queue_limit)


def plan(inst: Installation, node: str | None, **options: Any) -> tuple[Installation, LinkSettings | None]:
    """The installation this box runs and how it joins the broker (None: no broker).

    Raises ValueError for an unknown node, a bad address, or `node` without a broker.
    """
    from museokit.net.remote import for_node

    settings = resolve(inst, node or inst.node, **options)
    if settings is None:
        if node is not None:
            raise ValueError(f"--node {node}: a node needs a broker to reach the others — "
                             f"give --broker mqtt://HOST:PORT (or set {ENV_BROKER}); without "
                             "--node, every node's devices run here on the in-process bus")
        return inst, None
    return for_node(inst, node or inst.node), settings
