"""The behaviour API: what a maker writes in `behaviour.py` beside the TOML.

    from toolkit import on, after, goto

    @on("door.pressed")
    def toggle():
        led.toggle()              # every device is a global, by its id

    @on("entrance.motion", state="attract")
    def wake(event):
        goto("engaged")
        after(2, led.off)

Handlers may take the event or nothing. Policies are keywords of `@on`:
`value=` (match the event's value), `state=` (only in these states),
`cooldown=` (seconds before it may fire again), `lockout=`/`until=` (ignore
visitor triggers for a while or until an event).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from toolkit.core.bus import callable_name, event_handler
from toolkit.core.config import ConfigIssue, InstallationError, suggest
from toolkit.core.device import Device
from toolkit.core.events import Event
from toolkit.core.loop import Timer
from toolkit.core.triggers import ANY_VALUE

if TYPE_CHECKING:
    from toolkit.core.runtime import Runtime

log = logging.getLogger("museokit.behaviour")

_local = threading.local()
_last: list[Runtime] = []


def activate(runtime: Runtime) -> None:
    """Make `runtime` the one the API functions act on, in this thread."""
    _local.runtime = runtime
    _last[:] = [runtime]


def _runtime() -> Runtime:
    runtime = getattr(_local, "runtime", None) or (_last[0] if _last else None)
    if runtime is None:
        raise RuntimeError("no installation is running: the behaviour API works inside a "
                           "behaviour module run by `museokit run` or `museokit sim`")
    return runtime


def on(pattern: str, *, value: Any = ANY_VALUE, state: str | list[str] | None = None,
       cooldown: float = 0.0, lockout: float = 0.0,
       until: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function when an event matching `pattern` happens."""
    states = (state,) if isinstance(state, str) else tuple(state or ())

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        runtime = _runtime()
        _check_pattern(runtime, pattern, fn)
        runtime.subscribe(pattern, event_handler(fn), _name(fn), value=value, states=states,
                          cooldown=cooldown, lockout=lockout, until=until)
        return fn

    return register


def enter(state_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function each time the installation enters `state_name`."""
    return on(f"states.{state_name}")


def after(seconds: float, fn: Callable[..., Any] | None = None, *args: Any) -> Any:
    """Call `fn` once, `seconds` from now. Without fn, works as a decorator."""
    if fn is None:
        return lambda f: after(seconds, f, *args)
    return _runtime().loop.call_later(seconds, fn, *args, name=_name(fn))


def every(seconds: float, fn: Callable[..., Any] | None = None, *args: Any) -> Any:
    """Call `fn` every `seconds`, the first time `seconds` from now. Returns a Timer to cancel."""
    if fn is None:
        return lambda f: every(seconds, f, *args)
    timer: Timer = _runtime().loop.call_every(seconds, fn, *args, name=_name(fn))
    return timer


def goto(state_name: str) -> None:
    """Enter a named state declared in `[[states]]`."""
    runtime = _runtime()
    if runtime.states is None:
        raise RuntimeError("goto() needs states: declare them as [[states]] in installation.toml")
    runtime.states.goto(state_name)


def state() -> str:
    """The current state's name ('' when the installation declares no states)."""
    return _runtime().current_state()


def lockout(seconds: float, until: str | None = None) -> None:
    """Ignore visitor triggers for `seconds`, or until the event `until` (whichever first)."""
    _runtime().lockout.engage(seconds, until)


def device(device_id: str) -> Device:
    """The device with this id (they are also globals of the behaviour module)."""
    return _runtime().devices[device_id]


def emit(device_id: str, name: str, value: Any = None) -> None:
    """Post a custom event, for instance `emit("story", "chapter", 2)`."""
    _runtime().emit(device_id, name, value)


def __getattr__(name: str) -> Any:
    if name == "options":
        return SimpleNamespace(**_runtime().installation.options)
    raise AttributeError(name)


def load(runtime: Runtime) -> ModuleType:
    """Import the installation's behaviour module with its devices as globals.

    Errors raised while importing are reported with the file and line, and the
    installation does not start.
    """
    path = runtime.installation.behaviour
    assert path is not None
    activate(runtime)
    name = f"museokit_behaviour_{runtime.installation.site}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    for dev_id, dev in runtime.devices.items():
        setattr(module, dev_id, dev)
    module.options = SimpleNamespace(**runtime.installation.options)  # type: ignore[attr-defined]
    module.log = log  # type: ignore[attr-defined]
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise InstallationError([_issue_from_exception(path, exc)]) from exc
    return module


def _issue_from_exception(path: Path, exc: Exception) -> ConfigIssue:
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    if isinstance(exc, SyntaxError):
        line = exc.lineno
    return ConfigIssue(str(path), line, "", f"{type(exc).__name__}: {exc}",
                       "the installation did not start; fix the behaviour module")


def _check_pattern(runtime: Runtime, pattern: str, fn: Callable[..., Any]) -> None:
    """Refuse `@on("dor.pressed")` at load time instead of never firing."""
    dev_id, sep, name = pattern.partition(".")
    events = runtime.installation.event_names()
    if not sep or "*" in dev_id or "?" in dev_id:
        return
    if dev_id not in events and dev_id not in runtime.devices:
        raise ValueError(f"@on({pattern!r}) on {fn.__name__}: no device {dev_id!r}"
                         f"{'; ' + suggest(dev_id, events) if suggest(dev_id, events) else ''}")
    known = events.get(dev_id, ())
    if known and "*" not in name and name not in known:
        hint = suggest(name, known) or f"its events: {', '.join(known)}"
        raise ValueError(f"@on({pattern!r}) on {fn.__name__}: {dev_id} has no event {name!r}; "
                         f"{hint}")


def _name(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    if code is not None:
        return f"{Path(code.co_filename).name}:{code.co_firstlineno} {fn.__name__}"
    return callable_name(fn)


__all__ = ["Event", "after", "device", "emit", "enter", "every", "goto", "lockout", "on",
           "state"]
