"""Gallery-day simulation speed: 8 simulated hours, 2,000 visitors, hello-button.

museokit: `sim.visitors.run_gallery_day` on the virtual clock (planning the
visitors, running every press, PIR trigger, debounce/hold/click timer, state
change and handler), timed from the call to its return.

Raw baseline: a bare heapq discrete-event loop over the same 8 hours that
schedules one timed callback per visitor action plus one per event museokit
published, at random times, and pops and dispatches each through a dict of
callbacks. It is the floor for
"run N timed things in time order", with no devices, bus, or visitors behind it.

Figures are simulated seconds per wall second (higher is better); the target is
on museokit's wall time: <= 5 s.
"""

from __future__ import annotations

import heapq
import random
import sys
from pathlib import Path
from time import perf_counter

from _common import Result, median, progress, report

from museokit.core.config import load_installation
from museokit.sim.visitors import DayReport, run_gallery_day

HELLO = Path(__file__).resolve().parent.parent / "installations" / "hello-button"
VISITORS, HOURS, SEED = 2000, 8.0, 1
RUNS = 3


def museokit_day() -> tuple[float, DayReport]:
    installation = load_installation(HELLO)
    t0 = perf_counter()
    day = run_gallery_day(installation, VISITORS, HOURS, SEED)
    return perf_counter() - t0, day


def raw_day(callbacks: int, seconds: float, seed: int = SEED) -> float:
    """Schedule `callbacks` timed calls over `seconds` on a heap, dispatch them in order."""
    counts = {"door.pressed": 0, "door.released": 0, "entrance.motion": 0, "lamp.on": 0}
    table = {key: (lambda key=key: counts.__setitem__(key, counts[key] + 1)) for key in counts}
    keys = list(table)
    rng = random.Random(seed)
    t0 = perf_counter()
    heap: list[tuple[float, int, str]] = []
    for i in range(callbacks):
        heapq.heappush(heap, (rng.uniform(0, seconds), i, keys[i % len(keys)]))
    now = 0.0
    while heap:
        now, _, key = heapq.heappop(heap)
        table[key]()
    wall = perf_counter() - t0
    assert sum(counts.values()) == callbacks and now <= seconds
    return wall


def run() -> list[Result]:
    sim_seconds = HOURS * 3600
    walls, day = [], None
    for i in range(RUNS):
        progress(f"museokit gallery day {i + 1}/{RUNS}: {VISITORS} visitors, {HOURS:g} h")
        wall, day = museokit_day()
        walls.append(wall)
    assert day is not None
    callbacks = day.actions + day.events
    progress(f"raw heapq loop: {callbacks:,} timed callbacks")
    raw_walls = [raw_day(callbacks, sim_seconds) for _ in range(RUNS)]
    ours, raw = median(walls), median(raw_walls)
    print("\n".join(day.lines()))
    speed = Result("gallery day speed", sim_seconds / ours, sim_seconds / raw, "sim s/wall s",
                   sim_seconds / 5.0, higher_is_better=True,
                   note=f"{day.actions:,} visitor actions, {day.events:,} events; raw = heapq "
                        f"loop, {callbacks:,} timed callbacks dispatched through a dict")
    wall = Result("gallery day wall time", ours, raw, "s", 5.0,
                  note="8 h, 2,000 visitors, hello-button, seed 1")
    return [speed, wall]


def main() -> int:
    report("Gallery day, 8 simulated hours with 2,000 visitors", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
