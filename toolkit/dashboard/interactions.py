"""Today's interactions against the usual for this weekday, and the log as CSV, read from
the interaction log (`museokit.ops.interactions`: `<state dir>/interactions.sqlite`)."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from museokit.ops.interactions import count_events, read_events

#: Weeks looked back for "the usual" on this weekday.
WEEKS = 4


def today_vs_usual(path: Path, inputs: list[str], now: float | None = None) -> str:
    """"42 (usual 37)": the inputs' events since midnight, and the mean of the same weekday
    up to the same time of day over the last four weeks that had any."""
    if not path.exists() or not inputs:
        return "—"
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now)
    midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
    count = count_events(path, midnight.timestamp(), now, inputs)
    past = [n for week in range(1, WEEKS + 1)
            if (n := count_events(path, (midnight - timedelta(weeks=week)).timestamp(),
                                  (today - timedelta(weeks=week)).timestamp(), inputs))]
    usual = f"{sum(past) / len(past):.0f}" if past else "—"
    return f"{count} (usual / habituel: {usual})"


def as_csv(path: Path) -> str | None:
    """The whole log as CSV (None when this node keeps none)."""
    if not path.exists():
        return None
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["time_utc", "ts", "node", "device", "name", "value"])
    for row in read_events(path):
        w.writerow([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(row.ts)), f"{row.ts:.3f}",
                    row.node, row.device, row.name, row.raw or ""])
    return out.getvalue()


def report_html(folder: Path, path: Path) -> str | None:
    """The evaluation report (`museokit report`, French) as one HTML page; None without a log.

    Made by a separate process: matplotlib never loads into the installation's own."""
    if not path.exists():
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.html"
        result = subprocess.run([sys.executable, "-m", "museokit.cli", "report", str(folder),
                                 "--log", str(path), "--out", str(out), "--lang", "fr"],
                                capture_output=True, text=True, timeout=600, check=False)
        if result.returncode != 0 or not out.exists():
            lines = (result.stderr or "museokit report failed").strip().splitlines()
            raise ValueError(lines[-1] if lines else "museokit report failed")
        return out.read_text(encoding="utf-8")
