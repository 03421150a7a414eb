"""Device base classes, in the spirit of gpiozero's.

A device class declares what it is (`kind`), which pins it needs, its options,
the events it emits and the commands it accepts. The installation file is
checked against these declarations before anything starts. Device logic
(debounce, hold, smoothing, blink) runs on the runtime loop and reads its clock;
the backend only moves levels in and out.

gpiozero vocabulary works: `button.when_pressed = greet`, `button.is_active`,
`led.value`.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from museokit.core import arguments
from museokit.core.backend import Backend, InputChannel, OutputChannel, Sink
from museokit.core.bus import Bus, Subscription, event_handler
from museokit.core.clock import Clock
from museokit.core.events import Event
from museokit.core.loop import Loop, Timer
from museokit.core.options import Option, OptionError
from museokit.core.pins import PinRef
from museokit.core.report import KeyPath, Report
from museokit.core.suggest import suggest

log = logging.getLogger("museokit.device")

Role = Literal["input", "output", "logic"]
#: Where a `check_options` problem is: an option's name, or a path inside it.
OptionKey = str | tuple[str | int, ...]

#: Events every device may emit: a board unplugged, a camera gone, a node's broker
#: link lost. Behaviours and rules subscribe to them like to any other event.
AVAILABILITY_EVENTS = ("offline", "online")


class CommandError(ValueError):
    """A command was refused: unknown, or its arguments do not fit.

    `hint` says how to fix it, for messages that show the fix apart (`— did you mean`).
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a device method as a command that rules, behaviours and MQTT may call.

    While the device is asleep (outside opening hours) a command does nothing, whoever
    calls it: a behaviour's `every()` cannot light a lamp at night.
    """
    @functools.wraps(fn)
    def unless_asleep(self: Device, *args: Any, **kwargs: Any) -> Any:
        if self.asleep:
            log.debug("%s.%s dropped: asleep outside opening hours", self.id, fn.__name__)
            return None
        if args or kwargs:  # a behaviour's call is checked like a rule's or a payload's
            problem = arguments.problem(fn, args, kwargs)
            if problem:
                raise CommandError(f"{self.id}.{fn.__name__}: {problem}")
        return fn(self, *args, **kwargs)

    unless_asleep.museokit_command = True  # type: ignore[attr-defined]
    return unless_asleep


@dataclass
class DeviceContext:
    """What the runtime gives each device."""

    loop: Loop
    backend: Backend | None
    node: str = "main"
    seq: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    #: The installation folder: relative paths in options (a video file) start here.
    folder: Path | None = None
    #: The installation the device belongs to, a `museokit.core.config.Installation` (media
    #: devices preload what it names); devices sit below the file's model, so it is opaque here.
    installation: object | None = None
    #: True in the simulator: devices without pins (a camera) pick their stand-in input.
    simulated: bool = False

    @property
    def bus(self) -> Bus:
        return self.loop.bus

    @property
    def clock(self) -> Clock:
        return self.loop.clock


class Device:
    kind: ClassVar[str] = ""
    role: ClassVar[Role] = "output"
    #: Pin keys in the installation file (`pin = 17`, or `trigger = 23` and `echo = 24`).
    pins: ClassVar[tuple[str, ...]] = ("pin",)
    options: ClassVar[dict[str, Option]] = {}
    events: ClassVar[tuple[str, ...]] = ()
    #: Actions a simulated visitor can do to this device (`press`, `motion`, `tag`...).
    sim_actions: ClassVar[tuple[str, ...]] = ()
    commands: ClassVar[dict[str, Callable[..., Any]]] = {}
    #: One line for `museokit check` and docs.
    summary: ClassVar[str] = ""
    #: Needs evenly timed pulses (a servo): `museokit check` warns when the Pi's own pins,
    #: whose PWM gpiozero times in software, would drive it.
    steady_pulses: ClassVar[bool] = False
    #: The backend signals its channels open (`digital`, `pwm`, `tag`...): a backend that
    #: lacks one cannot drive this kind. For the reference (`museokit explain`).
    signals: ClassVar[tuple[str, ...]] = ()
    #: How to wire it, one line per backend name (`gpio`, `serial`); a backend not named
    #: gets its own `Backend.wiring` line. Kinds without pins name their own connections.
    wiring: ClassVar[dict[str, str]] = {}
    #: A minimal installation file using this kind, for the reference; when empty it is
    #: made from `pins` (BCM 17, 27, 22 on the Pi's header).
    example: ClassVar[str] = ""
    #: Pin keys that name a bus line the device drives as that bus (a strip's DIN on SPI
    #: MOSI), not a plain GPIO: `check` does not warn that the pin belongs to a bus.
    bus_pin_keys: ClassVar[tuple[str, ...]] = ()
    #: A device with no pins of its own on a bus the backend drives (an I2C touch
    #: controller): unlike a screen or a camera it needs its backend.
    on_bus: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        found: dict[str, Callable[..., Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, member in vars(klass).items():
                if getattr(member, "museokit_command", False):
                    found[name] = member
        cls.commands = found

    def __init__(self, device_id: str, ctx: DeviceContext, pins: dict[str, PinRef] | None = None,
                 opts: dict[str, Any] | None = None) -> None:
        self.id = device_id
        self.ctx = ctx
        self.pin_refs = pins or {}
        self.opts = self.with_defaults(opts or {})
        self._state: dict[str, Any] = {}
        self._when: dict[str, Subscription] = {}
        self._timers: dict[str, Timer] = {}
        #: Outside opening hours (see `sleep`).
        self.asleep = False
        #: When the reading `on_input` is handling happened (see `on_input`).
        self.input_time = -math.inf

    # -- lifecycle -------------------------------------------------------------------
    def open(self) -> None:
        """Open channels on the backend. Called once, on the loop thread, before start."""

    def close(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def sleep(self) -> None:
        """The gallery closed: from now on inputs are ignored and commands do nothing
        (see `command`). Devices with outputs extend this to put them in a safe state
        first (LEDs and relays off, servos at rest, sound stopped)."""
        self.asleep = True
        self.set_state(asleep=True)

    def wake(self) -> None:
        """The gallery opened: inputs and commands count again; outputs stay as sleep left
        them until something commands them (rules on `schedule.open` or the first state)."""
        if self.asleep:
            self.asleep = False
            self.set_state(asleep=False)

    # -- helpers for subclasses ------------------------------------------------------
    @property
    def clock(self) -> Clock:
        return self.ctx.clock

    @property
    def backend(self) -> Backend:
        if self.ctx.backend is None:
            raise RuntimeError(f"device {self.id!r} has no backend")
        return self.ctx.backend

    def open_input(self, signal: str, pin_key: str = "pin", **params: Any) -> InputChannel:
        return self.backend.open_input(self.id, signal, self.pin_refs.get(pin_key),
                                       self._make_sink(), **params)

    def open_output(self, signal: str, pin_key: str = "pin", **params: Any) -> OutputChannel:
        return self.backend.open_output(self.id, signal, self.pin_refs.get(pin_key), **params)

    def _make_sink(self) -> Sink:
        on_input = self.on_input
        clock = self.clock

        def sink(value: Any, at: float | None = None) -> None:
            if self.asleep:
                return
            now = clock.monotonic()
            # Never in the future, never before the reading handled last.
            self.input_time = max(self.input_time, now if at is None else min(at, now))
            on_input(value)

        return sink

    def on_input(self, value: Any) -> None:
        """A new reading from the backend, on the loop thread. Input devices override.

        `self.input_time` is when it happened on the loop's clock: the edge's own time
        if the backend knows it (a reading handled late still counts when it happened).
        """

    def emit(self, name: str, value: Any = None) -> None:
        """Put `<id>.<name>` on the bus (handlers run soon, in order, on the loop)."""
        ctx = self.ctx
        ctx.loop.post(Event(self.id, name, value, ctx.clock.time(), next(ctx.seq), ctx.node))

    def later(self, key: str, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """(Re)start the device's timer `key`; a running one with that key is cancelled."""
        self.cancel(key)
        self._timers[key] = self.ctx.loop.call_later(delay, fn, *args,
                                                     name=f"{self.id} {key} timer")

    def cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def set_online(self, online: bool, reason: str = "") -> None:
        """Say the device's hardware (or its node) went away or came back.

        Emits `<id>.offline` (value: the reason, for the log) or `<id>.online` once per
        change, and keeps `online` in the device's state. Backends call this.
        """
        if self._state.get("online", True) == online:
            return
        self.set_state(online=online)
        self.emit("online" if online else "offline", reason or None)

    @property
    def is_online(self) -> bool:
        return bool(self._state.get("online", True))

    def set_state(self, **changes: Any) -> None:
        """Update the device's state; watchers (MQTT `state`, simulator, log) see changes."""
        if all(self._state.get(k) == v for k, v in changes.items()):
            return
        self._state.update(changes)
        self.ctx.bus.publish_state(self.id, dict(self._state))

    @property
    def state(self) -> dict[str, Any]:
        """The device's last state, as published on `…/<device>/state`."""
        return dict(self._state)

    @property
    def label(self) -> str:
        """A one-word summary of the state (`on`, `pressed`, `blinking`, ...)."""
        return str(self._state.get("label", ""))

    # -- commands --------------------------------------------------------------------
    def run_command(self, name: str, args: list[Any] | None = None,
                    kwargs: dict[str, Any] | None = None) -> Any:
        """Call a command by name after checking its arguments; raises CommandError."""
        try:
            # The command checks this device's options itself when it runs.
            check_call(type(self), f"{self.id} ({self.kind})", name, args or [], kwargs or {})
        except CommandError as exc:
            raise CommandError(f"{exc}; {exc.hint}" if exc.hint else str(exc)) from None
        return getattr(self, name)(*(args or []), **(kwargs or {}))

    @classmethod
    def all_events(cls) -> tuple[str, ...]:
        """The device's own events and the availability events every device has."""
        return cls.events + AVAILABILITY_EVENTS

    @classmethod
    def with_defaults(cls, opts: dict[str, Any]) -> dict[str, Any]:
        """`opts` with every option it leaves out set to its default."""
        return {name: opt.default for name, opt in cls.options.items()} | opts

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> Sequence[tuple[OptionKey, str]]:
        """Problems that involve several options, as (key, message) pairs.

        Each option's own type and range come from `options`; this hook is for the
        rest (a servo whose two end angles are equal), so `museokit check` catches
        them before anything starts. `opts` has every option, defaults included.
        A key may be a path inside an option, `("triggers", 1, "threshold")`, so
        the message names the line of that value.
        """
        return []

    @classmethod
    def check_command(cls, name: str, opts: dict[str, Any]) -> str | None:
        """Why command `name` cannot work with these options (None if it can).

        Rules are checked with it at load time; the device checks again when called.
        """
        return None

    # -- simulation --------------------------------------------------------------------
    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        """The input levels a simulated visitor's `action` produces, in order."""
        raise CommandError(f"{self.id} ({self.kind}) cannot be simulated")

    # -- gpiozero-style callbacks ------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("when_"):
            events = type(self).all_events()
            if name[5:] not in events:
                # Like gpiozero: a misspelled callback must not be silently kept.
                callbacks = [f"when_{e}" for e in events]
                hint = suggest(name, callbacks) or f"its callbacks: {', '.join(callbacks)}"
                raise AttributeError(f"{self.id} ({self.kind}) has no event {name[5:]!r} for "
                                     f"{name} — {hint}")
            self._set_when(name[5:], value)
        object.__setattr__(self, name, value)

    def _set_when(self, event: str, fn: Callable[..., Any] | None) -> None:
        old = self._when.pop(event, None)
        if old is not None:
            self.ctx.bus.unsubscribe(old)
        if fn is not None:
            self._when[event] = self.ctx.bus.subscribe(f"{self.id}.{event}", event_handler(fn))

    def describe(self) -> dict[str, Any]:
        """The device's entry in the node's `meta`."""
        return {"kind": self.kind, "role": self.role, "events": list(self.all_events()),
                "commands": sorted(self.commands), "sim_actions": list(self.sim_actions)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id!r} {self.label}>"


