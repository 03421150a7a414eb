"""Buzzer (a passive piezo): tones in Hz or as notes (`A4`, `C#5`, `Bb3`), and beeps.

A beep is a blink pattern whose level is the pitch, so a backend or firmware
that can beep on its own takes it whole, and nothing ticks in a simulation.
"""

from __future__ import annotations

import re
from typing import Any

from museokit.core.backend import OutputChannel
from museokit.core.device import CommandError, Device, command
from museokit.core.options import COUNT, SECONDS, Option
from museokit.core.waveforms import Blink

HZ = Option(float, 440.0, "Hz", min=20, max=20000)

_NOTE = re.compile(r"^([A-Ga-g])([#b]?)(-?\d)$")
# Semitones from A in the same octave (octaves start at C, as on a piano).
_FROM_A = {"C": -9, "D": -7, "E": -5, "F": -4, "G": -2, "A": 0, "B": 2}
_ACCIDENTAL = {"#": 1, "b": -1, "": 0}


def note_hz(name: str) -> float:
    """The pitch of a note in equal temperament: `A4` -> 440.0, `C4` (middle C) -> 261.63."""
    match = _NOTE.match(name.strip())
    if match is None:
        raise ValueError(f"{name!r} is not a note: write a letter A-G, then # or b if needed, "
                         "then the octave, like 'A4', 'C#5' or 'Bb3'")
    letter, accidental, octave = match.groups()
    semitones = _FROM_A[letter.upper()] + _ACCIDENTAL[accidental] + 12 * (int(octave) - 4)
    return 440.0 * 2 ** (semitones / 12)


def tone_hz(tone: Any) -> float:
    """A command's tone, in Hz or as a note name; raises CommandError saying how to write it."""
    if isinstance(tone, str):
        try:
            tone = float(tone)
        except ValueError:
            try:
                tone = note_hz(tone)
            except ValueError as exc:
                raise CommandError(f"tone: {exc}; or give a pitch in Hz, like 440") from None
    return float(HZ.check("tone", tone, CommandError))


class Buzzer(Device):
    kind = "buzzer"
    role = "output"
    summary = "a passive piezo buzzer playing tones (an active buzzer only beeps: use a relay)"
    events = ("finished",)
    signals = ("tone",)
    wiring = {"gpio": "a passive piezo between the pin and ground",
              "serial": "a passive piezo between the board pin and GND (AVR: one tone pin)"}

    def open(self) -> None:
        self.channel: OutputChannel = self.open_output("tone")
        self._tone: float | None = None
        self.stop()

    def sleep(self) -> None:
        self.stop()
        super().sleep()

    @property
    def value(self) -> float | None:
        """The pitch playing or beeping, in Hz; None when silent."""
        return self._tone

    @property
    def is_active(self) -> bool:
        return self._tone is not None

    @command
    def play(self, tone: Any, seconds: float | None = None) -> None:
        """Play `tone` (Hz, or a note like A4 or C#5), for `seconds` or until stop."""
        hz = tone_hz(tone)
        duration = None if seconds is None else SECONDS.check("seconds", seconds, CommandError)
        self.channel.write(hz)
        self._sounding(hz, "playing", duration)

    @command
    def beep(self, on_time: float = 0.2, off_time: float = 0.2, n: int | None = None,
             tone: Any = "A5") -> None:
        """Beep `n` times (forever without n) at `tone`, then emit `finished`."""
        hz = tone_hz(tone)
        pattern = Blink(SECONDS.check("on_time", on_time, CommandError),
                        SECONDS.check("off_time", off_time, CommandError),
                        None if n is None else COUNT.check("n", n, CommandError), hz)
        self.channel.animate(pattern)
        self._sounding(hz, "beeping", pattern.duration)

    @command
    def stop(self) -> None:
        """Silence."""
        self.channel.write(None)
        self._sounding(None, "silent")

    def _sounding(self, hz: float | None, label: str, seconds: float | None = None) -> None:
        """Record what the channel now plays; after `seconds`, stop and emit `finished`."""
        self.cancel("finish")
        self._tone = hz
        self.set_state(label=label, tone=None if hz is None else round(hz, 2))
        if seconds is not None:
            self.later("finish", seconds, self._finished)

    def _finished(self) -> None:
        self.stop()
        self.emit("finished")
