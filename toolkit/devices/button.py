"""Button: debounced press/release, hold, long press and multi-click.

Debounce is museokit's own, on the loop's clock: gpiozero's `bounce_time` does
nothing on its mock pins and is unreliable on real ones. The filter is
*leading-edge*: the first edge counts at once (no added latency), further edges
are ignored for `debounce` seconds, and when the window closes the level is read
again, so a release that happened inside the window is never lost.

Times are the edges' own (`input_time`: the backend says when each level changed),
not when the loop got round to them. When the loop is busy, a press and its release
1 ms apart may be handled together several ms later; measured on the edges they are
still a press, a release and a 1 ms click, and a debounce window that closed between
two late edges is settled before the second one counts.
"""

from __future__ import annotations

from typing import Any

from museokit.core.backend import InputChannel
from museokit.core.device import CommandError, Device
from museokit.core.options import Option


class Button(Device):
    kind = "button"
    role = "input"
    summary = "a push button or any contact (switch, pressure mat, reed switch)"
    events = ("pressed", "released", "held", "long_press", "clicked")
    sim_actions = ("press", "release")
    signals = ("digital",)
    wiring = {"gpio": "one leg to the pin, the other to ground (pin 6, 9, 14…): the Pi's "
                      "pull-up holds the pin high until the press",
              "serial": "one leg to the board pin (D2…), the other to GND: the board's pull-up"}
    options = {
        "pull_up": Option(bool, True, "true: wired between the pin and ground (the usual way)"),
        "debounce": Option(float, 0.05, "seconds to ignore contact bounce after an edge",
                           min=0, max=2),
        "hold_time": Option(float, 1.0, "seconds pressed before `held` fires", min=0.01),
        "hold_repeat": Option(bool, False, "fire `held` again every hold_time while pressed"),
        "long_press": Option(float, 2.0, "a press at least this long ends in `long_press`, "
                             "not a click", min=0.01),
        "click_window": Option(float, 0.4, "seconds to wait for another click before "
                               "`clicked` fires with the count", min=0.01, max=5),
    }

    def open(self) -> None:
        self.channel: InputChannel = self.open_input("digital", pull_up=self.opts["pull_up"])
        self._raw = False
        self._stable = False
        self._settling = False
        self._settle_until = 0.0
        self._pressed_at = 0.0
        self._clicks = 0
        self.set_state(label="released", pressed=False)

    # gpiozero vocabulary
    @property
    def is_pressed(self) -> bool:
        return self._stable

    is_active = is_pressed

    @property
    def value(self) -> int:
        return int(self._stable)

    @property
    def held_time(self) -> float:
        return self.clock.monotonic() - self._pressed_at if self._stable else 0.0

    def on_input(self, value: Any) -> None:
        at = self.input_time
        while self._settling and at >= self._settle_until:
            self._settled()  # the window closed before this edge (handled late): settle it first
        self._raw = bool(value)
        if self._settling or self._raw == self._stable:
            return
        self._accept(self._raw, at)

    def _accept(self, pressed: bool, at: float) -> None:
        self._stable = pressed
        if self.opts["debounce"] > 0:
            self._settling = True
            self._settle_until = at + self.opts["debounce"]
            self.later("debounce", self._since(self._settle_until), self._settled)
        if pressed:
            self._on_press(at)
        else:
            self._on_release(at)

    def _settled(self) -> None:
        """The debounce window that started at the last accepted edge is over: read again."""
        self.cancel("debounce")
        self._settling = False
        if self._raw != self._stable:
            self._accept(self._raw, self._settle_until)

    def _since(self, t: float) -> float:
        """Seconds from now until clock time `t` (0 if that is past)."""
        return max(0.0, t - self.clock.monotonic())

    def _on_press(self, at: float) -> None:
        self._pressed_at = at
        self.cancel("clicks")
        self.set_state(label="pressed", pressed=True)
        self.emit("pressed")
        self.later("hold", self._since(at + self.opts["hold_time"]), self._held)

    def _held(self) -> None:
        self.emit("held", round(self.held_time, 3))
        if self.opts["hold_repeat"]:
            self.later("hold", self.opts["hold_time"], self._held)

    def _on_release(self, at: float) -> None:
        duration = at - self._pressed_at
        self.cancel("hold")
        self.set_state(label="released", pressed=False)
        self.emit("released", round(duration, 3))
        if duration < min(self.opts["hold_time"], self.opts["long_press"]):
            self._clicks += 1
            self.later("clicks", self._since(at + self.opts["click_window"]), self._clicks_done)
            return
        self._clicks_done()  # a press that was no click ends (and reports) the clicks before it
        if duration >= self.opts["long_press"]:
            self.emit("long_press", round(duration, 3))

    def _clicks_done(self) -> None:
        count, self._clicks = self._clicks, 0
        if count:
            self.emit("clicked", count)

    def sim_values(self, action: str, arg: str | None) -> list[Any]:
        if action == "press":
            return [True]
        if action == "release":
            return [False]
        raise CommandError(f"a button can be pressed or released, not {action!r}")
