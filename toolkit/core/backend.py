"""Backends turn a device's pins into real (or virtual) I/O.

A device asks its backend for *channels* by signal type, never for a library:

    inputs:  "digital" (bool), "analog" (0..1), "distance" (cm), "tag" (id or None),
             "touch" (bit mask of the pads touched), "rotary" (steps turned, signed)
    outputs: "digital" (bool), "pwm" (0..1), "servo" (pulse width, s),
             "tone" (Hz or None), "pixels" (list of (r, g, b))

Common output parameters: `active_high` (false: the output is on when its pin is
low) and `in_step` (true: one of several outputs that animate together, like an
RGB LED's three colours, so a backend must not run its patterns on separate
timers that could drift apart; stepping them on the loop's clock is always right).

Input channels call their `sink(value)` **on the runtime loop's thread**: a
backend whose library calls back on its own thread hands the value over with
`loop.call_soon_threadsafe`. A backend that knows when a level changed passes it
too, `sink(value, at)`, as a `loop.clock.monotonic()` time read at the edge (or
the edge's age subtracted from it): then debounce, hold and clicks measure the
edges themselves, not when a busy loop got round to them. Without `at` the
reading counts as happening when the loop handles it. New backends register in
the `museokit.backends` entry-point group.

A backend may take options from a top-level table of the installation file named
after it (`[serial]`), declared in `settings` and checked by `museokit check` like
device options, and may check each device it will serve (`check_device`: a missing
`board`, a pin the hardware does not have) before anything starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol, runtime_checkable

from museokit.core.loop import Loop, Timer
from museokit.core.options import Option, OptionError
from museokit.core.pins import PinRef
from museokit.core.report import KeyPath, Report
from museokit.core.waveforms import Blink, PixelAnimation, Pulse

Pattern = Blink | Pulse | PixelAnimation


class DeviceDecl(Protocol):
    """A device as the installation file declares it, as far as a backend checks it.

    `museokit.core.config.DeviceConfig` is one; the backend layer sits below the
    installation file's model, so it names only what it reads.
    """

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def board(self) -> str | None: ...
    @property
    def pins(self) -> dict[str, PinRef]: ...
    @property
    def options(self) -> dict[str, Any]: ...
    #: The kind's class (a `museokit.core.device.Device`; named loosely, since the device
    #: layer imports this one).
    @property
    def cls(self) -> Any: ...


class Sink(Protocol):
    """Where an input channel delivers readings: `sink(value)` or `sink(value, at)`."""

    def __call__(self, value: Any, at: float | None = None) -> None: ...


#: (device id, online, reason): how a backend reports hardware going away or coming back.
Availability = Callable[[str, bool, str], None]

INPUT_SIGNALS = ("digital", "analog", "distance", "tag", "touch", "rotary")
OUTPUT_SIGNALS = ("digital", "pwm", "servo", "tone", "pixels")


class BackendError(RuntimeError):
    """A backend cannot provide what a device asked for; the message says why."""


class InputChannel:
    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.value: Any = None

    def close(self) -> None:
        """Release the underlying pin or port."""


class OutputChannel:
    """Base output: `write` a level; `animate` a pattern (stepped on the clock by default)."""

    def __init__(self, loop: Loop, signal: str) -> None:
        self.loop = loop
        self.signal = signal
        self.value: Any = None
        self._animator: SoftwareAnimator | None = None

    def write(self, value: Any) -> None:
        self.stop_animation()
        self._write(value)

    def animate(self, pattern: Pattern) -> None:
        self.stop_animation()
        self._animator = SoftwareAnimator(self, pattern)

    def stop_animation(self) -> None:
        if self._animator is not None:
            self._animator.stop()
            self._animator = None

    def close(self) -> None:
        self.stop_animation()

    def _write(self, value: Any) -> None:
        """Set the physical output. Subclasses override this."""
        self.value = value


def pattern_value(signal: str, pattern: Pattern, t: float) -> Any:
    """What `pattern` puts on an output of type `signal`, `t` seconds after it started."""
    if isinstance(pattern, PixelAnimation):
        return pattern.frame_at(t)
    level = pattern.level_at(t)
    if signal == "digital":
        return level > 0
    if signal == "tone":  # a beep pattern's level is its pitch; 0 is silence (None)
        return level or None
    return level


class SoftwareAnimator:
    """Steps a pattern on the loop's clock for outputs that cannot run it natively."""

    def __init__(self, channel: OutputChannel, pattern: Pattern) -> None:
        self.channel = channel
        self.pattern = pattern
        self.start = channel.loop.clock.monotonic()
        self._timer: Timer = channel.loop.call_every(pattern.step, self._tick, first=0.0,
                                                     name=f"{type(pattern).__name__} animation")

    def _tick(self) -> None:
        t = self.channel.loop.clock.monotonic() - self.start
        done = self.pattern.duration is not None and t >= self.pattern.duration
        self.channel._write(pattern_value(self.channel.signal, self.pattern, t))
        if done:
            self.stop()

    def stop(self) -> None:
        self._timer.cancel()


