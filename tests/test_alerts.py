"""Alerts: silence and stuck input on the virtual clock over a simulated gallery day; e-mail
through a real local SMTP server (aiosmtpd), a webhook through a local HTTP server, MQTT on
a real Mosquitto; each raised once, cleared once, never repeated in a storm; each kind's
text and fix in French and English."""

from __future__ import annotations

import json
import logging
import string
import threading
from collections.abc import Callable, Iterator
from email.header import decode_header, make_header
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from museokit.core.clock import VirtualClock
from museokit.core.config import Installation
from museokit.core.opsconfig import AlertsConfig
from museokit.core.runtime import Runtime
from museokit.ops import alerts as alerts_module
from museokit.ops.alert_texts import ALERTS, LANGS, count_of, render
from museokit.ops.alerts import Alert, Alerts, Sender, header_text, mqtt_sink
from tests.net_fixtures import Broker, Observer, free_port, wait_for

DAY = """
[installation]
name = "Silent test"
backend = "sim"

[schedule]
hours = "10:00-18:00"
timezone = "UTC"

[alerts]
silence_hours = { pir = 3 }
stuck_minutes = 10
offline_minutes = 5
error_burst = 3
error_window = 60

[[devices]]
id = "pir"
kind = "motion"
pin = 4

[[devices]]
id = "door"
kind = "button"
pin = 17
"""


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Alert | None]] = []

    def __call__(self, alert_id: str, alert: Alert | None) -> None:
        self.calls.append((alert_id, alert))

    def of(self, alert_id: str) -> list[str | None]:
        """The English texts sent for `alert_id` (None: cleared)."""
        return [alert.text if alert else None for i, alert in self.calls if i == alert_id]

    def fr(self, alert_id: str) -> list[str | None]:
        return [alert.text_fr if alert else None for i, alert in self.calls if i == alert_id]


@pytest.fixture
def day(installation: Callable[..., Installation]) -> Iterator[tuple[Runtime, Alerts, Recorder]]:
    inst = installation(DAY)
    # 2026-01-05 09:00 UTC, a Monday, an hour before opening
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")
    runtime.start()
    assert inst.staff.alerts is not None
    rec = Recorder()
    alerts = Alerts(runtime, inst.staff.alerts, [rec], system_checks=False)
    alerts.start()
    yield runtime, alerts, rec
    alerts.close()
    runtime.close()


def test_a_silent_sensor_is_noticed_during_opening_hours_only(day: Any) -> None:
    runtime, alerts, rec = day
    runtime.run_for(3600 * 0.5)           # 09:30, closed: silence is normal
    assert rec.of("silence_pir") == []
    runtime.run_for(3600 * 3.2)           # 12:42: 2.7 h of open silence, under 3 h
    assert rec.of("silence_pir") == []
    runtime.run_for(3600 * 0.5)           # 13:12: over 3 h since opening
    assert rec.of("silence_pir") == ["pir silent for 3 h during opening hours"]
    assert rec.fr("silence_pir") == ["« pir » n'a rien signalé depuis 3 h d'ouverture"]
    assert "during opening hours" in alerts.active["silence_pir"].text
    assert alerts.active["silence_pir"].fix
    assert alerts.active["silence_pir"].fix_fr.startswith("Passez devant « pir »")
    runtime.run_for(3600 * 2)             # still silent: checked every minute, told once
    assert len(rec.of("silence_pir")) == 1
    runtime.simulate("pir", "motion")     # a visitor: it clears by itself
    runtime.run_for(1)
    assert rec.of("silence_pir") == ["pir silent for 3 h during opening hours", None]
    runtime.run_for(3600 * 10)            # closes at 18:00: no new alert overnight
    assert len(rec.of("silence_pir")) == 2


def test_a_stuck_button_is_noticed_and_clears_on_release(day: Any) -> None:
    runtime, _alerts, rec = day
    runtime.run_for(3600 * 1.5)
    runtime.simulate("door", "press")
    runtime.run_for(9 * 60)
    assert rec.of("stuck_door") == []
    runtime.run_for(61)
    assert rec.of("stuck_door") == ["door held down for 10 min"]
    runtime.run_for(3600)
    assert len(rec.of("stuck_door")) == 1
    runtime.simulate("door", "release")
    runtime.run_for(1)
    assert rec.of("stuck_door") == ["door held down for 10 min", None]


