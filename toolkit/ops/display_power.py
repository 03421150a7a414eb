"""Turning the screen or projector off outside opening hours, with what a Pi offers.

    vcgencmd    `vcgencmd display_power 0|1`: the Pi's own HDMI output (legacy and fake-KMS)
    cec         `cec-ctl`: tells a TV or projector on HDMI-CEC to go to standby or wake up
    wlr-randr   `wlr-randr --output NAME --off|--on`: a Wayland desktop (labwc, wayfire)
    blank       no tool: the screen devices go black (they blank themselves on sleep), and
                one warning says which tool would turn the panel off for real

`[schedule] display = "auto"` picks the first that is installed: wlr-randr under a
Wayland session, then cec-ctl with a CEC device, then vcgencmd.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from queue import SimpleQueue

from museokit.core.bus import Bus
from museokit.core.schedule import SCHEDULE_ID

log = logging.getLogger("museokit.display")

Which = Callable[[str], str | None]
INSTALL_HINT = ("install one to switch the panel off for real: vcgencmd (package "
                "libraspberrypi-bin), cec-ctl (v4l-utils) or wlr-randr")


class DisplayPower:
    """Switches the display; `set(False)` at closing time, `set(True)` at opening."""

    name = "blank"
    tool = ""

    def __init__(self) -> None:
        self._warned = False

    def commands(self, on: bool) -> list[list[str]]:
        """The command lines that switch the display on or off."""
        return []

    def set(self, on: bool) -> bool:
        """Switch; True if the tool did it, False (after one warning) if the screen stays lit
        behind a black picture."""
        commands = self.commands(on)
        if not commands:
            self.warn_once(f"no display power tool: the screen only goes black; {INSTALL_HINT}")
            return False
        for args in commands:
            try:
                result = subprocess.run(args, capture_output=True, text=True, timeout=15,
                                        check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                self.warn_once(f"{args[0]} failed ({exc}); the screen only goes black")
                return False
            if result.returncode != 0:
                self.warn_once(f"`{' '.join(args)}` failed (exit {result.returncode}: "
                               f"{result.stderr.strip()[:200]}); the screen only goes black")
                return False
        return True

    def warn_once(self, message: str) -> None:
        if not self._warned:
            log.warning("%s", message)
            self._warned = True


class Vcgencmd(DisplayPower):
    name = tool = "vcgencmd"

    def commands(self, on: bool) -> list[list[str]]:
        return [[self.tool, "display_power", "1" if on else "0"]]


class Cec(DisplayPower):
    name, tool = "cec", "cec-ctl"

    def commands(self, on: bool) -> list[list[str]]:
        # Become a playback device first, then address the TV (logical address 0).
        return [[self.tool, "--playback"],
                [self.tool, "--to", "0", "--image-view-on" if on else "--standby"]]


class WlrRandr(DisplayPower):
    name = tool = "wlr-randr"

    def commands(self, on: bool) -> list[list[str]]:
        outputs = self.outputs()
        return [[self.tool, "--output", out, "--on" if on else "--off"] for out in outputs]

    def outputs(self) -> list[str]:
        """Output names (`HDMI-A-1`): the lines of `wlr-randr` that do not start with a space."""
        try:
            listing = subprocess.run([self.tool], capture_output=True, text=True, timeout=15,
                                     check=False).stdout
        except (OSError, subprocess.TimeoutExpired):
            return []
        return [line.split()[0] for line in listing.splitlines() if line and not line[0].isspace()]


CONTROLS: dict[str, type[DisplayPower]] = {"vcgencmd": Vcgencmd, "cec": Cec,
                                           "wlr-randr": WlrRandr, "none": DisplayPower}


def choose(wanted: str = "auto", which: Which = shutil.which,
           env: dict[str, str] | None = None, cec_device: Path = Path("/dev/cec0")) -> DisplayPower:
    """The display control `wanted` ("auto": the first that fits this machine); a tool that
    is not installed degrades to blanking, with one warning."""
    env = dict(os.environ) if env is None else env
    if wanted == "auto":
        order: Sequence[type[DisplayPower]] = (
            *((WlrRandr,) if env.get("WAYLAND_DISPLAY") else ()),
            *((Cec,) if cec_device.exists() else ()), Vcgencmd)
        for cls in order:
            if which(cls.tool):
                return cls()
        return DisplayPower()
    cls = CONTROLS[wanted]
    if cls.tool and not which(cls.tool):
        fallback = DisplayPower()
        fallback.warn_once(f"[schedule] display = {wanted!r} but {cls.tool} is not installed; "
                           f"the screen only goes black; {INSTALL_HINT}")
        return fallback
    return cls()


def follow_schedule(bus: Bus, power: DisplayPower) -> None:
    """Switch the display at `schedule.open` / `schedule.closed`: in order, on one worker
    thread, since a CEC command can take a second and the loop must not wait for it."""
    wanted: SimpleQueue[bool] = SimpleQueue()

    def work() -> None:
        while True:
            power.set(wanted.get())

    threading.Thread(target=work, name="display power", daemon=True).start()
    bus.subscribe(f"{SCHEDULE_ID}.*", lambda event: wanted.put(event.name == "open"),
                  name=f"display power ({power.name})")
