"""Visitor actions read back from an interaction log, for replays and scenarios.

The log keeps events, not pin levels, so each kind of input device says which of
its events a visitor made and which action plays them again:

| device     | logged event        | played again as                            |
|------------|---------------------|--------------------------------------------|
| button     | pressed, released   | press, release                             |
| motion     | motion, no_motion   | motion, and the pulses that kept it active |
| tag_reader | placed ID, removed  | tag ID; tag none (`removal_delay` earlier) |
| analog     | above/below/changed | value LEVEL                                |
| distance   | entered ZONE, left  | value (the middle of ZONE); value none     |

A PIR makes no event for the pulses it sees while it already saw motion, yet they
keep it seeing motion and the last one sets when `no_motion` comes; pulses every
half `retrigger` up to `retrigger` s before that `no_motion` stand for them.

Everything else those devices emit (`clicked`, `held`, ...) is a consequence, and
so is every other device's event: a replay compares them. A camera's events
cannot be played back (the log holds no pictures); its device is
named in `skipped`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from museokit.core.config import DeviceConfig, Installation
from museokit.ops.interactions import LoggedEvent

#: kind -> {event name: action}
ACTIONS: dict[str, dict[str, str]] = {
    "button": {"pressed": "press", "released": "release"},
    "motion": {"motion": "motion", "no_motion": "motion"},
    "tag_reader": {"placed": "tag", "removed": "tag"},
    "analog": {"above": "value", "below": "value", "changed": "value"},
    "distance": {"entered": "value", "left": "value"},
}


@dataclass(frozen=True)
class Input:
    """A visitor action at `ts` (unix s), as a scenario writes it: `press door`."""

    ts: float
    device: str
    action: str
    arg: str | None = None

    @property
    def line(self) -> str:
        import shlex

        return f"{self.action} {self.device}" + ("" if self.arg is None else f" {shlex.quote(self.arg)}")


@dataclass
class Inputs:
    actions: list[Input] = field(default_factory=list)
    #: `device.event` names that were visitor actions (fed, not compared).
    keys: set[str] = field(default_factory=set)
    #: Input devices whose events cannot be played back (cameras, plugins).
    skipped: set[str] = field(default_factory=set)


def visitor_inputs(inst: Installation, events: Iterable[LoggedEvent], end: float | None = None
                   ) -> Inputs:
    """The visitor actions among `events`, oldest first. A PIR that still sees someone when
    the events stop (its `no_motion` never came) goes on seeing them up to `end`."""
    devices = {d.id: d for d in inst.devices if d.cls.role == "input"}
    found = Inputs()
    last_ts: dict[str, float] = {}
    seeing: dict[str, float] = {}  # PIRs between their motion and their no_motion
    for event in events:
        cfg = devices.get(event.device)
        if cfg is None:
            continue
        table = ACTIONS.get(cfg.kind)
        if table is None:
            if event.name not in ("online", "offline"):
                found.skipped.add(cfg.id)
            continue
        action = table.get(event.name)
        if action is None:
            continue
        found.keys.add(event.key)
        found.actions += _played(cfg, event, action, last_ts.get(cfg.id))
        last_ts[cfg.id] = event.ts
        if cfg.kind == "motion":
            if event.name == "motion":
                seeing[cfg.id] = event.ts
            else:
                seeing.pop(cfg.id, None)
    for device, since in seeing.items():
        if end is not None:
            cfg = devices[device]
            found.actions += _pulses(cfg, since, end + float(cfg.options.get("retrigger", 5.0)))
    found.actions = _moves(sorted(found.actions, key=lambda a: a.ts))
    return found


def _moves(actions: list[Input]) -> list[Input]:
    """`left` then `entered` at the same moment is one move between zones: keep the reading."""
    kept = []
    for i, action in enumerate(actions):
        following = actions[i + 1] if i + 1 < len(actions) else None
        if (action.arg == "none" and action.action == "value" and following is not None
                and following.device == action.device and following.ts == action.ts):
            continue
        kept.append(action)
    return kept


def _played(cfg: DeviceConfig, event: LoggedEvent, action: str, previous: float | None
            ) -> list[Input]:
    value: Any = event.value
    if cfg.kind == "tag_reader":
        if event.name == "removed":
            delay = float(cfg.options.get("removal_delay", 0.5))
            return [Input(max(event.ts - delay, previous or 0.0), cfg.id, "tag", "none")]
        return [Input(event.ts, cfg.id, "tag", str(value))]
    if cfg.kind == "motion" and event.name == "no_motion":
        return _pulses(cfg, previous, event.ts)
    if cfg.kind == "analog":
        return [Input(event.ts, cfg.id, "value", f"{float(value):g}")]
    if cfg.kind == "distance":
        if event.name == "left":
            return [Input(event.ts, cfg.id, "value", "none")]
        return [Input(event.ts, cfg.id, "value", f"{_middle(cfg, str(value)):g}")]
    return [Input(event.ts, cfg.id, action)]


def _pulses(cfg: DeviceConfig, since: float | None, gone: float) -> list[Input]:
    """The PIR pulses between its `motion` (at `since`) and its `no_motion` (at `gone`).

    Pulses while the sensor already sees motion make no event, yet they kept it seeing
    motion, and the last one set when `no_motion` came (`retrigger` s after it): pulses
    every half `retrigger` up to that last one play them again.
    """
    retrigger = float(cfg.options.get("retrigger", 5.0))
    last = gone - retrigger
    if since is None or last <= since:
        return []
    step = max(retrigger / 2, 0.05)
    times = []
    t = since + step
    while t < last:
        times.append(t)
        t += step
    return [Input(t, cfg.id, "motion") for t in [*times, last]]


def _middle(cfg: DeviceConfig, zone: str) -> float:
    """A distance well inside `zone` (zones are named by their far edge)."""
    edges = sorted((float(edge), name) for name, edge in dict(cfg.options.get("zones", {})).items())
    near = 0.0
    for edge, name in edges:
        if name == zone:
            return (near + edge) / 2
        near = edge
    return near + 10.0


def scenario_from_log(inst: Installation, log: Path, start: float, end: float
                      ) -> tuple[str, int, float]:
    """A scenario (docs/scenarios.md) that plays the visitors of [start, end) from a fresh
    start, expecting what the installation did then; how many actions it plays; and where
    it starts. A scenario starts the installation in its first state, so the slice starts
    at the last time the log shows it entering that state, at `start` or before."""
    from museokit.ops.interactions import read_events
    from museokit.sim.live import Step
    from museokit.sim.record import Recording, scenario_text

    if inst.states:
        entered = [e.ts for e in read_events(log, start - 7 * 86400, start + 1e-6,
                                             devices=["states"], names=[inst.states[0].name])]
        start = entered[-1] if entered else start
    events = list(read_events(log, start, end))
    inputs = visitor_inputs(inst, events, end)
    steps = [Step(a.ts - start, a.line) for a in inputs.actions if start <= a.ts < end]
    # The entry into the first state the slice starts at is the fresh start's own.
    seen = [(e.ts - start, e.key, e.value) for e in events
            if e.key not in inputs.keys and e.device != "runtime"
            and not (e.ts == start and e.device == "states")]
    recording = Recording(inst, steps, seen, {}, end=max([0.0, *(s.t for s in steps)]) + 1.0)
    text = scenario_text(recording)
    when = f"{datetime.fromtimestamp(start):%Y-%m-%d %H:%M:%S}"
    head = f"# Cut from the interaction log {log.name} from {when} (museokit log ... to-scenario).\n"
    text = text.replace("Recorded by hand in the museokit simulator", "Visitors", 1)
    return head + text, len(steps), start
