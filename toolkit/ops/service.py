"""`museokit service install | status | logs | uninstall`: the installation as a systemd unit.

The unit starts after sound and the network, restarts always, and uses systemd's
watchdog: the runtime pings it from its loop (`museokit.ops.sdnotify`), so a hung
loop is restarted as surely as a crashed process. Where the unit lives and how
systemctl and journalctl are called are injectable, so tests need no running systemd.
"""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from museokit.core.config import Installation

#: Seconds without a ping before systemd restarts the service (the loop pings twice as often).
WATCHDOG_SECONDS = 30
#: `install --realtime`: the SCHED_FIFO priority of the service's threads (1–99). Low on
#: purpose: the kernel's own interrupt threads run at 50 and stay ahead of it.
REALTIME_PRIORITY = 10

NO_SYSTEMD = ("this machine does not run systemd (no /run/systemd/system), so museokit cannot "
              "install a service here; on the gallery's Raspberry Pi OS it can. Here, start it "
              "by hand: museokit run PATH")

Runner = Callable[[Sequence[str]], "subprocess.CompletedProcess[str]"]


class ServiceError(RuntimeError):
    """The service cannot be installed or managed; the message says why and what to do."""


def unit_name(inst: Installation) -> str:
    node = "" if inst.node == "main" else f"-{inst.node}"
    return f"museokit-{inst.site}{node}.service".replace("_", "-")


def _quote(arg: str) -> str:
    """An ExecStart word, quoted the way systemd reads quotes when it has spaces."""
    if not arg or any(c in arg for c in " \t\"'\\"):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def render_unit(inst: Installation, user: str, python: str = sys.executable,
                watchdog: int = WATCHDOG_SECONDS, realtime: bool = False) -> str:
    folder = inst.folder.resolve()
    command = " ".join(_quote(a) for a in (python, "-m", "museokit.cli", "run", str(folder)))
    scheduling = f"""\
# --realtime: museokit's threads run before ordinary programs, so a busy Pi (a browser,
# an update) does not delay a visitor's press. The kernel keeps 5 % of every second for
# the others, and the watchdog above restarts a loop stuck in a handler.
CPUSchedulingPolicy=fifo
CPUSchedulingPriority={REALTIME_PRIORITY}
""" if realtime else ""
    return f"""\
# Written by `museokit service install`; `museokit service uninstall` removes it.
[Unit]
Description=museokit installation: {inst.name}
Wants=network-online.target
After=sound.target network-online.target
# Never give up restarting: the gallery has nobody to press a button.
StartLimitIntervalSec=0

[Service]
Type=notify
NotifyAccess=main
User={user}
WorkingDirectory={folder}
ExecStart={command}
Environment=PYTHONUNBUFFERED=1
Restart=always
RestartSec=3
# The runtime loop pings every {watchdog / 2:g} s; a loop stuck longer than this is restarted.
WatchdogSec={watchdog}
TimeoutStartSec=120
TimeoutStopSec=15
{scheduling}
[Install]
WantedBy=multi-user.target
"""


def _run(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), text=True, check=False)


def default_user() -> str:
    """Who the service runs as: the user who ran `sudo museokit ...`, else the current one."""
    return os.environ.get("SUDO_USER") or getpass.getuser()


@dataclass
class Systemd:
    unit_dir: Path = Path("/etc/systemd/system")
    systemctl: Sequence[str] = ("systemctl",)
    journalctl: Sequence[str] = ("journalctl",)
    #: systemd creates this directory when it is the running init system.
    booted_marker: Path = Path("/run/systemd/system")
    run: Runner = field(default=_run)
    #: Asks the kernel for SCHED_FIFO before `--realtime` is written into a unit.
    realtime_probe: Sequence[str] = ("chrt", "-f", str(REALTIME_PRIORITY), "true")

    def require(self) -> None:
        if not self.booted_marker.is_dir():
            raise ServiceError(NO_SYSTEMD)

    def install(self, inst: Installation, user: str | None = None, realtime: bool = False) -> Path:
        """Write the unit, enable it at boot and (re)start it; returns the unit's path."""
        self.require()
        if realtime:
            self.check_realtime()
        path = self.unit_dir / unit_name(inst)
        try:
            path.write_text(render_unit(inst, user or default_user(), realtime=realtime),
                            encoding="utf-8")
        except PermissionError:
            raise ServiceError(f"cannot write {path}: run it as root, e.g. `sudo {sys.argv[0]} "
                               f"service install {inst.folder}`") from None
        self._systemctl("daemon-reload")
        self._systemctl("enable", path.name)
        self._systemctl("restart", path.name)
        return path

    def check_realtime(self) -> None:
        """Refuse `--realtime` where the kernel refuses SCHED_FIFO (not root, or a kernel built
        with RT group scheduling, whose services get no real-time budget): systemd would
        then fail to start the service at all (status=214/SETSCHEDULER)."""
        try:
            result = subprocess.run(list(self.realtime_probe), capture_output=True, text=True,
                                    timeout=10, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            why = str(exc)
        else:
            if result.returncode == 0:
                return
            lines = (result.stderr or result.stdout).strip().splitlines()
            why = lines[-1] if lines else f"exit {result.returncode}"
        raise ServiceError(f"--realtime is not possible here: this machine refused SCHED_FIFO "
                           f"({why[:200]}); run it as root (sudo), or install without --realtime")

    def uninstall(self, inst: Installation) -> Path:
        self.require()
        path = self.unit_dir / unit_name(inst)
        if not path.exists():
            raise ServiceError(f"no service for {inst.folder}: {path} does not exist")
        self._systemctl("disable", "--now", path.name)
        try:
            path.unlink()
        except PermissionError:
            raise ServiceError(f"cannot remove {path}: run it as root (sudo)") from None
        self._systemctl("daemon-reload")
        return path

    def status(self, inst: Installation) -> int:
        self.require()
        return self.run([*self.systemctl, "status", "--no-pager", unit_name(inst)]).returncode

    def logs(self, inst: Installation, lines: int = 100, follow: bool = False) -> int:
        self.require()
        args = [*self.journalctl, "--no-pager", "-u", unit_name(inst), "-n", str(lines)]
        return self.run([*args, "-f"] if follow else args).returncode

    def _systemctl(self, *args: str) -> None:
        result = self.run([*self.systemctl, *args])
        if result.returncode != 0:
            raise ServiceError(f"`systemctl {' '.join(args)}` failed (exit {result.returncode}); "
                               "see the lines above, or `journalctl -xe`")