def check_call(cls: type[Device], who: str, name: str, args: list[Any], kwargs: dict[str, Any],
               opts: dict[str, Any] | None = None) -> None:
    """Raise CommandError unless `cls` has command `name`, the arguments fit it, and (given
    the device's `opts`) its options allow it: what rules, scenarios and remote commands
    are checked with. `who` names the device in the message ("a led", "lamp (led)")."""
    if name not in cls.commands:
        raise CommandError(f"{who} has no command {name!r}", suggest(name, cls.commands)
                           or f"its commands: {', '.join(sorted(cls.commands)) or 'none'}")
    check_arguments(cls, name, args, kwargs)
    problem = None if opts is None else cls.check_command(name, opts)
    if problem:
        raise CommandError(problem)


def check_arguments(device: type[Device] | Device, name: str, args: list[Any],
                    kwargs: dict[str, Any]) -> None:
    """Raise CommandError if `args`/`kwargs` cannot be passed to the command `name`."""
    method = device.commands[name]
    try:
        inspect.signature(method).bind(None, *args, **kwargs)
    except TypeError as exc:
        usage = command_usage(method)
        raise CommandError(f"{name}: {exc}; usage: {name} {usage}".rstrip()) from None
    problem = arguments.problem(method, args, kwargs)
    if problem:
        raise CommandError(f"{name}: {problem}", f"usage: {name} {command_usage(method)}".rstrip())


def command_usage(method: Callable[..., Any]) -> str:
    parts = []
    for p in list(inspect.signature(method).parameters.values())[1:]:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        parts.append(p.name.upper() if p.default is p.empty else f"[{p.name}={p.default!r}]")
    return " ".join(parts)


def read_options(report: Report, path: KeyPath, cls: type[Device],
                 table: dict[str, Any]) -> dict[str, Any]:
    """The options a `[[devices]]` table gives, converted by the kind's declarations (defaults
    not filled in); each bad value, and then `check_options`' problems, go to `report`."""
    options: dict[str, Any] = {}
    for name, opt in cls.options.items():
        if name not in table:
            continue
        try:
            options[name] = opt.convert(table[name])
        except OptionError as exc:
            report.error((*path, name, *([exc.key] if exc.key else [])), f"{exc}", opt.help)
    if all(name in options for name in cls.options if name in table):
        for key, message in cls.check_options(cls.with_defaults(options)):
            report.error((*path, *(key if isinstance(key, tuple) else (key,))), message)
    return options
