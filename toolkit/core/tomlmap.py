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

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_BASIC = re.compile(r'"((?:[^"\\]|\\.)*)"')
_LITERAL = re.compile(r"'([^']*)'")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


def _unescape(text: str) -> str:
    def one(m: re.Match[str]) -> str:
        code = m.group(1)
        if code[0] in "uU":
            try:
                return chr(int(code[1:], 16))
            except (ValueError, OverflowError):
                return code
        return _ESCAPES.get(code, code)
    return re.sub(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", one, text)


def _parse_key(line: str, pos: int) -> tuple[tuple[str, ...], int] | None:
    """The dotted key starting at `pos` (spaces allowed around dots) and where it ends."""
    parts: list[str] = []
    while True:
        while pos < len(line) and line[pos] in " \t":
            pos += 1
        for pattern, decode in ((_BARE, None), (_BASIC, _unescape), (_LITERAL, None)):
            m = pattern.match(line, pos)
            if m:
                parts.append(decode(m.group(1)) if decode else m.group(m.lastindex or 0))
                pos = m.end()
                break
        else:
            return None
        rest = len(line) - len(line[pos:].lstrip(" \t"))
        if rest < len(line) and line[rest] == ".":
            pos = rest + 1
            continue
        return tuple(parts), rest


def _header(line: str) -> tuple[str, tuple[str, ...]] | None:
    """(`[` or `[[`, key) of a table header line, else None."""
    stripped = line.lstrip(" \t")
    if not stripped.startswith("["):
        return None
    opener = "[[" if stripped.startswith("[[") else "["
    found = _parse_key(stripped, len(opener))
    if found is None:
        return None
    key, end = found
    closer = "]]" if opener == "[[" else "]"
    return (opener, key) if stripped.startswith(closer, end) else None


def _key(line: str) -> tuple[tuple[str, ...], int] | None:
    """The key of a `key = value` line and where its value starts, else None."""
    found = _parse_key(line, 0)
    if found is None or not line.startswith("=", found[1]):
        return None
    return found[0], found[1] + 1


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
        header = _header(line)
        if header:
            name = _resolve(header[1], counts)
            if header[0] == "[[":
                index = counts.get(name, -1) + 1
                counts[name] = index
                table = (*name, index)
                lines.setdefault(name, number)  # the array itself: its first header
            else:
                table = name
            lines.setdefault(table, number)
            continue
        key = _key(line)
        if not key:
            continue
        path = (*table, *key[0])
        for end in range(len(table) + 1, len(path) + 1):  # `a.b.c = 1` also defines a, a.b
            lines.setdefault(path[:end], number)
        value = line[key[1]:]
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
