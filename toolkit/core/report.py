"""Where every check of the installation file reports, and the small readers they share.

Each part of the file is checked by a unit that lives beside what it checks (states in
`states.py`, nodes and the broker in `nodes.py`, rules in `rules.py`, pins in `pins.py`,
the schedule in `schedule.py`, a backend's own table in `backend.py`). They all report
through one `Report`, which `museokit.core.config` keeps as the issue list: each problem
named by the file, its line and its key path (`installation.toml:12: devices[1].kind: …`).
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from typing import Any

from museokit.core.events import NAME_RE
from museokit.core.suggest import suggest
from museokit.core.tomlmap import Path as KeyPath

__all__ = ["KeyPath", "Report", "bounded", "format_path"]


class Report(ABC):
    """The issue list of one installation file, with the readers every unit uses."""

    @abstractmethod
    def error(self, path: KeyPath, message: str, hint: str = "") -> None:
        """A problem at `path`: the installation does not start."""

    @abstractmethod
    def warn(self, path: KeyPath, message: str, hint: str = "") -> None:
        """A note at `path`: the installation starts anyway."""

    @abstractmethod
    def line(self, path: KeyPath) -> int | None:
        """The line `path` is written on."""

    def unknown_keys(self, path: KeyPath, table: dict[str, Any], known: Iterable[str],
                     what: str) -> None:
        known = list(known)
        for key in table:
            if key not in known:
                self.error((*path, key), f"unknown key {key!r} in {what}",
                           suggest(key, known) or f"known keys: {', '.join(known)}")

    def text_value(self, path: KeyPath, table: dict[str, Any], key: str, default: str | None,
                   slug: bool = False) -> str | None:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            self.error((*path, key), f"expected a text, got {value!r}")
            return default
        if slug and not NAME_RE.match(value):
            self.error((*path, key), f"{value!r} is not a usable name",
                       "use lower case letters, digits and _, starting with a letter")
            return default
        return value

    def seconds(self, path: KeyPath, table: dict[str, Any], key: str) -> float | None:
        value = table.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            self.error((*path, key), f"expected a number of seconds (0 or more), got {value!r}")
            return None
        return float(value)

    def tables(self, raw: Any, name: str) -> list[dict[str, Any]]:
        """The `[[name]]` tables, or none after saying how to write them."""
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            self.error((name,), f"expected [[{name}]] tables",
                       f"write each one under its own [[{name}]] header")
            return []
        return raw

    def section(self, data: dict[str, Any], name: str) -> dict[str, Any]:
        """The `[name]` table (empty if absent, or after saying how to write it)."""
        value = data.get(name, {})
        if not isinstance(value, dict):
            self.error((name,), f"expected a table: write [{name}]")
            return {}
        return value


def format_path(path: KeyPath) -> str:
    """`("devices", 1, "kind")` -> `devices[1].kind`; a key that is not bare is quoted as TOML
    quotes it, and cut short."""
    out = ""
    for part in path:
        if isinstance(part, str) and not _BARE_KEY.match(part):
            part = bounded(json.dumps(part, ensure_ascii=False), _KEY_CHARS)
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
#: The longest message, hint or quoted key an issue prints (a file may hold anything).
MESSAGE_CHARS, _KEY_CHARS = 400, 60


def bounded(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` on one line, control characters escaped, cut at `limit` characters."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"
