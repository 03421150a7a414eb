"""The behaviour API: what a maker writes in `behaviour.py` beside the TOML.

    from museokit import on, after, goto

    from museokit.installation import door, led

    @on("door.pressed")
    def toggle():
        led.toggle()

    @on("entrance.motion", state="attract")
    def wake(event):
        goto("engaged")
        after(2, led.off)

Handlers may take the event or nothing. Policies are keywords of `@on`:
`value=` (match the event's value), `state=` (only in these states),
`cooldown=` (seconds before it may fire again), `lockout=`/`until=` (ignore
visitor triggers for a while or until an event).

Devices come from `museokit.installation` (see there); they are also globals of the
module, by their id, so behaviour files written before that import keep working.
`museokit check` reads the file first (`museokit.core.lint`): undefined names and
misspelled device attributes are refused with line and suggestion.

This module is what `import museokit` loads, so it imports only what the API needs
at import time; loading a behaviour file pulls in the rest.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from museokit.core.events import ANY_VALUE, Event

if TYPE_CHECKING:
    from pathlib import Path

    from museokit.core.config import ConfigIssue
    from museokit.core.device import Device
    from museokit.core.host import Host
    from museokit.core.loop import Timer
    from museokit.core.uses import UseConfig

log = logging.getLogger("museokit.behaviour")

_local = threading.local()
_last: list[Host] = []


def activate(runtime: Host) -> None:
    """Make `runtime` the one the API functions act on, in this thread."""
    _local.runtime = runtime
    _last[:] = [runtime]


def _runtime() -> Host:
    runtime = getattr(_local, "runtime", None) or (_last[0] if _last else None)
    if runtime is None:
        raise RuntimeError("no installation is running: the behaviour API works inside a "
                           "behaviour module run by `museokit run` or `museokit sim`")
    return runtime


def current_runtime() -> Host:
    """The runtime the API acts on: the one loading or running behaviour in this thread."""
    return _runtime()


def on(pattern: str, *, value: Any = ANY_VALUE, state: str | list[str] | None = None,
       cooldown: float = 0.0, lockout: float = 0.0,
       until: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function when an event matching `pattern` happens."""
    states = (state,) if isinstance(state, str) else tuple(state or ())

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        from museokit.core.bus import event_handler

        runtime = _runtime()
        where = f"@on({pattern!r}) on {getattr(fn, '__name__', fn)}"
        _check_pattern(runtime, pattern, where)
        if until is not None:
            _check_pattern(runtime, until, f"{where}, until={until!r}")
        _check_states(runtime, states, where)
        runtime.subscribe(pattern, _bound(runtime, event_handler(fn)), _name(fn), value=value,
                          states=states, cooldown=cooldown, lockout=lockout, until=until)
        return fn

    return register


