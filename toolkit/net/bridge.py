"""One site's Mosquitto bridged outbound to a central one: the fleet view's plumbing.

`museokit broker config PATH --bridge mqtt://central:1883` adds a Mosquitto bridge that
copies the site's own topics (`museokit/<site>/#`, the same names on both sides) out to
the central broker. Mosquitto does the work; museokit only writes the lines. The bridge's
state is published, retained, on `museokit/<site>/_bridge/state` on both brokers: `1`
while connected, `0` as the bridge's last will when the site's broker goes away, so the
fleet view marks the whole site unreachable rather than trusting its stale `online`s.
"""

from __future__ import annotations

from museokit.core.nodes import URL_HINT, BrokerUrl, parse_broker_url

BRIDGE_NODE = "_bridge"  # not a usable node id (those start with a letter): no clash


def state_topic(site: str) -> str:
    return f"museokit/{site}/{BRIDGE_NODE}/state"


def bridge_text(site: str, url: str | BrokerUrl, ca: str | None = None) -> str:
    """The mosquitto.conf lines; raises ValueError for a bad URL."""
    if isinstance(url, str):
        try:
            url = parse_broker_url(url)
        except ValueError as exc:
            raise ValueError(f"--bridge: {exc} — {URL_HINT}") from None
    lines = [
        "", f"# bridge: site {site} copies its topics out to the central broker {url}",
        f"connection museokit-{site}", f"address {url.host}:{url.port}",
        f"remote_clientid museokit-bridge-{site}", "cleansession false",
        "try_private true", "restart_timeout 2 30",
        "notifications true", f"notification_topic {state_topic(site)}",
        f"topic museokit/{site}/# out 1"]
    if url.username:
        lines += [f"remote_username {url.username}", f"remote_password {url.password or ''}"]
    if url.tls:
        lines.append(f"bridge_cafile {ca}" if ca else "bridge_capath /etc/ssl/certs")
    return "\n".join(lines) + "\n"
