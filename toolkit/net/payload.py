"""What a payload arriving from the broker may contain, checked before anything runs.

A command payload on `…/<device>/cmd/<name>` is, in JSON (UTF-8, at most
`MAX_PAYLOAD` bytes):

    (empty) or null     no arguments               lamp/cmd/on
    [0.2, 0.2]          positional arguments       lamp/cmd/blink
    {"n": 3}            keyword arguments          lamp/cmd/blink
    0.5                 one positional argument    lamp/cmd/brightness

Values are finite numbers, texts, booleans, null, or lists of those (a colour
`[255, 0, 0]`, a list of colours), nested at most two deep; `NaN`, `Infinity`,
`1e999` and a key given twice are refused. Everything else is
refused with a `PayloadError` that says why; the device's own command check
(`check_call`) then decides whether the arguments fit the command.

A sim payload (`…/<device>/sim/<action>`) is empty or one short line of text:
the tag id or value that `museokit sim` would take after the action.
"""

from __future__ import annotations

import json
import math
from typing import Any

from museokit.core.events import NAME_RE

MAX_PAYLOAD = 4096
MAX_ITEMS = 256
MAX_DEPTH = 2
MAX_SIM_ARG = 64

Arguments = tuple[list[Any], dict[str, Any]]


class PayloadError(ValueError):
    """A payload was refused; the message says why, in one line."""


def _reject_constant(name: str) -> Any:
    raise PayloadError(f"{name} is not a number museokit accepts")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # `1e999`: JSON, but Infinity once parsed
        raise PayloadError(f"{text[:40]} is not a finite number")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, value in pairs:
        if key in table:
            raise PayloadError(f"key {key[:40]!r} is given twice; give each argument once")
        table[key] = value
    return table


#: One decoder for every payload: `json.loads` with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_finite_float,
                            object_pairs_hook=_no_duplicates)


def decode_json(payload: bytes) -> Any:
    """The JSON value of `payload`, or PayloadError (too big, not UTF-8, not JSON)."""
    if len(payload) > MAX_PAYLOAD:
        raise PayloadError(f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    if not payload.strip():
        return None
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise PayloadError("payload is not UTF-8 text") from None
    try:
        return _DECODER.decode(text)
    except PayloadError:
        raise
    except (ValueError, RecursionError) as exc:
        raise PayloadError(f"payload is not JSON ({str(exc).splitlines()[0]})") from None


def command_arguments(payload: bytes) -> Arguments:
    """Positional and keyword arguments of a command payload; raises PayloadError."""
    value = decode_json(payload)
    if value is None:
        return [], {}
    if isinstance(value, list):
        return [_checked(v, f"argument {i + 1}", 1) for i, v in enumerate(_bounded(value))], {}
    if isinstance(value, dict):
        kwargs: dict[str, Any] = {}
        for key, v in _bounded_items(value):
            if not NAME_RE.match(key):
                raise PayloadError(f"argument name {key[:40]!r} is not a name "
                                   "(lower case letters, digits and _)")
            kwargs[key] = _checked(v, f"argument {key}", 1)
        return [], kwargs
    return [_checked(value, "argument", 0)], {}


def sim_argument(payload: bytes) -> str | None:
    """The text after a sim action (a tag id, a value), or None; raises PayloadError."""
    if len(payload) > MAX_SIM_ARG:
        raise PayloadError(f"sim payload of {len(payload)} bytes is over the {MAX_SIM_ARG}-byte limit")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise PayloadError("sim payload is not UTF-8 text") from None
    if not text:
        return None
    if not text.isprintable():
        raise PayloadError("sim payload has control characters")
    return text


def _bounded(items: list[Any]) -> list[Any]:
    if len(items) > MAX_ITEMS:
        raise PayloadError(f"a list of {len(items)} items is over the {MAX_ITEMS}-item limit")
    return items


def _bounded_items(table: dict[str, Any]) -> list[tuple[str, Any]]:
    if len(table) > MAX_ITEMS:
        raise PayloadError(f"{len(table)} arguments is over the {MAX_ITEMS}-argument limit")
    return list(table.items())


def _checked(value: Any, what: str, depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and depth < MAX_DEPTH:
        return [_checked(v, what, depth + 1) for v in _bounded(value)]
    kind = "a table" if isinstance(value, dict) else "a list nested too deep"
    raise PayloadError(f"{what} is {kind}; arguments are numbers, texts, booleans or lists of them")
