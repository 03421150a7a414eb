"""Output patterns (blink, pulse, pixel animations) as functions of time.

A pattern is data: `level_at(t)` says the output level `t` seconds after it
started. A backend that can run patterns natively (gpiozero's blink/pulse, the
firmware) takes it whole; the simulator evaluates it only when it draws; other
backends step it on the loop's clock (`museokit.core.backend.SoftwareAnimator`).
Nothing ticks in a headless simulation, which keeps a gallery day fast.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from museokit.core.colors import RGB, scale


@dataclass(frozen=True)
class Blink:
    on_time: float = 1.0
    off_time: float = 1.0
    n: int | None = None  # None: forever
    level: float = 1.0

    @property
    def duration(self) -> float | None:
        return None if self.n is None else self.n * (self.on_time + self.off_time)

    @property
    def step(self) -> float:
        """How often a software animator must update (only edges matter)."""
        return min(self.on_time, self.off_time)

    def level_at(self, t: float) -> float:
        d = self.duration
        if d is not None and t >= d:
            return 0.0
        phase = t % (self.on_time + self.off_time)
        return self.level if phase < self.on_time else 0.0


@dataclass(frozen=True)
class Pulse:
    fade_in: float = 1.0
    fade_out: float = 1.0
    n: int | None = None
    level: float = 1.0

    @property
    def duration(self) -> float | None:
        return None if self.n is None else self.n * (self.fade_in + self.fade_out)

    @property
    def step(self) -> float:
        return 1 / 50  # smooth enough for the eye

    def level_at(self, t: float) -> float:
        d = self.duration
        if d is not None and t >= d:
            return 0.0
        phase = t % (self.fade_in + self.fade_out)
        if phase < self.fade_in:
            return self.level * phase / self.fade_in
        return self.level * (1 - (phase - self.fade_in) / self.fade_out)


Waveform = Blink | Pulse


@dataclass(frozen=True)
class PixelAnimation:
    """A named animation over a strip of `count` pixels.

    `chase`: one lit pixel runs along the strip; `breathe`: the whole strip fades
    in and out; `rainbow`: a moving rainbow; `blink`: all on, all off.
    """

    name: str
    count: int
    color: RGB = (255, 255, 255)
    period: float = 2.0

    NAMES = ("chase", "breathe", "rainbow", "blink")

    @property
    def duration(self) -> float | None:
        return None

    @property
    def step(self) -> float:
        return 1 / 30

    def frame_at(self, t: float) -> list[RGB]:
        phase = (t % self.period) / self.period
        n = self.count
        if self.name == "chase":
            lit = int(phase * n) % n
            return [self.color if i == lit else (0, 0, 0) for i in range(n)]
        if self.name == "breathe":
            return [scale(self.color, 0.5 - 0.5 * math.cos(2 * math.pi * phase))] * n
        if self.name == "blink":
            return [self.color if phase < 0.5 else (0, 0, 0)] * n
        return [_hue((phase + i / n) % 1.0) for i in range(n)]

    def level_at(self, t: float) -> float:
        """Mean brightness, for backends that only have one channel."""
        frame = self.frame_at(t)
        return sum(sum(p) for p in frame) / (765 * len(frame)) if frame else 0.0


def _hue(h: float) -> RGB:
    i = int(h * 6) % 6
    f = h * 6 - int(h * 6)
    q, r = round(255 * (1 - f)), round(255 * f)
    return [(255, r, 0), (q, 255, 0), (0, 255, r), (0, q, 255), (r, 0, 255), (255, 0, q)][i]

