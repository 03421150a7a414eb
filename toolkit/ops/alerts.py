"""Alerts that notice a silent exhibit, each with its fix; they clear by themselves.

Watched on the installation's loop, on its clock (so a simulated day tests them):

- sensor silence: an input quiet for `silence_hours` while the gallery is open, or, with
  `learn_silence`, for twice the longest open-hours gap the interaction log shows for it
  over the last four weeks (at least one hour; a week of log needed);
- a stuck input: a button held for `stuck_minutes`;
- a node or device (a camera too) offline for `offline_minutes`;
- a burst of handler errors: `error_burst` within `error_window` seconds;
- a media error (a screen or sound that could not play), until it plays again;
- disk nearly full (`disk_percent`) and a clock not synced, checked off the loop.

An alert is raised once while its condition lasts (sent again only after
`resend_minutes`) and cleared once when it ends. Its text and fix are in French and
English, from the one table in `ops/alert_texts.py`. Sinks: the dashboard, MQTT
(`…/alert/<id>` retained while active, an empty retained message clears it),
an ntfy-compatible webhook and e-mail (French first, then English); the last two send
from a thread that retries with back-off, so an unreachable server costs one log line,
not the loop.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import queue
import smtplib
import threading
import urllib.request
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museokit.core.events import Event
from museokit.core.opsconfig import AlertsConfig
from museokit.core.schedule import Schedule
from museokit.ops.alert_texts import ALERTS, WORDS, count_of, fill, render

if TYPE_CHECKING:
    from museokit.core.loop import Timer
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.alerts")

#: Seconds between checks of silence (on the loop's clock) and of disk/clock (a thread).
CHECK_EVERY = 60.0
SYSTEM_EVERY = 300.0


@dataclass(frozen=True)
class Alert:
    """`text` and `fix` in English (as before French was added), `text_fr` and `fix_fr`."""

    id: str
    text: str
    fix: str
    text_fr: str
    fix_fr: str
    severity: str = "warning"
    since: float = 0.0

    @classmethod
    def of(cls, alert_id: str, kind: str, since: float = 0.0, /, **values: Any) -> Alert:
        """An alert of a kind in `alert_texts.ALERTS`, its placeholders filled from `values`."""
        said = render(kind, **values)
        (text, fix), (text_fr, fix_fr) = said["en"], said["fr"]
        return cls(alert_id, text, fix, text_fr, fix_fr, ALERTS[kind].severity, since)

    def payload(self) -> dict[str, Any]:
        return {"since": self.since, "severity": self.severity, "text": self.text, "fix": self.fix,
                "text_fr": self.text_fr, "fix_fr": self.fix_fr}


Sink = Callable[[str, Alert | None], None]


class Alerts:
    """Raise/clear bookkeeping and the watchers. Create and `start()` on the loop thread."""

    def __init__(self, runtime: Runtime, cfg: AlertsConfig, sinks: list[Sink],
                 state_dir: Path | None = None, *, system_checks: bool = True,
                 log_file: Path | None = None) -> None:
        self.runtime = runtime
        self.cfg = cfg
        self.sinks = sinks
        self.state_dir = state_dir
        self.system_checks = system_checks
        self.log_file = log_file
        #: Hours of silence per input device: given in the file, or learned from the log.
        self.silence: dict[str, float] = dict(cfg.silence_hours)
        self.active: dict[str, Alert] = {}
        self._last_sent: dict[str, float] = {}
        self.raised = 0
        loop = runtime.loop
        self.loop = loop
        self._last_input: dict[str, float] = {}
        self._timers: dict[str, Timer] = {}
        self._errors: deque[float] = deque()
        self._subs: list[Any] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- raising and clearing (loop thread) ----------------------------------------------
    def raise_(self, alert_id: str, kind: str, /, **values: Any) -> None:
        """Raise `alert_id`, an alert of `kind` (`alert_texts.ALERTS`) whose placeholders
        `values` fill."""
        now = self.runtime.clock.time()
        if (alert_id in self.active
                and now - self._last_sent.get(alert_id, now) < self.cfg.resend_minutes * 60):
            return  # still active and already told: no storm
        alert = self.active.get(alert_id) or Alert.of(alert_id, kind, now, **values)
        self.active[alert_id] = alert
        self._last_sent[alert_id] = now
        self.raised += 1
        log.warning("alert %s: %s — %s", alert_id, alert.text, alert.fix)
        self._tell(alert_id, alert)

    def clear(self, alert_id: str) -> None:
        if self.active.pop(alert_id, None) is None:
            return
        self._last_sent.pop(alert_id, None)
        log.info("alert %s cleared", alert_id)
        self._tell(alert_id, None)

    def _tell(self, alert_id: str, alert: Alert | None) -> None:
        for sink in self.sinks:
            try:
                sink(alert_id, alert)
            except Exception as exc:
                log.error("alert sink %s failed: %s", getattr(sink, "__name__", sink), exc)

    # -- watching ----------------------------------------------------------------------
    def start(self) -> None:
        rt = self.runtime
        now = rt.clock.monotonic()
        for silent in self.silence:
            self._last_input[silent] = now
        for dev_id, device in rt.devices.items():
            if not device.is_online:  # a node that never comes up is noticed too
                self._offline(dev_id, None)
        self._subs.append(rt.bus.tap(self._on_event, name="alerts"))
        rt.bus.stats.error_listeners.append(self._on_error)
        self._timers["check"] = self.loop.call_every(CHECK_EVERY, self._check_silence,
                                                     name="alerts: silence check")
        if self.system_checks:
            self._thread = threading.Thread(target=self._system_loop, name="museokit alerts",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        for timer in self._timers.values():
            timer.cancel()
        for sub in self._subs:
            self.runtime.bus.untap(sub)
        if self._on_error in self.runtime.bus.stats.error_listeners:
            self.runtime.bus.stats.error_listeners.remove(self._on_error)
        if self._thread is not None:
            self._thread.join(5)

    def _later(self, key: str, seconds: float, fn: Callable[[], None]) -> None:
        self._cancel(key)
        self._timers[key] = self.loop.call_later(seconds, fn, name=f"alerts: {key}")

    def _cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def _on_event(self, event: Event) -> None:
        dev, name = event.device, event.name
        if dev in self._last_input and name not in ("online", "offline"):
            self._last_input[dev] = self.runtime.clock.monotonic()
            self.clear(f"silence_{dev}")
        if name == "pressed":
            minutes = self.cfg.stuck_minutes
            self._later(f"stuck_{dev}", minutes * 60, lambda: self.raise_(
                f"stuck_{dev}", "stuck", device=dev, minutes=minutes))
        elif name == "released":
            self._cancel(f"stuck_{dev}")
            self.clear(f"stuck_{dev}")
        elif name == "offline":
            self._offline(dev, str(event.value or ""))
        elif name == "online":
            self._cancel(f"offline_{dev}")
            self.clear(f"offline_{dev}")
        elif name == "error" and dev in self.runtime.devices:
            self.raise_(f"media_{dev}", "media", device=dev, error=event.value)
        elif name == "started":
            self.clear(f"media_{dev}")

    def _offline(self, dev: str, why: str | None) -> None:
        """`why`: the offline event's reason ("" if none); None: not seen since the start."""
        device = self.runtime.devices.get(dev)
        kind = device.kind if device is not None else "device"
        minutes = self.cfg.offline_minutes
        reason = f" ({why})" if why else ""
        self._later(f"offline_{dev}", minutes * 60, lambda: self.raise_(
            f"offline_{dev}", "offline_unseen" if why is None else "offline", kind=kind,
            device=dev, minutes=minutes, reason=reason))

    def _on_error(self, name: str, what: str, exc: BaseException) -> None:
        now = self.runtime.clock.monotonic()
        window = self.cfg.error_window
        self._errors.append(now)
        while self._errors and self._errors[0] < now - window:
            self._errors.popleft()
        if len(self._errors) >= self.cfg.error_burst:
            self.raise_("handler_errors", "handler_errors",
                        errors=count_of(len(self._errors), "erreur", "handler error"),
                        window=window, handler=name, error=exc)
        self._later("errors_quiet", window, lambda: self.clear("handler_errors"))

    def _check_silence(self) -> None:
        rt = self.runtime
        schedule = rt.installation.schedule
        if schedule is not None and not schedule.is_open(rt.clock.time()):
            # Closed: silence is normal; the count starts again at opening.
            now = rt.clock.monotonic()
            for dev in self._last_input:
                self._last_input[dev] = now
            return
        now = rt.clock.monotonic()
        for dev, hours in self.silence.items():
            if now - self._last_input[dev] >= hours * 3600:
                self.raise_(f"silence_{dev}", "silence", device=dev, hours=hours)

    # -- disk and clock, off the loop --------------------------------------------------
    def _system_loop(self) -> None:
        from museokit.ops.health import clock_synced, snapshot

        if self.cfg.learn_silence and self.log_file is not None:
            rt = self.runtime
            inputs = [d.id for d in rt.devices.values()
                      if d.role == "input" and d.id not in self.cfg.silence_hours]
            learned = learn_silence(self.log_file, inputs, rt.installation.schedule,
                                    rt.clock.time())
            self.loop.call_soon_threadsafe(self._learned, learned)
        while not self._stop.is_set():
            try:
                health = snapshot(self.state_dir or Path("/"))
                synced = clock_synced()
            except Exception as exc:  # a broken probe must not end the disk and clock alerts
                log.warning("alerts: cannot read the disk or clock (%s: %s); trying again in "
                            "%g s", type(exc).__name__, exc, SYSTEM_EVERY)
            else:
                self.loop.call_soon_threadsafe(self._system, health, synced)
            self._stop.wait(SYSTEM_EVERY)

    def _learned(self, hours: dict[str, float]) -> None:
        now = self.runtime.clock.monotonic()
        for dev, h in hours.items():
            self.silence[dev] = h
            self._last_input.setdefault(dev, now)
            log.info("alerts: %s silent for %.1f h during opening hours will raise an alert "
                     "(learned from the log)", dev, h)

    def _system(self, health: dict[str, Any], synced: bool | None) -> None:
        disk = health.get("disk_percent")
        if disk is not None and disk >= self.cfg.disk_percent:
            self.raise_("disk", "disk", percent=disk, free_gb=health.get("disk_free_gb"))
        elif disk is not None:
            self.clear("disk")
        if synced is False:
            self.raise_("clock", "clock")
        elif synced:
            self.clear("clock")


