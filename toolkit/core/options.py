"""Typed device options, declared by each device class and checked at load time.

A device class lists its options once (`Option(float, 0.05, "...", min=0)`), and
the installation file is validated against that list: unknown keys get a
close-match suggestion, wrong types and out-of-range values say what was
expected.

Table options (`zones = {near = 50, far = 150}`) give the type of their values as
`item`. The same checks serve command arguments: `Option.check` raises the error
class a caller asks for (devices raise `CommandError`), naming the argument.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from museokit.core.colors import parse_color


class OptionError(ValueError):
    """A value does not fit its option; the message says what was expected.

    `key`: in a table option, the key of the value that does not fit (its line is named).
    """

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


# Named here because inside Option the field `type` shadows the builtin.
ItemType = type | str
ErrorClass = type[ValueError]

_TYPE_WORDS = {bool: "true or false", int: "a whole number", float: "a number", str: "a text",
               list: "a list", dict: "a table like {name = value}"}


@dataclass(frozen=True)
class Option:
    type: type | str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: Sequence[str] | None = None
    #: For table (dict) options: the type of each value; min, max and choices apply to it.
    item: ItemType | None = None

    def expected(self) -> str:
        if self.type is dict and self.item is not None:
            return f"a table like {{name = value}}, each value {self._item().expected()}"
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.type == "color":
            return "a colour ('red', '#ff8800' or [255, 136, 0])"
        t = self.type
        word = _TYPE_WORDS.get(t, str(t)) if isinstance(t, type) else str(t)
        if self.min is not None and self.max is not None:
            return f"{word} from {self.min:g} to {self.max:g}"
        if self.min is not None:
            return f"{word} of at least {self.min:g}"
        if self.max is not None:
            return f"{word} of at most {self.max:g}"
        return word

    def convert(self, raw: Any) -> Any:
        """Return the checked value, or raise OptionError saying what was expected."""
        t = self.type
        if t == "color":
            try:
                return parse_color(raw)
            except ValueError as exc:
                raise OptionError(str(exc)) from None
        if t is bool:
            if not isinstance(raw, bool):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            return raw
        if t in (int, float):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            if t is int and not isinstance(raw, int):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            try:
                value: Any = float(raw) if t is float else raw
            except OverflowError:
                raise OptionError(f"expected {self.expected()}, got a number too large") from None
            if t is float and not math.isfinite(value):
                raise OptionError(f"expected {self.expected()}, got {raw!r} (not a finite number)")
            # Written so that NaN (valid TOML: `nan`) fails any bound.
            if (self.min is not None and not value >= self.min) or (
                    self.max is not None and not value <= self.max):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            return value
        if t is str:
            if not isinstance(raw, str):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            if self.choices and raw not in self.choices:
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            return raw
        if t is list:
            if not isinstance(raw, list):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            return raw
        if t is dict:
            if not isinstance(raw, dict):
                raise OptionError(f"expected {self.expected()}, got {raw!r}")
            if self.item is None:
                return raw
            item = self._item()
            checked = {}
            for key, value in raw.items():
                try:
                    checked[key] = item.convert(value)
                except OptionError as exc:
                    raise OptionError(f"{key}: {exc}", key) from None
            return checked
        raise OptionError(f"unsupported option type {t!r}")

    def check(self, name: str, raw: Any, error: ErrorClass = OptionError) -> Any:
        """Convert `raw`, or raise `error` saying which value (`name`) did not fit and why."""
        try:
            return self.convert(raw)
        except OptionError as exc:
            raise error(f"{name}: {exc}") from None

    def _item(self) -> Option:
        assert self.item is not None
        return Option(self.item, None, self.help, self.min, self.max, self.choices)


# Arguments that many device commands share (`relay.pulse 2`, `lamp.blink n=3`).
#: How long a timed command lasts.
SECONDS = Option(float, 1.0, "seconds", min=0.001)
#: How many times a pattern repeats.
COUNT = Option(int, 1, "how many times", min=1)
