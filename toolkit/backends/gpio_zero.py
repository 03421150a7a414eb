"""The gpio backend at work: museokit devices on a Raspberry Pi's own pins, through gpiozero.

Each signal opens the gpiozero class that moves exactly that level, and no more:

    digital in   DigitalInputDevice (what gpiozero's Button and MotionSensor are made of)
    distance     DistanceSensor (HC-SR04), one reading per poll, no gpiozero smoothing
    analog       an MCP3xxx ADC on SPI0 (`board = "mcp3008"`, `pin` = its channel)
    digital out  DigitalOutputDevice (LED, relay: gpiozero's OutputDevice)
    pwm          PWMOutputDevice (PWMLED)
    servo        Servo, driven by pulse width
    tone         TonalBuzzer
    tag          an RC522 on SPI0 CE0/CE1, museokit's own driver on gpiozero's SPI
    touch        an MPR121 on I2C1, through smbus2
    pixels       WS2812/SK6812 encoded on SPI0 MOSI (GPIO10), or rpi_ws281x on GPIO18

What it can serve, and so what `museokit check` refuses, is in `gpio_serves`.

Debounce, hold, clicks, smoothing and zones stay in museokit's devices, on the
loop's clock (gpiozero's `bounce_time` is ignored by its mock pins and uneven on
real ones). gpiozero calls back on its own threads; every level is handed to the
loop with `call_soon_threadsafe`. The pin factory is gpiozero's own choice
(lgpio on current Raspberry Pi OS), or whatever `gpiozero.Device.pin_factory`
or `GPIOZERO_PIN_FACTORY` says, which is how tests use `MockFactory`.
"""

from __future__ import annotations

import logging
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gpiozero
from gpiozero.exc import (
    BadPinFactory,
    DistanceSensorNoEcho,
    GPIOZeroError,
    PinFactoryFallback,
    PinPWMUnsupported,
    PWMSoftwareFallback,
    SPISoftwareFallback,
)

from museokit.backends import gpio_parts
from museokit.backends.chips.polling import ChipInput
from museokit.backends.gpio_serves import CHIP_SIGNALS, NO_GPIO, GpioServes, claim
from museokit.core.backend import BackendError, InputChannel, OutputChannel, Pattern, Sink
from museokit.core.loop import Loop
from museokit.core.pins import PinRef, is_adc
from museokit.core.waveforms import Blink, Pulse

log = logging.getLogger("museokit.gpio")

#: How often polled inputs (distance, analog) are read, in seconds.
POLL_INTERVAL = 0.05
#: TonalBuzzer's range around A4: four octaves each way, 27.5 Hz to 7040 Hz.
TONE_OCTAVES = 4

def pin_factory() -> Any:
    """gpiozero's pin factory, chosen its own way; BackendError in one line if there is none."""
    with warnings.catch_warnings(record=True) as fallbacks:
        warnings.simplefilter("always", PinFactoryFallback)
        try:
            gpiozero.Device.ensure_pin_factory()
        except BadPinFactory:
            if not _is_raspberry_pi():
                raise BackendError(NO_GPIO) from None
            tried = "; ".join(str(w.message) for w in fallbacks)
            raise BackendError(
                f"this Raspberry Pi has no working pin library ({tried}); install python3-lgpio "
                "and create the venv with --system-site-packages (see docs/deploy-pi.md)") from None
    return gpiozero.Device.pin_factory


def _is_raspberry_pi() -> bool:
    try:
        return "raspberry pi" in Path("/proc/device-tree/model").read_text(errors="replace").lower()
    except OSError:
        return False


