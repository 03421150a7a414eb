"""Record a session played by hand and write it as a scenario that replays it.

The recorder notes, on the loop thread, every visitor action and command played
in a `LiveSession` (from the console or the window), every bus event, and every
output's label, all on the session's clock from the moment the running version
started. `scenario_text` turns that into a scenario file (docs/scenarios.md):

    at 2.31   motion entrance
              expect entrance.motion within 0.1s
              expect states.engaged within 0.1s
    at 4.2    expect lamp is off

Each action is followed by the events it was seen to cause (with a `within` a
little wider than the delay observed, since a live loop runs timers a few
milliseconds late and the replay on the virtual clock runs them on time), and by
the outputs whose label changed, checked just before the next action. Values
that come from real-time durations (`door.released = 0.132`) are left out (see
`_value`). A hot reload restarts the
recording, because a scenario replays one version from its start.
"""

from __future__ import annotations

import logging
import math
import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from museokit.core.config import Installation
from museokit.core.events import Event
from museokit.core.runtime import Runtime
from museokit.sim.live import LiveSession, Step
from museokit.sim.scenario import ScenarioError, load_scenario, run_scenario, show

log = logging.getLogger("museokit.sim")

#: Slack added to an observed delay: at least this much...
MIN_SLACK = 0.1
#: ...or this fraction of the delay, whichever is more.
SLACK_FRACTION = 0.2
#: Outputs are checked this long before the next action; actions closer together than
#: twice this form one group (see `_groups`).
SETTLE = 0.1
#: Times are written to the microsecond: rounded to the millisecond, an action could move
#: past an event it did not cause, or change a duration the replay reports.
TIME_DIGITS = 6


@dataclass
class Recording:
    """What happened, in seconds since the recorded version started."""

    installation: Installation
    steps: list[Step] = field(default_factory=list)
    events: list[tuple[float, str, Any]] = field(default_factory=list)
    #: Label history of each output (and `states`): [(t, label)], oldest first.
    labels: dict[str, list[tuple[float, str]]] = field(default_factory=dict)
    end: float = 0.0

    def label_at(self, device: str, t: float) -> str:
        label = ""
        for when, value in self.labels[device]:
            if when > t:
                break
            label = value
        return label


class Recorder:
    """Attach before `session.start()`; `finish()` when the session ends."""

    def __init__(self, session: LiveSession) -> None:
        self.session = session
        self.recording = Recording(session.installation)
        session.on_swap.append(self._restart)
        session.on_step.append(self._step)

    def _now(self) -> float:
        return self.session.clock.monotonic() - self.session.started_at

    def _restart(self, runtime: Runtime) -> None:
        if self.recording.steps:
            log.warning("recording restarted: %d earlier actions belonged to the version before "
                        "the reload, and a scenario replays one version from its start",
                        len(self.recording.steps))
        self.recording = Recording(runtime.installation, labels={
            dev_id: [(0.0, device.label)] for dev_id, device in runtime.devices.items()
            if device.role != "input"})
        runtime.bus.tap(self._event, name="recorder")
        runtime.bus.watch_state(self._state)

    def _step(self, step: Step) -> None:
        self.recording.steps.append(step)

    def _event(self, event: Event) -> None:
        self.recording.events.append((self._now(), event.key, event.value))

    def _state(self, device: str, state: dict[str, Any]) -> None:
        history = self.recording.labels.get(device)
        if history is not None:
            history.append((self._now(), str(state.get("label", ""))))

    def finish(self) -> Recording:
        self.recording.end = max(self._now(), *(s.t for s in self.recording.steps), 0.0)
        return self.recording

    def save(self, path: Path) -> str:
        """Write the scenario; returns a one-line summary for the console."""
        recording = self.finish()
        text = scenario_text(recording)
        path.write_text(text, encoding="utf-8")
        expectations = sum("expect" in line.split()[:3] for line in text.splitlines()
                           if not line.startswith("#"))
        summary = (f"recorded {len(recording.steps)} actions and {expectations} expectations in "
                   f"{path}; replay: museokit sim {recording.installation.folder} --scenario {path}")
        return "\n".join([summary, *_replay_problems(recording.installation, path)])


