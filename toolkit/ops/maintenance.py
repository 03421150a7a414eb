"""Physical maintenance mode: a technician at the exhibit, without a phone or a laptop.

A declared admin tag on any reader, or declared buttons held together for `hold`
seconds, switches it on: visitor rules pause, every output is tested in turn (one
every `STEP` seconds, so each can be watched), and the installation says so through
its own outputs: LEDs blink the code "2 long" (see the handover card), screens show
"Maintenance", and espeak-ng speaks a sentence if `speak` is on. The same gesture, or
`timeout` seconds, leaves it and starts the piece again from its first state.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from museokit.core.device import CommandError
from museokit.core.events import Event
from museokit.core.opsconfig import MaintenanceConfig
from museokit.ops import staff

if TYPE_CHECKING:
    from museokit.core.loop import Timer
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.maintenance")

MAINTENANCE = "maintenance"
STEP = 2.0
#: Blink codes the installation's LEDs show (printed on the handover card too).
BLINK_CODES = {
    "maintenance": ("2 long blinks", [1.0, 0.5, 2]),
}
SAY_ON = "Mode maintenance. Maintenance mode."
SAY_OFF = "Fin de la maintenance. Maintenance over."


class Maintenance:
    def __init__(self, runtime: Runtime, cfg: MaintenanceConfig,
                 on_change: Callable[[bool], Any] | None = None,
                 speak: Callable[[str], None] | None = None) -> None:
        self.runtime = runtime
        self.cfg = cfg
        self.on_change = on_change
        self.speak = speak or (_espeak if cfg.speak else None)
        self.active = False
        self.tested: list[str] = []
        self._held: set[str] = set()
        self._hold_timer: Timer | None = None
        self._timers: list[Timer] = []
        self._sub: Any = None

    def start(self) -> None:
        self._sub = self.runtime.bus.tap(self._on_event, name="maintenance gesture")

    def close(self) -> None:
        if self._sub is not None:
            self.runtime.bus.untap(self._sub)
        self._cancel()

    def _on_event(self, event: Event) -> None:
        cfg = self.cfg
        if (cfg.tag is not None and event.name == "placed"
                and str(event.value).upper() == cfg.tag.upper()):
            self.toggle("admin tag")
            return
        if event.device not in cfg.buttons:
            return
        if event.name == "pressed":
            self._held.add(event.device)
            if self._held >= set(cfg.buttons) and self._hold_timer is None:
                self._hold_timer = self.runtime.loop.call_later(
                    cfg.hold, self._held_long, name="maintenance: buttons held")
        elif event.name == "released":
            self._held.discard(event.device)
            if self._hold_timer is not None:
                self._hold_timer.cancel()
                self._hold_timer = None

    def _held_long(self) -> None:
        self._hold_timer = None
        self.toggle(f"{' + '.join(self.cfg.buttons)} held {self.cfg.hold:g} s")

    def toggle(self, why: str) -> None:
        if self.active:
            self.leave(why)
        else:
            self.enter(why)

    def enter(self, why: str) -> None:
        rt = self.runtime
        self.active = True
        self.tested = []
        staff.set_paused(rt, MAINTENANCE, True)
        log.warning("maintenance mode on (%s): visitor rules paused, testing each output", why)
        self._tell(True, SAY_ON)
        outputs = staff.testable(rt)
        for i, device_id in enumerate(outputs):
            self._timers.append(rt.loop.call_later(STEP * (i + 1), self._test, device_id,
                                                   name=f"maintenance: test {device_id}"))
        self._timers.append(rt.loop.call_later(STEP * (len(outputs) + 1), self._show_code,
                                               name="maintenance: blink code"))
        self._timers.append(rt.loop.call_later(self.cfg.timeout, self.leave, "timeout",
                                               name="maintenance: timeout"))

    def leave(self, why: str) -> None:
        if not self.active:
            return
        rt = self.runtime
        self.active = False
        self._cancel()
        staff.set_paused(rt, MAINTENANCE, False)
        log.warning("maintenance mode off (%s)", why)
        self._tell(False, SAY_OFF)
        if rt.states is not None and not rt.lockout.paused_by:
            rt.states.goto(rt.states.initial)

    def _cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    def _test(self, device_id: str) -> None:
        try:
            staff.test_output(self.runtime, device_id)
            self.tested.append(device_id)
        except CommandError as exc:
            log.warning("maintenance: %s", exc)

    def _show_code(self) -> None:
        _, args = BLINK_CODES["maintenance"]
        for device in self.runtime.devices.values():
            if device.kind in ("led", "rgb_led"):
                self.runtime.command(device.id, "blink", list(args))

    def _tell(self, on: bool, sentence: str) -> None:
        for device in self.runtime.devices.values():
            if device.kind == "screen":
                try:
                    self.runtime.command(device.id, "text" if on else "attract",
                                         ["Maintenance"] if on else [])
                except CommandError as exc:
                    log.warning("maintenance: %s", exc)
        if self.speak is not None:
            self.speak(sentence)
        if self.on_change is not None:
            self.on_change(on)


def _espeak(text: str) -> None:
    """Say `text` through espeak-ng in the background (nothing if it is not installed)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        log.debug("maintenance: espeak-ng is not installed; nothing is spoken")
        return

    def run() -> None:
        try:
            subprocess.run([exe, "-v", "fr", text], capture_output=True, timeout=30, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            log.debug("maintenance: espeak-ng failed: %s", exc)
    threading.Thread(target=run, name="museokit speech", daemon=True).start()
