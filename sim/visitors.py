"""Virtual visitors: a whole gallery day of random people, run on the virtual clock.

`museokit sim PATH --visitors 2000 --hours 8 --seed 1` sends 2,000 visitors
through the installation over 8 simulated hours and reports what happened:
events, handler errors, the slowest handler, the deepest queue. The same seed
gives the same day, so a crash found this way can be replayed.

Each visitor arrives at a random time. About half walk past (only presence
sensors notice them); the others linger and play with the input devices the way
people do: PIRs see them come and go, buttons get pressed (sometimes held,
sometimes mashed), distance sensors see them approach and leave, tags are placed
and taken away.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from typing import Any

from museokit.core.clock import VirtualClock
from museokit.core.config import DeviceConfig, Installation
from museokit.core.device import CommandError
from museokit.core.runtime import Runtime
from museokit.sim.harness import Harness

#: One visitor step: (seconds after arrival, device id, action, argument).
Step = tuple[float, str, str, str | None]
Gesture = Callable[[random.Random, str, float], list[Step]]


def _button(rng: random.Random, dev: str, stay: float) -> list[Step]:
    steps: list[Step] = []
    t = rng.uniform(1.0, max(1.5, stay / 2))
    for _ in range(rng.choice((0, 1, 1, 1, 2, 3, 5))):
        hold = rng.choice((0.08, 0.12, 0.2, 0.3, 1.5, 2.5)) * rng.uniform(0.8, 1.2)
        steps += [(t, dev, "press", None), (t + hold, dev, "release", None)]
        t += hold + rng.uniform(0.1, 3.0)
    return steps


def _motion(rng: random.Random, dev: str, stay: float) -> list[Step]:
    return [(t, dev, "motion", None) for t in _every(rng, 0.0, stay, 1.0, 4.0)]


def _distance(rng: random.Random, dev: str, stay: float) -> list[Step]:
    near = rng.uniform(20, 120)
    steps: list[Step] = [(0.0, dev, "value", "300")]
    steps += [(t, dev, "value", f"{near + rng.uniform(-5, 5):.1f}")
              for t in _every(rng, 1.0, stay, 0.5, 2.0)]
    return [*steps, (stay, dev, "value", "none")]


def _analog(rng: random.Random, dev: str, stay: float) -> list[Step]:
    return [(t, dev, "value", f"{rng.random():.3f}") for t in _every(rng, 0.5, stay, 0.5, 5.0)]


def _tag(rng: random.Random, dev: str, stay: float) -> list[Step]:
    tag = rng.choice(("04A3B2C1", "04FF1020", "0499AB77", "04C0FFEE"))
    placed = rng.uniform(1.0, max(1.5, stay / 2))
    return [(placed, dev, "tag", tag), (min(stay, placed + rng.uniform(2, 30)), dev, "tag", "none")]


def _touch(rng: random.Random, dev: str, stay: float) -> list[Step]:
    steps: list[Step] = []
    for t in _every(rng, 1.0, stay, 2.0, 10.0):
        pad = str(rng.randrange(4))
        steps += [(t, dev, "touch", pad), (min(stay, t + rng.uniform(0.2, 3.0)), dev, "release", pad)]
    return steps


def _turn(rng: random.Random, dev: str, stay: float) -> list[Step]:
    return [(t, dev, "turn", str(rng.choice((-2, -1, 1, 1, 2, 3))))
            for t in _every(rng, 1.0, stay, 0.3, 3.0)]


def _camera(dev: DeviceConfig) -> Gesture | None:
    """A visitor in front of a camera: shows it a marker, a QR code, themselves in a zone
    (injected at the trigger level: museokit.vision.visitor_sightings)."""
    choices: list[list[str]] = []  # per trigger: what a visitor may show it
    zones = list(dev.options.get("zones", {})) or ["frame"]
    for trigger in dev.options.get("triggers", []):
        kind = trigger.get("kind") if isinstance(trigger, dict) else None
        if kind == "marker":
            ids = [i for i in trigger.get("ids", []) if isinstance(i, int)] or list(range(50))
            choices.append([f"marker {i}" for i in ids])
        elif kind in ("presence", "motion"):
            choices.append([f"{kind} {zone}" for zone in trigger.get("zones") or zones])
        elif kind == "qr":
            choices.append([f"qr visitor-{n}" for n in range(20)])
    if not choices:
        return None

    def gesture(rng: random.Random, dev_id: str, stay: float) -> list[Step]:
        seen = rng.choice(rng.choice(choices))
        start = rng.uniform(0.5, max(1.0, stay / 2))
        return [(start, dev_id, "show", seen),
                (min(stay, start + rng.uniform(3, 40)), dev_id, "hide", seen)]

    return gesture


def gesture_of(dev: DeviceConfig) -> Gesture | None:
    """How visitors play `dev`, or None if there is no model for it."""
    return _camera(dev) if dev.kind == "camera" else GESTURES.get(dev.kind)


def _every(rng: random.Random, start: float, end: float, low: float, high: float) -> list[float]:
    times, t = [], start
    while t < end:
        times.append(t)
        t += rng.uniform(low, high)
    return times


#: How visitors play with each kind of input device. A brick's kind that is not
#: listed here is left alone (and named in the report).
GESTURES: dict[str, Gesture] = {
    "button": _button, "motion": _motion, "distance": _distance, "analog": _analog,
    "tag_reader": _tag, "touch": _touch, "encoder": _turn,
}


@dataclass
class DayReport:
    visitors: int
    sim_seconds: float
    wall_seconds: float = 0.0
    actions: int = 0
    events: int = 0
    handler_errors: int = 0
    slowest_handler: str = ""
    slowest_seconds: float = 0.0
    max_queue_depth: int = 0
    refused_actions: int = 0
    untouched_devices: list[str] = field(default_factory=list)

    @property
    def speed(self) -> float:
        """Simulated seconds per wall-clock second."""
        return self.sim_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def lines(self) -> list[str]:
        hours = self.sim_seconds / 3600
        out = [
            f"gallery day: {self.visitors} visitors over {hours:g} h simulated in "
            f"{self.wall_seconds:.2f} s wall ({self.speed:,.0f}x real time)",
            f"  visitor actions   {self.actions:,}",
            f"  events            {self.events:,}",
            f"  handler errors    {self.handler_errors}",
            f"  slowest handler   {self.slowest_handler or '-'}"
            f" ({self.slowest_seconds * 1000:.2f} ms)",
            f"  max queue depth   {self.max_queue_depth}",
        ]
        if self.refused_actions:
            out.append(f"  refused actions   {self.refused_actions}")
        if self.untouched_devices:
            out.append(f"  no visitor model for: {', '.join(self.untouched_devices)}")
        return out


#: The share of visitors who walk past without stopping (presence sensors see them for a
#: moment; they touch nothing). Serrell's average attraction power is about a third, so a
#: simulated day's report has passers-by to count.
PASSING = 0.55
#: Kinds of input device that see a visitor walk past.
PRESENCE_KINDS = ("motion", "distance")

#: The first simulated gallery day: Monday 5 January 2026.
FIRST_DAY = date(2026, 1, 5)
#: When simulated days open, local time.
OPENING = dt_time(10, 0)


def day_epoch(day: int) -> float:
    """Opening time (unix s, local time) of simulated day `day` (0: the first)."""
    return datetime.combine(FIRST_DAY + timedelta(days=day), OPENING).timestamp()


def plan_day(installation: Installation, visitors: int, hours: float,
             seed: int) -> tuple[list[tuple[float, str, str, str | None]], list[str]]:
    """Every visitor action of the day, sorted by time, and the inputs nobody can play."""
    rng = random.Random(seed)
    day = hours * 3600
    inputs = [d for d in installation.devices if d.cls.role == "input"]
    gestures = {d.id: gesture_of(d) for d in inputs}
    untouched = [d.id for d in inputs if gestures[d.id] is None]
    playable = [(d, g) for d in inputs if (g := gestures[d.id]) is not None]
    plan: list[tuple[float, str, str, str | None]] = []
    for _ in range(visitors):
        arrival = rng.uniform(0, day)
        passing = rng.random() < PASSING
        stay = rng.uniform(0.3, 1.5) if passing else rng.uniform(5, 90)
        for dev, gesture in playable:
            if passing and dev.kind not in PRESENCE_KINDS:
                continue  # walking past: only the presence sensors notice
            if rng.random() < 0.85:  # not everyone touches everything
                for dt, dev_id, action, arg in gesture(rng, dev.id, stay):
                    if arrival + dt < day:
                        plan.append((arrival + dt, dev_id, action, arg))
    plan.sort(key=lambda step: step[0])
    return plan, untouched


def run_gallery_day(installation: Installation, visitors: int, hours: float, seed: int,
                    progress: Callable[[float], None] | None = None, *,
                    epoch: float | None = None,
                    before_start: Callable[[Runtime], Any] | None = None) -> DayReport:
    """Run a random gallery day headless; `progress(fraction)` is called as it goes.

    `epoch` is the day's opening time (unix s) on the virtual clock; `before_start` sees
    the runtime before it starts (an interaction log attaches there)."""
    plan, untouched = plan_day(installation, visitors, hours, seed)
    report = DayReport(visitors, hours * 3600, untouched_devices=untouched)
    started = time.perf_counter()
    clock = VirtualClock() if epoch is None else VirtualClock(epoch)
    with Harness(installation, record=False, clock=clock, before_start=before_start) as h:
        step = max(1, len(plan) // 100)
        for i, (t, dev_id, action, arg) in enumerate(plan):
            h.run_until(t)
            try:
                h.act(dev_id, action, arg)
            except CommandError:
                report.refused_actions += 1
            if progress is not None and i % step == 0:
                progress(t / report.sim_seconds)
        h.run_until(report.sim_seconds)
        stats = h.runtime.bus.stats
        report.actions = len(plan)
        report.events = h.runtime.bus.published
        report.handler_errors = stats.errors
        report.slowest_handler = stats.slowest_name
        report.slowest_seconds = stats.slowest_seconds
        report.max_queue_depth = h.runtime.loop.max_queue_depth
    report.wall_seconds = time.perf_counter() - started
    if progress is not None:
        progress(1.0)
    return report
