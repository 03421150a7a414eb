"""Which devices mean what for an evaluation, from `[evaluation]`, the installation or the log.

Defaults, when `[evaluation]` does not say:

- presence: motion sensors, distance sensors and cameras (they see passers-by);
- interactions: every other input device (buttons, tags, knobs);
- content: screens and sounds (their `started`/`finished`), except the files of a
  screen's `attract` loop, which nobody chose to watch;
- a presence (a PIR's `motion` to its `no_motion`, a distance sensor's `entered` to
  `left`) keeps a visit going however long it lasts, and ends `retrigger` s before the
  PIR says `no_motion`;
- session_gap: the idle timeout of the installation's second state (the one a
  visitor wakes), else 30 s;
- an interaction is a device's first declared event (`pressed`, `placed`, `above`),
  unless `[evaluation]` names one (`interactions = ["plinth.released"]`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from museokit.core.logconfig import EvaluationConfig

if TYPE_CHECKING:
    from museokit.core.config import Installation
    from museokit.core.schedule import Schedule

PRESENCE_KINDS = ("motion", "distance", "camera")
CONTENT_KINDS = ("screen", "sound")
DEFAULT_GAP = 30.0
DEFAULT_RETRIGGER = 5.0
#: Events that are not a visitor themselves: availability, and the end of a presence (which
#: closes it, see PRESENCE_ENDS).
NOT_VISITORS = frozenset({"no_motion", "still", "offline", "online"})
#: A presence device's events that say someone is there, until one of PRESENCE_ENDS (a PIR,
#: a distance sensor, a camera's motion or presence trigger).
PRESENCE_STARTS = frozenset({"motion", "entered", "presence"})
PRESENCE_ENDS = frozenset({"no_motion", "left", "still"})
#: A presence never ended (the sensor went away) stops keeping visits going after this long.
MAX_PRESENCE = 3600.0
#: Without an installation: event names that are an interaction or a presence.
GUESS_INTERACTIONS = {"pressed": "button", "placed": "tag_reader", "above": "analog"}
GUESS_PRESENCE = {"motion": "motion", "entered": "distance", "presence": "camera",
                  "count": "camera"}


@dataclass
class Rules:
    presence: frozenset[str]
    interactions: frozenset[str]
    content: frozenset[str]
    session_gap: float = DEFAULT_GAP
    stop_seconds: float = 2.0
    silent_hours: float = 4.0
    media_lengths: dict[str, float] = field(default_factory=dict)
    #: Each interaction device's interaction event (`door` -> `pressed`).
    primary: dict[str, str] = field(default_factory=dict)
    #: Content names that belong to an attract loop (not counted as content).
    attract_media: frozenset[str] = frozenset()
    #: Seconds between a presence's real end and its end event (a PIR's `retrigger`).
    presence_tail: dict[str, float] = field(default_factory=dict)
    #: Input devices expected to speak (a silent one is reported).
    inputs: tuple[str, ...] = ()
    schedule: Schedule | None = None
    name: str = ""

    @property
    def visitor_devices(self) -> frozenset[str]:
        return self.presence | self.interactions


def from_installation(inst: Installation) -> Rules:
    cfg: EvaluationConfig = inst.evaluation
    inputs = [d for d in inst.devices if d.cls.role == "input"]
    kinds = {d.id: d.kind for d in inst.devices}
    named = {}  # device -> the event [evaluation] names for it (`plinth.released`)
    for entry in (*(cfg.presence or ()), *(cfg.interactions or ())):
        device, _, event = entry.partition(".")
        if event:
            named[device] = event
    presence = tuple(e.partition(".")[0] for e in cfg.presence) if cfg.presence is not None else \
        tuple(d.id for d in inputs if d.kind in PRESENCE_KINDS)
    interactions = tuple(e.partition(".")[0] for e in cfg.interactions) \
        if cfg.interactions is not None else tuple(d.id for d in inputs if d.id not in presence)
    content = cfg.content if cfg.content is not None else tuple(
        d.id for d in inst.devices if d.kind in CONTENT_KINDS)
    gap = cfg.session_gap
    if gap is None:
        idle = inst.states[1].idle if len(inst.states) > 1 else None
        gap = float(idle) if idle else DEFAULT_GAP
    primary = {}
    for d in inst.devices:
        if d.id in interactions or d.id in presence:
            events = d.cls.events
            primary[d.id] = named.get(d.id) or (events[0] if events else "")
    attract: set[str] = set()
    for d in inst.devices:
        if d.id in content and kinds[d.id] == "screen":
            loop = d.options.get("attract")
            attract.update([loop] if isinstance(loop, str) else list(loop or ()))
    tails = {d.id: float(d.options.get("retrigger", DEFAULT_RETRIGGER)) for d in inst.devices
             if d.id in presence and d.kind == "motion"}
    return Rules(frozenset(presence), frozenset(interactions), frozenset(content), gap,
                 cfg.stop_seconds, cfg.silent_hours, dict(cfg.media_lengths), primary,
                 frozenset(attract), tails, tuple(d.id for d in inputs), inst.schedule, inst.name)


def guessed(keys: dict[str, set[str]]) -> Rules:
    """Rules for a log without its installation: `keys` maps each device to its event names."""
    presence, interactions, content, primary = set(), set(), set(), {}
    for device, names in keys.items():
        if {"started", "finished"} & names and device != "states":
            content.add(device)
        for name in sorted(names):
            if name in GUESS_PRESENCE:
                presence.add(device)
                primary[device] = name
            elif name in GUESS_INTERACTIONS:
                interactions.add(device)
                primary[device] = name
    interactions -= presence
    # A PIR's retrigger is not in the log: take the motion sensor's default.
    tails = {d: DEFAULT_RETRIGGER for d in presence if "no_motion" in keys[d]}
    return Rules(frozenset(presence), frozenset(interactions), frozenset(content),
                 primary=primary, presence_tail=tails, inputs=tuple(sorted(presence | interactions)))
