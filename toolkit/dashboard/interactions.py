"""Today's interactions against the usual for this weekday, and the log as CSV, read from
the interaction log (`museokit.ops.interactions`, `<state dir>/interactions.sqlite`)."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

LOG_FILE = "interactions.sqlite"
#: Weeks looked back for "the usual" on this weekday.
WEEKS = 4


def log_path(state_dir: Path) -> Path:
    return state_dir / LOG_FILE


def _count(path: Path, start: float, end: float, devices: Iterable[str]) -> int:
    from museokit.ops.interactions import read_events  # type: ignore[import-not-found]

    return sum(1 for _ in read_events(path, start=start, end=end, devices=list(devices)))


def today_vs_usual(path: Path, inputs: list[str], now: float | None = None) -> str:
    """"42 (usual 37 by this time)"; the usual is the mean of the same weekday in the last
    four weeks, up to the same time of day, over the weeks that have any interaction."""
    if not path.exists() or not inputs:
        return "—"
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    count = _count(path, midnight.timestamp(), now, inputs)
    past = []
    for week in range(1, WEEKS + 1):
        day = midnight - timedelta(weeks=week)
        n = _count(path, day.timestamp(), (today - timedelta(weeks=week)).timestamp(), inputs)
        if n:
            past.append(n)
    usual = f"{sum(past) / len(past):.0f}" if past else "—"
    return f"{count} (usual / habituel: {usual})"


def as_csv(path: Path) -> str | None:
    """The whole log as CSV (None when this node keeps none)."""
    from museokit.ops.interactions import read_events  # type: ignore[import-not-found]

    if not path.exists():
        return None
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["time_utc", "ts", "node", "device", "name", "value"])
    for row in read_events(path):
        ts = float(row["ts"])
        value = row["value"]
        w.writerow([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)), f"{ts:.3f}", row["node"],
                    row["device"], row["name"],
                    value if isinstance(value, str) else json.dumps(value)])
    return out.getvalue()
