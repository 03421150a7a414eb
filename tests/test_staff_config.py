"""`[dashboard]` and `[alerts]` in the installation file: defaults, and every mistake named."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from museokit.core.config import Installation, InstallationError

DEVICES = """
[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "lamp"
kind = "led"
pin = 18
"""


def test_one_line_enables_a_loopback_dashboard(installation: Callable[..., Installation]) -> None:
    inst = installation("[dashboard]\nenabled = true\n" + DEVICES)
    d = inst.staff.dashboard
    assert d.enabled and d.bind == "127.0.0.1" and d.port == 8080 and d.tls_cert is None
    assert not installation(DEVICES, name="plain").staff.dashboard.enabled


def test_every_mistake_is_named_with_its_fix(installation: Callable[..., Installation]) -> None:
    text = """
[dashboard]
bind = "everywhere"
port = 70000
tls_cert = "a.crt"
sesion_minutes = 5

[alerts]
silence_hours = { lamp = 6, door = -1 }
webhook = "ntfy.local/museum"
smtp = "mail.local:25"
""" + DEVICES
    with pytest.raises(InstallationError) as err:
        installation(text)
    lines = [str(i) for i in err.value.issues]
    expect = [
        "dashboard.bind: 'everywhere' is not an address",
        "dashboard.port: expected a number from 1 to 65535, got 70000",
        "dashboard.tls_key: TLS needs both tls_cert and tls_key",
        "dashboard.sesion_minutes: unknown key 'sesion_minutes' in [dashboard] — did you mean "
        "'session_minutes'?",
        "alerts.silence_hours.lamp: 'lamp' is not an input device",
        "alerts.silence_hours.door: expected hours above 0, got -1",
        "alerts.webhook: 'ntfy.local/museum' is not an http(s) address",
        "alerts.mail_to: smtp is set but nobody to write to",
    ]
    for fragment in expect:
        assert any(fragment in line for line in lines), (fragment, lines)
    assert all(line.startswith(str(err.value.issues[0].file)) for line in lines)
