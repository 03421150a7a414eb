"""Where each key of a TOML file is written, so errors can name the line.

`tomllib` parses but forgets positions. This scanner walks the text once and
records the line of every table header and `key = value`, keyed by the path
tomllib's data uses: `("devices", 2, "kind")` for the `kind` of the third
`[[devices]]` table. It understands what installation files use (tables, arrays
of tables, nested arrays of tables such as `[[devices.triggers]]`, dotted keys,
multi-line arrays and strings); values inside inline tables map to the line of
their key.
"""

from __future__ import annotations

import re

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?")
_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_KEY = re.compile(rf"^\s*({_PART}(?:\s*\.\s*{_PART})*)\s*=")


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


def _bracket_balance(value: str) -> int:
    """Net open brackets in a value, ignoring those inside strings and comments."""
    depth, quote = 0, ""
    for ch in value:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            break
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[Path, int]:
    lines: dict[Path, int] = {}
    counts: dict[Path, int] = {}
    table: Path = ()
    depth = 0
    in_multiline = ""
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        if depth > 0:
            depth += _bracket_balance(line)
            continue
        header = _HEADER.match(line)
        if header and not _KEY.match(line):
            name = _resolve(_split_key(header.group(2)), counts)
            if header.group(1) == "[[":
                index = counts.get(name, -1) + 1
                counts[name] = index
                table = (*name, index)
                lines.setdefault(name, number)  # the array itself: its first header
            else:
                table = name
            lines.setdefault(table, number)
            continue
        key = _KEY.match(line)
        if not key:
            continue
        path = (*table, *_split_key(key.group(1)))
        for end in range(len(table) + 1, len(path) + 1):  # `a.b.c = 1` also defines a, a.b
            lines.setdefault(path[:end], number)
        value = line[key.end():]
        for quotes in ('"""', "'''"):
            if value.count(quotes) == 1:
                in_multiline = quotes
        if not in_multiline:
            depth = max(0, _bracket_balance(value))
    return lines


def _resolve(name: tuple[str, ...], counts: dict[Path, int]) -> Path:
    """A header's path with the index of each enclosing array of tables put in.

    `[[devices.triggers]]` after the third `[[devices]]` names ("devices", 2, "triggers"),
    as TOML defines: the sub-table belongs to the array's last element.
    """
    path: Path = ()
    for part in name[:-1]:
        path = (*path, part)
        if path in counts:
            path = (*path, counts[path])
    return (*path, name[-1])


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of `path`, or of its nearest written parent."""
    for end in range(len(path), 0, -1):
        found = lines.get(path[:end])
        if found is not None:
            return found
    return None
