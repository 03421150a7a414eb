"""The writer: every bus event into the interaction log, on its own thread, in batches.

    log = InteractionLog(path, node="main", keep_days=365, max_mb=500)
    log.attach(runtime)        # taps the bus; handler errors are logged too
    ...
    log.close()                # writes what is waiting, marks the run stopped

The loop thread only appends a tuple to a deque (O(1), no lock, no I/O); the
writer thread, once something waits, lets a batch gather for `interval` seconds,
encodes the values as JSON and inserts the batch in one transaction. While the
gallery is quiet it sleeps until the next event (or the minute's heartbeat), so
an idle installation costs no wake-ups. Durability: WAL with `synchronous=NORMAL`,
so every committed batch survives a crash of the process (`kill -9`); a power cut
may lose the last batches. `on_commit(rows)` is called after each commit.

A full disk or a read-only folder pauses logging with one warning line: events
wait in memory (up to `max_pending`; beyond that the newest are counted and
dropped) and are written when a retry succeeds, with one line saying so. The
installation never waits for the log and never sees its errors.

Camera events store zones and counts, never pictures: a value holding bytes or
an array (a frame) is written as `"<picture not stored>"`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from museokit import __version__
from museokit.core.events import Event
from museokit.ops.interactions.schema import LogError, NewerLogError, open_log

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.log")

#: The device and event names of what the runtime itself reports into the log.
RUNTIME_DEVICE = "runtime"
HANDLER_ERROR = "handler_error"
PICTURE = "<picture not stored>"
#: Seconds between two updates of a quiet run's `last_seen` (the resolution of uptime).
HEARTBEAT = 60.0

Row = tuple[float, str, str, str, Any, int]


def encode(value: Any) -> str | None:
    """An event's value as compact JSON (None stays NULL); pictures are never stored."""
    if value is None:
        return None
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_plain)
    except (TypeError, ValueError):
        return json.dumps(repr(value))


def _plain(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview) or hasattr(value, "shape"):
        return PICTURE
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


