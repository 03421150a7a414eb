"""MicroPython's `network` for CPython: a station interface that joins at once.

The access point is `air`: tests/mpy_runner.py's `wifi off` takes it away, which drops
every joined interface (the firmware must call connect() again, as on a board; a join
started while the access point is away completes when it is back) and cuts
every open MQTT connection without a DISCONNECT (`umqtt.simple` registers them in
`on_air_lost`), so the broker sends their last will.
"""

from __future__ import annotations

from collections.abc import Callable

STA_IF, AP_IF = 0, 1
STAT_IDLE, STAT_CONNECTING, STAT_GOT_IP = 0, 1, 3

air = True
on_air_lost: list[Callable[[], None]] = []
_interfaces: list[WLAN] = []


def set_air(up: bool) -> None:
    global air
    air = up
    if not up:
        for wlan in _interfaces:
            wlan._ssid = None
        for cut in list(on_air_lost):
            cut()


class WLAN:
    def __init__(self, interface: int = STA_IF) -> None:
        self._active = False
        self._ssid: str | None = None
        _interfaces.append(self)

    def active(self, on: bool | None = None) -> bool | None:
        if on is None:
            return self._active
        self._active = bool(on)
        return None

    def connect(self, ssid: str | None = None, key: str | None = None) -> None:
        if not self._active:
            raise OSError("Wifi Not Started")  # what a Pico W says
        self._ssid = ssid

    def disconnect(self) -> None:
        self._ssid = None

    def isconnected(self) -> bool:
        return self._active and self._ssid is not None and air

    def status(self) -> int:
        return STAT_GOT_IP if self.isconnected() else STAT_IDLE

    def ifconfig(self) -> tuple[str, str, str, str]:
        return ("192.168.4.23", "255.255.255.0", "192.168.4.1", "192.168.4.1")
