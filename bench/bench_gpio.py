"""Edge on a GPIO pin → museokit handler latency, on gpiozero's mock pins, p50 and p99.

museokit: a real `Button` (debounce 0.2 ms) on the gpio backend over gpiozero's
MockFactory, the runtime loop in its own thread on the real clock. A producer thread
drives the mock pin low: gpiozero runs its edge detection and calls the backend's
`when_activated` in that thread, the backend hands the level to the loop with
`call_soon_threadsafe`, and the button's `when_pressed` handler reads the clock.

Raw baseline, same run: gpiozero's own `Button` on another mock pin, its
`when_pressed` reading the clock; gpiozero calls it right in the producer's thread.

Target: museokit p99 <= 200 µs.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter_ns

import gpiozero
from _common import Result, report
from bench_latency import PROBE_TOML, alternating, run_producer
from gpiozero.pins.mock import MockFactory

from museokit.core.config import load_installation
from museokit.core.events import Event
from museokit.core.runtime import Runtime


def edge_driver(pin: object) -> Callable[[bool], None]:
    """What the world does to the pin: a press pulls it to ground, a release lets it go."""
    def press(level: bool) -> None:
        pin.drive_low() if level else pin.drive_high()  # type: ignore[attr-defined]

    return press


def stamp(mark: list[int], seen: list[float]) -> Callable[..., None]:
    def handler(*_: object) -> None:
        seen.append(perf_counter_ns() - mark[0])

    return handler


def museokit_latencies(factory: MockFactory, count: int) -> tuple[list[float], int]:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "installation.toml").write_text(PROBE_TOML)
        runtime = Runtime(load_installation(folder), backend_override="gpio")
    runtime.start()
    mark: list[int] = [0]
    seen: list[float] = []
    handler = stamp(mark, seen)

    def on_pressed(event: Event) -> None:
        handler()

    runtime.devices["door"].when_pressed = on_pressed
    runtime.start_in_thread()
    try:
        return run_producer(edge_driver(factory.pin(17)), mark, seen, count)
    finally:
        runtime.stop()
        runtime.join()
        runtime.close()


def raw_latencies(factory: MockFactory, count: int) -> tuple[list[float], int]:
    mark: list[int] = [0]
    seen: list[float] = []
    button = gpiozero.Button(27, pin_factory=factory)
    button.when_pressed = stamp(mark, seen)
    try:
        return run_producer(edge_driver(factory.pin(27)), mark, seen, count)
    finally:
        button.close()


def run() -> list[Result]:
    factory = MockFactory()
    gpiozero.Device.pin_factory = factory
    try:
        return alternating(
            "gpio edge → handler", lambda n: museokit_latencies(factory, n),
            lambda n: raw_latencies(factory, n),
            "edges on a mock pin through museokit, then as many into gpiozero's own Button",
            "raw = gpiozero's Button.when_pressed on the same MockFactory")
    finally:
        gpiozero.Device.pin_factory = None


def main() -> int:
    report("GPIO edge → handler latency on gpiozero mock pins (lower is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
