"""A simulated installation running live, on its own thread, reloaded when its files change.

Both faces of `museokit sim` use it: the headless console and the window. The
runtime loop runs on a background thread (the window owns the main thread); the
clock is a `ScaledClock`, so the window can pause it, run it ten times faster or
step it.

Hot reload: `reload_if_changed()` polls the modification times of the
installation file and the Python files beside it (portable, no watcher library).
A changed installation is loaded and started *beside* the running one; only if
that works is the old runtime stopped and closed and the new one put in its
place, on the same clock, with the simulated inputs that were held (a button
down, a tag on the reader, a distance) played again. If it fails, the old version
keeps running and `error` holds one line naming the file, line and fix.
"""

from __future__ import annotations

import logging
import shlex
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museokit.backends.sim import SimBackend
from museokit.core.clock import ScaledClock
from museokit.core.config import Installation, InstallationError, load_installation, parse_action
from museokit.core.device import CommandError
from museokit.core.plugins import PluginError
from museokit.core.runtime import Runtime, StartError
from museokit.sim.scenario import CLICK_TIME

log = logging.getLogger("museokit.sim")

#: How long to wait for a stopped loop thread before closing its devices anyway.
_JOIN_TIMEOUT = 5.0


@dataclass(frozen=True)
class Step:
    """Something the person at the simulator did, as a scenario line (`press door`, `do lamp.on`)."""

    t: float
    line: str


RuntimeHook = Callable[[Runtime], None]
StepHook = Callable[[Step], None]


class FileWatcher:
    """Notices saves of an installation's TOML file and of the Python files beside it."""

    def __init__(self, installation_file: Path) -> None:
        self.file = installation_file
        self._seen = self._snapshot()

    def _snapshot(self) -> dict[Path, tuple[int, int]]:
        files = [self.file, *sorted(self.file.parent.glob("*.py"))]
        stamps = {}
        for path in files:
            try:
                st = path.stat()
            except OSError:
                continue  # an editor may replace the file while we look; the next poll sees it
            stamps[path] = (st.st_mtime_ns, st.st_size)
        return stamps

    def changed(self) -> bool:
        now = self._snapshot()
        if now == self._seen:
            return False
        self._seen = now
        return True