def open_seconds(schedule: Schedule | None, start: float, end: float) -> float:
    """Seconds between `start` and `end` while the gallery is open (all of it without hours)."""
    if schedule is None:
        return max(0.0, end - start)
    total, t, is_open = 0.0, start, schedule.is_open(start)
    while t < end:
        change = schedule.next_change(t)
        stop = end if change is None or change <= t else min(change, end)
        if is_open:
            total += stop - t
        t, is_open = stop, not is_open
    return total


def learn_silence(path: Path, devices: list[str], schedule: Schedule | None, now: float,
                  days: int = 28, min_days: int = 7) -> dict[str, float]:
    """Hours of silence that are unusual for each device: twice the longest open-hours gap
    between its events over the last `days` days, at least one hour. Devices with less than
    `min_days` of log are left out (nothing to learn from yet)."""
    from museokit.ops.interactions import read_events

    if not path.exists():
        return {}
    last: dict[str, float] = {}
    first: dict[str, float] = {}
    longest: dict[str, float] = {}
    for row in read_events(path, start=now - days * 86400, end=now, devices=devices):
        if row.name in ("online", "offline"):
            continue
        dev = row.device
        if dev in last:
            gap = open_seconds(schedule, last[dev], row.ts)
            longest[dev] = max(longest.get(dev, 0.0), gap)
        else:
            first[dev] = row.ts
        last[dev] = row.ts
    return {dev: max(1.0, 2 * gap / 3600) for dev, gap in longest.items()
            if last[dev] - first[dev] >= min_days * 86400}


