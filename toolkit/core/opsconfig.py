"""The staff-facing tables of the installation file: `[dashboard]`, `[alerts]`, `[maintenance]`.

    [dashboard]
    enabled = true            # `museokit run` serves it from the lead node
    bind = "127.0.0.1"        # the default; "lan" = this box's LAN address; or an address
    port = 8080
    session_minutes = 480     # a login lasts a working day
    tls_cert = "dashboard.crt"   # `museokit dashboard cert PATH` makes a self-signed pair
    tls_key = "dashboard.key"

    [alerts]
    offline_minutes = 5       # a node or device offline this long
    stuck_minutes = 10        # an input held (a button pressed) this long
    silence_hours = { pir = 6 }  # an input silent this long during opening hours
    learn_silence = true      # the other inputs: twice their longest usual silence (from the log)
    error_burst = 5           # this many handler errors ...
    error_window = 60         # ... within this many seconds
    disk_percent = 90         # disk fuller than this
    webhook = "http://ntfy.local/museum"   # ntfy-compatible: POST text, Title header
    smtp = "mail.local:25"    # e-mail through this server ...
    mail_to = ["tech@museum.example"]
    mail_from = "museokit@museum.example"

    [maintenance]
    tag = "04A1B2C3"          # this tag on any reader enters/leaves maintenance
    buttons = ["a", "b"]      # or: hold these buttons together ...
    hold = 5                  # ... this many seconds
    timeout = 600             # leave by itself after this many seconds

Only the standard library here, so `museokit check` reads it without the web framework.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museokit.core.suggest import suggest

Problem = Callable[[tuple[str | int, ...], str, str], None]

DASHBOARD_KEYS = ("enabled", "bind", "port", "session_minutes", "tls_cert", "tls_key")
ALERT_KEYS = ("offline_minutes", "stuck_minutes", "silence_hours", "learn_silence", "error_burst",
              "error_window", "disk_percent", "webhook", "smtp", "mail_to", "mail_from",
              "resend_minutes")
MAINTENANCE_KEYS = ("tag", "buttons", "hold", "timeout", "speak")


@dataclass(frozen=True)
class DashboardConfig:
    enabled: bool = False
    #: An address, or "lan" for this box's LAN address; never every interface by default.
    bind: str = "127.0.0.1"
    port: int = 8080
    session_minutes: float = 480.0
    tls_cert: str | None = None
    tls_key: str | None = None


@dataclass(frozen=True)
class AlertsConfig:
    offline_minutes: float = 5.0
    stuck_minutes: float = 10.0
    #: Per input device: hours of silence (during opening hours) that raise an alert.
    silence_hours: dict[str, float] = field(default_factory=dict)
    error_burst: int = 5
    error_window: float = 60.0
    disk_percent: float = 90.0
    webhook: str | None = None
    smtp: str | None = None
    mail_to: tuple[str, ...] = ()
    mail_from: str = "museokit@localhost"
    #: An alert still active is never sent again sooner than this (no storms).
    resend_minutes: float = 24 * 60.0
    #: Other inputs' silence thresholds learned from the interaction log.
    learn_silence: bool = False


@dataclass(frozen=True)
class MaintenanceConfig:
    tag: str | None = None
    buttons: tuple[str, ...] = ()
    hold: float = 5.0
    timeout: float = 600.0
    speak: bool = True

    @property
    def declared(self) -> bool:
        return self.tag is not None or bool(self.buttons)


def _unknown(table: dict[str, Any], known: tuple[str, ...], name: str, problem: Problem) -> None:
    for key in table:
        if key not in known:
            problem((key,), f"unknown key {key!r} in [{name}]",
                    suggest(key, known) or f"known keys: {', '.join(known)}")


def _number(table: dict[str, Any], key: str, default: float, problem: Problem,
            hint: str, low: float = 0.0, high: float = float("inf")) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        problem((key,), f"expected a number from {low:g} to {high:g}, got {value!r}", hint)
        return default
    return float(value)


def _flag(table: dict[str, Any], key: str, default: bool, problem: Problem, hint: str) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        problem((key,), f"expected true or false, got {value!r}", hint)
        return default
    return value


def _text(table: dict[str, Any], key: str, problem: Problem, hint: str) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problem((key,), f"expected a text, got {value!r}", hint)
        return None
    return value


def parse_dashboard(table: dict[str, Any], problem: Problem) -> DashboardConfig:
    _unknown(table, DASHBOARD_KEYS, "dashboard", problem)
    enabled = _flag(table, "enabled", True, problem,
                    "enabled = true serves the dashboard from the lead node")
    bind = _text(table, "bind", problem, 'bind = "127.0.0.1" (default), "lan" or an address') \
        or "127.0.0.1"
    if bind != "lan":
        try:
            ipaddress.ip_address(bind)
        except ValueError:
            problem(("bind",), f"{bind!r} is not an address",
                    'write "127.0.0.1" (this box only), "lan" (its LAN address) or an IP address')
            bind = "127.0.0.1"
    port = int(_number(table, "port", 8080, problem, "a TCP port, e.g. 8080", 1, 65535))
    minutes = _number(table, "session_minutes", 480, problem,
                      "how long a login lasts, in minutes", 1, 7 * 24 * 60)
    cert = _text(table, "tls_cert", problem, "`museokit dashboard cert PATH` writes one")
    key = _text(table, "tls_key", problem, "`museokit dashboard cert PATH` writes one")
    if bool(cert) != bool(key):
        problem(("tls_cert" if key else "tls_key",), "TLS needs both tls_cert and tls_key",
                "`museokit dashboard cert PATH` writes both and prints the two lines")
        cert = key = None
    return DashboardConfig(enabled, bind, port, minutes, cert, key)


def parse_alerts(table: dict[str, Any], problem: Problem,
                 inputs: Callable[[str], bool]) -> AlertsConfig:
    """`inputs(id)`: whether `id` is an input device (silence is watched on inputs only)."""
    _unknown(table, ALERT_KEYS, "alerts", problem)
    d = AlertsConfig()
    silence: dict[str, float] = {}
    raw = table.get("silence_hours", {})
    if not isinstance(raw, dict):
        problem(("silence_hours",), "expected a table of device = hours",
                "silence_hours = { pir = 6 }")
        raw = {}
    for device, hours in raw.items():
        if not inputs(device):
            problem(("silence_hours", device), f"{device!r} is not an input device",
                    "name a button, motion, distance, analog or tag_reader device")
        elif isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            problem(("silence_hours", device), f"expected hours above 0, got {hours!r}",
                    "e.g. pir = 6")
        else:
            silence[device] = float(hours)
    mail_to = table.get("mail_to", [])
    if isinstance(mail_to, str):
        mail_to = [mail_to]
    if not isinstance(mail_to, list) or not all(isinstance(m, str) and "@" in m for m in mail_to):
        problem(("mail_to",), f"expected e-mail addresses, got {mail_to!r}",
                'mail_to = ["tech@museum.example"]')
        mail_to = []
    smtp = _text(table, "smtp", problem, 'smtp = "mail.local:25"')
    if smtp and not mail_to:
        problem(("mail_to",), "smtp is set but nobody to write to",
                'add mail_to = ["tech@museum.example"]')
    webhook = _text(table, "webhook", problem, 'webhook = "http://ntfy.local/museum"')
    if webhook and not webhook.startswith(("http://", "https://")):
        problem(("webhook",), f"{webhook!r} is not an http(s) address",
                'webhook = "http://ntfy.local/museum"')
        webhook = None
    return AlertsConfig(
        _number(table, "offline_minutes", d.offline_minutes, problem, "minutes, e.g. 5", 0.1),
        _number(table, "stuck_minutes", d.stuck_minutes, problem, "minutes, e.g. 10", 0.1),
        silence,
        int(_number(table, "error_burst", d.error_burst, problem, "a count, e.g. 5", 1)),
        _number(table, "error_window", d.error_window, problem, "seconds, e.g. 60", 1),
        _number(table, "disk_percent", d.disk_percent, problem, "a percentage, e.g. 90", 1, 100),
        webhook, smtp, tuple(mail_to),
        _text(table, "mail_from", problem, 'mail_from = "museokit@museum.example"') or d.mail_from,
        _number(table, "resend_minutes", d.resend_minutes, problem, "minutes, e.g. 1440", 1),
        _flag(table, "learn_silence", False, problem, "learn_silence = true learns each input's usual "
              "silences from the interaction log"))


def parse_maintenance(table: dict[str, Any], problem: Problem,
                      buttons: Callable[[str], bool]) -> MaintenanceConfig:
    """`buttons(id)`: whether `id` is a button device."""
    _unknown(table, MAINTENANCE_KEYS, "maintenance", problem)
    tag = table.get("tag")
    if tag is not None and (not isinstance(tag, str) or not tag):
        problem(("tag",), f"expected the admin tag's id as text, got {tag!r}", 'tag = "04A1B2C3"')
        tag = None
    names = table.get("buttons", [])
    if not isinstance(names, list) or not all(isinstance(b, str) for b in names):
        problem(("buttons",), f"expected a list of button ids, got {names!r}", 'buttons = ["a", "b"]')
        names = []
    for i, name in enumerate(names):
        if not buttons(name):
            problem(("buttons", i), f"{name!r} is not a button device", "name declared buttons")
    if tag is None and not names:
        problem((), "[maintenance] needs a way in", 'add tag = "04A1B2C3" or buttons = ["a", "b"]')
    speak = _flag(table, "speak", True, problem, "speak = false keeps it quiet")
    return MaintenanceConfig(tag, tuple(names),
                             _number(table, "hold", 5.0, problem, "seconds, e.g. 5", 0.5, 60),
                             _number(table, "timeout", 600.0, problem, "seconds, e.g. 600", 10),
                             speak)


STAFF_TABLES = ("dashboard", "alerts", "maintenance")


@dataclass(frozen=True)
class StaffConfig:
    dashboard: DashboardConfig = field(default_factory=DashboardConfig)
    alerts: AlertsConfig | None = None
    maintenance: MaintenanceConfig | None = None


def parse_staff(data: dict[str, Any], problem: Problem, roles: dict[str, str],
                kinds: dict[str, str]) -> StaffConfig:
    """The three tables of a whole installation file; `roles`/`kinds`: each device id's."""
    def table(name: str) -> dict[str, Any] | None:
        value = data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            problem((name,), f"expected a table: write [{name}]", "")
            return {}
        return value

    def within(name: str) -> Problem:
        return lambda path, message, hint: problem((name, *path), message, hint)

    dash, alerts, maint = table("dashboard"), table("alerts"), table("maintenance")
    return StaffConfig(
        parse_dashboard(dash, within("dashboard")) if dash is not None else DashboardConfig(),
        parse_alerts(alerts, within("alerts"), lambda d: roles.get(d) == "input")
        if alerts is not None else None,
        parse_maintenance(maint, within("maintenance"), lambda d: kinds.get(d) == "button")
        if maint is not None else None)