class EdgeInput(InputChannel):
    """A digital input: gpiozero reports each edge on its thread, the loop gets the level
    and when it changed.

    The time is the loop clock's, read in gpiozero's callback less the edge's age by
    gpiozero's own ticks (lgpio stamps edges in the kernel), so a press and release
    handled late by a busy loop keep their real spacing. On a virtual clock (tests),
    whose time does not pass with real time, it is the clock's time at the callback.
    """

    def __init__(self, loop: Loop, sink: Sink, device: Any) -> None:
        super().__init__(sink)
        self.device = device
        clock, post = loop.clock, loop.call_soon_threadsafe

        def edge(level: bool) -> None:
            age = (device.active_time if level else device.inactive_time) or 0.0
            post(self.deliver, level, clock.monotonic() - (0.0 if clock.virtual else age))

        device.when_activated = lambda: edge(True)
        device.when_deactivated = lambda: edge(False)
        if device.is_active:  # a button already held down, a PIR already seeing someone
            post(self.deliver, True)

    def deliver(self, level: Any, at: float | None = None) -> None:
        self.value = level
        self.sink(level, at)

    def close(self) -> None:
        self.device.close()


class PolledInput(EdgeInput):
    """An input read every POLL_INTERVAL by the backend's poller thread."""

    def __init__(self, loop: Loop, sink: Sink, device: Any, read: Callable[[], Any],
                 every_reading: bool) -> None:
        InputChannel.__init__(self, sink)
        self.device = device
        self.read = read
        #: Distance readings all go to the device's median; analog levels only when they move.
        self.every_reading = every_reading
        self.last: Any = None


