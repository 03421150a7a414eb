"""The interaction log: every bus event of a node in an embedded SQLite database (WAL).

    from museokit.ops.interactions import InteractionLog, read_events, default_path

Written off the loop thread by `InteractionLog` (writer.py); read by reports,
replay, exports and the staff dashboard through `read_events` and friends
(reader.py); the schema and its migrations are in schema.py.
"""

from __future__ import annotations

from museokit.ops.interactions.node import FILENAME, default_path, log_path, start_log
from museokit.ops.interactions.reader import (
    LoggedEvent,
    Run,
    count_by_day,
    count_events,
    read_events,
    read_runs,
    time_span,
)
from museokit.ops.interactions.schema import SCHEMA_VERSION, LogError, NewerLogError
from museokit.ops.interactions.writer import HANDLER_ERROR, RUNTIME_DEVICE, InteractionLog

__all__ = ["FILENAME", "HANDLER_ERROR", "RUNTIME_DEVICE", "SCHEMA_VERSION", "InteractionLog",
           "LogError", "LoggedEvent", "NewerLogError", "Run", "count_by_day", "count_events",
           "default_path", "log_path", "read_events", "read_runs", "start_log",
           "time_span"]
