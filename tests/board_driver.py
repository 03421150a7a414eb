"""A visitor driver for a simulated board: scenarios run against the real serial backend.

`run_scenario(installation, scenario, BoardDriver(board))` keeps every device on its own
backend (`serial`), runs on the real clock, and plays each visitor action on the board's
pins the way the hardware would see it: a press on a pulled-up button pulls its pin
low, an analog reading is an ADC value, a distance is an HC-SR04 echo. Outputs are read
back off the board (`level`, `pixels`) and compared with what the host last wrote.

It works with any board speaking simboard's visitor commands (tests/simboard.py:
SimAvrBoard, MicroPythonBoard).
"""

from __future__ import annotations

from typing import Any

from museokit.backends.serial.backend import SerialBackend, SerialInput, SerialOutput
from museokit.core.device import CommandError
from museokit.core.runtime import Runtime
from museokit.sim.harness import VisitorDriver
from tests.simboard import _ProcessBoard

#: A pin held this much longer than the board's own debounce, so a pulse is not filtered out.
PULSE_MARGIN = 0.02


class BoardDriver(VisitorDriver):
    backend = None  # each device on its own backend: the serial one
    real_time = True
    latency = 0.3  # host -> board -> host and a few loop turns, with room for a busy machine

    def __init__(self, board: _ProcessBoard) -> None:
        self.board = board

    def act(self, runtime: Runtime, device_id: str, action: str, arg: str | None) -> None:
        values = runtime.visitor_values(device_id, action, arg)
        backend = _serial(runtime, device_id)
        channel = next(c for c in backend.inputs.get(backend.board_of[device_id], [])
                       if c.device_id == device_id)
        if channel.signal != "digital":
            self._apply(channel, values[-1])  # a level the board keeps reading
            return
        hold = backend.options["debounce_ms"] / 1000 + PULSE_MARGIN
        self._apply(channel, values[0])
        for i, value in enumerate(values[1:], 1):  # later levels of a pulse, on the loop
            runtime.loop.call_later(i * hold, self._apply, channel, value)

    def _apply(self, channel: SerialInput, value: Any) -> None:
        """The inverse of SerialInput.deliver: a device-level value onto the board's pin."""
        if channel.signal == "digital":
            level = not value if channel.params.get("pull_up") else bool(value)
            self.board.pin(channel.pin, int(level))
        elif channel.signal == "analog":
            self.board.adc(int(channel.pin[1:]), round(float(value) * 1023))
        elif channel.signal == "distance":
            self.board.sonar(channel.pin, channel.params["echo"], 0 if value is None else round(value * 10))
        else:
            raise CommandError(f"{channel.device_id}: a simulated board has no {channel.signal} "
                               "input (RFID is not in the firmware)")

    def output_problem(self, runtime: Runtime, device_id: str) -> str | None:
        backend = _serial(runtime, device_id)
        for channel in backend.outputs.get(backend.board_of[device_id], []):
            if channel.device_id == device_id:
                return self._differs(channel)
        return None

    def _differs(self, channel: SerialOutput) -> str | None:
        """Digital levels and pixel frames are read off the board; PWM, servo and tone
        cannot be (simboard reads port bits and WS2812 frames), so they count as agreeing."""
        if channel.signal == "digital":
            want = int(bool(channel.value) == channel.params.get("active_high", True))
            got = self.board.level(channel.pin)
            return None if got == want else f"{channel.pin} is {got}, the host wrote {want}"
        if channel.signal == "pixels":
            frame = bytes(b for r, g, b_ in channel.value or [] for b in (g, r, b_))  # GRB
            shown = self.board.pixels(channel.pin)
            return None if shown == frame else (f"{channel.pin} shows {shown.hex() or 'nothing'}, "
                                                f"the host wrote {frame.hex()}")
        return None


def _serial(runtime: Runtime, device_id: str) -> SerialBackend:
    backend = runtime.backends[runtime.device_backend[device_id]]
    if not isinstance(backend, SerialBackend):
        raise CommandError(f"{device_id} is on the {backend.name} backend, not on a board")
    return backend
