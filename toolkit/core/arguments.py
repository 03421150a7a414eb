"""The one place a command's argument values are checked against its signature.

Rules, scenarios, the console, MQTT payloads and behaviour calls all reach a device
command through `device.check_arguments` or the `@command` wrapper, and both ask
`problem()`: a number must be finite (a `Pulse(fade_in=inf)` never starts), a
value must have the type the command's annotation names (`float`, `int`, `str`,
`bool`, `X | None`; `Any` and other annotations take any value), and lists are
looked into for non-finite numbers (a colour `[255, nan, 0]`). Ranges are the
command's own business (`Option.check`), since only it knows them.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

#: Whole numbers from here on do not fit a float.
_FLOAT_INT = 2 ** 1023
#: Annotation words this module understands, and what each accepts.
_ACCEPTS: dict[str, Callable[[Any], bool]] = {
    "float": lambda v: isinstance(v, float) or (isinstance(v, int) and not isinstance(v, bool)
                                                 and abs(v) < _FLOAT_INT),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "None": lambda v: v is None,
}
_WORDS = {"float": "a number", "int": "a whole number", "str": "a text", "bool": "true or false",
          "None": "none"}
#: How deep lists are looked into (payloads nest two deep at most).
_MAX_DEPTH = 4


@functools.lru_cache(maxsize=512)
def _plan(fn: Callable[..., Any]) -> tuple[inspect.Signature, dict[str, tuple[str, ...] | None]]:
    """The signature of `fn` and, per parameter, the annotation words it allows (None: any)."""
    sig = inspect.signature(fn)
    allowed: dict[str, tuple[str, ...] | None] = {}
    for name, p in sig.parameters.items():
        text = p.annotation if isinstance(p.annotation, str) else getattr(
            p.annotation, "__name__", "Any")
        words = tuple(w.strip() for w in str(text).split("|"))
        allowed[name] = words if all(w in _ACCEPTS for w in words) else None
    return sig, allowed


def problem(fn: Callable[..., Any], args: tuple[Any, ...] | list[Any],
            kwargs: dict[str, Any]) -> str | None:
    """Why these values do not fit `fn(self, *args, **kwargs)`, or None.

    Arguments that do not bind at all are left to the caller's signature check."""
    sig, allowed = _plan(fn)
    try:
        bound = sig.bind(None, *args, **kwargs)
    except TypeError:
        return None
    for name, value in list(bound.arguments.items())[1:]:
        kind = sig.parameters[name].kind
        values = value if kind is inspect.Parameter.VAR_POSITIONAL else (
            value.values() if kind is inspect.Parameter.VAR_KEYWORD else (value,))
        for v in values:
            bad = _non_finite(v, 0)
            if bad is not None:
                return f"{name}: {bad} is not a finite number"
            words = allowed[name] if kind not in (inspect.Parameter.VAR_POSITIONAL,
                                                  inspect.Parameter.VAR_KEYWORD) else None
            if words is not None and not any(_ACCEPTS[w](v) for w in words):
                expected = " or ".join(_WORDS[w] for w in words)
                return f"{name}: expected {expected}, got {excerpt(repr(v), 40)}"
    return None


def _non_finite(value: Any, depth: int) -> str | None:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, list | tuple) and depth < _MAX_DEPTH:
        for v in value:
            bad = _non_finite(v, depth + 1)
            if bad is not None:
                return bad
    return None


def excerpt(text: str, limit: int = 120) -> str:
    """`text` cut to `limit` characters, control characters escaped: safe for one log line."""
    cut = text[:limit]
    if not cut.isprintable():
        cut = "".join(c if c.isprintable() else repr(c)[1:-1] for c in cut)[:limit]
    return cut + ("…" if len(text) > limit else "")
