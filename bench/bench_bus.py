"""Bus dispatch throughput: `Bus.publish` against a plain dict-of-callbacks dispatch.

Both sides dispatch the same pre-built `Event` to the same no-op handler(s) in a
tight loop, one dispatch call per event (`bus.publish(event)` against
`dispatch(event)`, a function doing `for fn in callbacks.get(event.key, ()): fn(event)`).
Variant "wildcard": a `*` subscriber is also present (like the
idle-timeout tap or a recorder), so every event reaches two handlers; the raw
side then calls two callbacks too.

Target: museokit >= 0.5x raw.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from _common import Result, median, report, timed_ns

from museokit.core.bus import Bus
from museokit.core.events import Event

N = 200_000   # events per round
ROUNDS = 7    # medians over these, after one warm-up round


def handler(event: Event) -> None:
    pass


def other(event: Event) -> None:
    pass


def museokit_dispatch(wildcard: bool) -> Callable[[list[Event]], None]:
    bus = Bus()
    bus.subscribe("door.pressed", handler)
    if wildcard:
        bus.subscribe("*", other)
    publish = bus.publish

    def run(events: list[Event]) -> None:
        for event in events:
            publish(event)

    return run


def raw_dispatch(wildcard: bool) -> Callable[[list[Event]], None]:
    callbacks: dict[str, list[Callable[[Event], None]]] = {
        "door.pressed": [handler, other] if wildcard else [handler]}

    def dispatch(event: Event) -> None:
        for fn in callbacks.get(event.key, ()):
            fn(event)

    def run(events: list[Event]) -> None:
        for event in events:
            dispatch(event)

    return run


def events_per_second(run: Callable[[list[Event]], None], events: list[Event]) -> float:
    run(events)  # warm-up (fills the bus's handler cache too)
    return len(events) / (median(timed_ns(lambda: run(events)) for _ in range(ROUNDS)) / 1e9)


def measure(wildcard: bool) -> Result:
    events = [Event("door", "pressed", None, 0.0, 1, "main")] * N
    # Interleave the two sides so that a noisy neighbour hurts both alike.
    ours, raw = [], []
    for _ in range(3):
        ours.append(events_per_second(museokit_dispatch(wildcard), events))
        raw.append(events_per_second(raw_dispatch(wildcard), events))
    return Result("bus dispatch" + (" (+ * subscriber)" if wildcard else ""),
                  median(ours), median(raw), "ev/s", 0.5, higher_is_better=True,
                  target_is_ratio=True,
                  note=("2 handlers/event" if wildcard else "1 handler/event")
                  + ", raw = dispatch(event): dict.get(key), call each")


def run() -> list[Result]:
    return [measure(False), measure(True)]


def main() -> int:
    report("Bus dispatch, events per second (higher is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
