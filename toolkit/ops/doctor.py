"""`museokit doctor`: is this machine ready to run an installation in the gallery?

Each check says `ok`, a `problem` with its fix, or `n/a` with why it does not apply
here (a laptop has no GPIO header and no systemd service to look at). Checks use
only the standard library and the system's own tools, each looked up first.
"""

from __future__ import annotations

import grp
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

OK, PROBLEM, NOT_HERE = "ok", "problem", "n/a"
#: Free space under which logs and recordings may fill the SD card.
MIN_FREE_BYTES = 1 << 30


@dataclass(frozen=True)
class Finding:
    check: str
    status: str
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        fix = f"\n      fix: {self.fix}" if self.fix else ""
        return f"{self.status:<8} {self.check:<12} {self.detail}{fix}"


def _tool(args: list[str]) -> str | None:
    """The output of a system tool, or None if it is not installed or fails."""
    if shutil.which(args[0]) is None:
        return None
    try:
        result = subprocess.run(args, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout if result.returncode == 0 else None


def is_raspberry_pi(model: Path = Path("/proc/device-tree/model")) -> str | None:
    try:
        text = model.read_text(errors="replace").strip("\0\n ")
    except OSError:
        return None
    return text if "raspberry pi" in text.lower() else None


def check_pin_factory() -> Finding:
    if not is_raspberry_pi():
        return Finding("pin factory", NOT_HERE, "not a Raspberry Pi: no GPIO header here; "
                       "`museokit sim` and `--backend sim` simulate the devices")
    try:
        from museokit.backends.gpio import pin_factory
    except ImportError:
        return Finding("pin factory", PROBLEM, "gpiozero is not installed",
                       "pip install 'museokit[gpio]' in the venv")
    from museokit.core.backend import BackendError

    try:
        factory = pin_factory()
    except BackendError as exc:
        return Finding("pin factory", PROBLEM, str(exc).split(";")[0],
                       "sudo apt install python3-lgpio, and make the venv with "
                       "--system-site-packages")
    return Finding("pin factory", OK, f"gpiozero uses {type(factory).__name__}")


def check_gpio_group(user: str | None = None) -> Finding:
    chips = sorted(Path("/dev").glob("gpiochip*"))
    if not chips:
        return Finding("gpio access", NOT_HERE, "no /dev/gpiochip*: this machine has no GPIO")
    if all(os.access(chip, os.R_OK | os.W_OK) for chip in chips):
        return Finding("gpio access", OK, f"{len(chips)} GPIO chip(s) readable and writable")
    who = user or os.environ.get("USER", "this user")
    in_group = _in_group("gpio")
    return Finding("gpio access", PROBLEM, f"{chips[0]} is not writable by {who}"
                   + ("" if in_group else " (not in the gpio group)"),
                   f"sudo usermod -aG gpio {who}, then log out and in again")


def _in_group(name: str) -> bool:
    try:
        gid = grp.getgrnam(name).gr_gid
    except KeyError:
        return False
    return gid in os.getgroups()


def check_audio() -> Finding:
    cards = Path("/proc/asound/cards")
    listing = cards.read_text() if cards.exists() else ""
    if "no soundcards" in listing or not listing.strip():
        if is_raspberry_pi():
            return Finding("audio", PROBLEM, "no sound card found",
                           "enable audio: dtparam=audio=on in /boot/firmware/config.txt, "
                           "or plug in the USB sound card / HDMI screen, then reboot")
        return Finding("audio", NOT_HERE, "no sound card on this machine")
    names = [line.split("]:", 1)[1].strip() for line in listing.splitlines() if "]:" in line]
    return Finding("audio", OK, "sound cards: " + "; ".join(names))


def check_display() -> Finding:
    connectors = sorted(Path("/sys/class/drm").glob("card*-*/status"))
    if not connectors:
        return Finding("display", NOT_HERE, "no DRM display outputs (headless or a container)")
    connected = [p.parent.name for p in connectors if p.read_text().strip() == "connected"]
    if not connected:
        return Finding("display", PROBLEM, "no screen or projector is connected",
                       "plug the HDMI cable in before boot, and switch the projector on")
    return Finding("display", OK, "connected: " + ", ".join(connected))


def check_disk(path: Path = Path("/")) -> Finding:
    free = shutil.disk_usage(path).free
    gib = free / (1 << 30)
    if free < MIN_FREE_BYTES:
        return Finding("disk", PROBLEM, f"only {gib:.1f} GiB free on {path}",
                       "sudo journalctl --vacuum-size=200M, and delete old recordings")
    return Finding("disk", OK, f"{gib:.1f} GiB free on {path}")


def check_clock() -> Finding:
    status = _tool(["timedatectl", "show", "-p", "NTPSynchronized", "--value"])
    if status is not None:
        if status.strip() == "yes":
            return Finding("clock", OK, "synchronised (timedatectl)")
        return Finding("clock", PROBLEM, "not synchronised: opening hours would be off",
                       "connect to a network, then sudo timedatectl set-ntp true")
    tracking = _tool(["chronyc", "tracking"])
    if tracking is not None:
        if "Not synchronised" in tracking or "Leap status     : Not" in tracking:
            return Finding("clock", PROBLEM, "chrony is not synchronised",
                           "check the network; `chronyc sources` lists the servers")
        return Finding("clock", OK, "synchronised (chrony)")
    return Finding("clock", NOT_HERE, "neither timedatectl (with systemd running) nor chrony "
                   "answers here, so clock sync cannot be checked")


def check_service(unit: str | None) -> Finding:
    if not Path("/run/systemd/system").is_dir():
        return Finding("service", NOT_HERE, "systemd is not running here, so no service runs")
    if unit is None:
        return Finding("service", NOT_HERE, "no installation given: `museokit doctor PATH` "
                       "also checks its service")
    state = (_tool(["systemctl", "is-active", unit]) or "").strip() or "not installed"
    if state == "active":
        return Finding("service", OK, f"{unit} is running")
    fix = ("sudo museokit service install PATH" if state == "not installed"
           else f"`journalctl -u {unit} -n 50` says why it stopped")
    return Finding("service", PROBLEM, f"{unit} is {state}", fix)


def run_checks(unit: str | None = None) -> list[Finding]:
    checks: list[Callable[[], Finding]] = [check_pin_factory, check_gpio_group, check_audio,
                                           check_display, check_disk, check_clock,
                                           lambda: check_service(unit)]
    return [check() for check in checks]


def report(findings: list[Finding]) -> list[str]:
    lines = [str(f) for f in findings]
    problems = sum(f.status == PROBLEM for f in findings)
    skipped = [f.check for f in findings if f.status == NOT_HERE]
    summary = f"{problems} problem{'s' if problems != 1 else ''}"
    if skipped:
        summary += f"; not checked on this machine: {', '.join(skipped)}"
    return [*lines, summary]
