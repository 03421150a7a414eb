"""Scenarios: timed visitor actions and expectations, run headless on the virtual clock.

    # a visitor wakes the piece and toggles the lamp
    at 0      expect states is attract
    at 2      motion entrance
              expect states.engaged within 200ms
    at 3.5    click door
              expect lamp is on

`load_scenario` checks every line against the installation before anything runs
and reports all problems at once (`file:line: message — hint`); `run_scenario`
plays the steps through a `Harness`, then resolves each expectation against the
recorded events and device states. The format is documented in docs/scenarios.md.

Given a `VisitorDriver` for hardware, the same scenario runs in real time against
it: windows get the driver's `latency` added at their end, and an output's state
counts only once the hardware shows what the host wrote (`Trace.hardware`).
"""

from __future__ import annotations

import math
import re
import shlex
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museokit.core.config import Action, Installation, parse_action, parse_scalar
from museokit.core.device import CommandError, Device, check_call
from museokit.core.runtime import Runtime
from museokit.core.states import STATES_ID, StateMachine
from museokit.core.suggest import suggest
from museokit.sim.harness import Harness, Seen, VisitorDriver

#: How long `expect EVENT` (and `expect no EVENT`) waits when the line gives no window.
DEFAULT_WINDOW = 0.5
#: How long `click DEVICE` keeps the button down.
CLICK_TIME = 0.1
#: In real time, how often the hardware's outputs are compared with what the host wrote.
HARDWARE_SAMPLE = 0.02

_EPS = 1e-6
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_DURATION_RE = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)([a-z]*)$")
_TIME_HINT = "write a number with an optional unit: 2, 2.5s, 300ms, 1.5m, 2h"
_WINDOW_WORDS = ("within", "for")
_SUGAR = ("click", "hold")
_KEYWORDS = ("expect", "do", *_SUGAR)


class ScenarioError(Exception):
    """The scenario cannot run; `issues` lists every problem as `file:line: message — hint`."""

    def __init__(self, issues: list[str]) -> None:
        self.issues = issues
        super().__init__("\n".join(issues))


