"""The `serial` backend: devices on a microcontroller running museokit firmware.

A device says which board it sits on (`board = "plinth"`, a name from `[serial]
boards`, or the board's 8-digit id straight away) and which of its pins
(`pin = "D2"`, `pin = "A0"`, or `2` for D2). At start the backend finds every board
by its id, whichever port it is on, configures the pin roles, and keeps doing so
after every unplug or reset (see link.py). pyserial is imported only when a
board is looked for, so `museokit check` needs no pyserial.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from museokit.backends.serial.link import BoardLink, LinkOptions, Words
from museokit.backends.serial.ports import BoardFinder
from museokit.backends.serial.protocol import BOARD_ID_RE, PIXELS_PER_LINE
from museokit.core.backend import (
    INPUT_SIGNALS,
    OUTPUT_SIGNALS,
    Backend,
    BackendError,
    DeviceDecl,
    InputChannel,
    OutputChannel,
    Sink,
)
from museokit.core.loop import Loop
from museokit.core.options import Option
from museokit.core.pins import PinRef
from museokit.core.ratelog import RateLimitedLog
from museokit.core.suggest import suggest

log = logging.getLogger("museokit.serial")

#: Board pins as the protocol names them: D<n> digital, A<n> analog.
PIN_NAME = re.compile(r"^[DA]\d{1,2}$")
#: Pins some supported board has (firmware/PROTOCOL.md §2): digital D0..D39 (Uno/Nano D0..D19,
#: Pico GP0..GP28, ESP32 GPIO0..39), analog A0..A7 (Uno/Nano/Pico) and A32..A39 (ESP32 ADC1).
DIGITAL_PINS = range(40)
ANALOG_PINS = (*range(8), *range(32, 40))
#: D0 and D1 carry the USB serial link itself on an Uno or Nano (and UART0 on an ESP32).
USB_LINK_PINS = ("D0", "D1")
#: The Arduino Servo library's pulse range for 0..180 degrees, in seconds.
SERVO_MIN, SERVO_MAX = 0.000544, 0.0024
#: Why a tag reader cannot sit on a board, and what to do instead (check and start say it).
NO_RFID = ("RFID readers on a serial board are not supported yet (the museokit firmware has no "
           "MFRC522 driver; it answers `rfid` with `err nofeat`) — wire the reader to the "
           "Raspberry Pi instead, or use a USB HID reader (it types the tag id like a keyboard) "
           "on the computer running museokit; see firmware/README.md")


class SerialInput(InputChannel):
    def __init__(self, link_owner: SerialBackend, device_id: str, signal: str, pin: str,
                 sink: Sink, params: dict[str, Any]) -> None:
        super().__init__(sink)
        self.owner = link_owner
        self.device_id = device_id
        self.signal = signal
        self.pin = pin
        self.params = params

    def configure_words(self) -> Words:
        opts = self.owner.options
        interval = round(opts["interval"] * 1000)
        if self.signal == "digital":
            return ("in", self.pin, "up" if self.params.get("pull_up") else "none",
                    opts["debounce_ms"])
        if self.signal == "analog":
            return ("ana", self.pin, interval, opts["analog_change"])
        # Threshold 0: every ping is reported (PROTOCOL.md 3.2), for the device's smoothing.
        return ("dist", self.pin, self.params["echo"], max(30, interval), 0)

    def deliver(self, raw: str, at: float | None = None) -> None:
        """A raw value from the board, converted to the signal's type, to the loop thread;
        `at`: when the board saw it (an event), on the loop's clock, else None (now)."""
        value: Any
        if self.signal == "digital":
            level = raw == "1"
            value = not level if self.params.get("pull_up") else level
        elif self.signal == "analog":
            value = min(1.0, int(raw) / 1023)
        else:
            value = None if int(raw) == 0 else int(raw) / 10  # mm -> cm; 0: no echo
        self.owner.loop.call_soon_threadsafe(self._arrive, value, at)

    def _arrive(self, value: Any, at: float | None) -> None:
        self.value = value
        self.sink(value, at)


class SerialOutput(OutputChannel):
    def __init__(self, owner: SerialBackend, device_id: str, signal: str, pin: str,
                 params: dict[str, Any]) -> None:
        super().__init__(owner.loop, signal)
        self.owner = owner
        self.device_id = device_id
        self.pin = pin
        self.key = f"out {pin}"
        self.params = params

    def configure_words(self) -> Words:
        role = {"digital": "out", "pwm": "pwm", "servo": "servo", "tone": "tone",
                "pixels": "pix"}[self.signal]
        return (role, self.pin, self.params["count"]) if role == "pix" else (role, self.pin)

    def _write(self, value: Any) -> None:
        self.value = value
        link = self.owner.links.get(self.owner.board_of[self.device_id])
        if link is not None:
            link.send(self.key, self.restore_words())

    def restore_words(self) -> list[Words]:
        value, pin, active_high = self.value, self.pin, self.params.get("active_high", True)
        if self.signal == "digital":
            return [("set", pin, int(bool(value) == active_high))]
        if self.signal == "pwm":
            level = min(1.0, max(0.0, float(value or 0.0)))
            return [("set", pin, round((level if active_high else 1 - level) * 255))]
        if self.signal == "servo":
            if value is None:  # detached: no pulses, the servo goes limp
                return [("set", pin, "off")]
            angle = (float(value) - SERVO_MIN) / (SERVO_MAX - SERVO_MIN) * 180
            return [("set", pin, round(min(180.0, max(0.0, angle))))]
        if self.signal == "tone":
            return [("set", pin, 0 if not value else min(65535, max(31, round(value))))]
        return _pixel_lines(pin, value or [])