class Poller:
    """One thread reading every polled input and posting readings to the loop."""

    def __init__(self, loop: Loop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self.channels: list[PolledInput] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.channels and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="museokit gpio poller",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _run(self) -> None:
        post = self.loop.call_soon_threadsafe
        while not self._stop.wait(self.interval):
            for channel in self.channels:
                try:
                    value = channel.read()
                except (GPIOZeroError, OSError) as exc:  # a closed device during shutdown
                    log.debug("reading %s failed: %s", channel.device, exc)
                    continue
                if channel.every_reading or value != channel.last:
                    channel.last = value
                    post(channel.deliver, value)


class RotaryInput(EdgeInput):
    """gpiozero's RotaryEncoder: each detent it counts is handed to the loop as a step."""

    def __init__(self, loop: Loop, sink: Sink, knob: Any) -> None:
        InputChannel.__init__(self, sink)
        self.device = knob
        self.steps = 0

        def rotated() -> None:
            steps = knob.steps
            delta, self.steps = steps - self.steps, steps
            if delta:
                loop.call_soon_threadsafe(self.deliver, delta)

        knob.when_rotated = rotated


class ZeroOutput(OutputChannel):
    """An output on a gpiozero device; blink and pulse at full level run in gpiozero itself."""

    def __init__(self, loop: Loop, signal: str, device: Any, apply: Callable[[Any], None],
                 native: tuple[type, ...] = ()) -> None:
        super().__init__(loop, signal)
        self.device = device
        self.apply = apply
        self.native = native

    def _write(self, value: Any) -> None:
        self.value = value
        self.apply(value)

    def animate(self, pattern: Pattern) -> None:
        # gpiozero's blink and pulse go from off to fully on; other levels are stepped.
        if not isinstance(pattern, self.native) or not isinstance(pattern, Blink | Pulse) \
                or pattern.level != 1.0:
            super().animate(pattern)
            return
        self.stop_animation()
        if isinstance(pattern, Pulse):
            self.device.pulse(pattern.fade_in, pattern.fade_out, n=pattern.n, background=True)
        elif self.signal == "pwm":
            self.device.blink(pattern.on_time, pattern.off_time, 0, 0, n=pattern.n, background=True)
        else:
            self.device.blink(pattern.on_time, pattern.off_time, n=pattern.n, background=True)
        self.value = pattern

    def close(self) -> None:
        super().close()
        self.device.close()


class ZeroBackend(GpioServes):
    """The gpio backend at work (`GpioBackend.opened_as()`): gpiozero imported."""

    def __init__(self, loop: Loop, options: dict[str, Any] | None = None) -> None:
        super().__init__(loop, options)
        self.factory = pin_factory()
        # Notes meant for gpiozero's own users; museokit says what matters itself.
        warnings.filterwarnings("ignore", category=PWMSoftwareFallback)
        warnings.filterwarnings("ignore", category=SPISoftwareFallback)
        warnings.filterwarnings("once", category=DistanceSensorNoEcho)
        self.channels: list[InputChannel | OutputChannel] = []
        self.chips: list[ChipInput] = []
        self.poller = Poller(loop, float(self.options.get("poll_interval", POLL_INTERVAL)))

    # -- opening -------------------------------------------------------------------------
    def open_input(self, device_id: str, signal: str, pin: PinRef | None, sink: Sink,
                   **params: Any) -> InputChannel:
        channel: InputChannel
        if signal in CHIP_SIGNALS:
            chip = gpio_parts.open_chip(self, self.factory, device_id, signal, pin, sink, params)
            self.chips.append(chip)
            self.channels.append(chip)
            return chip
        pin = self._need_pin(device_id, signal, pin)
        if signal == "digital":
            device = self._open(device_id, pin, gpiozero.DigitalInputDevice, pin.name,
                                pull_up=params.get("pull_up", False))
            channel = EdgeInput(self.loop, sink, device)
        elif signal == "distance":
            channel = self._distance(device_id, pin, sink, params)
        elif signal == "analog":
            channel = self._analog(device_id, pin, sink)
        elif signal == "rotary":
            channel = self._rotary(device_id, pin, sink, params)
        else:
            return super().open_input(device_id, signal, pin, sink, **params)
        self.channels.append(channel)
        return channel

    def open_output(self, device_id: str, signal: str, pin: PinRef | None,
                    **params: Any) -> OutputChannel:
        pin = self._need_pin(device_id, signal, pin)
        if signal == "pixels":
            strip = gpio_parts.strip(self, device_id, pin, params)
            self.channels.append(strip)
            return strip
        active_high = params.get("active_high", True)
        # gpiozero runs a pattern in a thread per pin; outputs that must stay in step with
        # others (an RGB LED's colours) are stepped on the loop's clock together instead.
        in_step = params.get("in_step", False)
        channel: OutputChannel
        if signal == "digital":
            device = self._open(device_id, pin, gpiozero.DigitalOutputDevice, pin.name,
                                active_high=active_high, initial_value=False)
            channel = ZeroOutput(self.loop, signal, device,
                                 lambda v: setattr(device, "value", bool(v)),
                                 () if in_step else (Blink,))
        elif signal == "pwm":
            device = self._open(device_id, pin, gpiozero.PWMOutputDevice, pin.name,
                                active_high=active_high, initial_value=0.0)
            channel = ZeroOutput(self.loop, signal, device,
                                 lambda v: setattr(device, "value", min(1.0, max(0.0, float(v)))),
                                 () if in_step else (Blink, Pulse))
        elif signal == "servo":
            channel = self._servo(device_id, pin, params)
        elif signal == "tone":
            device = self._open(device_id, pin, gpiozero.TonalBuzzer, pin.name,
                                octaves=TONE_OCTAVES)
            channel = ZeroOutput(self.loop, signal, device, lambda hz: _play(device_id, device, hz))
        else:
            return super().open_output(device_id, signal, pin, **params)
        self.channels.append(channel)
        return channel

    def _distance(self, device_id: str, trigger: PinRef, sink: Sink,
                  params: dict[str, Any]) -> InputChannel:
        echo = params.get("echo")
        if echo is None:
            raise BackendError(f"{device_id}: a distance sensor needs both trigger and echo pins; "
                               "add echo = <GPIO number> in installation.toml")
        max_m = float(params.get("max_distance", 200.0)) / 100
        sensor = self._open(device_id, trigger, gpiozero.DistanceSensor, echo.name, trigger.name,
                            queue_len=1, max_distance=max_m)

        def read() -> float | None:  # cm; at gpiozero's ceiling there is nothing in range
            # (the first read waits for gpiozero's first measurement)
            value = float(sensor.value)
            return None if value >= 1.0 else round(value * max_m * 100, 1)

        return self._poll(PolledInput(self.loop, sink, sensor, read, every_reading=True))

    def _analog(self, device_id: str, pin: PinRef, sink: Sink) -> InputChannel:
        if not is_adc(pin.board):
            raise BackendError(f"{device_id}: a Raspberry Pi has no analog pins; wire the sensor "
                               'to an MCP3008 ADC and say board = "mcp3008" and pin = <its '
                               "channel, 0-7> in installation.toml")
        claim(self, "spi0 chip", device_id, ("spi0 strip",), gpio_parts.SPI0_STRIP_FIX,
                         shared=True)
        chip = getattr(gpiozero, pin.board.upper())
        adc = self._open(device_id, pin, chip, channel=int(pin.name[2:]))
        return self._poll(PolledInput(self.loop, sink, adc, lambda: round(float(adc.value), 4),
                                      every_reading=False))

    def _rotary(self, device_id: str, a: PinRef, sink: Sink, params: dict[str, Any]) -> InputChannel:
        b = params.get("b")
        if b is None:
            raise BackendError(f"{device_id}: an encoder needs pins a and b (its CLK and DT); "
                               "add b = <GPIO number> in installation.toml")
        knob = self._open(device_id, a, gpiozero.RotaryEncoder, a.name, b.name, max_steps=0)
        return RotaryInput(self.loop, sink, knob)

    def _servo(self, device_id: str, pin: PinRef, params: dict[str, Any]) -> OutputChannel:
        low = float(params.get("min_pulse_width", 0.001))
        high = float(params.get("max_pulse_width", 0.002))
        servo = self._open(device_id, pin, gpiozero.Servo, pin.name, initial_value=None,
                           min_pulse_width=low, max_pulse_width=high)

        def apply(width: float | None) -> None:
            if width is None:
                servo.detach()
            else:  # gpiozero's value: -1 at min_pulse_width, +1 at max_pulse_width
                servo.value = min(1.0, max(-1.0, 2 * (width - low) / (high - low) - 1))

        return ZeroOutput(self.loop, "servo", servo, apply)

    def _poll(self, channel: PolledInput) -> PolledInput:
        self.poller.channels.append(channel)
        return channel

    def _need_pin(self, device_id: str, signal: str, pin: PinRef | None) -> PinRef:
        if pin is None:
            raise BackendError(f"{device_id}: no pin given; add pin = <GPIO number> in "
                               "installation.toml (the simulator runs without one, the Pi cannot)")
        if pin.board != "pi" and not (signal == "analog" and is_adc(pin.board)):
            raise BackendError(f"{device_id}: pin {pin} is on board {pin.board!r}, not on this "
                               "Pi's header; give the device backend = \"serial\" or remove board")
        return pin

    def _open(self, device_id: str, pin: PinRef, cls: Any, *args: Any, **kwargs: Any) -> Any:
        """Construct a gpiozero device, turning its exceptions into one clear BackendError."""
        try:
            return cls(*args, pin_factory=self.factory, **kwargs)
        except PinPWMUnsupported:
            factory = type(self.factory).__name__
            raise BackendError(
                f"{device_id}: pin {pin} cannot do PWM with the {factory} pin factory, and a "
                f"{cls.__name__} needs it; use a factory with PWM (lgpio, the default on "
                "Raspberry Pi OS, does it on every pin), or for an LED set pwm = false") from None
        except (GPIOZeroError, ValueError, OSError) as exc:
            raise BackendError(f"{device_id}: gpiozero cannot open {cls.__name__} on {pin}: "
                               f"{type(exc).__name__}: {exc}") from None

    # -- running -------------------------------------------------------------------------
    def start(self) -> None:
        self.poller.start()
        for chip in self.chips:
            chip.begin()

    def close(self) -> None:
        self.poller.stop()
        for channel in reversed(self.channels):
            try:
                channel.close()
            except GPIOZeroError as exc:
                log.debug("closing %s: %s", channel, exc)
        self.channels.clear()


def _play(device_id: str, buzzer: Any, hz: float | None) -> None:
    if hz is None:
        buzzer.stop()
        return
    low, high = buzzer.min_tone.frequency, buzzer.max_tone.frequency
    if not low <= hz <= high:
        log.warning("%s: %.0f Hz is outside what gpiozero's TonalBuzzer plays (%.1f-%.0f Hz); "
                    "playing the nearest", device_id, hz, low, high)
        hz = min(high, max(low, hz))
    buzzer.play(hz)