def enter(state_name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Run the decorated function each time the installation enters `state_name`."""
    return on(f"states.{state_name}")


def after(seconds: float, fn: Callable[..., Any] | None = None, *args: Any) -> Any:
    """Call `fn` once, `seconds` from now. Without fn, works as a decorator."""
    if fn is None:
        return lambda f: after(seconds, f, *args)
    runtime = _runtime()
    return runtime.loop.call_later(seconds, _bound(runtime, fn), *args, name=_name(fn))


def every(seconds: float, fn: Callable[..., Any] | None = None, *args: Any) -> Any:
    """Call `fn` every `seconds`, the first time `seconds` from now. Returns a Timer to cancel."""
    if fn is None:
        return lambda f: every(seconds, f, *args)
    runtime = _runtime()
    timer: Timer = runtime.loop.call_every(seconds, _bound(runtime, fn), *args, name=_name(fn))
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
    runtime = _runtime()
    if until is not None:
        _check_pattern(runtime, until, f"lockout(until={until!r})")
    runtime.lockout.engage(seconds, until)


def device(device_id: str) -> Device:
    """The device with this id (`from museokit.installation import door` says it once)."""
    return _runtime().devices[device_id]


def emit(device_id: str, name: str, value: Any = None) -> None:
    """Post a custom event, for instance `emit("story", "chapter", 2)`."""
    _runtime().emit(device_id, name, value)


def do(*actions: str) -> None:
    """Run actions written like a rule's `do`: `do("ring.fill warm", "spot.off")`."""
    from museokit.core.rules import parse_action

    runtime = _runtime()
    for text in actions:
        action = parse_action(text)
        runtime.command(action.device, action.command, list(action.args), dict(action.kwargs))


class Options:
    """The installation's `[options]` table, read when used: `options.greeting`."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = _runtime().installation.options
        if name not in values:
            from museokit.core.suggest import suggest

            hint = suggest(name, values) or "add it to [options] in installation.toml"
            raise AttributeError(f"installation.toml [options] has no {name!r} — {hint}")
        return values[name]

    def __repr__(self) -> str:
        return f"<museokit options {_runtime().installation.options!r}>"


#: `from museokit import options`; `options.greeting` is `greeting` of `[options]`.
options = Options()


def load(runtime: Host) -> ModuleType:
    """Import the installation's behaviour module with its devices as globals.

    Errors raised while importing are reported with the file and line, and the
    installation does not start.
    """
    from museokit.core.config import InstallationError
    from museokit.core.lint import check_behaviour

    path = runtime.installation.behaviour
    assert path is not None
    activate(runtime)
    try:
        problems = check_behaviour(path, runtime.installation)
    except Exception as exc:  # a gap in the reader must not keep a gallery piece from starting
        log.warning("%s was not checked before running (%s: %s); it runs unchecked",
                    path.name, type(exc).__name__, exc)
        problems = []
    if problems:
        raise InstallationError(problems)
    runtime.custom_events = _emitted_events(path)
    return _exec(runtime, path, f"museokit_behaviour_{runtime.installation.site}",
                 runtime.installation.options)


def load_brick(runtime: Host, use: UseConfig) -> ModuleType:
    """Run a behaviour brick (`[[uses]]`) like the behaviour module, with its own options:
    the defaults of its brick.toml `[options]`, then the installation's."""
    import contextlib
    import tomllib

    from museokit.core.config import ConfigIssue, InstallationError
    from museokit.core.uses import BRICK_MODULE, BrickNotFound, brick_folder

    try:
        folder = brick_folder(use, runtime.installation.folder)
    except BrickNotFound as exc:
        raise InstallationError([ConfigIssue(str(runtime.installation.file), None,
                                             f"uses[{use.index}]", str(exc),
                                             "`museokit check` says how to get it")]) from None
    path = folder / BRICK_MODULE
    defaults: dict[str, Any] = {}
    with contextlib.suppress(OSError, tomllib.TOMLDecodeError):
        found = tomllib.loads((folder / "brick.toml").read_text(encoding="utf-8")).get("options")
        defaults = found if isinstance(found, dict) else {}
    for dev, names in _emitted_events(path).items():
        known = runtime.custom_events.get(dev, set())
        runtime.custom_events[dev] = None if names is None or known is None else known | names
    slug = "".join(c if c.isalnum() else "_" for c in use.brick)
    activate(runtime)
    return _exec(runtime, path, f"museokit_brick_{runtime.installation.site}_{use.index}_{slug}",
                 {**defaults, **use.options}, add_path=False)


def _exec(runtime: Host, path: Path, name: str, options: dict[str, Any],
          add_path: bool = True) -> ModuleType:
    """Run the module at `path` as `name`, with the devices and `options` as its globals."""
    import importlib.util

    from museokit.core.config import InstallationError
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    for dev_id, dev in runtime.devices.items():
        setattr(module, dev_id, dev)
    module.options = SimpleNamespace(**options)  # type: ignore[attr-defined]
    module.log = log  # type: ignore[attr-defined]
    # A maker splits a long behaviour into files beside it (`import stories`).
    folder = str(path.parent.resolve())
    if add_path and folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise InstallationError([_issue_from_exception(path, exc)]) from exc
    return module


def _issue_from_exception(path: Path, exc: Exception) -> ConfigIssue:
    import traceback
    from pathlib import Path

    from museokit.core.config import ConfigIssue

    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    if isinstance(exc, SyntaxError):
        line = exc.lineno
    return ConfigIssue(str(path), line, "", f"{type(exc).__name__}: {exc}",
                       "the installation did not start; fix the behaviour module")


def _bound(runtime: Host, fn: Callable[..., Any]) -> Callable[..., Any]:
    """`fn`, made to act on `runtime` when the loop calls it (several may share a process)."""

    from museokit.core.bus import callable_name

    def call(*args: Any) -> Any:
        activate(runtime)
        return fn(*args)

    call.museokit_name = callable_name(fn)  # type: ignore[attr-defined]
    return call


def _emitted_events(path: Path) -> dict[str, set[str] | None]:
    """Custom events the module `emit()`s: `emit("story", "chapter")` -> {"story": {"chapter"}}.

    A device whose event name is computed (`emit("story", name)`) accepts any event (None).
    """
    import ast

    found: dict[str, set[str] | None] = {}
    try:
        tree = ast.parse(path.read_bytes(), str(path))
    except (SyntaxError, ValueError, OSError):
        return found
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or len(node.args) < 2:
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else (
            func.attr if isinstance(func, ast.Attribute) else "")
        dev, name = node.args[0], node.args[1]
        if called != "emit" or not (isinstance(dev, ast.Constant) and isinstance(dev.value, str)):
            continue
        names = found.setdefault(dev.value, set())
        if isinstance(name, ast.Constant) and isinstance(name.value, str):
            if names is not None:
                names.add(name.value)
        else:
            found[dev.value] = None
    return found


def _check_pattern(runtime: Host, pattern: str, where: str) -> None:
    """Refuse `@on("dor.pressed")` at load time instead of never firing."""
    from museokit.core.suggest import suggest

    dev_id, sep, name = pattern.partition(".")
    events: dict[str, tuple[str, ...] | None] = dict(runtime.installation.event_names())
    for custom, names in runtime.custom_events.items():
        known_names = events.get(custom, ())
        events[custom] = None if names is None or known_names is None else (
            *known_names, *sorted(names))
    if not sep or "*" in dev_id or "?" in dev_id:
        return
    if dev_id not in events and dev_id not in runtime.devices:
        hint = suggest(dev_id, events)
        raise ValueError(f"{where}: no device {dev_id!r}{'; ' + hint if hint else ''}")
    known = events.get(dev_id, ())
    if known and "*" not in name and "?" not in name and name not in known:
        hint = suggest(name, known) or f"its events: {', '.join(known)}"
        raise ValueError(f"{where}: {dev_id} has no event {name!r}; {hint}")


def _check_states(runtime: Host, states: tuple[str, ...], where: str) -> None:
    """Refuse `@on(..., state="engagd")`, which would never fire."""
    from museokit.core.suggest import suggest

    names = [s.name for s in runtime.installation.states]
    for name in states:
        if name not in names:
            hint = (suggest(name, names) or f"states: {', '.join(names)}" if names else
                    "declare it as [[states]] in installation.toml")
            raise ValueError(f"{where}: no state {name!r}; {hint}")


def _name(fn: Callable[..., Any]) -> str:
    from museokit.core.bus import callable_name

    code = getattr(fn, "__code__", None)
    if code is not None:
        return f"{os.path.basename(code.co_filename)}:{code.co_firstlineno} {fn.__name__}"
    return callable_name(fn)


__all__ = ["Event", "after", "device", "do", "emit", "enter", "every", "goto", "lockout", "on",
           "options", "state"]
