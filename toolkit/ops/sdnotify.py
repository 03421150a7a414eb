"""systemd's notify protocol with the standard library: `READY=1` once the installation
runs, then `WATCHDOG=1` from a timer **on the loop thread**.

Because the ping is a loop timer, a handler that blocks the loop (not only a crashed
process) stops the pings, and systemd restarts the service after `WatchdogSec=`.
Outside systemd (`NOTIFY_SOCKET` unset) nothing is sent and nothing ticks.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

from museokit.core.loop import Loop, Timer

log = logging.getLogger("museokit.service")


def socket_address(env: Mapping[str, str]) -> str | None:
    """Where systemd listens: a path, or an abstract socket written `@name`."""
    addr = env.get("NOTIFY_SOCKET")
    if not addr:
        return None
    return "\0" + addr[1:] if addr.startswith("@") else addr


def watchdog_interval(env: Mapping[str, str]) -> float | None:
    """Seconds between pings: half of systemd's WatchdogSec, or None if it set none for us."""
    usec, pid = env.get("WATCHDOG_USEC"), env.get("WATCHDOG_PID")
    if not usec or not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid.isdigit() and int(pid) != os.getpid():
        return None  # the watchdog belongs to another process of the unit
    return int(usec) / 1e6 / 2


class SystemdNotifier:
    def __init__(self, loop: Loop, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.loop = loop
        self.address = socket_address(env)
        self.interval = watchdog_interval(env) if self.address else None
        self.pings = 0
        self._timer: Timer | None = None
        self._failed = False

    def start(self) -> None:
        """Say the installation is ready; start pinging if systemd watches us."""
        if self.address is None:
            return
        self.send("READY=1")
        if self.interval is not None:
            self._timer = self.loop.call_every(self.interval, self.ping, first=0.0,
                                               name="systemd watchdog ping")

    def ping(self) -> None:
        if self.send("WATCHDOG=1"):
            self.pings += 1

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self.address is not None:
            self.send("STOPPING=1")

    def send(self, message: str) -> bool:
        assert self.address is not None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(message.encode())
        except OSError as exc:
            if not self._failed:  # once: a broken socket must not flood the journal
                log.warning("cannot notify systemd at %s: %s", self.address.lstrip("\0"), exc)
                self._failed = True
            return False
        return True
