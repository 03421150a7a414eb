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

import gc
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from time import perf_counter_ns

import gpiozero
from _common import Result, percentile, progress, report
from gpiozero.pins.mock import MockFactory

from toolkit.core.config import load_installation
from toolkit.core.events import Event
from toolkit.core.runtime import Runtime

SAMPLES = 3000
BLOCKS = 3
WARMUP = 100
GAP = 0.001  # seconds between edges

PROBE_TOML = """\
[installation]
name = "gpio latency probe"
site = "bench"

[[devices]]
id = "door"
kind = "button"
pin = 17
debounce = 0.0002
"""


def edges(pin: object, mark: list[int], count: int) -> None:
    """The world: `count` presses (pin to ground) and releases, GAP apart."""
    for _ in range(count):
        mark[0] = perf_counter_ns()
        pin.drive_low()  # type: ignore[attr-defined]
        time.sleep(GAP)
        pin.drive_high()  # type: ignore[attr-defined]
        time.sleep(GAP)


def measure(pin: object, mark: list[int], seen: list[float], count: int) -> tuple[list[float], int]:
    for n in (WARMUP, count):
        seen.clear()
        gc.collect()
        producer = threading.Thread(target=edges, args=(pin, mark, n), name="edges")
        producer.start()
        producer.join()
        time.sleep(0.01)
    return [ns / 1000 for ns in seen], count - len(seen)


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
    looper = threading.Thread(target=runtime.run_forever, name="museokit loop")
    looper.start()
    try:
        return measure(factory.pin(17), mark, seen, count)
    finally:
        runtime.stop()
        looper.join()
        runtime.close()


def raw_latencies(factory: MockFactory, count: int) -> list[float]:
    mark: list[int] = [0]
    seen: list[float] = []
    button = gpiozero.Button(27, pin_factory=factory)
    button.when_pressed = stamp(mark, seen)
    try:
        return measure(factory.pin(27), mark, seen, count)[0]
    finally:
        button.close()


def run() -> list[Result]:
    factory = MockFactory()
    gpiozero.Device.pin_factory = factory
    ours: list[float] = []
    raw: list[float] = []
    missed = 0
    for block in range(BLOCKS):  # alternate, so that a busy neighbour hurts both alike
        progress(f"block {block + 1}/{BLOCKS}: {SAMPLES // BLOCKS} edges on a mock pin through "
                 f"museokit, then as many into gpiozero's own Button")
        samples, lost = museokit_latencies(factory, SAMPLES // BLOCKS)
        ours += samples
        missed += lost
        raw += raw_latencies(factory, SAMPLES // BLOCKS)
    gpiozero.Device.pin_factory = None
    note = f"{len(ours)} presses" + (f", {missed} MISSING" if missed else "")
    return [
        Result("gpio edge → handler p50", percentile(ours, 50), percentile(raw, 50), "µs", 200,
               note=note),
        Result("gpio edge → handler p99", percentile(ours, 99), percentile(raw, 99), "µs", 200,
               note="raw = gpiozero's Button.when_pressed on the same MockFactory"),
    ]


def main() -> int:
    report("GPIO edge → handler latency on gpiozero mock pins (lower is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