def test_offline_longer_than_n_minutes_and_a_burst_of_errors(day: Any) -> None:
    runtime, _alerts, rec = day
    runtime.devices["pir"].set_online(False, "cable pulled")
    runtime.run_for(4 * 60)
    assert rec.of("offline_pir") == []
    runtime.run_for(61)
    assert rec.of("offline_pir") == ["motion pir offline for 5 min (cable pulled)"]
    assert rec.fr("offline_pir") == ["L'appareil « pir » est hors ligne depuis 5 min (cable pulled)"]
    runtime.devices["pir"].set_online(True)
    runtime.run_for(1)
    assert rec.of("offline_pir")[-1] is None
    runtime.devices["door"].set_online(False)     # back within the limit: never raised
    runtime.run_for(60)
    runtime.devices["door"].set_online(True)
    runtime.run_for(3600)
    assert rec.of("offline_door") == []

    def broken(event: Any) -> None:
        raise RuntimeError("bug in a handler")
    runtime.subscribe("door.pressed", broken, "broken handler")
    for _ in range(5):
        runtime.simulate("door", "press")
        runtime.simulate("door", "release")
        runtime.run_for(1)
    assert len(rec.of("handler_errors")) == 1
    runtime.run_for(61)
    assert rec.of("handler_errors")[-1] is None


def test_disk_and_clock_are_raised_and_cleared(day: Any) -> None:
    _runtime, alerts, rec = day
    alerts._system({"disk_percent": 97.0, "disk_free_gb": 0.4}, False)
    alerts._system({"disk_percent": 97.5, "disk_free_gb": 0.3}, False)
    assert len(rec.of("disk")) == 1 and len(rec.of("clock")) == 1
    alerts._system({"disk_percent": 50.0}, True)
    assert rec.of("disk")[-1] is None and rec.of("clock")[-1] is None


#: Values for every alert kind's placeholders, of the types alerts.py gives (a new kind in
#: ALERTS needs its line here).
SAMPLES: dict[str, dict[str, Any]] = {
    "silence": {"device": "pir", "hours": 4.5},
    "stuck": {"device": "door", "minutes": 10},
    "offline": {"kind": "button", "device": "start", "minutes": 0.1,
                "reason": " (node entrance offline)"},
    "offline_unseen": {"kind": "camera", "device": "cam", "minutes": 5, "reason": ""},
    "media": {"device": "screen", "error": "cannot open intro.mp4"},
    "handler_errors": {"errors": count_of(5, "erreur", "handler error"), "window": 60.0,
                       "handler": "on_press",
                       "error": RuntimeError("bug")},
    "disk": {"percent": 97.5, "free_gb": 0.4},
    "clock": {},
}


def test_every_kind_has_its_text_and_fix_in_french_and_english() -> None:
    assert set(SAMPLES) == set(ALERTS), "each kind needs a sample here, each sample its kind"
    for kind, values in SAMPLES.items():
        entry = ALERTS[kind]
        for template in (*entry.text, *entry.fix):
            named = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
            assert named <= set(values), f"{kind}: {template!r} names {named - set(values)}"
        said = render(kind, **values)
        assert set(said) == set(LANGS) == {"fr", "en"}
        for lang in LANGS:
            for words in said[lang]:
                assert words.strip() and "{" not in words and "}" not in words, (kind, lang, words)
        for french, english in zip(said["fr"], said["en"], strict=True):
            assert french != english, f"{kind}: the French is the English ({french!r})"
    disk = render("disk", **SAMPLES["disk"])
    assert disk["fr"][0] == "Disque plein à 97,5 % (reste 0,4 Go)"  # French decimals
    assert disk["en"][0] == "disk 97.5 % full (0.4 GB free)"
    with pytest.raises(KeyError):
        render("stuck", device="door")  # a missing value is an error, never a "{minutes}"


def test_counts_are_singular_and_plural_as_each_language_says_them() -> None:
    assert count_of(1, "erreur", "handler error") == ("1 erreur", "1 handler error")
    assert count_of(0, "erreur", "handler error") == ("0 erreur", "0 handler errors")
    assert count_of(3, "erreur", "handler error") == ("3 erreurs", "3 handler errors")


