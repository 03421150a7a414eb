"""Rules: `when` an event happens, `do` device commands, as `[[rules]]` tables declare them.

    [[rules]]
    when = "door.pressed"
    in_state = "attract"
    do = ["lamp.on", "states.goto engaged"]

This module holds what a rule is (`RuleConfig`, its `Action`s), how an action's text
reads (`parse_action`), and the check of the `[[rules]]` tables against the declared
devices, states and schedule. The runtime wires checked rules to the bus.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from museokit.core.device import CommandError, Device, check_call
from museokit.core.events import NAME_RE
from museokit.core.report import KeyPath, Report
from museokit.core.schedule import SCHEDULE_EVENTS, SCHEDULE_ID
from museokit.core.states import STATES_ID, StateConfig, StateMachine
from museokit.core.suggest import suggest

RULE_KEYS = ("when", "value", "in_state", "do", "cooldown", "lockout", "until")


@dataclass(frozen=True)
class Action:
    device: str
    command: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    text: str = ""


@dataclass
class RuleConfig:
    when: str
    actions: list[Action]
    value: Any = None
    match_value: bool = False
    in_state: tuple[str, ...] = ()
    cooldown: float = 0.0
    lockout: float = 0.0
    until: str | None = None
    line: int | None = None

    def describe(self) -> str:
        return f"rule at line {self.line}" if self.line else f"rule when {self.when}"


def parse_action(text: str) -> Action:
    """`"led.blink 0.2 0.2 n=3"` -> Action('led', 'blink', (0.2, 0.2), (('n', 3),))."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    if not words:
        raise ValueError("empty action")
    target, sep, cmd = words[0].partition(".")
    if not sep or not target or not cmd:
        raise ValueError(f"{text!r} does not name a device command")
    args: list[Any] = []
    kwargs: list[tuple[str, Any]] = []
    for word in words[1:]:
        key, eq, value = word.partition("=")
        if eq and NAME_RE.match(key):
            kwargs.append((key, parse_scalar(value)))
        else:
            args.append(parse_scalar(word))
    return Action(target, cmd, tuple(args), tuple(kwargs), text)


def parse_scalar(word: str) -> Any:
    """Numbers become numbers, true/false booleans, none None; the rest stays text."""
    lowered = word.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for convert in (int, float):
        try:
            return convert(word)
        except ValueError:
            pass
    return word


class RuleCheck:
    """Checks `[[rules]]` against what the file declares.

    `devices`: each device id and its class; `broken`: devices whose own table was already
    refused (rules naming them stay quiet); `device_options`: each device's options with
    defaults filled in, for checking the commands' arguments.
    """

    def __init__(self, report: Report, devices: dict[str, type[Device]], states: list[StateConfig],
                 scheduled: bool, broken: Collection[str],
                 device_options: dict[str, dict[str, Any]]) -> None:
        self.report = report
        self.devices = devices
        self.broken = broken
        self.device_options = device_options
        self.events = {dev_id: cls.all_events() for dev_id, cls in devices.items()}
        self.state_names = [s.name for s in states]
        if states:
            self.events[STATES_ID] = tuple(self.state_names)
        if scheduled:
            self.events[SCHEDULE_ID] = SCHEDULE_EVENTS

    def rules(self, raw: Any) -> list[RuleConfig]:
        report = self.report
        result = []
        for i, table in enumerate(report.tables(raw, "rules")):
            path: KeyPath = ("rules", i)
            report.unknown_keys(path, table, RULE_KEYS, "a rule")
            when = table.get("when")
            if not isinstance(when, str):
                report.error((*path, "when") if "when" in table else path,
                             "rule without `when`" if when is None else
                             f"expected an event in quotes, got {when!r}",
                             'write when = "door.pressed"')
                continue
            self.event((*path, "when"), when)
            until = report.text_value(path, table, "until", None)
            if until is not None:
                self.event((*path, "until"), until)
            in_state = table.get("in_state", ())
            in_state = (in_state,) if isinstance(in_state, str) else in_state
            if not isinstance(in_state, list | tuple) or not all(
                    isinstance(n, str) for n in in_state):
                report.error((*path, "in_state"), f"expected a state name or a list of them, "
                             f"got {in_state!r}", 'for example in_state = "engaged"')
                in_state = ()
            in_state = tuple(in_state)
            for name in in_state:
                if name not in self.state_names:
                    report.error((*path, "in_state"), f"unknown state {name!r}",
                                 suggest(str(name), self.state_names) or
                                 "declare it in a [[states]] table")
            do = table.get("do")
            if isinstance(do, str):
                do = [do]
            if not isinstance(do, list) or not do or not all(isinstance(a, str) for a in do):
                report.error((*path, "do"), "expected an action or a list of actions",
                             'for example do = "led.on" or do = ["led.on", "buzzer.beep"]')
                continue
            actions = [a for a in (self.action((*path, "do"), text) for text in do)
                       if a is not None]
            result.append(RuleConfig(
                when, actions, table.get("value"), "value" in table, in_state,
                report.seconds(path, table, "cooldown") or 0.0,
                report.seconds(path, table, "lockout") or 0.0, until, report.line(path)))
        return result

    def event(self, path: KeyPath, pattern: str) -> None:
        dev_id, sep, name = pattern.partition(".")
        events = self.events
        if not sep:
            self.report.error(path, f"{pattern!r} is not an event",
                              "events are written device.event, like door.pressed")
            return
        if "*" in dev_id or "?" in dev_id or dev_id in self.broken:
            return
        if dev_id not in events:
            self.report.error(path, f"unknown device {dev_id!r} in {pattern!r}",
                              suggest(dev_id, events) or f"devices: {', '.join(sorted(events))}")
            return
        if "*" in name or "?" in name:
            return
        if name not in events[dev_id]:
            self.report.error(path, f"{dev_id} has no event {name!r}",
                              suggest(name, events[dev_id]) or
                              f"its events: {', '.join(events[dev_id]) or 'none'}")

    def action(self, path: KeyPath, text: str) -> Action | None:
        report, devices, state_names = self.report, self.devices, self.state_names
        try:
            action = parse_action(text)
        except ValueError as exc:
            report.error(path, str(exc), 'write "device.command arguments", like "led.blink n=3"')
            return None
        if action.device == STATES_ID and state_names:
            cls: type[Device] = StateMachine
            if action.command == "goto" and action.args and action.args[0] not in state_names:
                report.error(path, f"{text!r}: unknown state {action.args[0]!r}",
                             suggest(str(action.args[0]), state_names))
                return None
        elif action.device in devices:
            cls = devices[action.device]
        elif action.device in self.broken:
            return None
        else:
            known = [*devices, *([STATES_ID] if state_names else [])]
            report.error(path, f"{text!r}: unknown device {action.device!r}",
                         suggest(action.device, known) or f"devices: {', '.join(sorted(known))}")
            return None
        try:
            check_call(cls, f"a {cls.kind}", action.command, list(action.args),
                       dict(action.kwargs), self.device_options.get(action.device, {}))
        except CommandError as exc:
            report.error(path, f"{text!r}: {exc}", exc.hint)
            return None
        return action