class _LineError(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# -- what a scenario is made of ------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """Where a step or expectation comes from: its line number, its time and its text."""

    number: int
    t: float
    text: str


@dataclass(frozen=True)
class VisitorStep:
    """A simulated visitor action: `press door`, `tag reader 04A3B2`."""

    where: Line
    t: float
    device: str
    action: str
    arg: str | None = None

    def run(self, harness: Harness) -> None:
        harness.act(self.device, self.action, self.arg)


@dataclass(frozen=True)
class CommandStep:
    """A device command run as set-up: `do lamp.on`."""

    where: Line
    t: float
    action: Action

    def run(self, harness: Harness) -> None:
        harness.command(self.action.device, self.action.command, *self.action.args,
                        **dict(self.action.kwargs))


Step = VisitorStep | CommandStep


@dataclass(frozen=True)
class EventExpectation:
    """`expect [no] DEVICE.EVENT [= VALUE] [within D]`: it happens (or not) in [t, t + D]."""

    where: Line
    key: str
    value: str | None
    window: float
    absent: bool = False

    @property
    def end(self) -> float:
        return self.where.t + self.window

    def check(self, trace: Trace) -> str | None:
        """None when met, else what was seen instead."""
        end = self.end + trace.latency
        same_key = [s for s in trace.events if s.key == self.key]
        inside = [s for s in same_key if self._inside(s.t, end)
                  and (self.value is None or same_value(s.value, self.value))]
        if self.absent:
            return f"saw {', '.join(self._describe(s, end) for s in inside)}" if inside else None
        if inside:
            return None
        if not same_key:
            return f"no {self.key} in the whole run"
        nearest = sorted(sorted(same_key, key=lambda s: self._distance(s, end))[:3], key=lambda s: s.t)
        return f"saw {', '.join(self._describe(s, end) for s in nearest)}"

    def _inside(self, t: float, end: float) -> bool:
        return self.where.t - _EPS <= t <= end + _EPS

    def _distance(self, seen: Seen, end: float) -> float:
        return max(self.where.t - seen.t, seen.t - end, 0.0)

    def _describe(self, seen: Seen, end: float) -> str:
        value = "" if seen.value is None else f" = {show(seen.value)}"
        if self._inside(seen.t, end):
            return f"{seen.key}{value} at {format_time(seen.t)}"
        side = "early" if seen.t < self.where.t else "late"
        return (f"{seen.key}{value} at {format_time(seen.t)} "
                f"({format_time(self._distance(seen, end))} {side})")


@dataclass(frozen=True)
class StateExpectation:
    """`expect DEVICE is LABEL` / `expect DEVICE.KEY is VALUE` [within D]."""

    where: Line
    device: str
    key: str
    value: str
    window: float = 0.0

    @property
    def end(self) -> float:
        return self.where.t + self.window

    def check(self, trace: Trace) -> str | None:
        end = self.end + trace.latency
        seen = trace.states_during(self.device, self.where.t, end)
        matched = [t for t, state in seen if same_value(state.get(self.key), self.value)]
        if matched:
            return trace.hardware_problem(self.device, max(matched[0], self.where.t), end)
        keys = sorted({k for _, state in seen for k in state})
        if self.key not in keys:
            return (f"{self.device} has no state {self.key!r}; "
                    f"{suggest(self.key, keys) or 'its state: ' + ', '.join(keys)}")
        changes = _changes((t, state.get(self.key)) for t, state in seen)
        described = [f"{show(value)} ({'since' if i == 0 else 'at'} {format_time(t)})"
                     for i, (t, value) in enumerate(changes)]
        what = self.device if self.key == "label" else f"{self.device}.{self.key}"
        return f"{what} was {', then '.join(described)}"


Expectation = EventExpectation | StateExpectation


@dataclass
class Scenario:
    path: Path
    steps: list[Step]
    expectations: list[Expectation]
    #: Virtual time the run lasts: the last line's time or the end of the longest window.
    end: float

    @property
    def name(self) -> str:
        return self.path.name


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """One expectation's verdict, or a step that could not be played."""

    where: Line
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None

    def __str__(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        head = f"{verdict}  line {self.where.number:<3} {format_time(self.where.t):>8}  {self.where.text}"
        return head if self.passed else f"{head} — {self.problem}"


@dataclass
class ScenarioResult:
    scenario: Scenario
    outcomes: list[Outcome]
    #: Handlers and timers that raised during the run; any of them fails the run.
    handler_errors: list[str]
    events: int
    virtual_seconds: float
    #: "virtual", or "real" when a driver ran the scenario against hardware.
    clock: str = "virtual"

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)

    @property
    def met(self) -> int:
        return len(self.outcomes) - self.failed

    @property
    def passed(self) -> bool:
        return self.failed == 0 and not self.handler_errors

    def lines(self) -> list[str]:
        """The report: one line per expectation (and failed step), the errors, a summary."""
        errors = [f"ERROR {error}" for error in self.handler_errors]
        verdict = "PASSED" if self.passed else "FAILED"
        summary = (f"{self.scenario.name}: {verdict} — {self.met} of {len(self.outcomes)} met, "
                   f"{_count(len(self.handler_errors), 'handler error')}, "
                   f"{_count(self.events, 'event')} in {format_time(self.virtual_seconds)} "
                   f"of {self.clock} time")
        return [*(str(o) for o in self.outcomes), *errors, summary]


# -- loading -------------------------------------------------------------------------------
def load_scenario(path: Path, installation: Installation) -> Scenario:
    """Read and check a scenario against the installation; raises ScenarioError listing all problems."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot read: {exc}"]) from None
    return _Parser(path, installation).parse(text)


def _parse_duration(word: str) -> float:
    """`"2"`, `"2.5s"`, `"300ms"`, `"1.5m"`, `"2h"` -> seconds."""
    match = _DURATION_RE.match(word)
    if not match:
        raise _LineError(f"{word!r} is not a time", _TIME_HINT)
    unit = match.group(2) or "s"
    if unit not in _UNITS:
        raise _LineError(f"unknown time unit {unit!r} in {word!r}",
                         suggest(unit, _UNITS) or f"units: {', '.join(_UNITS)}")
    return float(match.group(1)) * _UNITS[unit]


class _Parser:
    def __init__(self, path: Path, installation: Installation) -> None:
        self.path = path
        self.devices: dict[str, type[Device]] = {d.id: d.cls for d in installation.devices}
        self.device_options = {d.id: d.cls.with_defaults(d.options) for d in installation.devices}
        self.state_names = [s.name for s in installation.states]
        if self.state_names:
            self.devices[STATES_ID] = StateMachine
        self.events = installation.event_names()
        self.verbs = sorted({*_KEYWORDS, *(a for cls in self.devices.values() for a in cls.sim_actions)})
        self.now = 0.0
        self.end = 0.0
        self.here = Line(0, 0.0, "")
        self.steps: list[Step] = []
        self.expectations: list[Expectation] = []
        self.issues: list[str] = []

    def parse(self, text: str) -> Scenario:
        for number, raw in enumerate(text.splitlines(), 1):
            try:
                self.line(number, raw)
            except _LineError as exc:
                hint = f" — {exc.hint}" if exc.hint else ""
                self.issues.append(f"{self.path}:{number}: {exc.message}{hint}")
        if not self.issues and not (self.steps or self.expectations):
            self.issues.append(f"{self.path}: nothing to run — add lines such as "
                               "`at 2 press door` and `expect lamp is on`")
        if self.issues:
            raise ScenarioError(self.issues)
        steps = sorted(self.steps, key=lambda s: s.t)  # stable: same time keeps file order
        return Scenario(self.path, steps, self.expectations, self.end)

    def line(self, number: int, raw: str) -> None:
        try:
            words = shlex.split(raw, comments=True)
        except ValueError as exc:
            raise _LineError(f"cannot read this line: {exc}", "check its quotes") from None
        if not words:
            return
        words = self.take_time(words)
        if not words:
            return  # a bare time lets the installation run until then
        self.here = Line(number, self.now, " ".join(words))
        verb, rest = words[0], words[1:]
        if verb == "expect":
            self.add_expectation(self.expectation(rest))
        elif verb == "do":
            self.steps.append(CommandStep(self.here, self.now, self.command(rest)))
        else:
            self.steps.extend(self.visitor(verb, rest))

    def take_time(self, words: list[str]) -> list[str]:
        """Consume a leading `at T` or `+T`, moving the current time; return the rest."""
        if words[0] == "at":
            if len(words) < 2:
                raise _LineError("`at` needs a time", _TIME_HINT)
            t, rest = _parse_duration(words[1]), words[2:]
        elif words[0].startswith("+"):
            t, rest = self.now + _parse_duration(words[0][1:]), words[1:]
        else:
            return words
        if t < self.now - _EPS:
            raise _LineError(f"at {format_time(t)} is before the previous line "
                             f"({format_time(self.now)})", "lines run in order: move it up")
        self.now = t
        self.end = max(self.end, t)
        return rest

    # -- actions -------------------------------------------------------------------------
    def visitor(self, verb: str, words: list[str]) -> list[Step]:
        if not words:
            raise _LineError(f"{verb} what?", f"write `{verb} DEVICE`")
        dev_id, extra = words[0], words[1:]
        if dev_id not in self.devices and verb not in self.verbs:
            raise _LineError(f"unknown action {verb!r}", suggest(verb, self.verbs)
                             or f"a line can start with: {', '.join(self.verbs)}")
        cls = self.device(dev_id)
        abilities = _abilities(cls)
        if verb not in abilities:
            raise _LineError(f"{dev_id} ({cls.kind}) cannot {verb!r}", suggest(verb, abilities)
                             or f"it can: {', '.join(abilities) or 'nothing (it is not an input)'}")
        if verb == "hold":
            if len(extra) != 1:
                raise _LineError("hold needs how long", f"write `hold {dev_id} 2s`")
            return self.press_release(dev_id, _parse_duration(extra[0]))
        limit = 0 if verb == "click" else 1
        if len(extra) > limit:
            raise _LineError(f"too many words after `{verb} {dev_id}`: {' '.join(extra[limit:])}",
                             f"`{verb}` takes a device" + (" and one value (in quotes if it has "
                                                            "spaces)" if limit else ""))
        if verb == "click":
            return self.press_release(dev_id, CLICK_TIME)
        return [VisitorStep(self.here, self.now, dev_id, verb, extra[0] if extra else None)]

    def press_release(self, dev_id: str, duration: float) -> list[Step]:
        self.end = max(self.end, self.now + duration)
        return [VisitorStep(self.here, self.now, dev_id, "press"),
                VisitorStep(self.here, self.now + duration, dev_id, "release")]

    def command(self, words: list[str]) -> Action:
        try:
            action = parse_action(shlex.join(words))
        except ValueError as exc:
            raise _LineError(str(exc), "write `do DEVICE.COMMAND ARGS`, like `do lamp.blink n=3`") from None
        cls = self.device(action.device)
        try:
            check_call(cls, f"{action.device} ({cls.kind})", action.command, list(action.args),
                       dict(action.kwargs), self.device_options.get(action.device, {}))
        except CommandError as exc:
            raise _LineError(str(exc), exc.hint) from None
        if cls is StateMachine and action.args:
            self.state_name(str(action.args[0]))
        return action

    # -- expectations ----------------------------------------------------------------------
    def add_expectation(self, expectation: Expectation) -> None:
        self.expectations.append(expectation)
        self.end = max(self.end, expectation.end)

    def expectation(self, words: list[str]) -> Expectation:
        words = _split_equals(words)
        absent = words[:1] == ["no"]
        words, window = self.take_window(words[1:] if absent else words)
        if not words:
            raise _LineError("expect what?", "write `expect door.pressed`, `expect lamp is on` "
                                             "or `expect no door.pressed for 5s`")
        target, rest = words[0], words[1:]
        if rest[:1] == ["shows"] and "." not in target:  # sugar: `expect screen shows intro.png`
            target, rest = f"{target}.shows", ["is", *rest[1:]]
        if rest[:1] == ["is"]:
            if absent:
                raise _LineError("`expect no` takes an event, not a state",
                                 f"write `expect {target} is ...` with the state you expect")
            return self.state_expectation(target, _single(rest), window or 0.0)
        if rest and rest[0] != "=":
            raise _LineError(f"unexpected {' '.join(rest)!r} after {target}",
                             "an event may be followed by `= VALUE` and `within 2s`")
        value = _single(rest) if rest else None
        window = DEFAULT_WINDOW if window is None else window
        return EventExpectation(self.here, self.event(target), value, window, absent)

    def take_window(self, words: list[str]) -> tuple[list[str], float | None]:
        if len(words) >= 2 and words[-2] in _WINDOW_WORDS:
            return words[:-2], _parse_duration(words[-1])
        if words and words[-1] in _WINDOW_WORDS:
            raise _LineError(f"`{words[-1]}` needs a time", _TIME_HINT)
        return words, None

    def state_expectation(self, target: str, value: str, window: float) -> StateExpectation:
        dev_id, _, key = target.partition(".")
        cls = self.device(dev_id)
        key = key or "label"
        if cls is StateMachine and key == "label":
            self.state_name(value)
        return StateExpectation(self.here, dev_id, key, value, window)

    def event(self, target: str) -> str:
        dev_id, sep, name = target.partition(".")
        if not sep:
            raise _LineError(f"{target!r} is not an event", "events are written device.event, like "
                             f"door.pressed; for a state write `expect {target} is LABEL`")
        self.device(dev_id)
        known = self.events[dev_id]
        if name not in known:
            raise _LineError(f"{dev_id} has no event {name!r}",
                             suggest(name, known) or f"its events: {', '.join(known) or 'none'}")
        return target

    # -- names ---------------------------------------------------------------------------
    def device(self, dev_id: str) -> type[Device]:
        cls = self.devices.get(dev_id)
        if cls is None:
            raise _LineError(f"unknown device {dev_id!r}", suggest(dev_id, self.devices)
                             or f"devices: {', '.join(self.devices)}")
        return cls

    def state_name(self, name: str) -> None:
        if name not in self.state_names:
            raise _LineError(f"unknown state {name!r}", suggest(name, self.state_names)
                             or f"states: {', '.join(self.state_names)}")


def _abilities(cls: type[Device]) -> tuple[str, ...]:
    """What a scenario can do to a device: its sim actions, plus click and hold for buttons."""
    sugar = _SUGAR if {"press", "release"} <= set(cls.sim_actions) else ()
    return (*cls.sim_actions, *sugar)


def _split_equals(words: list[str]) -> list[str]:
    """`["door.clicked=2"]` -> `["door.clicked", "=", "2"]`."""
    out: list[str] = []
    for word in words:
        left, eq, right = word.partition("=")
        out.extend(w for w in (left, eq, right) if w)
    return out


def _single(words: list[str]) -> str:
    """The one value after `is` or `=`."""
    if len(words) != 2:
        raise _LineError(f"`{words[0]}` needs exactly one value, got {len(words) - 1}",
                         "put a value with spaces in quotes")
    return words[1]


# -- running -------------------------------------------------------------------------------
class Trace:
    """What happened during a run: every event, and every device state with its time.

    In real time it also samples, for each output, whether the hardware shows what
    the host last wrote to it (`hardware`: time and the driver's problem, or None).
    """

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.events = harness.seen
        self.latency = harness.driver.latency
        self.states: dict[str, list[tuple[float, dict[str, Any]]]] = {
            dev_id: [(harness.now, device.state)] for dev_id, device in harness.runtime.devices.items()}
        harness.runtime.bus.watch_state(self._note)
        self.hardware: dict[str, list[tuple[float, str | None]]] = {}
        if harness.driver.real_time:
            self._outputs = [d.id for d in harness.runtime.devices.values() if d.role == "output"]
            harness.runtime.loop.call_every(HARDWARE_SAMPLE, self._sample, first=0.0,
                                            name="hardware sampler")

    def _note(self, device: str, state: dict[str, Any]) -> None:
        self.states.setdefault(device, []).append((self.harness.now, state))

    def _sample(self) -> None:
        h = self.harness
        for dev_id in self._outputs:
            self.hardware.setdefault(dev_id, []).append(
                (h.now, h.driver.output_problem(h.runtime, dev_id)))

    def hardware_problem(self, device: str, start: float, end: float) -> str | None:
        """None if the hardware agreed with the host at some sample in [start, end] (or is
        not sampled), else how it differed last."""
        samples = [(t, p) for t, p in self.hardware.get(device, []) if start - _EPS <= t <= end + _EPS]
        if not samples or any(problem is None for _, problem in samples):
            return None
        return f"the host set it, but the hardware did not follow: {samples[-1][1]}"

    def states_during(self, device: str, start: float, end: float) -> list[tuple[float, dict[str, Any]]]:
        """The state in force once instant `start` settled, then every change up to `end`."""
        history = self.states.get(device, [])
        first = bisect_right(history, start + _EPS, key=lambda entry: entry[0])
        last = bisect_right(history, end + _EPS, key=lambda entry: entry[0])
        return history[max(first - 1, 0):max(last, 1)]


def run_scenario(installation: Installation, scenario: Scenario,
                 driver: VisitorDriver | None = None,
                 before_start: Callable[[Runtime], Any] | None = None) -> ScenarioResult:
    """Play the scenario and judge every expectation: on the virtual clock with simulated
    devices, or in real time against the hardware `driver` plays. `before_start` sees the
    runtime before it starts (an interaction log attaches there)."""
    with Harness(installation, driver=driver, before_start=before_start) as harness:
        trace = Trace(harness)
        failed_steps = [outcome for outcome in (_play(harness, step) for step in scenario.steps)
                        if outcome is not None]
        harness.run_until(scenario.end + trace.latency)
        errors = harness.errors
        judged = [Outcome(e.where, e.check(trace)) for e in scenario.expectations]
        outcomes = sorted([*failed_steps, *judged], key=lambda o: o.where.number)
        clock = "real" if harness.driver.real_time else "virtual"
        return ScenarioResult(scenario, outcomes, errors, len(harness.seen), harness.now, clock)


def _play(harness: Harness, step: Step) -> Outcome | None:
    harness.run_until(step.t)
    try:
        step.run(harness)
    except Exception as exc:  # a scenario is a test: report the refusal and go on
        return Outcome(step.where, f"could not {step.where.text}: {exc}")
    return None


# -- values and times ----------------------------------------------------------------------
def same_value(actual: Any, expected: str) -> bool:
    """Compare a value with its text in a scenario: numbers numerically, `none`, `true`..."""
    wanted = parse_scalar(expected)
    if _is_number(actual) and _is_number(wanted):
        return math.isclose(actual, wanted, rel_tol=1e-9, abs_tol=1e-6)
    return bool(actual == wanted) or show(actual) == expected


def show(value: Any) -> str:
    """A value as a scenario would write it."""
    if value is None or isinstance(value, bool):
        return str(value).lower()
    return str(value)


def format_time(seconds: float) -> str:
    """`3.5s`, `12m30s`, `2h`, `1h0m5s`."""
    minutes, rest = divmod(round(seconds, 3), 60)
    hours, minutes = divmod(int(minutes), 60)
    parts = [(hours, "h"), (minutes, "m"), (rest, "s")]
    while len(parts) > 1 and not parts[0][0]:
        parts.pop(0)
    while len(parts) > 1 and not parts[-1][0]:
        parts.pop()
    return "".join(f"{n:g}{unit}" for n, unit in parts)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _changes(values: Iterable[tuple[float, Any]]) -> list[tuple[float, Any]]:
    """Drop entries that repeat the previous value; keep at most five."""
    out: list[tuple[float, Any]] = []
    for t, value in values:
        if not out or out[-1][1] != value:
            out.append((t, value))
    return out[:5]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
