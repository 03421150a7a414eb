"""The installation runtime: builds devices on their backends, wires rules and the
behaviour module to the bus, and runs the loop on a real or virtual clock.

The same `Installation` runs everywhere; only the backend choice differs
(`backend_override="sim"` in the simulator and in tests).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from museokit.core import plugins
from museokit.core.backend import Backend, BackendError, Playable
from museokit.core.bus import Bus, Handler, Subscription
from museokit.core.clock import Clock, RealClock
from museokit.core.config import Action, Installation, RuleConfig
from museokit.core.device import CommandError, Device, DeviceContext
from museokit.core.events import Event
from museokit.core.health import Health
from museokit.core.loop import Loop
from museokit.core.schedule import SCHEDULE_ID, ScheduleKeeper
from museokit.core.states import STATES_ID, StateMachine
from museokit.core.triggers import ANY_VALUE, Lockout, Trigger

log = logging.getLogger("museokit.runtime")


class StartError(RuntimeError):
    """The installation could not start; the message says which device and why."""


class Runtime:
    def __init__(self, installation: Installation, *, clock: Clock | None = None,
                 backend: str | None = None, backend_override: str | None = None,
                 slow_threshold: float = 0.1) -> None:
        self.installation = installation
        self.clock: Clock = clock or RealClock()
        self.bus = Bus(slow_threshold=slow_threshold)
        self.loop = Loop(self.clock, self.bus)
        self.lockout = Lockout(self.loop)
        self.default_backend = backend or installation.backend
        self.backend_override = backend_override
        self.backends: dict[str, Backend] = {}
        self.devices: dict[str, Device] = {}
        self.device_backend: dict[str, str] = {}
        self.states: StateMachine | None = None
        self.input_ids: frozenset[str] = frozenset()
        self.behaviour: Any = None
        #: The behaviour bricks of `[[uses]]`, loaded after the behaviour module.
        self.bricks: list[Any] = []
        #: Events the behaviour module emits itself (`emit("story", "chapter")`), so that
        #: `@on("story.chapter")` is accepted; None: any event of that device.
        self.custom_events: dict[str, set[str] | None] = {}
        self._subscriptions: list[Subscription] = []
        self._ctx: DeviceContext | None = None
        self.keeper: ScheduleKeeper | None = None
        self._thread: threading.Thread | None = None
        self.started = False
        #: Every counter of what went wrong, summarised and published (core/health.py).
        self.health = Health()

    # -- start and stop ---------------------------------------------------------------
    def start(self) -> None:
        """Open every device, wire rules and behaviour. Raises StartError, closing what opened."""
        from museokit.core import behaviour

        inst = self.installation
        self._ctx = DeviceContext(self.loop, None, inst.node)
        try:
            for cfg in inst.devices:
                name = self.backend_override or cfg.backend or self.default_backend
                # A device without pins (screen, sound, camera) drives its own hardware: it
                # needs no backend, so a projector piece runs on a laptop without `--backend`.
                own = not cfg.cls.pins and not cfg.cls.on_bus and cfg.backend is None
                backend = None if own else self._backend(name, cfg.id)
                ctx = DeviceContext(self.loop, backend, inst.node, self._ctx.seq, inst.folder, inst,
                                    simulated=name == "sim")
                device = cfg.cls(cfg.id, ctx, cfg.pins, cfg.options)
                self.devices[cfg.id] = device
                if not own:
                    self.device_backend[cfg.id] = name
                try:
                    device.open()
                except (BackendError, OSError) as exc:
                    raise StartError(f"device {cfg.id!r} ({cfg.kind}) on backend {name!r}: "
                                     f"{exc}") from exc
            self.input_ids = frozenset(d.id for d in self.devices.values() if d.role == "input")
            if inst.states:
                self.states = StateMachine(self._ctx, inst.states)
                self.devices[STATES_ID] = self.states
                self._subscriptions.append(
                    self.bus.tap(self._note_visitor, name="idle timeout"))
            for rule in inst.rules:
                self._add_rule(rule)
            self.behaviour = behaviour.load(self) if inst.behaviour else None
            self.bricks = [behaviour.load_brick(self, use) for use in inst.uses]
            for backend in self.backends.values():
                backend.start()
            self.health.register(self.bus, self.backends, self.devices)
            if self.states is not None:
                self.states.open()
            if inst.schedule is not None:
                self.keeper = ScheduleKeeper(self.loop, inst.schedule, self._opening_hours)
                self.keeper.start()
        except BaseException:
            self.close()
            raise
        self.started = True
        log.debug("%s ready: %d devices on %s", inst.name, len(inst.devices),
                 ", ".join(sorted(set(self.device_backend.values()))) or "no backend")

    def close(self) -> None:
        if self.keeper is not None:
            self.keeper.stop()
        for device in reversed(list(self.devices.values())):
            try:
                device.close()
            except Exception as exc:
                log.error("closing %s failed: %s", device.id, exc)
        for backend in self.backends.values():
            try:
                backend.close()
            except Exception as exc:
                log.error("closing backend %s failed: %s", backend.name, exc)
        for sub in self._subscriptions:
            self.bus.unsubscribe(sub)
            self.bus.untap(sub)
        self._subscriptions.clear()
        self.started = False

    def run_forever(self) -> None:
        """Run in real time until `stop()`, with a watchdog naming handlers that block."""
        from museokit.core import behaviour
        from museokit.core.watchdog import Watchdog

        behaviour.activate(self)
        watchdog = Watchdog(self.bus, loop=self.loop)
        watchdog.start()
        self.health.start(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.health.stop()
            watchdog.stop()

    def start_in_thread(self) -> threading.Thread:
        """`run_forever` on a new thread, for when the main thread has other work: SDL's
        display must run there. End it with `stop()`, then `join()`."""
        self._thread = threading.Thread(target=self.run_forever, name="museokit runtime", daemon=True)
        self._thread.start()
        return self._thread

    @property
    def running(self) -> bool:
        """Whether the thread of `start_in_thread` is still running."""
        return self._thread is not None and self._thread.is_alive()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread of `start_in_thread` to end; False if it is still running."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def run_for(self, seconds: float) -> None:
        """Run everything due in the next `seconds`: at once on a virtual clock, waiting on a
        real one (the calling thread serves the loop meanwhile)."""
        from museokit.core import behaviour

        behaviour.activate(self)
        self.loop.run_for(seconds)

    def stop(self) -> None:
        self.loop.stop()

    # -- what behaviours, rules, scenarios and links call -------------------------------
    def command(self, device_id: str, name: str, args: list[Any] | None = None,
                kwargs: dict[str, Any] | None = None) -> Any:
        """Run a device command; raises CommandError for unknown devices or bad arguments."""
        device = self.devices.get(device_id)
        if device is None:
            raise CommandError(f"no device {device_id!r}")
        return device.run_command(name, args, kwargs)

    def simulate(self, device_id: str, action: str, arg: str | None = None,
                 at: float | None = None) -> None:
        """Play a visitor: `press` a button, `motion` on a PIR, `tag` a reader. `at`: when the
        visitor did it on the loop's clock (None: now)."""
        values = self.visitor_values(device_id, action, arg)
        backend = self.backends.get(self.device_backend.get(device_id, ""))
        device = self.devices[device_id]
        if device.ctx.simulated and device_id not in getattr(backend, "inputs", {}):
            for value in values:  # a device with no input pin (a camera) takes them itself
                device.on_input(value)
            return
        if not isinstance(backend, Playable):
            raise CommandError(f"{device_id} is on the {self.device_backend.get(device_id)} "
                               "backend; only simulated devices can be played")
        for value in values:
            backend.inject(device_id, value, at)

    def visitor_values(self, device_id: str, action: str, arg: str | None = None) -> list[Any]:
        """The input levels a visitor's `action` on `device_id` makes, in order (a driver for
        real hardware turns them into pin levels); CommandError if the device cannot do it."""
        device = self.devices.get(device_id)
        if device is None:
            raise CommandError(f"no device {device_id!r}; devices: {', '.join(self.devices)}")
        if action not in device.sim_actions:
            raise CommandError(f"{device_id} ({device.kind}) cannot {action!r}; it can: "
                               f"{', '.join(device.sim_actions) or 'nothing (it is an output)'}")
        return device.sim_values(action, arg)

    def subscribe(self, pattern: str, fn: Handler, name: str, *, value: Any = ANY_VALUE,
                  states: tuple[str, ...] = (), cooldown: float = 0.0, lockout: float = 0.0,
                  until: str | None = None) -> Subscription:
        """Subscribe a handler with trigger policies (what `@on` and rules use)."""
        trigger = Trigger(fn, name, self.loop, self.lockout, self._is_visitor, self.current_state,
                          value=value, states=states, cooldown=cooldown, lockout_seconds=lockout,
                          until=until)
        sub = self.bus.subscribe(pattern, trigger, name)
        self._subscriptions.append(sub)
        return sub

    def current_state(self) -> str:
        return self.states.current if self.states is not None else ""

    @property
    def seq(self) -> Any:
        assert self._ctx is not None
        return self._ctx.seq

    def emit(self, device_id: str, name: str, value: Any = None) -> None:
        """Post an event as if `device_id` had emitted it (links and tests use this)."""
        self.loop.post(Event(device_id, name, value, self.clock.time(), next(self.seq),
                             self.installation.node))

    # -- internals ---------------------------------------------------------------------
    def _backend(self, name: str, device_id: str) -> Backend:
        if name not in self.backends:
            known = plugins.registered(plugins.BACKENDS)
            if name not in known:
                raise StartError(f"device {device_id!r}: backend {name!r} is not installed "
                                 f"(installed: {', '.join(sorted(known))}); on a laptop, "
                                 "use `museokit sim`")
            try:
                cls = plugins.load(plugins.BACKENDS, name).opened_as()
                backend = cls(self.loop, cls.with_defaults(
                    self.installation.backend_options.get(name, {})))
                backend.availability = self._availability
                self.backends[name] = backend
            except (plugins.PluginError, BackendError, ImportError) as exc:
                raise StartError(f"backend {name!r} cannot start: {exc}") from exc
        return self.backends[name]

    def _availability(self, device_id: str, online: bool, reason: str) -> None:
        device = self.devices.get(device_id)
        if device is not None:
            device.set_online(online, reason)

    def _opening_hours(self, is_open: bool, first: bool) -> None:
        """The gallery opened or closed (or the installation started): wake or sleep every
        input and output, start an opening from the first state, and say so on the bus."""
        for device in self.devices.values():
            if device.role != "logic":
                device.wake() if is_open else device.sleep()
        if is_open and not first and self.states is not None:
            self.states.goto(self.states.initial)
        self.emit(SCHEDULE_ID, "open" if is_open else "closed")
        log.log(logging.DEBUG if first else logging.INFO, "%s: %s", self.installation.name,
                "open: awake" if is_open else "closed: asleep until opening time")

    def _is_visitor(self, event: Event) -> bool:
        return event.device in self.input_ids

    def _note_visitor(self, event: Event) -> None:
        if event.device in self.input_ids and self.states is not None:
            self.states.visitor_input()

    def _add_rule(self, rule: RuleConfig) -> None:
        actions = rule.actions

        def run_rule(event: Event) -> None:
            for action in actions:
                self._run_action(action)

        self.subscribe(rule.when, run_rule, f"{rule.describe()} ({rule.when})",
                       value=rule.value if rule.match_value else ANY_VALUE,
                       states=rule.in_state, cooldown=rule.cooldown, lockout=rule.lockout,
                       until=rule.until)

    def _run_action(self, action: Action) -> None:
        self.command(action.device, action.command, list(action.args), dict(action.kwargs))

