"""The event bus: `<device>.<event>` names, wildcard subscriptions, isolated handlers.

Handlers run on the runtime loop's thread, one after the other. A handler that
raises is logged with its name and the event, counted, and the others still run.

A handler that runs longer than `slow_threshold` seconds is named in a warning.
Timing every handler would cost two clock reads each (about 140 ns here, more
than the dispatch itself), so the bus only marks which handler is `running`;
in real time the `Watchdog` thread watches that mark and names a handler while
it blocks (even one that never returns). The simulator sets `profile = True`,
which times every handler exactly, for the slowest-handler report.

Dispatch resolves each event name to a tuple of handlers once and caches it, so
publishing costs a dict lookup and a loop, even with wildcard subscriptions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from time import perf_counter
from typing import Any

from museokit.core.arguments import excerpt
from museokit.core.events import Event
from museokit.core.ratelog import RateLimitedLog

log = logging.getLogger("museokit.bus")

Handler = Callable[[Event], Any]
StateWatcher = Callable[[str, dict[str, Any]], Any]


def callable_name(fn: Callable[..., Any]) -> str:
    """A name a maker recognises: `behaviour.toggle` rather than `<function ...>`."""
    named = getattr(fn, "museokit_name", None)
    if isinstance(named, str):
        return named
    module = getattr(fn, "__module__", None) or "?"
    return f"{module}.{getattr(fn, '__qualname__', repr(fn))}"


@dataclass
class HandlerStats:
    """What went wrong or slow in handlers and timers since start."""

    errors: int = 0
    slow_warnings: int = 0
    slowest_name: str = ""
    slowest_seconds: float = 0.0
    slowest_event: str = ""
    errors_by_handler: dict[str, int] = field(default_factory=dict)
    #: Called with (handler name, what it was handling, exception) after each error is
    #: logged: the scenario runner and the simulator list errors this way.
    error_listeners: list[Callable[[str, str, BaseException], Any]] = field(default_factory=list)

    #: Handler errors in the log: a handler failing on every event logs a few a minute.
    error_log: RateLimitedLog = field(
        default_factory=lambda: RateLimitedLog(log, "handler errors"))

    def record_error(self, name: str, what: str, exc: BaseException) -> None:
        self.errors += 1
        self.errors_by_handler[name] = self.errors_by_handler.get(name, 0) + 1
        self.error_log(logging.ERROR, "handler %s failed on %s: %s: %s", name, what,
                       type(exc).__name__, excerpt(str(exc), 300),
                       exc_info=exc if log.isEnabledFor(logging.DEBUG) else None)
        for listener in self.error_listeners:
            listener(name, what, exc)

    def note_duration(self, name: str, what: str, seconds: float, threshold: float) -> None:
        """A measured run: keep the slowest, and warn if it went over `threshold`."""
        self.note_slowest(name, what, seconds)
        if seconds > threshold:
            self.slow_warnings += 1
            log.warning("handler %s blocked the loop for %.0f ms on %s (limit %.0f ms); "
                        "move slow work to after() or a thread", name, seconds * 1000, what,
                        threshold * 1000)

    def note_slowest(self, name: str, what: str, seconds: float) -> None:
        if seconds > self.slowest_seconds:
            self.slowest_seconds, self.slowest_name, self.slowest_event = seconds, name, what


class Subscription:
    __slots__ = ("handler", "name", "pattern")

    def __init__(self, pattern: str, handler: Handler, name: str) -> None:
        self.pattern = pattern
        self.handler = handler
        self.name = name

    def matches(self, key: str) -> bool:
        return self.pattern == key or fnmatchcase(key, self.pattern)


class Bus:
    """Publish/subscribe for events, plus watchers for device state."""

    def __init__(self, slow_threshold: float = 0.1) -> None:
        self.slow_threshold = slow_threshold
        self.stats = HandlerStats()
        self.published = 0
        self._subs: list[Subscription] = []
        self._taps: list[Subscription] = []
        self._state_watchers: list[StateWatcher] = []
        self._cache: dict[str, tuple[tuple[str, Handler, str], ...]] = {}
        #: "handler on event" while a handler, timer or posted call runs; None between.
        #: Read by the Watchdog thread.
        self.running: str | None = None
        #: Timers and posted calls run through `call()` so far (for the Watchdog).
        self.calls = 0
        #: Time every handler exactly (the simulator's slowest-handler report).
        self.profile = False

    def subscribe(self, pattern: str, handler: Handler, name: str | None = None) -> Subscription:
        """Call `handler(event)` for events whose name matches `pattern`.

        Patterns are event names with shell wildcards: `door.pressed`, `door.*`,
        `*.pressed`, `*`.
        """
        sub = Subscription(pattern, handler, name or callable_name(handler))
        self._subs.append(sub)
        self._cache.clear()
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._cache.clear()

    def tap(self, handler: Handler, name: str | None = None) -> Subscription:
        """Observe every event before the handlers run (links, recorders, logs)."""
        return self.subscribe_first("*", handler, name)

    def subscribe_first(self, pattern: str, handler: Handler, name: str | None = None) -> Subscription:
        sub = Subscription(pattern, handler, name or callable_name(handler))
        self._taps.append(sub)
        self._cache.clear()
        return sub

    def untap(self, sub: Subscription) -> None:
        if sub in self._taps:
            self._taps.remove(sub)
            self._cache.clear()

    def watch_state(self, watcher: StateWatcher) -> None:
        """Call `watcher(device_id, state)` whenever a device's state changes."""
        self._state_watchers.append(watcher)

    def unwatch_state(self, watcher: StateWatcher) -> None:
        if watcher in self._state_watchers:
            self._state_watchers.remove(watcher)

    def publish(self, event: Event) -> None:
        """Run every matching handler now, on the calling (loop) thread."""
        self.published += 1
        try:
            handlers = self._cache[event.key]
        except KeyError:
            handlers = self._resolve(event.key)
        if self.profile:
            self._publish_timed(event, handlers)
            return
        for name, fn, label in handlers:
            self.running = label
            try:
                fn(event)
            except Exception as exc:
                self.stats.record_error(name, event.key, exc)
        self.running = None

    def _publish_timed(self, event: Event, handlers: tuple[tuple[str, Handler, str], ...]) -> None:
        stats, threshold = self.stats, self.slow_threshold
        for name, fn, label in handlers:
            self.running = label
            t0 = perf_counter()
            try:
                fn(event)
            except Exception as exc:
                stats.record_error(name, event.key, exc)
            stats.note_duration(name, event.key, perf_counter() - t0, threshold)
        self.running = None

    def call(self, name: str, what: str, fn: Callable[..., Any], *args: Any) -> None:
        """Run a timer or a posted call like a handler: marked, isolated, timed when profiling."""
        self.calls += 1
        self.running = f"{name} on {what}"
        t0 = perf_counter() if self.profile else 0.0
        try:
            fn(*args)
        except Exception as exc:
            self.stats.record_error(name, what, exc)
        finally:
            self.running = None
        if self.profile:
            self.stats.note_duration(name, what, perf_counter() - t0, self.slow_threshold)

    def publish_state(self, device: str, state: dict[str, Any]) -> None:
        for watcher in tuple(self._state_watchers):
            try:
                watcher(device, state)
            except Exception as exc:
                self.stats.record_error(callable_name(watcher), f"{device} state", exc)

    def has_subscribers(self, key: str) -> bool:
        return bool(self._cache.get(key) or self._resolve(key))

    def _resolve(self, key: str) -> tuple[tuple[str, Handler, str], ...]:
        found = tuple((s.name, s.handler, f"{s.name} on {key}")
                      for s in (*self._taps, *self._subs) if s.matches(key))
        self._cache[key] = found
        return found


def event_handler(fn: Callable[..., Any]) -> Handler:
    """Accept handlers written as `def f(event)` or, for beginners, `def f()`."""
    import inspect

    try:
        params = [p for p in inspect.signature(fn).parameters.values()
                  if p.default is p.empty and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        varargs = any(p.kind == p.VAR_POSITIONAL for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return fn
    if params or varargs:
        return fn

    def call_without_event(event: Event) -> Any:
        return fn()

    call_without_event.museokit_name = callable_name(fn)  # type: ignore[attr-defined]
    return call_without_event