class InteractionLog:
    """The node's interaction log writer (see the module's docstring)."""

    def __init__(self, path: str | Path, *, node: str = "main", installation: str = "",
                 keep_days: float | None = 365.0, max_mb: float | None = 1000.0,
                 interval: float = 0.25, retry: float = 5.0, max_pending: int = 200_000,
                 on_commit: Callable[[int], Any] | None = None,
                 clock: Callable[[], float] | None = None, lossless: bool = False) -> None:
        self.path = Path(path)
        self.node = node
        self.installation = installation
        self.keep_days = keep_days
        self.max_bytes = None if max_mb is None else int(max_mb * 1024 * 1024)
        self.interval = interval
        self.retry = retry
        self.max_pending = max_pending
        self.on_commit = on_commit
        #: What "now" is for runs and retention: the runtime's clock once attached (a
        #: simulated day lives on its virtual clock), else the given one, else real time.
        self.clock: Callable[[], float] = clock or time.time
        self._own_clock = clock is not None
        #: Simulations never lose an event: when too many wait, the loop writes them itself.
        self.lossless = lossless
        self.written = 0
        self.dropped = 0
        self.paused = False
        self._pending: deque[Row] = deque()
        #: Rows taken from `_pending` and encoded, not yet committed (the writer thread's).
        self._unwritten: list[tuple[float, str, str, str, str | None, int]] = []
        self._lock = threading.Lock()
        #: Set to wake the writer: by `close`, and by `record` while the writer sleeps idle.
        self._wake = threading.Event()
        self._asleep = False
        self._closing = False
        self._runtime: Runtime | None = None
        self._closed = False
        self._db: sqlite3.Connection | None = None
        try:
            self._db = open_log(self.path)
        except NewerLogError:
            raise  # the caller says so in one line and runs without a log
        except LogError as exc:  # a read-only or full disk: wait for it, like a failed write
            self._pause(exc)
        self._run_id: int | None = None
        self._seen = 0.0  # when the run's last_seen was last written
        self._last_trim = 0.0
        self._thread = threading.Thread(target=self._serve, name="museokit interaction log",
                                        daemon=True)
        self._thread.start()

    # -- the loop thread -------------------------------------------------------------------
    def record(self, event: Event) -> None:
        """Hand an event over (any thread; O(1), never blocks, never raises)."""
        pending = self._pending
        # Full only when paused long enough to fill memory (or a simulation outruns the disk).
        if len(pending) >= self.max_pending:
            if not self.lossless:
                self.dropped += 1
                return
            self.flush()  # returns once the writer (or this call) has taken the queue
        pending.append((event.ts, event.node or self.node, event.device, event.name, event.value,
                        event.seq))
        if self._asleep:
            self._wake_up()

    def record_row(self, ts: float, node: str, device: str, name: str, value: Any = None,
                   seq: int = 0) -> None:
        """Log something that is not a bus event (a handler error, an alert)."""
        if len(self._pending) + len(self._unwritten) < self.max_pending:
            self._pending.append((ts, node or self.node, device, name, value, seq))
            if self._asleep:
                self._wake_up()
        else:
            self.dropped += 1

    def _wake_up(self) -> None:
        self._asleep = False
        self._wake.set()

    def attach(self, runtime: Runtime) -> None:
        """Log every event on `runtime`'s bus, and its handler errors."""
        with self._lock:
            if self._runtime is not None and self._run_id is not None:
                self._end_run()  # a new runtime (the next simulated day, a reload) is a new run
            self._runtime = runtime
            if not self._own_clock:
                self.clock = runtime.clock.time
            self._run_id = self._start_run()
        runtime.bus.tap(self.record, name="interaction log")
        runtime.bus.stats.error_listeners.append(self._handler_error)

    def _handler_error(self, name: str, what: str, exc: BaseException) -> None:
        runtime = self._runtime
        ts = runtime.clock.time() if runtime is not None else self.clock()
        self.record_row(ts, self.node, RUNTIME_DEVICE, HANDLER_ERROR,
                        {"handler": name, "on": what, "error": f"{type(exc).__name__}: {exc}"})

    # -- the writer thread -----------------------------------------------------------------
    def _serve(self) -> None:
        while not self._closing:
            self._wait_for_work()
            self.flush()
        self.flush()

    def _wait_for_work(self) -> None:
        """Sleep a batch's `interval` when rows wait, else until `record` wakes us."""
        if self.paused:
            timeout = self.retry
        elif self._pending:
            timeout = self.interval  # let a burst gather into one transaction
        else:
            self._asleep = True
            # Looked again after saying so: a row appended in between is not left waiting.
            timeout = self.interval if self._pending else HEARTBEAT
        self._wake.wait(timeout)
        self._wake.clear()
        self._asleep = False

    def flush(self) -> int:
        """Write what is waiting now (the writer thread calls it; tests and close too)."""
        with self._lock:
            return self._flush()

    def _flush(self) -> int:
        if self._closed:
            return 0
        if self._db is None and not self._reopen():
            return 0
        db = self._db
        assert db is not None
        if self._run_id is None and self._pending and not self.paused:
            self._run_id = self._start_run()
        # Rows leave the deque only here (one consumer), so popleft never races the loop's append.
        take, batch = self._pending.popleft, self._unwritten
        for _ in range(min(len(self._pending), self.max_pending - len(batch))):
            row = take()
            batch.append((row[0], row[1], row[2], row[3], encode(row[4]), row[5]))
        n = len(batch)
        rows = batch
        now = self.clock()
        beat = self._run_id is not None and (rows or now - self._seen >= HEARTBEAT)
        if not rows and not beat:
            return 0  # nothing to write: no transaction at all
        try:
            db.execute("BEGIN")
            if rows:
                db.executemany("INSERT INTO events (ts, node, device, name, value, seq) "
                               "VALUES (?, ?, ?, ?, ?, ?)", rows)
            if beat:
                db.execute("UPDATE runs SET last_seen=? WHERE id=?", (now, self._run_id))
                self._seen = now
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            self._pause(exc)
            return 0
        self._unwritten = []
        self.written += n
        if self.paused:
            self.paused = False
            log.warning("interaction log resumed: %s writable again, %d waiting events written%s",
                        self.path, n, f", {self.dropped} dropped while it was full"
                        if self.dropped else "")
        if self.on_commit is not None and n:
            self.on_commit(n)
        self._trim_now_and_then()
        return n

    def _rollback(self) -> None:
        assert self._db is not None
        with contextlib.suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def _reopen(self) -> bool:
        try:
            self._db = open_log(self.path)
        except LogError:
            return False
        if self._runtime is not None:
            self._run_id = self._start_run()
        return True

    def _pause(self, exc: Exception) -> None:
        if self.paused:
            return
        self.paused = True
        text = str(exc).lower().replace(str(self.path).lower(), "")
        folder = self.path.parent
        if "readonly" in text or (folder.is_dir() and not os.access(folder, os.W_OK)):
            why = f"{folder} is read-only — make it writable"
        elif "disk is full" in text or "no space" in text:
            why = "the disk is full — free some space"
        else:
            why = f"{str(exc).removeprefix(f'{self.path}: ')} — check the disk and the folder"
        log.warning("interaction log paused: cannot write %s: %s; the installation runs on, "
                    "events wait in memory (up to %d) and are written when it can (retry every "
                    "%g s)", self.path, why, self.max_pending, self.retry)

    def _end_run(self) -> None:
        """Write what waits and mark the run stopped now (on the clock of its runtime)."""
        self._flush()
        if self._run_id is not None and self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                now = self.clock()
                self._db.execute("UPDATE runs SET last_seen=?, stopped=? WHERE id=?",
                                 (now, now, self._run_id))
        self._run_id = None

    def _start_run(self) -> int | None:
        if self._db is None:
            return None  # paused: _reopen starts it
        now = self.clock()
        try:
            cur = self._db.execute("INSERT INTO runs (node, started, last_seen, version, installation)"
                                   " VALUES (?, ?, ?, ?, ?)",
                                   (self.node, now, now, __version__, self.installation))
        except sqlite3.Error as exc:
            self._pause(exc)
            return None
        return cur.lastrowid

    # -- retention ---------------------------------------------------------------------------
    def _trim_now_and_then(self) -> None:
        now = time.monotonic()
        if now - self._last_trim < 60.0:
            return
        self._last_trim = now
        self.trim()

    def trim(self) -> int:
        """Delete events older than `keep_days`, then the oldest tenth until under `max_mb`."""
        db = self._db
        if db is None:
            return 0
        deleted = 0
        try:
            if self.keep_days is not None:
                cutoff = self.clock() - self.keep_days * 86400
                deleted += db.execute("DELETE FROM events WHERE ts < ?", (cutoff,)).rowcount
                db.execute("DELETE FROM runs WHERE last_seen < ?", (cutoff,))
            while self.max_bytes is not None and self.used_bytes() > self.max_bytes:
                total = db.execute("SELECT count(*) FROM events").fetchone()[0]
                if total == 0:
                    break
                cut = db.execute("SELECT id FROM events ORDER BY id LIMIT 1 OFFSET ?",
                                 (max(1, total // 10) - 1,)).fetchone()[0]
                deleted += db.execute("DELETE FROM events WHERE id <= ?", (cut,)).rowcount
        except sqlite3.Error as exc:
            log.warning("interaction log: could not delete old events from %s: %s", self.path, exc)
        if deleted:
            log.info("interaction log: %d old events deleted from %s ([log] keep_days / max_mb)",
                     deleted, self.path)
        return deleted

    def used_bytes(self) -> int:
        """Bytes the log's rows use (freed pages are reused, so the file stops growing)."""
        assert self._db is not None
        pages, free, size = (self._db.execute(f"PRAGMA {p}").fetchone()[0]
                             for p in ("page_count", "freelist_count", "page_size"))
        return int((pages - free) * size)

    # -- the end ---------------------------------------------------------------------------
    @property
    def pending(self) -> int:
        """Events handed over and not yet committed."""
        return len(self._pending) + len(self._unwritten)

    def close(self) -> None:
        """Write what waits, mark the run stopped, close the database (idempotent)."""
        if self._closed:
            return
        self._closing = True
        self._wake.set()
        self._thread.join(timeout=30)
        with self._lock:
            db = self._db
            if db is not None:
                self._end_run()
            if self.pending:
                log.warning("interaction log: %d events could not be written to %s before "
                            "closing (it is still paused)", self.pending, self.path)
            if db is not None:
                db.close()
            self._db = None
            self._closed = True
        if self._runtime is not None:
            stats = self._runtime.bus.stats
            if self._handler_error in stats.error_listeners:
                stats.error_listeners.remove(self._handler_error)


__all__ = ["InteractionLog", "LogError", "encode"]
