"""The simulator backend: virtual pins that a scenario, a keyboard, the simulator
window or an MQTT client can poke, and outputs that remember what they showed.

Outputs never tick: a blinking LED stores its pattern and the moment it started,
and `level()` evaluates it when someone looks. A gallery day with LEDs pulsing
for eight hours therefore costs nothing between visitors.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from museokit.core.backend import (
    INPUT_SIGNALS,
    OUTPUT_SIGNALS,
    Backend,
    InputChannel,
    OutputChannel,
    Pattern,
    Sink,
    pattern_value,
)
from museokit.core.loop import Loop
from museokit.core.pins import PinRef

_IDLE_LEVEL = {"digital": False, "analog": 0.0, "distance": None, "tag": None, "touch": 0,
               "rotary": 0}


class VirtualInput(InputChannel):
    def __init__(self, sink: Sink, signal: str, pin: PinRef | None) -> None:
        super().__init__(sink)
        self.signal = signal
        self.pin = pin
        self.value = _IDLE_LEVEL[signal]

    @property
    def idle(self) -> bool:
        """At rest: nothing pressed, in range, or on the reader."""
        return bool(self.value == _IDLE_LEVEL[self.signal])

    def inject(self, value: Any, at: float | None = None) -> None:
        """A reading arrives, exactly as a real backend would deliver it; `at` is when it
        happened on the loop's clock (stamped where the visitor acted: a console line read,
        an MQTT message received), so a late loop does not change what the visitor did."""
        self.value = value
        self.sink(value, at)


class VirtualOutput(OutputChannel):
    def __init__(self, loop: Loop, signal: str, pin: PinRef | None, history: int = 256) -> None:
        super().__init__(loop, signal)
        self.pin = pin
        self.pattern: Pattern | None = None
        self.pattern_start = 0.0
        self.history: deque[tuple[float, Any]] = deque(maxlen=history)

    def animate(self, pattern: Pattern) -> None:
        self.pattern = pattern
        self.pattern_start = self.loop.clock.monotonic()
        self.history.append((self.pattern_start, pattern))

    def stop_animation(self) -> None:
        self.pattern = None

    def _write(self, value: Any) -> None:
        self.value = value
        self.history.append((self.loop.clock.monotonic(), value))

    def level(self, at: float | None = None) -> Any:
        """The output's value now (or at monotonic time `at`), patterns included."""
        if self.pattern is None:
            return self.value
        t = (self.loop.clock.monotonic() if at is None else at) - self.pattern_start
        return pattern_value(self.signal, self.pattern, t)


class SimBackend(Backend):
    name = "sim"
    wiring = "nothing to wire: `museokit sim` plays it, in its window or by typed actions"
    input_signals = INPUT_SIGNALS
    output_signals = OUTPUT_SIGNALS

    def __init__(self, loop: Loop, options: dict[str, Any] | None = None) -> None:
        super().__init__(loop, options)
        self.inputs: dict[str, VirtualInput] = {}
        #: Each device's (first) output channel.
        self.outputs: dict[str, VirtualOutput] = {}
        #: Every output channel of each device, in the order it opened them (an RGB LED's three).
        self.all_outputs: dict[str, list[VirtualOutput]] = {}

    def open_input(self, device_id: str, signal: str, pin: PinRef | None, sink: Sink,
                   **params: Any) -> InputChannel:
        channel = VirtualInput(sink, signal, pin)
        self.inputs[device_id] = channel
        return channel

    def open_output(self, device_id: str, signal: str, pin: PinRef | None,
                    **params: Any) -> OutputChannel:
        channel = VirtualOutput(self.loop, signal, pin)
        self.outputs.setdefault(device_id, channel)
        self.all_outputs.setdefault(device_id, []).append(channel)
        return channel

    def inject(self, device_id: str, value: Any, at: float | None = None) -> None:
        """A visitor's reading on `device_id`'s input (`museokit.core.backend.Playable`)."""
        self.inputs[device_id].inject(value, at)
