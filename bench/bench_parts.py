"""The parts makers wire to a Pi: tag reader latency, LED strip encoding, camera gallery day.

1. Tag on the reader -> museokit handler, p50/p99. museokit: a `tag_reader` on the gpio
   backend at its default poll (0.1 s), reading an RC522 through museokit's own MFRC522
   driver over gpiozero's SPI, bit-banged on MockFactory pins into the register model
   of tests/chips (the loop on the real clock, in its own thread). A card is placed at a
   random moment; the time runs until `reader.placed` reaches a handler. Raw baseline,
   same run: the driver alone, reading the model back to back (no poll, no loop, no
   bus): what one read costs. Target: p99 <= one poll period + 10 ms.
2. A 300-pixel WS2812 frame encoded for the SPI method (3 SPI bits per strip bit at
   2.4 MHz, GRB), in frames per second of this machine's CPU; raw baseline: the frame
   rate the SPI wire itself carries at 2.4 MHz. Bytes per second beside the wire's.
   Target: >= 60 fps of encoding.
3. The camera gallery day: `museokit sim installations/cabinet-of-curiosities
   --visitors 2000 --hours 8` (virtual visitors show the camera markers at the trigger
   level); raw baseline: the same heapq loop as bench_gallery_day, dispatching as many
   timed callbacks. Target: >= 5,000x real time.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the chip models live with the tests

import gpiozero  # noqa: E402
from _common import Result, median, percentile, progress, report  # noqa: E402
from bench_gallery_day import raw_day  # noqa: E402
from gpiozero.pins.mock import MockFactory, MockPWMPin  # noqa: E402

from museokit.backends.chips.mfrc522 import Mfrc522  # noqa: E402
from museokit.backends.chips.ws2812_spi import SPEEDS, encode, frame_bytes  # noqa: E402
from museokit.core.config import load_installation  # noqa: E402
from museokit.core.runtime import Runtime  # noqa: E402
from museokit.sim.visitors import run_gallery_day  # noqa: E402
from tests.chips.mfrc522_model import Mfrc522Model  # noqa: E402

POLL = 0.1
TAGS = 40
PIXELS = 300
CABINET = REPO / "installations" / "cabinet-of-curiosities"
READER = f"""[[devices]]
id = "reader"
kind = "tag_reader"
removal_delay = 0.02
poll = {POLL}
"""


def tag_latencies() -> tuple[list[float], list[float]]:
    factory = MockFactory(pin_class=MockPWMPin)
    gpiozero.Device.pin_factory = factory
    model = Mfrc522Model(factory)
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "installation.toml").write_text(READER)
        runtime = Runtime(load_installation(folder), backend_override="gpio")
    runtime.start()
    placed_at = [0.0]
    seen: list[float] = []
    got, gone = threading.Event(), threading.Event()

    def on_placed(event: object) -> None:
        seen.append(time.perf_counter() - placed_at[0])
        got.set()

    runtime.devices["reader"].when_placed = on_placed
    runtime.devices["reader"].when_removed = lambda event: gone.set()
    runtime.start_in_thread()
    rng = random.Random(1)
    try:
        for i in range(TAGS):
            time.sleep(rng.uniform(0, POLL))  # the visitor's moment, not the poll's
            got.clear()
            gone.clear()
            placed_at[0] = time.perf_counter()
            model.place(f"04{i:06X}")
            if not got.wait(5):
                raise RuntimeError("the reader never saw the tag")
            model.take()
            gone.wait(5)
    finally:
        runtime.stop()
        runtime.join(5)
        runtime.close()
    raw = raw_reads(factory, model)  # the driver alone, on the same model and pins
    factory.reset()
    gpiozero.Device.pin_factory = None
    return seen, raw


def raw_reads(factory: MockFactory, model: Mfrc522Model) -> list[float]:
    spi = factory.spi(port=0, device=0)
    chip = Mfrc522(spi.transfer)
    chip.init()
    model.cards = []
    model.place("04A3B2C1")
    times = []
    for _ in range(TAGS):
        t0 = time.perf_counter()
        assert chip.read_uid() == "04A3B2C1"
        times.append(time.perf_counter() - t0)
    spi.close()
    return times


def strip_fps() -> tuple[float, int]:
    rng = random.Random(2)
    frames = [[(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(PIXELS)]
              for _ in range(20)]
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        encode(frames[count % len(frames)], "GRB", 3)
        count += 1
    return count / (time.perf_counter() - t0), frame_bytes(PIXELS, "GRB", 3)


def run() -> list[Result]:
    progress(f"tag reader: {TAGS} tags on an RC522 model, poll {POLL} s")
    seen, raw = tag_latencies()
    ms = [s * 1000 for s in seen]
    raw_ms = [s * 1000 for s in raw]
    results = [
        Result("tag -> handler p50", median(ms), median(raw_ms), "ms", POLL * 1000 + 10,
               note="raw = one read_uid of the driver alone (bit-banged mock SPI)"),
        Result("tag -> handler p99", percentile(ms, 99), percentile(raw_ms, 99), "ms",
               POLL * 1000 + 10, note=f"default poll {POLL * 1000:g} ms + 10 ms"),
    ]
    progress(f"strip: {PIXELS}-pixel frames encoded for SPI")
    fps, size = strip_fps()
    wire_bytes = SPEEDS[3] / 8
    results += [
        Result(f"{PIXELS}-px strip SPI encoding", fps, wire_bytes / size, "fps", 60,
               higher_is_better=True, note=f"raw = frames/s the 2.4 MHz wire carries ({size} B a frame)"),
        Result(f"{PIXELS}-px strip encoded bytes", fps * size, wire_bytes, "B/s", 60 * size,
               higher_is_better=True, note="raw = the SPI bit rate, 2.4 Mbit/s, in bytes/s"),
    ]
    progress("camera gallery day: cabinet-of-curiosities, 2000 visitors, 8 h")
    walls, day = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        day = run_gallery_day(load_installation(CABINET), 2000, 8.0, 1)
        walls.append(time.perf_counter() - t0)
    assert day is not None
    seconds = 8 * 3600
    raw_wall = median([raw_day(day.actions + day.events, seconds) for _ in range(3)])
    results.append(Result("camera gallery day speed", seconds / median(walls), seconds / raw_wall,
                          "x real time", 5000, higher_is_better=True,
                          note=f"{day.actions:,} visitor actions (camera included), {day.events:,} "
                               "events; raw = heapq loop of as many callbacks"))
    return results


def main() -> int:
    report("Parts on the Pi: tag reader, LED strip, camera gallery day", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
