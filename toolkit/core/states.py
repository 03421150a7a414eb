"""Named states (attract -> engaged -> cooldown) with idle and time limits.

Declared in the installation file as `[[states]]` tables; the first is where the
installation starts. The state machine is itself a device called `states`: it
emits `states.<name>` when a state is entered and takes the command
`states.goto NAME`, so rules and behaviours use it like any other device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from museokit.core.device import CommandError, Device, DeviceContext, command
from museokit.core.report import KeyPath, Report
from museokit.core.suggest import suggest

STATES_ID = "states"
STATE_KEYS = ("name", "idle", "timeout", "then")


@dataclass(frozen=True)
class StateConfig:
    name: str
    idle: float | None = None  # seconds without visitor input before leaving
    timeout: float | None = None  # seconds in this state before leaving
    then: str | None = None  # where to go; default: the first state
    line: int | None = None


class StateMachine(Device):
    kind = "states"
    role = "logic"
    pins = ()
    summary = "the installation's named states"

    def __init__(self, ctx: DeviceContext, states: list[StateConfig]) -> None:
        super().__init__(STATES_ID, ctx)
        self.table = {s.name: s for s in states}
        self.initial = states[0].name
        self.current = ""
        self.entered_at = 0.0

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.table)

    def open(self) -> None:
        self.goto(self.initial)

    @command
    def goto(self, name: str) -> None:
        """Enter state `name` (entering the current state again restarts its timers)."""
        if name not in self.table:
            raise CommandError(f"no state {name!r}; states: {', '.join(self.table)}")
        previous, self.current = self.current, name
        self.entered_at = self.clock.monotonic()
        spec = self.table[name]
        self.cancel("timeout")
        self.cancel("idle")
        if spec.timeout is not None:
            self.later("timeout", spec.timeout, self._leave, "timeout")
        if spec.idle is not None:
            self.later("idle", spec.idle, self._leave, "idle")
        self.set_state(label=name)
        self.emit(name, previous or None)

    def visitor_input(self) -> None:
        """A visitor did something: restart the idle countdown."""
        spec = self.table.get(self.current)
        if spec is not None and spec.idle is not None:
            self.later("idle", spec.idle, self._leave, "idle")

    def _leave(self, why: str) -> None:
        spec = self.table[self.current]
        self.goto(spec.then or self.initial)

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"events": list(self.table), "states": list(self.table)}


def check_states(report: Report, raw: Any) -> list[StateConfig]:
    """The `[[states]]` tables, each problem reported with its line and key."""
    result: list[StateConfig] = []
    tables = report.tables(raw, "states")
    names = [t.get("name") for t in tables]
    for i, table in enumerate(tables):
        path: KeyPath = ("states", i)
        report.unknown_keys(path, table, STATE_KEYS, "a state")
        name = report.text_value(path, table, "name", None, slug=True)
        if name is None:
            report.error(path, "state without a name", 'add name = "attract"')
            continue
        if names.index(name) != i:
            report.error((*path, "name"), f"duplicate state {name!r}")
            continue
        then = report.text_value(path, table, "then", None)
        if then is not None and then not in names:
            report.error((*path, "then"), f"unknown state {then!r}",
                         suggest(then, [n for n in names if isinstance(n, str)]))
        idle = report.seconds(path, table, "idle")
        timeout = report.seconds(path, table, "timeout")
        result.append(StateConfig(name, idle, timeout, then, report.line(path)))
    return result