def _replay_problems(installation: Installation, path: Path) -> list[str]:
    """Replay the new scenario once: a live loop can race a timer by a millisecond (a press
    just as a click window closes), which the exact replay decides the other way. Say so."""
    try:
        result = run_scenario(installation, load_scenario(path, installation))
    except ScenarioError as exc:
        return [f"warning: the recording cannot be read back: {exc.issues[0]}"]
    if result.passed:
        return []
    return ["warning: replayed on the virtual clock, these lines fail — something raced a timer "
            "by a few milliseconds; edit or delete them:",
            *(f"  {line}" for line in result.lines() if line.startswith(("FAIL", "ERROR")))]


def scenario_text(recording: Recording) -> str:
    """The scenario file that replays `recording` and expects what was seen."""
    inst = recording.installation
    known = inst.event_names()
    events = [(t, key, value) for t, key, value in recording.events
              if key.partition(".")[2] in known.get(key.partition(".")[0], ())]
    out = _Writer()
    out.comment(f"Recorded by hand in the museokit simulator from {inst.name!r}, "
                f"{datetime.now():%Y-%m-%d %H:%M}.")
    out.comment(f"Replay: museokit sim {inst.folder} --scenario THIS_FILE")
    shown = {device: "" for device in recording.labels}
    played = _numbers(recording.steps)
    groups = [[], *_groups(recording.steps)]
    for i, group in enumerate(groups):
        start = group[0].t if group else 0.0
        end = groups[i + 1][0].t if i + 1 < len(groups) else recording.end
        last = i + 1 == len(groups)
        if group:
            out.line(start, group[0].line)
        seen: set[tuple[str, str]] = set()
        for t, key, value in events:
            if start <= t < end or (last and t == end):
                written = _value(value, played)
                if (key, written) not in seen:
                    seen.add((key, written))
                    out.line(start, f"expect {key}{written} within {_seconds(_window(t - start))}s")
        for step in group[1:]:
            out.line(step.t, step.line)
        settled = group[-1].t + SETTLE if group else 0.0
        check = max(end, settled) if last else end - SETTLE
        if last or check >= settled:
            for device in recording.labels:
                label = recording.label_at(device, check)
                if label and label != shown[device]:
                    shown[device] = label
                    out.line(check, f"expect {device} is {shlex.quote(label)}")
    return out.text()


def _groups(steps: list[Step]) -> list[list[Step]]:
    """Actions closer together than 2 x SETTLE, as one group.

    Their events are expected from the group's first action on (an event seen after
    the second action may come from the first, and does so sooner in a replay), and
    outputs are checked once, after the last.
    """
    groups: list[list[Step]] = []
    for step in steps:
        if groups and step.t - groups[-1][-1].t < 2 * SETTLE:
            groups[-1].append(step)
        else:
            groups.append([step])
    return groups


def _window(delay: float) -> float:
    """A window that surely holds an event seen `delay` s after its cause, rounded up to 10 ms."""
    return math.ceil((delay + max(MIN_SLACK, delay * SLACK_FRACTION)) * 100) / 100


def _value(value: Any, played: set[float]) -> str:
    """` = VALUE` when the replay surely reproduces it, else ''.

    A float is kept only when the visitor typed it (`value knob 0.7` -> `knob.above = 0.7`):
    others are measured durations (`door.released = 0.31`) that a replay reproduces to
    the microsecond, which can still round the other way.
    """
    if value is None or isinstance(value, dict | list | tuple):
        return ""
    if isinstance(value, float) and value not in played:
        return ""
    return f" = {shlex.quote(show(value))}"


def _numbers(steps: list[Step]) -> set[float]:
    """Every number written in the actions played."""
    found = set()
    for step in steps:
        for word in step.line.split():
            try:
                found.add(float(word))
            except ValueError:
                continue
    return found


def _seconds(t: float, digits: int = 3) -> str:
    text = f"{t:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


class _Writer:
    """Scenario lines with the time written only when it changes, aligned like the docs."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.now: float | None = None

    def comment(self, text: str) -> None:
        self.lines.append(f"# {text}")

    def line(self, t: float, text: str) -> None:
        t = round(t, TIME_DIGITS)
        if t == self.now:
            head = ""
        else:
            head = f"at {_seconds(t, TIME_DIGITS)}"
            self.now = t
            self.lines.append("")
        self.lines.append(f"{head.ljust(11)} {text}")  # a long time still gets its space

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"
