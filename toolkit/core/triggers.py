"""Trigger policies every installation needs: value match, state filter, cooldown, lockout.

A *visitor trigger* is a handler or rule fired by an input device (a button, a
sensor, a tag reader). While a lockout is engaged, for instance while a film
plays, visitor triggers are ignored; events from outputs and timers still pass,
so `screen.finished` can end the lockout.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from typing import Any

from museokit.core.bus import Handler, Subscription
from museokit.core.events import ANY_VALUE as ANY_VALUE  # re-exported: it lives with Event
from museokit.core.events import Event
from museokit.core.loop import Loop, Timer

log = logging.getLogger("museokit.triggers")


class Lockout:
    """Ignore visitor triggers for some seconds, or until an event, whichever comes first."""

    def __init__(self, loop: Loop) -> None:
        self.loop = loop
        self.until_event: str | None = None
        self._timer: Timer | None = None
        self._release_sub: Subscription | None = None
        self.engaged = False
        #: The event a trigger is handling now (set by Trigger), and the one that
        #: engaged the lockout: that event still reaches all of its handlers.
        self.current: Event | None = None
        self.engaged_by: Event | None = None
        #: Names of what pauses every visitor trigger now ("out of order", "maintenance").
        self.paused_by: set[str] = set()

    def engage(self, seconds: float, until: str | None = None) -> None:
        self.release()
        self.engaged = True
        self.engaged_by = self.current
        self.until_event = until
        if seconds > 0:
            self._timer = self.loop.call_later(seconds, self.release, name="lockout timer")
        if until:
            self._release_sub = self.loop.bus.subscribe(until, self._on_release_event,
                                                        name=f"lockout until {until}")
        log.debug("lockout engaged for %ss, until %s", seconds, until)

    def _on_release_event(self, event: Event) -> None:
        self.release()

    def release(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._release_sub is not None:
            self.loop.bus.unsubscribe(self._release_sub)
            self._release_sub = None
        self.engaged = False
        self.engaged_by = None

    def blocks(self, event: Event) -> bool:
        """True if a visitor trigger for `event` must be ignored now."""
        return bool(self.paused_by) or (self.engaged and event is not self.engaged_by)


class Trigger:
    """Wraps a handler with its policies; it is what the bus calls."""

    def __init__(self, fn: Handler, name: str, loop: Loop, lockout: Lockout,
                 is_visitor: Callable[[Event], bool], current_state: Callable[[], str],
                 *, value: Any = ANY_VALUE, states: Collection[str] = (), cooldown: float = 0.0,
                 lockout_seconds: float = 0.0, until: str | None = None) -> None:
        self.fn = fn
        self.museokit_name = name
        self.loop = loop
        self.lock = lockout
        self.is_visitor = is_visitor
        self.current_state = current_state
        self.value = value
        self.states = frozenset(states)
        self.cooldown = cooldown
        self.lockout_seconds = lockout_seconds
        self.until = until
        self.ready_at = float("-inf")

    def __call__(self, event: Event) -> Any:
        if self.value is not ANY_VALUE and event.value != self.value:
            return None
        if self.states and self.current_state() not in self.states:
            return None
        if self.lock.blocks(event) and self.is_visitor(event):
            log.debug("%s ignored %s: locked out", self.museokit_name, event.key)
            return None
        if self.cooldown:
            now = self.loop.clock.monotonic()
            if now < self.ready_at:
                log.debug("%s ignored %s: cooling down", self.museokit_name, event.key)
                return None
            self.ready_at = now + self.cooldown
        self.lock.current = event
        if self.lockout_seconds or self.until:
            self.lock.engage(self.lockout_seconds, self.until)
        return self.fn(event)
