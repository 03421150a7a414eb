"""Run an installation on the virtual clock with simulated devices, and record it.

The scenario runner, the virtual visitors and every test use this, and so can a
brick's own tests:

    h = Harness.open("installations/hello-button")
    h.act("door", "press"); h.run_for(0.1); h.act("door", "release")
    h.run_for(1)
    assert h.fired("door.clicked")
    h.close()

Who plays the visitor is a `VisitorDriver`. The default one injects into the sim
backend's virtual inputs, on the virtual clock. A driver for real (or simulated)
hardware keeps the installation's own backends, runs on the real clock, and touches
the hardware instead: tests/board_driver.py presses a button on a simulated Uno.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museokit.core.clock import Clock, RealClock, VirtualClock
from museokit.core.config import Installation, load_installation
from museokit.core.events import Event
from museokit.core.runtime import Runtime


@dataclass(frozen=True)
class Seen:
    """An event as the harness saw it, with the virtual time it was published at."""

    t: float
    event: Event

    @property
    def key(self) -> str:
        return self.event.key

    @property
    def value(self) -> Any:
        return self.event.value


class VisitorDriver:
    """Plays visitors on the sim backend, on the virtual clock (the default driver).

    A driver for hardware subclasses it: `backend = None` keeps each device's own
    backend, `real_time = True` makes the harness wait in real time, `latency` is how
    much later than on the virtual clock a consequence may show (a round trip to the
    board), and `act` / `output_problem` touch and read the hardware.
    """

    #: The backend every device runs on; None: the installation's own.
    backend: str | None = "sim"
    real_time = False
    #: Seconds added to the end of every expectation's window.
    latency = 0.0

    def act(self, runtime: Runtime, device_id: str, action: str, arg: str | None) -> None:
        runtime.simulate(device_id, action, arg)

    def output_problem(self, runtime: Runtime, device_id: str) -> str | None:
        """How the hardware differs from what the host last wrote to the output (None:
        it agrees, or cannot be read). Sim outputs are what was written, by definition."""
        return None


class Harness:
    def __init__(self, installation: Installation, *, slow_threshold: float = 0.1,
                 record: bool = True, backend: str = "sim", clock: VirtualClock | None = None,
                 driver: VisitorDriver | None = None,
                 before_start: Callable[[Runtime], Any] | None = None) -> None:
        self.installation = installation
        self.driver = driver or VisitorDriver()
        self.clock: Clock = RealClock() if self.driver.real_time else clock or VirtualClock()
        # backend="gpio" runs the same installation on gpiozero (its MockFactory in tests); a
        # driver for hardware names its own backend (None: each device's own).
        self.runtime = Runtime(installation, clock=self.clock,
                               backend_override=backend if driver is None else driver.backend,
                               slow_threshold=slow_threshold)
        # Time every handler exactly: the slowest-handler report and slow-handler
        # warnings come from here (no watchdog thread runs while the harness drives).
        self.runtime.bus.profile = True
        self.seen: list[Seen] = []
        #: Every handler or timer that raised: "at 12.5s: handler f failed on door.pressed: ...".
        self.errors: list[str] = []
        self.runtime.bus.stats.error_listeners.append(self._record_error)
        if before_start is not None:  # e.g. an interaction log, to see the first events too
            before_start(self.runtime)
        self.runtime.start()
        self.maintenance = _maintenance(self.runtime)
        # In real time, 0 is when the installation is ready (a board is configured by then);
        # a virtual clock's own 0 stays the origin, as before.
        self.origin = self.clock.monotonic() if self.driver.real_time else 0.0
        if record:
            self.runtime.bus.tap(self._record, name="harness recorder")

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> Harness:
        return cls(load_installation(path), **kwargs)

    def _record(self, event: Event) -> None:
        self.seen.append(Seen(self.now, event))

    def _record_error(self, name: str, what: str, exc: BaseException) -> None:
        self.errors.append(f"at {self.now:g}s: handler {name} failed on {what}: "
                           f"{type(exc).__name__}: {exc}")

    @property
    def now(self) -> float:
        """Seconds since the installation was ready."""
        return self.clock.monotonic() - self.origin

    def act(self, device_id: str, action: str, arg: str | None = None) -> None:
        """A visitor action (`press`, `release`, `motion`, `value`, `tag`...), processed now."""
        self.driver.act(self.runtime, device_id, action, arg)
        self.runtime.loop.drain()

    def command(self, device_id: str, name: str, *args: Any, **kwargs: Any) -> Any:
        result = self.runtime.command(device_id, name, list(args), kwargs)
        self.runtime.loop.drain()
        return result

    def run_for(self, seconds: float) -> None:
        self.runtime.run_for(seconds)

    def run_until(self, t: float) -> None:
        self.runtime.run_for(max(0.0, t - self.now))

    def device(self, device_id: str) -> Any:
        return self.runtime.devices[device_id]

    def output(self, device_id: str) -> Any:
        """The device's virtual output channel (value, pattern, history, level())."""
        return self.runtime.backends["sim"].outputs[device_id]  # type: ignore[attr-defined]

    def outputs(self, device_id: str) -> list[Any]:
        """Every virtual output channel of the device (an RGB LED's red, green, blue)."""
        channels: list[Any] = self.runtime.backends["sim"].all_outputs[device_id]  # type: ignore[attr-defined]
        return channels

    def events(self, key: str | None = None, since: float = 0.0) -> list[Seen]:
        return [s for s in self.seen if (key is None or s.key == key) and s.t >= since]

    def fired(self, key: str, since: float = 0.0) -> bool:
        return bool(self.events(key, since))

    def close(self) -> None:
        if self.maintenance is not None:
            self.maintenance.close()
        self.runtime.close()

    def __enter__(self) -> Harness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _maintenance(runtime: Runtime) -> Any:
    """`[maintenance]`: the physical gesture works in scenarios and simulated days too
    (silently: nothing is spoken in the simulator)."""
    cfg = runtime.installation.staff.maintenance
    if cfg is None:
        return None
    from museokit.ops.maintenance import Maintenance

    maintenance = Maintenance(runtime, cfg, speak=lambda sentence: None)
    maintenance.start()
    return maintenance
