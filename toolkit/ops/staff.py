"""What gallery staff and technicians can do to a running installation, on its loop thread.

Shared by the dashboard's buttons and the physical maintenance mode: test an output,
take the exhibit out of order (visitor rules pause, screens say so politely) and back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from museokit.core.device import CommandError

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.staff")

#: Per device kind: the commands (name, args) that show a technician it works.
TESTS: dict[str, list[tuple[str, list[Any]]]] = {
    "led": [("blink", [0.2, 0.2, 3])],
    "rgb_led": [("blink", [0.2, 0.2, 3])],
    "pixels": [("animate", ["chase", "white", 1.0])],
    "relay": [("pulse", [0.5])],
    "servo": [("angle", [90])],
    "buzzer": [("beep", [0.1, 0.1, 2])],
    "screen": [("text", ["Test ✓"])],
    "sound": [],  # needs a file: test_output(..., media="hello.wav")
}
OUT_OF_ORDER = "out of order"
POLITE = "Momentanément hors service — merci de votre visite\nTemporarily out of order — thank you"


def testable(runtime: Runtime) -> list[str]:
    return [d.id for d in runtime.devices.values() if d.kind in TESTS and d.role == "output"]


def test_output(runtime: Runtime, device_id: str, media: str | None = None) -> str:
    """Run the device's test (loop thread). Returns what was done; raises CommandError."""
    device = runtime.devices.get(device_id)
    if device is None or device.kind not in TESTS:
        raise CommandError(f"{device_id!r} is not an output that can be tested")
    steps = list(TESTS[device.kind])
    if media is not None:
        steps = [("show" if device.kind == "screen" else "play", [media])]
    elif not steps:
        raise CommandError(f"{device_id}: choose a media file to play")
    for name, args in steps:
        runtime.command(device_id, name, list(args))
    return ", ".join(f"{name} {' '.join(map(str, args))}".strip() for name, args in steps)


def set_paused(runtime: Runtime, why: str, paused: bool) -> None:
    """Pause (or resume) every visitor trigger for `why` (loop thread)."""
    if paused:
        runtime.lockout.paused_by.add(why)
    else:
        runtime.lockout.paused_by.discard(why)


def set_out_of_order(runtime: Runtime, on: bool) -> None:
    """Visitor rules pause and screens show a polite notice; off: back to the first state."""
    set_paused(runtime, OUT_OF_ORDER, on)
    for device in runtime.devices.values():
        if device.kind == "screen":
            try:
                runtime.command(device.id, "text" if on else "attract",
                                [POLITE] if on else [])
            except CommandError as exc:
                log.warning("%s: %s", device.id, exc)
    if not on and runtime.states is not None and not runtime.lockout.paused_by:
        runtime.states.goto(runtime.states.initial)
    log.warning("out of order: %s", "ON (visitor rules paused)" if on else "off")
