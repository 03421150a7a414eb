"""The interaction log's SQLite schema, opened safely and migrated forward.

    events(id, ts, node, device, name, value, seq)   one row per bus event
    runs(id, node, started, last_seen, stopped, version, installation)
                                                      when each node's writer ran (uptime)
    meta(key, value)                                  schema_version, created_by, ...

`ts` is the event's own time (unix seconds, stamped where the input happened);
`value` is the event's value as JSON (NULL for none). A file that is not a
SQLite database, or a SQLite database that is not an interaction log, is moved
aside with one warning line and a new log is started; a log written by a newer
museokit is left alone and refused with one line (`NewerLogError`).
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from museokit import __version__

log = logging.getLogger("museokit.log")

#: The version this museokit writes; each step in MIGRATIONS brings a log one version up.
SCHEMA_VERSION = 2

_V1 = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    node TEXT NOT NULL,
    device TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT,
    seq INTEGER
);
CREATE INDEX IF NOT EXISTS events_ts ON events (ts);
CREATE INDEX IF NOT EXISTS events_device_name_ts ON events (device, name, ts);
"""

_V2 = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    node TEXT NOT NULL,
    started REAL NOT NULL,
    last_seen REAL NOT NULL,
    stopped REAL,
    version TEXT NOT NULL,
    installation TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started);
"""

#: MIGRATIONS[n] takes a log at version n to n + 1 (0: an empty file).
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    0: lambda db: _script(db, _V1),
    1: lambda db: _script(db, _V2),
}


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run the statements inside the caller's transaction (`executescript` would commit it)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


class LogError(Exception):
    """The log cannot be used; the message names the file and what to do."""


class NewerLogError(LogError):
    """The log was written by a newer museokit, whose schema this one cannot read."""


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the log's pragmas (WAL, NORMAL sync: a crash of museokit, even
    `kill -9`, loses nothing committed; a power cut may lose the last second)."""
    if readonly:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
    else:
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA busy_timeout=5000")
    return db


def version_of(db: sqlite3.Connection) -> int:
    """The schema version; 0 for an empty database. Raises LogError for a foreign one."""
    tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return 0
    if "meta" not in tables or "events" not in tables:
        raise LogError(f"a SQLite database that is not a museokit interaction log "
                       f"(tables: {', '.join(sorted(tables))})")
    row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        raise LogError("a museokit log without a schema_version")
    try:
        return int(row[0])
    except ValueError:
        raise LogError(f"a museokit log with a bad schema_version {row[0]!r}") from None


def written_by(db: sqlite3.Connection) -> str:
    row = db.execute("SELECT value FROM meta WHERE key='written_by'").fetchone()
    return str(row[0]) if row else "a newer museokit"


def newer_message(path: Path, version: int, by: str) -> str:
    return (f"{path}: interaction log schema {version}, written by museokit {by}; this museokit "
            f"({__version__}) reads schema {SCHEMA_VERSION} and older — read it with museokit "
            f"{by} or later (pip install -U museokit)")


def migrate(db: sqlite3.Connection, path: Path) -> int:
    """Bring the log up to SCHEMA_VERSION; returns the version it had. NewerLogError if newer."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found = version = version_of(db)
        if version > SCHEMA_VERSION:
            raise NewerLogError(newer_message(path, version, written_by(db)))
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](db)
            version += 1
        if found != version or found == 0:
            rows = [("schema_version", str(version)), ("written_by", __version__)]
            if found == 0:
                rows.append(("created", repr(time.time())))
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    if 0 < found < SCHEMA_VERSION:
        log.info("%s: interaction log migrated from schema %d to %d", path, found, SCHEMA_VERSION)
    return found


def open_log(path: Path) -> sqlite3.Connection:
    """Open (creating or migrating) the log at `path` for writing.

    A corrupt or foreign file is moved aside with one warning line and a new log
    started. Raises NewerLogError for a newer schema, LogError (OSError inside) when
    the folder cannot be used.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LogError(f"{path.parent}: cannot create the folder for the interaction log: "
                       f"{exc.strerror or exc}") from None
    for attempt in (1, 2):
        db: sqlite3.Connection | None = None
        try:
            db = connect(path)
            migrate(db, path)
            return db
        except NewerLogError:
            if db is not None:
                db.close()
            raise
        except (sqlite3.DatabaseError, LogError) as exc:
            if db is not None:
                db.close()
            if attempt == 2 or not _is_bad_file(exc):
                raise LogError(f"{path}: cannot open the interaction log: {exc}") from None
            aside = move_aside(path, "corrupt" if isinstance(exc, sqlite3.DatabaseError) else "foreign")
            log.warning("%s: %s; moved it aside to %s and started a new interaction log",
                        path, _why(exc), aside.name)
    raise AssertionError("not reached")


def open_for_reading(path: Path) -> sqlite3.Connection:
    """Open a log read-only; LogError (one line) if it is missing, not a log, or too new."""
    if not path.is_file():
        raise LogError(f"{path}: no such interaction log — `museokit run` writes one in the "
                       "installation's state folder; `museokit sim --log FILE` writes one too")
    try:
        db = connect(path, readonly=True)
        version = version_of(db)
    except sqlite3.DatabaseError as exc:
        raise LogError(f"{path}: not a museokit interaction log ({exc})") from None
    except LogError as exc:
        raise LogError(f"{path}: {exc}") from None
    if version > SCHEMA_VERSION:
        by = written_by(db)
        db.close()
        raise NewerLogError(newer_message(path, version, by))
    if version < SCHEMA_VERSION:
        db.close()
        # An older log is migrated in place first (readers need the current tables).
        open_log(path).close()
        db = connect(path, readonly=True)
    return db


def _is_bad_file(exc: Exception) -> bool:
    if isinstance(exc, LogError):
        return True
    text = str(exc).lower()
    return "not a database" in text or "malformed" in text or "file is encrypted" in text


def _why(exc: Exception) -> str:
    if isinstance(exc, LogError):
        return str(exc)
    return f"not a readable SQLite database ({exc})"


def move_aside(path: Path, why: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.{why}-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.{why}-{stamp}-{n}")
    path.rename(aside)
    for suffix in ("-wal", "-shm"):
        extra = path.with_name(path.name + suffix)
        if extra.exists():
            extra.rename(aside.with_name(aside.name + suffix))
    return aside