# -- sinks ---------------------------------------------------------------------------------

def mqtt_sink(publish: Callable[[str, bytes], Any], site: str, node: str) -> Sink:
    """`museokit/<site>/<node>/alert/<id>`, retained while active; empty retained clears.
    `publish(topic, payload)`: retained, QoS 1 (the node's `Link.publish`)."""
    def send(alert_id: str, alert: Alert | None) -> None:
        payload = json.dumps(alert.payload()).encode() if alert else b""
        publish(f"museokit/{site}/{node}/alert/{alert_id}", payload)
    return send


def dashboard_sink(put: Callable[[tuple[Any, ...]], Any], site: str, node: str) -> Sink:
    """Hands each alert's payload (both languages) to the dashboard's model, through
    `put` (its `Handoff.put`); None clears it."""
    def send(alert_id: str, alert: Alert | None) -> None:
        put(("alert", site, node, alert_id, alert.payload() if alert else None))
    return send


class Sender:
    """Sends webhook posts and e-mails from its own thread, with retry and back-off.

    The title (the e-mail's subject) is the French text; the body has the French text and
    fix, then the English ones.

    An unreachable target costs one log line when it first fails (and one when it comes
    back); meanwhile messages wait (at most `limit`, the oldest dropped) and the wait
    between tries doubles up to `max_delay`.
    """

    def __init__(self, cfg: AlertsConfig, where: str, *, first_delay: float = 1.0,
                 max_delay: float = 300.0, limit: int = 100) -> None:
        self.cfg = cfg
        self.where = where
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._queue: queue.Queue[tuple[str, str, str] | None] = queue.Queue(limit)
        self.sent = 0
        self.failures = 0
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="museokit alert sender", daemon=True)
        self._thread.start()

    def __call__(self, alert_id: str, alert: Alert | None) -> None:
        if alert is None:
            title = f"{self.where}: {fill(WORDS['resolved'], 'fr')} / " \
                    f"{fill(WORDS['resolved'], 'en')} — {alert_id}"
            body = f"{fill(WORDS['over'], 'fr', id=alert_id)}\n\n" \
                   f"{fill(WORDS['over'], 'en', id=alert_id)}\n"
        else:
            title = f"{self.where}: {alert.text_fr}"
            body = (f"{alert.text_fr}\n{fill(WORDS['fix'], 'fr', fix=alert.fix_fr)}\n\n"
                    f"{alert.text}\n{fill(WORDS['fix'], 'en', fix=alert.fix)}\n")
        try:
            self._queue.put_nowait((alert_id, title, body))
        except queue.Full:
            log.warning("alerts: %d messages are waiting to be sent; %s is dropped",
                        self._queue.qsize(), alert_id)

    def close(self) -> None:
        self._closing.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None or self._closing.is_set():
                return
            delay = self.first_delay
            failing = False
            while True:
                try:
                    self._send(*item)
                    self.sent += 1
                    if failing:
                        log.warning("alerts: sending works again")
                    break
                except (OSError, smtplib.SMTPException) as exc:
                    self.failures += 1
                    if not failing:
                        log.warning("alerts: cannot send (%s: %s); retrying with back-off up to "
                                    "every %g s", self._target(), exc, self.max_delay)
                        failing = True
                    if self._closing.wait(delay):
                        return
                    delay = min(self.max_delay, delay * 2)

    def _target(self) -> str:
        return " and ".join(t for t in (f"webhook {self.cfg.webhook}" if self.cfg.webhook else "",
                                        f"SMTP {self.cfg.smtp}" if self.cfg.smtp else "") if t)

    def _send(self, alert_id: str, title: str, body: str) -> None:
        if self.cfg.webhook:
            request = urllib.request.Request(
                self.cfg.webhook, data=body.encode(), method="POST",
                headers={"Title": header_text(title), "Tags": "museokit",
                         "Content-Type": "text/plain; charset=utf-8"})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        if self.cfg.smtp and self.cfg.mail_to:
            host, _, port = self.cfg.smtp.partition(":")
            msg = EmailMessage()
            msg["Subject"] = title
            msg["From"] = self.cfg.mail_from
            msg["To"] = ", ".join(self.cfg.mail_to)
            msg["X-Museokit-Alert"] = alert_id
            msg.set_content(body)
            with smtplib.SMTP(host, int(port or 25), timeout=10) as smtp:
                smtp.send_message(msg)



def header_text(text: str) -> str:
    """`text` for an HTTP header: as is if ASCII, else one RFC 2047 encoded word (ntfy
    decodes it, so a French title keeps its accents)."""
    if text.isascii():
        return text
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="