def pin_problem(name: str) -> str | None:
    """Why `name` cannot be used as a pin on a museokit board, or None."""
    fix = "write 'D2' (digital pin 2, or just 2) or 'A0' (analog input 0)"
    if not PIN_NAME.match(name):
        return f"{name!r} is not a board pin — {fix}"
    if name in USB_LINK_PINS:
        return (f"{name} is the board's USB serial link (RX/TX): museokit talks to the board "
                "through it — use another pin, D2..D13 or A0..A5 on an Uno")
    number = int(name[1:])
    if number not in (DIGITAL_PINS if name[0] == "D" else ANALOG_PINS):
        known = "D2..D39" if name[0] == "D" else "A0..A7, or A32..A39 on an ESP32"
        return (f"{name} does not exist on any museokit board (pins: {known}) — {fix}; "
                "an Uno has D2..D13 and A0..A5")
    return None


def _pixel_lines(pin: str, frame: list[tuple[int, int, int]]) -> list[Words]:
    colours = ["{:02X}{:02X}{:02X}".format(*rgb) for rgb in frame]
    if not colours:
        return []
    if all(c == colours[0] for c in colours):
        return [("px", pin, "all", colours[0])]
    return [("px", pin, first, *colours[first:first + PIXELS_PER_LINE])
            for first in range(0, len(colours), PIXELS_PER_LINE)]