class LiveSession:
    """One installation running in (scaled) real time with simulated devices."""

    def __init__(self, installation: Installation, clock: ScaledClock | None = None,
                 backend_override: str | None = "sim", hot_reload: bool = True) -> None:
        self.installation = installation
        #: None keeps each device's backend (a node of a multi-node installation: its own
        #: devices on sim, the others' on mqtt); such a node does not hot-reload.
        self.backend_override = backend_override
        self.hot_reload = hot_reload
        self.clock = clock or ScaledClock()
        self.watcher = FileWatcher(installation.file)
        #: Called with each reloaded installation before it starts (to apply command-line options).
        self.on_load: list[Callable[[Installation], None]] = []
        #: Called with each new runtime before it starts (to tap its bus from the first event).
        self.before_start: list[RuntimeHook] = []
        #: Called with each runtime once it is the running one, before its loop runs.
        self.on_swap: list[RuntimeHook] = []
        #: Called on the loop thread with each visitor action or command played.
        self.on_step: list[StepHook] = []
        #: Why the last reload was refused (one line), or None when the running version is current.
        self.error: str | None = None
        self.reloads = 0
        #: Clock time at which the running runtime started: time 0 of a recorded scenario.
        self.started_at = 0.0
        self._started_at = 0.0
        self.levels: dict[str, tuple[str, str | None]] = {}
        self.runtime: Runtime | None = None
        self._thread: threading.Thread | None = None
        self._closing = False
        self.ended = threading.Event()
        #: Why the loop ended by itself (a crash, or `quit`), for the window's node panel.
        self.end_reason = ""
        self._links: list[Any] = []

    # -- life ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start the first version; raises InstallationError or StartError like `Runtime.start`."""
        runtime = self._started(self.installation)
        self._commit(runtime)

    def _started(self, installation: Installation) -> Runtime:
        runtime = Runtime(installation, clock=self.clock, backend_override=self.backend_override)
        for hook in self.before_start:
            hook(runtime)
        self._started_at = self.clock.monotonic()
        runtime.start()
        return runtime

    def _commit(self, runtime: Runtime) -> None:
        old, self.runtime = self.runtime, runtime
        if old is not None:
            self._stop(old)
        self.started_at = self._started_at
        for hook in self.on_swap:
            hook(runtime)
        self._restore_levels(runtime)
        self._thread = threading.Thread(target=self._serve, args=(runtime,), daemon=True,
                                        name=f"museokit loop ({runtime.installation.node})")
        self._thread.start()

    def _serve(self, runtime: Runtime) -> None:
        try:
            runtime.run_forever()
            reason = "stopped"
        except Exception as exc:  # the node died: say so instead of vanishing
            log.exception("the loop of %s died", runtime.installation.name)
            reason = f"died: {type(exc).__name__}: {exc}"
        if runtime is self.runtime and not self._closing:
            self.end_reason = reason
            self.ended.set()

    def _stop(self, runtime: Runtime) -> None:
        runtime.stop()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(_JOIN_TIMEOUT)
        runtime.close()

    def close(self) -> None:
        """Stop the loop and close every device; safe to call twice and from any thread."""
        self._closing = True
        if self.runtime is not None and self.runtime.started:
            self._stop(self.runtime)
        while self._links:
            self._links.pop().close()
        self.ended.set()

    def join_broker(self, settings: Any) -> None:
        """Run as one node of a multi-node installation: each version joins the broker with a
        `museokit.net.link.Link` (`settings`: its `LinkSettings`), closed with the session.
        Call before `start()`; raises ImportError without paho-mqtt."""
        from museokit.net.link import Link

        self.before_start.append(lambda runtime: self._links.append(Link(runtime, settings)))
        self.on_swap.append(lambda runtime: self._links[-1].start())

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- hot reload ------------------------------------------------------------------------
    def reload_if_changed(self) -> bool | None:
        """Reload if a file changed: True when reloaded, False when refused, None if unchanged."""
        if self._closing or not self.hot_reload or not self.watcher.changed():
            return None
        return self.reload()

    def reload(self) -> bool:
        try:
            installation = load_installation(self.installation.file)
            for hook in self.on_load:
                hook(installation)
            self._forget_helper_modules()
            runtime = self._started(installation)
        except InstallationError as exc:
            more = len(exc.issues) - 1
            return self._refuse(f"{exc.issues[0]}" + (f" (and {more} more)" if more > 0 else ""))
        except (StartError, PluginError, ValueError) as exc:
            return self._refuse(f"{self.installation.file}: {exc}")
        self.installation = installation
        self._commit(runtime)
        self.error = None
        self.reloads += 1
        log.info("reloaded %s", installation.file)
        return True

    def _refuse(self, problem: str) -> bool:
        self.error = problem
        log.error("reload refused, the previous version keeps running: %s", problem)
        return False

    def _forget_helper_modules(self) -> None:
        """Drop modules imported from the installation folder, so `import stories` re-reads them."""
        folder = self.installation.folder.resolve()
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and Path(file).resolve().parent == folder:
                del sys.modules[name]

    def _restore_levels(self, runtime: Runtime) -> None:
        """Play again what the visitor was still doing: a held button, a tag, a distance."""
        held, self.levels = self.levels, {}
        for device_id, (action, arg) in held.items():
            device = runtime.devices.get(device_id)
            if device is not None and action in device.sim_actions:
                self.play(device_id, action, arg)

    # -- playing a visitor ---------------------------------------------------------------------
    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run `fn(*args)` on the loop thread of the running version. Safe from any thread."""
        if self.runtime is not None:
            self.runtime.loop.call_soon_threadsafe(fn, *args)

    def play(self, device_id: str, action: str, arg: str | None = None,
             at: float | None = None) -> None:
        """A visitor action, on the loop thread; raises CommandError when refused. `at`: when
        the visitor acted (stamped where it happened; None: now)."""
        runtime = self._running()
        t = self.clock.monotonic()  # noted when the loop plays it: after the events before it
        runtime.simulate(device_id, action, arg, at)
        backend = runtime.backends.get("sim")
        channel = backend.inputs.get(device_id) if isinstance(backend, SimBackend) else None
        if channel is not None and not channel.idle:
            self.levels[device_id] = (action, arg)
        else:
            self.levels.pop(device_id, None)
        words = [action, device_id] if arg is None else [action, device_id, arg]
        self._note(t, " ".join(shlex.quote(w) for w in words))

    def click(self, device_id: str) -> None:
        """Press a button and release it 0.1 s later (clock time), on the loop thread."""
        self.play(device_id, "press")
        self._running().loop.call_later(CLICK_TIME, self._logged, self.play, device_id, "release")

    def run_command(self, text: str) -> Any:
        """`lamp.blink n=3`, on the loop thread; raises CommandError (or ValueError) when refused."""
        action = parse_action(text)
        t = self.clock.monotonic()
        result = self._running().command(action.device, action.command, list(action.args),
                                         dict(action.kwargs))
        self._note(t, f"do {text.strip()}")
        return result

    def act(self, device_id: str, action: str, arg: str | None = None) -> None:
        """`play` from any thread (the window); a refusal is logged, not raised."""
        self.post(self._logged, self.play, device_id, action, arg, self.clock.monotonic())

    def command(self, text: str) -> None:
        """`run_command` from any thread."""
        self.post(self._logged, self.run_command, text)

    def sync(self, timeout: float = 5.0) -> bool:
        """Wait until the loop has run everything posted so far (tests, screenshots)."""
        done = threading.Event()
        self.post(done.set)
        return done.wait(timeout)

    def set_rate(self, rate: float) -> None:
        self.clock.set_rate(rate)
        self.post(_wake)

    def step(self, seconds: float) -> None:
        self.clock.step(seconds)
        self.post(_wake)

    @staticmethod
    def _logged(fn: Callable[..., Any], *args: Any) -> None:
        try:
            fn(*args)
        except (CommandError, ValueError) as exc:
            log.warning("%s", exc)

    def _running(self) -> Runtime:
        if self.runtime is None:
            raise CommandError("the installation is not running")
        return self.runtime

    def _note(self, t: float, line: str) -> None:
        step = Step(t - self.started_at, line)
        for hook in self.on_step:
            hook(step)


def _wake() -> None:
    """Posted after a clock change: the loop wakes up and recomputes how long to sleep."""
