"""`[log]` and `[evaluation]`: how the interaction log is kept, and how visits are read from it.

    [log]
    enabled = true            # `museokit run` logs every bus event (default: on)
    file = "interactions.sqlite"   # relative to the node's state folder, or absolute
    keep_days = 365           # older events are deleted
    max_mb = 1000             # beyond this, the oldest events go first

    [evaluation]
    presence = ["entrance"]   # devices that see passers-by (default: motion, distance, cameras)
    interactions = ["door"]   # devices a visitor plays with (default: the other inputs);
                              # "plinth.released": that event is the interaction (default:
                              # the device's first event, `pressed`, `placed`, ...)
    content = ["screen"]      # devices whose started/finished are content (default: screens, sounds)
    session_gap = 20          # s without a visitor event that end a visit (default: the idle
                              # timeout of the second state, else 30)
    stop_seconds = 2          # a visit this long (or with an interaction) is a stop
    silent_hours = 4          # an input quiet this long at the end of the range has fallen silent
    [evaluation.media_lengths]    # seconds, when no complete play in the log says it
    "media/portrait.mp4" = 42

Only the shape is checked here (core knows nothing of the log or the reports);
device names are checked against the installation's devices.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from museokit.core.suggest import suggest

LOG_KEYS = ("enabled", "file", "keep_days", "max_mb")
EVALUATION_KEYS = ("presence", "interactions", "content", "session_gap", "stop_seconds",
                   "silent_hours", "media_lengths")

Problem = Callable[[tuple[str | int, ...], str, str], None]


@dataclass(frozen=True)
class LogConfig:
    enabled: bool = True
    file: str | None = None
    keep_days: float | None = 365.0
    max_mb: float | None = 1000.0


@dataclass(frozen=True)
class EvaluationConfig:
    """What the file says; None: derive from the installation (museokit.evaluation.rules)."""

    presence: tuple[str, ...] | None = None
    interactions: tuple[str, ...] | None = None
    content: tuple[str, ...] | None = None
    session_gap: float | None = None
    stop_seconds: float = 2.0
    silent_hours: float = 4.0
    media_lengths: dict[str, float] = field(default_factory=dict)


def parse_log(table: dict[str, Any], problem: Problem) -> LogConfig:
    _unknown(table, LOG_KEYS, "[log]", problem)
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        problem(("enabled",), f"expected true or false, got {enabled!r}", "")
        enabled = True
    file = table.get("file")
    if file is not None and (not isinstance(file, str) or not file):
        problem(("file",), f"expected a file name, got {file!r}",
                "a name in the node's state folder, like \"interactions.sqlite\", or a full path")
        file = None
    keep = _positive(table, "keep_days", 365.0, problem, "days")
    size = _positive(table, "max_mb", 1000.0, problem, "megabytes")
    return LogConfig(enabled, file, keep, size)


def parse_evaluation(table: dict[str, Any], devices: dict[str, tuple[str, ...]], problem: Problem
                     ) -> EvaluationConfig:
    """`devices` maps each device id to its events (names are checked against them)."""
    _unknown(table, EVALUATION_KEYS, "[evaluation]", problem)
    lists = {key: _devices(table, key, devices, problem) for key in ("presence", "interactions",
                                                                     "content")}
    gap = _positive(table, "session_gap", None, problem, "seconds")
    stop = _positive(table, "stop_seconds", 2.0, problem, "seconds")
    silent = _positive(table, "silent_hours", 4.0, problem, "hours")
    lengths: dict[str, float] = {}
    raw = table.get("media_lengths", {})
    if not isinstance(raw, dict):
        problem(("media_lengths",), "expected a table of file = seconds",
                "write [evaluation.media_lengths] then \"media/film.mp4\" = 42")
    else:
        for name, seconds in raw.items():
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
                problem(("media_lengths", name), f"expected seconds above 0, got {seconds!r}", "")
            else:
                lengths[name] = float(seconds)
    return EvaluationConfig(lists["presence"], lists["interactions"], lists["content"], gap,
                            2.0 if stop is None else stop, 4.0 if silent is None else silent,
                            lengths)


def _unknown(table: dict[str, Any], known: tuple[str, ...], what: str, problem: Problem) -> None:
    for key in table:
        if key not in known:
            problem((key,), f"unknown key {key!r} in {what}",
                    suggest(key, known) or f"known keys: {', '.join(known)}")


def _positive(table: dict[str, Any], key: str, default: float | None, problem: Problem,
              unit: str) -> float | None:
    value = table.get(key, default)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        problem((key,), f"expected a number of {unit} above 0, got {value!r}", "")
        return default
    return float(value)


def _devices(table: dict[str, Any], key: str, devices: dict[str, tuple[str, ...]],
             problem: Problem) -> tuple[str, ...] | None:
    """Device ids, or `device.event` where one event of the device is what counts."""
    raw = table.get(key)
    if raw is None:
        return None
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        problem((key,), f"expected a list of device ids, got {raw!r}", f'{key} = ["door"]')
        return None
    for i, entry in enumerate(raw):
        name, _, event = entry.partition(".")
        if name not in devices:
            problem((key, i), f"unknown device {name!r}",
                    suggest(name, list(devices)) or f"devices: {', '.join(devices)}")
        elif event and event not in devices[name]:
            problem((key, i), f"{name} has no event {event!r}",
                    suggest(event, list(devices[name])) or f"its events: {', '.join(devices[name])}")
    return tuple(raw)
