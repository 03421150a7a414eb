"""The audit log: who did what, when, from where — one SQLite file in the state folder."""

from __future__ import annotations

import csv
import io
import sqlite3
import threading
import time
from pathlib import Path

AUDIT_FILE = "audit.sqlite"


class Audit:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS audit(id INTEGER PRIMARY KEY, ts REAL, "
                         "user TEXT, role TEXT, client TEXT, action TEXT, detail TEXT, ok INTEGER)")

    def record(self, user: str, role: str, client: str, action: str, detail: str = "",
               ok: bool = True) -> None:
        with self._lock:
            self._db.execute("INSERT INTO audit(ts, user, role, client, action, detail, ok) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?)",
                             (time.time(), user, role, client, action, detail[:500], int(ok)))

    def recent(self, limit: int = 50) -> list[tuple[float, str, str, str, str, str, int]]:
        with self._lock:
            rows = self._db.execute("SELECT ts, user, role, client, action, detail, ok FROM audit "
                                    "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [tuple(r) for r in rows]

    def csv(self) -> str:
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["time_utc", "user", "role", "client", "action", "detail", "ok"])
        with self._lock:
            rows = self._db.execute("SELECT ts, user, role, client, action, detail, ok FROM audit "
                                    "ORDER BY id").fetchall()
        for ts, *rest in rows:
            w.writerow([time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts)), *rest])
        return out.getvalue()

    def close(self) -> None:
        with self._lock:
            self._db.close()
