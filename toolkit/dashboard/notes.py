"""Staff notes per device (working / not working, on floor / off floor, a short text),
kept in the state folder so they survive restarts."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

NOTES_FILE = "dashboard-notes.json"
MAX_TEXT = 500


class Notes:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.notes: dict[str, dict[str, Any]] = data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            self.notes = {}

    def set(self, device: str, text: str, working: bool, on_floor: bool, user: str) -> None:
        with self._lock:
            self.notes[device] = {"text": text[:MAX_TEXT], "working": working,
                                  "on_floor": on_floor, "by": user, "ts": time.time()}
            tmp = self.path.with_suffix(".tmp")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps(self.notes, ensure_ascii=False, indent=1), encoding="utf-8")
            os.replace(tmp, self.path)