def test_the_watchers_raise_every_kind_in_both_languages(
        installation: Callable[..., Installation], monkeypatch: pytest.MonkeyPatch) -> None:
    kinds: list[str] = []

    def spy(kind: str, /, **values: Any) -> dict[str, tuple[str, str]]:
        kinds.append(kind)
        return render(kind, **values)
    monkeypatch.setattr(alerts_module, "render", spy)
    inst = installation(DAY)
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")   # 09:00, closed
    runtime.start()
    runtime.devices["pir"].set_online(False)      # never seen: offline_unseen
    runtime.run_for(1)
    assert inst.staff.alerts is not None
    rec = Recorder()
    alerts = Alerts(runtime, inst.staff.alerts, [rec], system_checks=False)
    alerts.start()
    try:
        runtime.run_for(3600 * 1.5)               # 10:30, open
        runtime.simulate("door", "press")         # stuck
        runtime.run_for(11 * 60)
        runtime.simulate("door", "release")
        runtime.devices["door"].emit("error", "cannot open bell.wav")  # as a sound does: media
        runtime.run_for(1)

        def broken(event: Any) -> None:
            raise RuntimeError("bug in a handler")
        runtime.subscribe("door.pressed", broken, "broken handler")
        for _ in range(5):                        # handler_errors (3 within a minute)
            runtime.simulate("door", "press")
            runtime.simulate("door", "release")
            runtime.run_for(1)
        runtime.devices["door"].set_online(False, "cable pulled")   # offline
        runtime.run_for(3600 * 2.5)               # 13:10: over 3 h of open silence for pir
        alerts._system({"disk_percent": 97.0, "disk_free_gb": 0.4}, False)   # disk, clock
    finally:
        alerts.close()
        runtime.close()
    assert sorted(set(kinds)) == sorted(ALERTS)
    raised = [alert for _, alert in rec.calls if alert is not None]
    assert len(raised) == len(ALERTS)
    for alert in raised:
        payload = alert.payload()
        assert set(payload) == {"since", "severity", "text", "fix", "text_fr", "fix_fr"}
        for key in ("text", "fix", "text_fr", "fix_fr"):
            assert payload[key].strip() and "{" not in payload[key], (alert.id, key, payload)
        assert payload["text_fr"] != payload["text"] and payload["fix_fr"] != payload["fix"]


# -- sinks: real servers on loopback -------------------------------------------------------

