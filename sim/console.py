"""The headless simulator: the installation runs in real time in a terminal.

Bus events and device states scroll by; typed lines play a visitor
(`press door`, `motion entrance`, `tag reader 04A3B2`) or run a command
(`lamp.blink n=3`). It works over SSH on a Pi, in CI, and on a laptop with no
display. Input is read on a thread and handed to the loop, like any backend.
It plays the visitor through a `LiveSession`, so hot reload and `--record` work
here as in the window.
"""

from __future__ import annotations

import shlex
import sys
import threading
from typing import Any, TextIO

from museokit.core.device import CommandError
from museokit.core.events import Event
from museokit.core.runtime import Runtime
from museokit.sim.live import LiveSession

HELP = """\
  press door / release door / click door    play a button
  motion entrance                           wave at a PIR
  value sensor 120                          set a distance (cm) or an analog level (0..1)
  tag reader 04A3B2 / tag reader none       place or take away an RFID tag
  lamp.on / lamp.blink n=3                  run a device command
  status                                    show every device
  help / quit"""


class Console:
    def __init__(self, session: LiveSession, out: TextIO = sys.stdout) -> None:
        self.session = session
        self.out = out
        self.started = session.clock.monotonic()
        session.before_start.append(self.attach)

    @property
    def runtime(self) -> Runtime:
        runtime = self.session.runtime
        if runtime is None:
            raise CommandError("the installation is not running")
        return runtime

    def attach(self, runtime: Runtime) -> None:
        """Print events and state changes of `runtime` (each reloaded version) as they happen."""
        runtime.bus.tap(self._print_event, name="console")
        runtime.bus.watch_state(self._print_state)

    def read_stdin(self, stream: TextIO = sys.stdin) -> threading.Thread:
        thread = threading.Thread(target=self._read, args=(stream,), name="console input",
                                  daemon=True)
        thread.start()
        return thread

    def _stamp(self) -> str:
        return f"{self.session.clock.monotonic() - self.started:9.3f}"

    def _print_event(self, event: Event) -> None:
        value = "" if event.value is None else f" {event.value}"
        print(f"{self._stamp()}  {event.key}{value}", file=self.out, flush=True)

    def _print_state(self, device: str, state: dict[str, Any]) -> None:
        label = state.get("label")
        if label:
            print(f"{self._stamp()}  {device} is {label}", file=self.out, flush=True)

    def _read(self, stream: TextIO) -> None:
        clock = self.session.clock
        for line in stream:  # stamped as it is read: a busy loop changes no press's length
            self.session.post(self.handle, line, clock.monotonic())

    def handle(self, line: str, at: float | None = None) -> None:
        """Run one typed line, on the loop thread; `at`: when it was typed (None: now)."""
        text = line.split("#", 1)[0].strip()
        if not text:
            return
        try:
            words = shlex.split(text)
        except ValueError as exc:
            self._say(f"cannot read that: {exc}")
            return
        try:
            self._dispatch(words, text, at)
        except (CommandError, ValueError) as exc:
            self._say(str(exc))

    def _dispatch(self, words: list[str], text: str, at: float | None = None) -> None:
        head = words[0].lower()
        if head in ("help", "?"):
            self._say(HELP)
        elif head in ("quit", "exit"):
            self.runtime.stop()
        elif head == "status":
            for dev_id, device in self.runtime.devices.items():
                self._say(f"{dev_id:>14} ({device.kind}) {device.label}")
        elif head == "click" and len(words) == 2:
            self.session.click(words[1])
        elif "." in head:
            self.session.run_command(text)
        elif len(words) in (2, 3) and head in self._actions():
            self.session.play(words[1], head, words[2] if len(words) == 3 else None, at)
        else:
            self._say(f"unknown command {text!r}; type 'help'")

    def _actions(self) -> set[str]:
        return {a for d in self.runtime.devices.values() for a in d.sim_actions}

    def _say(self, text: str) -> None:
        print(text, file=self.out, flush=True)
