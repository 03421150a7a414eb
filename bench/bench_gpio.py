"""Edge on a GPIO pin → museokit handler latency, on gpiozero's mock pins, p50 and p99.

museokit: a real `Button` (debounce 0.2 ms) on the gpio backend over gpiozero's
MockFactory, the runtime loop in its own thread on the real clock. A producer thread
drives the mock pin low: gpiozero runs its edge detection and calls the backend's
`when_activated` in that thread, the backend hands the level to the loop with
`call_soon_threadsafe`, and the button's `when_pressed` handler reads the clock.

Raw baseline, same run (the issue's "raw SimpleQueue handoff"): gpiozero's own `Button`
on another mock pin, its `when_pressed` putting the edge on a `queue.SimpleQueue` that
a consumer thread blocks on, the consumer reading the clock. That is the least any
program does that runs its handlers on one thread of its own, as museokit does, so
that a handler never races gpiozero's callback thread. gpiozero calling a handler
right in its callback thread (no handoff) is printed in the note.

Target: museokit p99 <= 2x the raw handoff's p99, quiet and with every core busy.
"""

from __future__ import annotations

import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from queue import SimpleQueue
from time import perf_counter_ns

import gpiozero
from _common import Result, percentile, report
from bench_latency import PROBE_TOML, SAMPLES, alternating, run_producer
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
    """gpiozero's Button handing each press to a consumer thread on a SimpleQueue."""
    mark: list[int] = [0]
    seen: list[float] = []
    queue: SimpleQueue[bool] = SimpleQueue()
    handler = stamp(mark, seen)

    def consume() -> None:
        while queue.get():
            handler()

    consumer = threading.Thread(target=consume, name="raw consumer")
    consumer.start()
    button = gpiozero.Button(27, pin_factory=factory)
    button.when_pressed = lambda: queue.put(True)
    try:
        return run_producer(edge_driver(factory.pin(27)), mark, seen, count)
    finally:
        button.close()
        queue.put(False)
        consumer.join()


def direct_latencies(factory: MockFactory, count: int) -> tuple[list[float], int]:
    """gpiozero's Button calling the handler in its own callback thread (no handoff)."""
    mark: list[int] = [0]
    seen: list[float] = []
    button = gpiozero.Button(22, pin_factory=factory)
    button.when_pressed = stamp(mark, seen)
    try:
        return run_producer(edge_driver(factory.pin(22)), mark, seen, count)
    finally:
        button.close()


def run() -> list[Result]:
    factory = MockFactory()
    gpiozero.Device.pin_factory = factory
    try:
        direct = direct_latencies(factory, SAMPLES)[0]
        return alternating(
            "gpio edge → handler", lambda n: museokit_latencies(factory, n),
            lambda n: raw_latencies(factory, n),
            "edges on a mock pin through museokit, then as many through gpiozero's own Button "
            "and a SimpleQueue",
            "raw = gpiozero's Button.when_pressed → SimpleQueue → a consumer thread, same "
            f"MockFactory; gpiozero calling the handler in its own thread: p99 "
            f"{percentile(direct, 99):.0f} µs", target=(2, True), loaded_target=None)
    finally:
        gpiozero.Device.pin_factory = None


def main() -> int:
    report("GPIO edge → handler latency on gpiozero mock pins (lower is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