class Backend:
    """Base class of every backend. Subclasses set `name` and the signals they support."""

    name: ClassVar[str] = ""
    #: One line on where devices on this backend are wired, for the reference (docs/devices.md).
    wiring: ClassVar[str] = ""
    input_signals: ClassVar[tuple[str, ...]] = ()
    output_signals: ClassVar[tuple[str, ...]] = ()
    #: Keys of the backend's own table in the installation file (`[serial] baud = 115200`);
    #: their values, defaults filled in, are the instance's `options`.
    settings: ClassVar[dict[str, Option]] = {}

    def __init__(self, loop: Loop, options: dict[str, Any] | None = None) -> None:
        self.loop = loop
        self.options = options or {}
        self.availability: Availability = _ignore_availability

    @classmethod
    def with_defaults(cls, opts: dict[str, Any]) -> dict[str, Any]:
        return {name: opt.default for name, opt in cls.settings.items()} | opts

    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        """Problems between several of the backend's options, as (key, message) pairs."""
        return []

    @classmethod
    def opened_as(cls) -> type[Backend]:
        """The class the runtime opens: this one, unless the checks are kept apart from a
        heavy hardware library (the gpio backend's `gpio_zero.ZeroBackend`)."""
        return cls

    @classmethod
    def check_device(cls, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
        """Why this backend cannot serve `device` as declared, as (key, message) pairs.

        `opts` are the backend's options, defaults included. Called by the installation
        check for every device that names this backend (or inherits it as the default).
        """
        return []

    @classmethod
    def device_notes(cls, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
        """What `check` should say about `device` on this backend without refusing it (the
        cost of a long LED strip), as (key, message) pairs."""
        return []

    @classmethod
    def check_together(cls, devices: list[DeviceDecl],
                       opts: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Problems between the devices this backend serves (two chips on one bus address),
        as (device id, key, message). Called once by the installation check."""
        return []

    def set_online(self, device_id: str, online: bool, reason: str = "") -> None:
        """Say a device's hardware went away or came back. Safe from any thread."""
        self.loop.call_soon_threadsafe(self.availability, device_id, online, reason)

    def open_input(self, device_id: str, signal: str, pin: PinRef | None, sink: Sink,
                   **params: Any) -> InputChannel:
        raise BackendError(f"backend {self.name!r} has no {signal} inputs")

    def open_output(self, device_id: str, signal: str, pin: PinRef | None,
                    **params: Any) -> OutputChannel:
        raise BackendError(f"backend {self.name!r} has no {signal} outputs")

    def start(self) -> None:
        """Called once every device is open."""

    def close(self) -> None:
        """Release everything; called on shutdown, also after errors."""


def _ignore_availability(device_id: str, online: bool, reason: str) -> None:
    """Until a runtime listens (a backend used on its own, in a test)."""


@runtime_checkable
class Playable(Protocol):
    """A backend whose inputs a visitor can be played on (`Runtime.simulate`): the simulator's."""

    def inject(self, device_id: str, value: Any, at: float | None = None) -> None:
        """`value` arrives on `device_id`'s input, exactly as a real reading would; `at`:
        when the visitor acted, on the loop's clock (None: now)."""


def read_settings(report: Report, name: str, cls: type[Backend], raw: Any) -> dict[str, Any] | None:
    """A backend's own table (`[serial]`), checked against its `settings` and
    `check_options`; the options given (defaults not filled in), None if it is no table."""
    path: KeyPath = (name,)
    if not isinstance(raw, dict):
        report.error(path, f"expected a table: write [{name}]")
        return None
    report.unknown_keys(path, raw, cls.settings, f"[{name}]")
    options: dict[str, Any] = {}
    for key, opt in cls.settings.items():
        if key in raw:
            try:
                options[key] = opt.convert(raw[key])
            except OptionError as exc:
                report.error((*path, key), str(exc), opt.help)
    if all(key in options for key in raw if key in cls.settings):
        for key, message in cls.check_options(cls.with_defaults(options)):
            report.error((*path, key), message)
    return options