class Hook(BaseHTTPRequestHandler):
    received: list[tuple[str, str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Hook.received.append((self.headers["Title"], body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[str, str]]]]:
    Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/museum", Hook.received
    server.shutdown()
    server.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def smtp_server(port: int) -> tuple[Any, Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, box


def test_webhook_and_mail_send_once_in_french_then_english_and_say_when_it_is_over(
        webhook: Any) -> None:
    url, received = webhook
    port = free_port()
    controller, box = smtp_server(port)
    try:
        cfg = AlertsConfig(webhook=url, smtp=f"127.0.0.1:{port}", mail_to=("tech@museum.example",))
        sender = Sender(cfg, "Silent test (site/main)")
        alert = Alert.of("silence_pir", "silence", device="pir", hours=6)
        sender("silence_pir", alert)
        wait_for(lambda: len(received) == 1 and len(box.messages) == 1, what="webhook and mail")
        title = str(make_header(decode_header(received[0][0])))  # RFC 2047, as ntfy decodes it
        assert title == "Silent test (site/main): « pir » n'a rien signalé depuis 6 h d'ouverture"
        mail = box.messages[0]
        assert mail["Subject"] == title
        assert mail["To"] == "tech@museum.example" and mail["X-Museokit-Alert"] == "silence_pir"
        for body in (received[0][1], mail.get_content().replace("\r\n", "\n")):
            french = body.index("« pir » n'a rien signalé depuis 6 h d'ouverture\n"
                                "Solution : Passez devant « pir » ou appuyez dessus")
            english = body.index("pir silent for 6 h during opening hours\n"
                                 "Fix: walk past or press pir")
            assert french < english, body
        sender("silence_pir", None)
        wait_for(lambda: len(received) == 2 and len(box.messages) == 2, what="the all-clear")
        over = "Silent test (site/main): résolu / resolved — silence_pir"
        assert str(make_header(decode_header(received[1][0]))) == over
        assert box.messages[1]["Subject"] == over
        assert received[1][1].index("terminée") < received[1][1].index("is over")
        sender.close()
    finally:
        controller.stop()
    assert header_text("plain ASCII: as is") == "plain ASCII: as is"
    assert header_text("é").isascii()


def test_an_unreachable_smtp_server_is_one_line_with_back_off(caplog: Any) -> None:
    port = free_port()  # nothing listens there yet
    cfg = AlertsConfig(smtp=f"127.0.0.1:{port}", mail_to=("tech@museum.example",))
    with caplog.at_level(logging.WARNING, logger="museokit.alerts"):
        sender = Sender(cfg, "piece", first_delay=0.05, max_delay=0.4)
        sender("disk", Alert.of("disk", "disk", percent=97, free_gb=0.4))
        wait_for(lambda: sender.failures >= 4, what="a few tries")
        lines = [r.getMessage() for r in caplog.records if r.name == "museokit.alerts"]
        assert len(lines) == 1, lines
        assert f"SMTP 127.0.0.1:{port}" in lines[0] and "back-off" in lines[0]
        controller, box = smtp_server(port)  # the mail server comes back
        try:
            wait_for(lambda: len(box.messages) == 1, what="the mail once the server is back")
            assert sender.sent == 1
            lines = [r.getMessage() for r in caplog.records if r.name == "museokit.alerts"]
            assert lines[1:] == ["alerts: sending works again"]
        finally:
            sender.close()
            controller.stop()


def test_mqtt_alert_is_retained_while_active_and_cleared_by_an_empty_message(
        own_broker: Callable[..., Broker], tmp_path: Path) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    broker = own_broker()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    try:
        # Waiting for the broker's ack: a late subscriber then sees the retained copy.
        sink = mqtt_sink(lambda t, p: client.publish(t, p, qos=1, retain=True).wait_for_publish(5),
                         "site", "main")
        topic = "museokit/site/main/alert/disk"
        sink("disk", Alert.of("disk", "disk", 1.0, percent=97, free_gb=0.4))
        late = Observer(broker.port, ["museokit/site/main/alert/#"])  # joins afterwards
        wait_for(lambda: late.last(topic), what="the retained alert")
        assert json.loads(late.last(topic) or b"") == {
            "since": 1.0, "severity": "critical", "text": "disk 97 % full (0.4 GB free)",
            "fix": "download and delete old logs from the dashboard, or use a larger SD card",
            "text_fr": "Disque plein à 97 % (reste 0,4 Go)",
            "fix_fr": "Téléchargez puis supprimez les anciens journaux depuis le tableau de bord, "
                      "ou utilisez une carte SD plus grande"}
        assert late.messages[0][2] is True  # retained
        sink("disk", None)
        wait_for(lambda: late.last(topic) == b"", what="the clearing message")
        later = Observer(broker.port, ["museokit/site/main/alert/#"])
        later.publish("museokit/site/main/alert/marker", b"")  # after any retained message
        wait_for(lambda: later.on("museokit/site/main/alert/marker"), what="the marker")
        assert later.on(topic) == []
        late.close()
        later.close()
    finally:
        client.loop_stop()
        client.disconnect()


def test_a_device_never_seen_since_the_start_is_noticed(
        installation: Callable[..., Installation]) -> None:
    inst = installation(DAY)
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")
    runtime.start()
    runtime.devices["pir"].set_online(False)  # as a remote device whose node never came up
    runtime.run_for(1)
    assert inst.staff.alerts is not None
    rec = Recorder()
    alerts = Alerts(runtime, inst.staff.alerts, [rec], system_checks=False)
    alerts.start()
    runtime.run_for(5 * 60 + 1)
    assert rec.of("offline_pir") == ["motion pir offline for 5 min (not seen since the start)"]
    assert rec.fr("offline_pir") == ["L'appareil « pir » est hors ligne depuis 5 min (jamais vu "
                                     "depuis le démarrage)"]
    alerts.close()
    runtime.close()


@pytest.mark.subprocess  # the alerts' clock probe runs timedatectl
def test_silence_thresholds_are_learned_from_the_log(tmp_path: Path,
                                                     installation: Callable[..., Installation]) -> None:
    from museokit.core.events import Event
    from museokit.ops.alerts import learn_silence, open_seconds
    from museokit.ops.interactions import InteractionLog

    inst = installation(DAY.replace("silence_hours = { pir = 3 }", "learn_silence = true"))
    schedule = inst.schedule
    assert schedule is not None
    monday = VirtualClock().time() + 3600          # 2026-01-05 10:00 UTC, opening time
    assert open_seconds(schedule, monday - 7200, monday + 3600) == 3600
    assert open_seconds(schedule, monday + 7 * 3600, monday + 24 * 3600 + 3600) == 2 * 3600
    path = tmp_path / "interactions.sqlite"
    log = InteractionLog(path, node="main", installation="piece")
    seq = 0
    for day in range(10):                          # ten days, a visitor every 30 min ...
        for half_hour in range(16):
            if day == 3 and half_hour in (4, 5, 6):
                continue                           # ... but one quiet 2 h stretch
            seq += 1
            log.record(Event("pir", "motion", True, monday + day * 86400 + half_hour * 1800,
                             seq, "main"))
    log.close()
    now = monday + 10 * 86400
    assert learn_silence(path, ["pir", "door"], schedule, now) == {"pir": 4.0}
    assert learn_silence(path, ["pir"], schedule, now, min_days=11) == {}
    assert learn_silence(path, ["pir"], None, now)["pir"] > 30  # nights count without hours

    runtime = Runtime(inst, clock=VirtualClock(epoch=now - 3600), backend_override="sim")
    runtime.start()
    assert inst.staff.alerts is not None
    rec = Recorder()
    alerts = Alerts(runtime, inst.staff.alerts, [rec], log_file=path)
    alerts.start()
    try:
        wait_for(lambda: runtime.run_for(0) or "pir" in alerts.silence, what="the learned threshold")
        assert alerts.silence == {"pir": 4.0}
        runtime.run_for(3600 * 5.1)               # 09:00 .. 14:06: 4.1 h open, no visitor
        assert rec.of("silence_pir") == ["pir silent for 4 h during opening hours"]
    finally:
        alerts.close()
        runtime.close()
