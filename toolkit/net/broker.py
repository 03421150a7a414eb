"""Mosquitto configured for a gallery: `museokit broker config` and `museokit broker run`.

museokit never implements a broker; it writes a configuration for Mosquitto
with the settings an installation needs, each for a measured reason:

- `set_tcp_nodelay true`: with Nagle and delayed ACKs a QoS 1 round trip took
  88 ms on a Pi-class machine instead of 0.46 ms (the nodes set it on their side);
- `max_queued_messages 100000`: the default of 1000 silently drops QoS 1
  messages for a slow subscriber while the publisher still gets every ack
  (3–20 % lost at 50,000 messages; only the broker log said so);
- `persistence true`: sessions, queued messages and retained status/meta/state
  survive a broker restart; saved every 5 s (`autosave_interval`), so a broker
  that crashes loses at most what changed in its last 5 s (a clean stop saves all);
- with an installation: a password per node and an ACL per node. A node writes
  only below its own `museokit/<site>/<node>/`, reads the whole site, and the
  lead node may also send commands to the devices it drives on other nodes.
  No node can command another node's devices otherwise. The `museokit-admin`
  user (for mosquitto_sub/pub, Node-RED, the simulator) may do everything;
- TLS as an option (`--tls-cert/--tls-key/--tls-ca`): a second listener on 8883.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from museokit.core.config import Installation
from museokit.core.topics import node_prefix

ADMIN = "museokit-admin"
MAX_QUEUED = 100_000


class BrokerError(RuntimeError):
    """The configuration cannot be written; the message says what to do."""


@dataclass(frozen=True)
class Tls:
    cert: str
    key: str
    ca: str | None = None
    port: int = 8883


@dataclass
class BrokerFiles:
    folder: Path
    conf: Path
    #: user -> password, for the nodes and the admin (empty without auth).
    credentials: dict[str, str] = field(default_factory=dict)


def acl_text(inst: Installation) -> str:
    """One block per node: write its own subtree, read the site; the lead may command
    the devices it drives on other nodes."""
    site_root = f"museokit/{inst.site}"
    lines = [f"# museokit ACL for {inst.name!r} (site {inst.site}), written by museokit broker config",
             f"user {ADMIN}", "topic readwrite #", ""]
    nodes = [n.id for n in inst.nodes] or [inst.node]
    for node in nodes:
        lines += [f"user {node}", f"topic write {node_prefix(inst.site, node)}/#",
                  f"topic read {site_root}/#", "topic read homeassistant/status",
                  f"topic write homeassistant/+/museokit_{inst.site}_{node}/#"]
        if node == inst.node:
            for d in inst.devices:
                other = inst.node_of(d)
                if other != node:
                    lines.append(f"topic write {node_prefix(inst.site, other)}/{d.id}/cmd/+")
        lines.append("")
    return "\n".join(lines)


def conf_text(folder: Path, port: int, bind: str, auth: bool, tls: Tls | None,
              autosave: int = 5) -> str:
    lines = ["# Mosquitto for a museokit installation, written by `museokit broker config`.",
             "# Started as root (a service), Mosquitto becomes this user, who can read these files.",
             f"user {getpass.getuser()}",
             "per_listener_settings false",
             f"listener {port} {bind}".rstrip()]
    if tls is not None:
        lines += [f"listener {tls.port} {bind}".rstrip(), f"certfile {tls.cert}", f"keyfile {tls.key}"]
        if tls.ca:
            lines.append(f"cafile {tls.ca}")
    lines += [
        "# QoS 1 otherwise waits for delayed ACKs (88 ms instead of 0.5 ms per round trip)",
        "set_tcp_nodelay true",
        "# the default of 1000 silently drops QoS 1 messages for a slow subscriber",
        f"max_queued_messages {MAX_QUEUED}",
        "max_queued_bytes 0",
        "max_inflight_messages 100",
        "persistence true",
        f"persistence_location {folder / 'data'}/",
        "# a broker that crashes (kill -9, power cut) loses what changed since the last save",
        f"autosave_interval {autosave}",
        "log_type error", "log_type warning", "log_type notice",
        "connection_messages true",
    ]
    if auth:
        lines += ["allow_anonymous false", f"password_file {folder / 'passwords'}",
                  f"acl_file {folder / 'acl'}"]
    else:
        lines += ["# no passwords: for a laptop session only; `--auth` adds them", "allow_anonymous true"]
    return "\n".join(lines) + "\n"


def write_config(folder: Path, *, inst: Installation | None = None, port: int = 1883,
                 bind: str = "", auth: bool = True, tls: Tls | None = None,
                 autosave: int = 5, bridge: str | None = None) -> BrokerFiles:
    """Write mosquitto.conf (and with `auth`: passwords, acl, credentials) into `folder`;
    `bridge`: the central broker's URL to bridge the site's topics out to (net/bridge.py)."""
    if bridge and inst is None:
        raise BrokerError("a bridge carries one site's topics: give the installation folder "
                          "(museokit broker config PATH --bridge URL)")
    extra = ""
    if bridge:
        from museokit.net.bridge import bridge_text

        assert inst is not None
        try:
            extra = bridge_text(inst.site, bridge, tls.ca if tls else None)
        except ValueError as exc:
            raise BrokerError(str(exc)) from None
    if auth and inst is None:
        raise BrokerError("passwords and ACLs are per node: give the installation folder "
                          "(museokit broker config PATH), or use --no-auth on a laptop")
    folder = folder.resolve()
    (folder / "data").mkdir(parents=True, exist_ok=True)
    files = BrokerFiles(folder, folder / "mosquitto.conf")
    if auth:
        assert inst is not None
        users = [ADMIN, *([n.id for n in inst.nodes] or [inst.node])]
        files.credentials = {user: secrets.token_urlsafe(16) for user in users}
        _write_passwords(folder / "passwords", files.credentials)
        (folder / "acl").write_text(acl_text(inst), encoding="utf-8")
        creds = folder / "credentials"
        creds.write_text("".join(f"{u} mqtt://{u}:{p}@HOST:{port}\n"
                                 for u, p in files.credentials.items()), encoding="utf-8")
        creds.chmod(0o600)
    files.conf.write_text(conf_text(folder, port, bind, auth, tls, autosave) + extra,
                          encoding="utf-8")
    return files


def _write_passwords(path: Path, credentials: dict[str, str]) -> None:
    tool = shutil.which("mosquitto_passwd")
    if tool is None:
        raise BrokerError("mosquitto_passwd not found: install Mosquitto "
                          "(sudo apt install mosquitto) on the broker machine")
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    for user, password in credentials.items():
        subprocess.run([tool, "-b", str(path), user, password], check=True,
                       capture_output=True)
    path.chmod(0o600)


def mosquitto_command(conf: Path) -> list[str]:
    binary = shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.access(p, os.X_OK)), None)
    if binary is None:
        raise BrokerError("mosquitto not found: install it (sudo apt install mosquitto)")
    return [binary, "-c", str(conf)]