class SerialBackend(Backend):
    name = "serial"
    wiring = ("a museokit board (Arduino Uno/Nano, Pico, ESP32) on USB: `board = \"plinth\"` "
              "and `pin = \"D2\"` (or `\"A0\"`); see firmware/PROTOCOL.md for its limits")
    input_signals = tuple(s for s in INPUT_SIGNALS if s != "tag")  # no RFID yet: NO_RFID
    output_signals = OUTPUT_SIGNALS
    settings = {
        "boards": Option(dict, {}, 'names for board ids, used as `board = "plinth"` on devices: '
                         'boards = {plinth = "3FA29C01"} (`museokit boards` lists the ids)',
                         item=str),
        "ports": Option(list, [], "where to look for boards: ports or patterns like "
                        "'/dev/serial/by-id/*'; empty (the default): every USB serial board"),
        "baud": Option(int, 115200, "the firmware's speed; leave it at 115200", min=1200,
                       max=2000000),
        "ack_timeout": Option(float, 0.25, "seconds to wait for a board's reply before resending",
                              min=0.01, max=10),
        "retries": Option(int, 3, "tries before a silent board counts as gone", min=1, max=20),
        "heartbeat": Option(float, 1.0, "seconds between a board's heartbeats; 3.5 without one "
                            "and it counts as gone", min=0.1, max=60),
        "greeting_timeout": Option(float, 2.5, "seconds a board has to greet after its port "
                                   "opens (an Uno resets then) before it is asked", min=0.05,
                                   max=30),
        "wait": Option(float, 5.0, "seconds the start waits for every board before going on "
                       "with the missing ones offline (they are still looked for)", min=0,
                       max=120),
        "interval": Option(float, 0.05, "seconds between readings of analog and distance "
                           "sensors on the board", min=0.01, max=60),
        "analog_change": Option(int, 4, "an analog pin reports when it moves by this much "
                                "(of 1023)", min=0, max=1023),
        "debounce_ms": Option(int, 5, "the board's own contact filter in ms, before museokit's "
                              "debounce; keep it short, it adds latency", min=0, max=1000),
    }

    def __init__(self, loop: Loop, options: dict[str, Any] | None = None) -> None:
        try:
            import serial  # noqa: F401  (said here, once, rather than in each board's thread)
        except ImportError:
            raise BackendError("pyserial is not installed: pip install 'museokit[serial]'") from None
        super().__init__(loop, self.with_defaults(options or {}))
        self.names = {name: board_id.upper() for name, board_id in self.options["boards"].items()}
        self.inputs: dict[str, list[SerialInput]] = {}
        self.outputs: dict[str, list[SerialOutput]] = {}
        self.board_of: dict[str, str] = {}  # device id -> board id
        self.links: dict[str, BoardLink] = {}
        self.finder: BoardFinder | None = None

    # -- checks, also run by `museokit check` --------------------------------------------
    @classmethod
    def check_options(cls, opts: dict[str, Any]) -> list[tuple[str, str]]:
        problems = [("boards", f"board {name!r}: {board_id!r} is not a board id — ids are 8 hex "
                     "digits like '3FA29C01'; `museokit boards` lists the boards plugged in")
                    for name, board_id in opts["boards"].items()
                    if not BOARD_ID_RE.match(str(board_id).upper())]
        if not all(isinstance(p, str) and p for p in opts["ports"]):
            problems.append(("ports", "expected a list of ports or patterns, like "
                             "['/dev/ttyACM0', '/dev/serial/by-id/*']"))
        return problems

    @classmethod
    def check_device(cls, device: DeviceDecl, opts: dict[str, Any]) -> list[tuple[str, str]]:
        names = opts["boards"]
        if device.board is None:
            hint = (f'board = "{next(iter(names))}"' if names else
                    'board = "3FA29C01" (its id: `museokit boards` lists them)')
            return [("", f"device {device.id!r} is on the serial backend but names no board — "
                     f"add {hint}")]
        problems: list[tuple[str, str]] = []
        if device.kind == "tag_reader":
            problems.append(("kind", f"device {device.id!r}: {NO_RFID}"))
        if device.board not in names and not BOARD_ID_RE.match(device.board.upper()):
            hint = suggest(device.board, names) or (
                f"name it in [serial] boards = {{{device.board} = \"3FA29C01\"}}, or write the "
                "board's 8-digit id (`museokit boards` lists them)")
            problems.append(("board", f"unknown board {device.board!r} — {hint}"))
        for key, ref in device.pins.items():
            problem = pin_problem(ref.name)
            if problem:
                problems.append((key, problem))
        return problems

    # -- opening devices -----------------------------------------------------------------
    def _board(self, device_id: str, pin: PinRef | None, key: str = "pin") -> tuple[str, str]:
        if pin is None or pin.board == "pi":
            raise BackendError(f"needs board = \"...\" and {key} = \"D2\" (a pin on the board) "
                               "in installation.toml")
        board_id = self.names.get(pin.board, pin.board.upper())
        if not BOARD_ID_RE.match(board_id):
            raise BackendError(f"unknown board {pin.board!r}: name it in [serial] boards")
        self.board_of[device_id] = board_id
        return board_id, pin.name

    def open_input(self, device_id: str, signal: str, pin: PinRef | None, sink: Sink,
                   **params: Any) -> InputChannel:
        if signal not in self.input_signals:
            raise BackendError(NO_RFID if signal == "tag" else f"no {signal} inputs on a board")
        board_id, name = self._board(device_id, pin, "trigger" if signal == "distance" else "pin")
        if signal == "distance":
            echo = params.get("echo")
            if echo is None or echo.board != pin.board:  # type: ignore[union-attr]
                raise BackendError("needs echo = \"D..\" on the same board as its trigger")
            params = {**params, "echo": echo.name}
        channel = SerialInput(self, device_id, signal, name, sink, params)
        self.inputs.setdefault(board_id, []).append(channel)
        return channel

    def open_output(self, device_id: str, signal: str, pin: PinRef | None,
                    **params: Any) -> OutputChannel:
        board_id, name = self._board(device_id, pin)
        channel = SerialOutput(self, device_id, signal, name, params)
        self.outputs.setdefault(board_id, []).append(channel)
        return channel

    # -- running -----------------------------------------------------------------------
    def start(self) -> None:
        opts = self.options
        self.finder = BoardFinder(list(opts["ports"]), opts["baud"], opts["greeting_timeout"])
        link_opts = LinkOptions(opts["ack_timeout"], opts["retries"], opts["heartbeat"])
        by_id = {board_id: name for name, board_id in self.names.items()}
        for board_id in sorted({*self.inputs, *self.outputs}):
            self.finder.wanted.add(board_id)
            self.links[board_id] = BoardLink(
                board_id, by_id.get(board_id, board_id), self.finder, self.loop,
                list(self.inputs.get(board_id, [])), list(self.outputs.get(board_id, [])),
                link_opts, self.set_online)
        for link in self.links.values():
            link.start()
        deadline = time.monotonic() + opts["wait"]
        for link in self.links.values():
            if not link.online.wait(max(0.0, deadline - time.monotonic())):
                log.warning("serial: board %s is not there yet; its devices (%s) start offline "
                            "and come online when it is plugged in", link.name,
                            ", ".join(link.device_ids))

    def counters(self) -> dict[str, int]:
        """Lines each board's link dropped or saw out of order, for the node's health."""
        table: dict[str, int] = {}
        for link in self.links.values():
            name = link.name.split(" ")[0]
            for key, value in vars(link.counters).items():
                table[f"{name}.{key}"] = value
            table[f"{name}.connects"] = link.connects
            table[f"{name}.refused"] = link.refusals.total
        return table

    @property
    def limiters(self) -> list[RateLimitedLog]:
        """Every board's rate-limited log lines (the node's health closes their windows)."""
        return [limiter for link in self.links.values() for limiter in link.limiters]

    def close(self) -> None:
        for link in self.links.values():
            link.close()
        if self.finder is not None:
            self.finder.close()
