"""A node's health in a few numbers: uptime, disk, temperature, handler errors, clock sync.

What the dashboard shows, what `…/health` carries, and what the disk and clock alerts read.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.ops.doctor import OK, PROBLEM, check_clock

_STARTED = time.time()


def temperature() -> float | None:
    """The SoC temperature in °C (a Pi's thermal zone), or None where there is none."""
    try:
        return round(int(Path("/sys/class/thermal/thermal_zone0/temp").read_text()) / 1000, 1)
    except (OSError, ValueError):
        return None


def clock_synced() -> bool | None:
    """True/False when timedatectl or chrony answers, None when it cannot be told here."""
    status = check_clock().status
    return True if status == OK else False if status == PROBLEM else None


def snapshot(folder: Path, errors: int = 0, *, clock: bool = False) -> dict[str, Any]:
    """Health of this box; `clock=True` also asks whether the clock is synced (a subprocess)."""
    try:
        usage = shutil.disk_usage(folder if folder.exists() else Path("/"))
        disk = round(100 * usage.used / usage.total, 1)
        free_gb = round(usage.free / 1e9, 1)
    except OSError:
        disk, free_gb = None, None
    data: dict[str, Any] = {"uptime": round(time.time() - _STARTED), "disk_percent": disk,
                            "disk_free_gb": free_gb, "temperature": temperature(),
                            "handler_errors": errors}
    if clock:
        data["clock_synced"] = clock_synced()
    return data


class HealthPublisher:
    """Publishes this node's health table (`museokit.core.health.Health.table`: the counters
    and this box's snapshot), retained, on `museokit/<site>/<node>/health` every `every`
    seconds from its own thread, through `publish(topic, payload)` (the node's
    `Link.publish`: QoS 1, so it waits while the link is still connecting). The link also
    publishes it when a counter moves and at each connection; this keeps the fleet view's
    disk, temperature and uptime fresh in between."""

    def __init__(self, publish: Callable[[str, bytes], Any], site: str, node: str,
                 table: Callable[[], dict[str, Any]], every: float = 60.0) -> None:
        self.publish = publish
        self.topic = f"museokit/{site}/{node}/health"
        self.table = table
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="museokit health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while True:
            data = self.table()
            self.publish(self.topic, json.dumps(data).encode())
            if self._stop.wait(self.every):
                return
