"""The outbox: events on disk from the end of their loop turn until the broker acks them.

`add()` numbers an event and keeps it in memory; `flush()`, which the link
calls once at the end of each loop turn (group commit), appends every event of
the turn that the broker has not acked yet to `outbox.log` in one `write()`,
and with `sync=True` (the link asks for it while the broker is away) also
`fdatasync()`s it. An event's id is appended to `outbox.acked` when the
broker's PUBACK arrives; an event acked before its turn ended never touches
the disk at all. On start, the events without an ack are sent again, in order,
before anything new.

The durability rule, precisely:

- an event the broker acked is never lost (the broker has it; QoS 1);
- an event not yet acked survives a crash of museokit (even `kill -9`) once
  its loop turn has ended, i.e. at most one turn of events is at risk, and it
  survives a power cut once its turn has ended while the broker was away (the
  `fdatasync`; the network thread commits between tries to reconnect, so during
  one try, at most 2 s, new events wait in memory); while the broker is
  connected, unacked events rely on the kernel writing the page cache back (a
  PUBACK takes well under a millisecond on a LAN, so that window is only the
  events in flight);
- a receiver may see an event twice (QoS 1 is at-least-once, and an ack not yet
  flushed to `outbox.acked` means a resend after a restart); the link drops
  duplicates by their `seq` and `ts`.

The queue is bounded: with `limit` events waiting, new ones are dropped,
counted and logged once, instead of filling the SD card. Both files are
rewritten small whenever they hold mostly acked events.

The disk can run out (ENOSPC), turn read-only (EROFS) or fail (EIO). Then the
outbox says so in one warning line, keeps every waiting event in memory (up to
`limit`, as always), and goes on: the installation keeps running and the broker
still gets the events, but until the disk takes writes again a crash or power cut
loses what waits. It tries the disk again at most once a second; when a write
goes through, both files are rewritten from memory and one line says the events
are on disk again. `os.write` may write only part of its bytes: the rest is
written before anything else.

Thread safety: `add`, `flush` and `done` run on the link's network thread
(`sender.py`), `len()` and `waiting()` may be called from others; one lock guards the
files and the tables.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("museokit.net.outbox")

#: Rewrite the journal when it holds this many bytes and few events still wait.
_COMPACT_BYTES = 4 << 20
_COMPACT_PENDING = 1000
#: Acks are written to disk every this many, roughly (a crash loses at most that many
#: acks, which only means those events are sent again).
_ACK_FLUSH = 256


#: Seconds between two tries of a disk that refused a write.
_RETRY = 1.0
#: Whole numbers of these errors mean "the disk cannot take this now", not a bug.
DISK_ERRORS = frozenset({errno.ENOSPC, errno.EROFS, errno.EIO, errno.EDQUOT, errno.EACCES,
                         errno.EPERM, errno.ENOENT, errno.EBADF})


class Outbox:
    def __init__(self, folder: Path, limit: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.folder = folder
        self.limit = limit
        self.dropped = 0
        #: Times the disk refused a write (ENOSPC, EROFS, EIO...) since start.
        self.disk_errors = 0
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[int, bytes] = {}
        #: Pending events not written to the log yet (they wait for the end of their turn).
        self._unwritten: list[int] = []
        self._full_logged = False
        #: Why the disk refused the last write (None: the files are good), and when to retry.
        self.disk_problem: str | None = None
        self._retry_at = 0.0
        self._fd: int | None = None
        self._ack_fd: int | None = None
        self._ack_buf = bytearray()
        self._unsynced = False
        folder.mkdir(parents=True, exist_ok=True)
        self._log_path = folder / "outbox.log"
        self._ack_path = folder / "outbox.acked"
        self._next = self._load() + 1
        self._try_disk(self._rewrite)

    # -- the journal on disk -------------------------------------------------------------
    def _load(self) -> int:
        """Read what an earlier run left waiting; returns the highest id seen."""
        acked: set[int] = set()
        try:
            for line in self._ack_path.read_bytes().split(b"\n"):
                if line.isdigit():
                    acked.add(int(line))
        except FileNotFoundError:
            pass
        except OSError as exc:  # EIO: read what can be read; a lost ack only means a resend
            log.warning("outbox %s unreadable (%s); its events may be sent again",
                        self._ack_path, exc.strerror)
        highest = 0
        try:
            data = self._log_path.read_bytes()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            log.warning("outbox %s unreadable (%s): the events an earlier run left waiting are "
                        "lost", self._log_path, exc.strerror)
            return 0
        lines = data.split(b"\n")
        lines.pop()  # after the last newline: empty, or a line cut short by a crash
        for line in lines:
            head, sep, _ = line.partition(b" ")
            if not sep or not head.isdigit():
                continue
            entry = int(head)
            highest = max(highest, entry)
            if entry not in acked:
                self._pending[entry] = line + b"\n"
        if self._pending:
            log.info("outbox %s: %d events from an earlier run wait for the broker",
                     self._log_path, len(self._pending))
        return highest

    def _rewrite(self) -> None:
        """Replace both files by the pending events alone (called with the lock held)."""
        self._close_files()
        data = b"".join(self._pending[k] for k in sorted(self._pending))
        tmp = self._log_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
        os.replace(tmp, self._log_path)
        self._fd = os.open(self._log_path, os.O_WRONLY | os.O_APPEND)
        self._written = len(data)
        self._unwritten = []
        self._unsynced = bool(self._pending)  # the rewritten file is not synced yet
        self._ack_fd = os.open(self._ack_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._ack_buf.clear()

    # -- a disk that refuses writes ------------------------------------------------------
    def _try_disk(self, write: Callable[[], None]) -> bool:
        """Run `write` (lock held); on a disk error, go on in memory and say so once."""
        try:
            write()
        except OSError as exc:
            if exc.errno not in DISK_ERRORS:
                raise
            self.disk_errors += 1
            self._retry_at = self._clock() + _RETRY
            if self.disk_problem is None:
                log.warning("outbox %s: cannot write (%s); %d waiting events kept in memory only "
                            "(up to %d) until the disk takes writes again — free space on it, or "
                            "a power cut now loses them", self.folder, exc.strerror,
                            len(self._pending), self.limit)
            self.disk_problem = exc.strerror or str(exc)
            self._close_files()
            return False
        return True

    def _recover(self) -> None:
        """Try the disk again: rewrite both files from memory (lock held)."""
        if self._clock() < self._retry_at:
            return
        if self._try_disk(self._rewrite):
            log.warning("outbox %s: writing again; the %d waiting events are on disk", self.folder,
                        len(self._pending))
            self.disk_problem = None

    # -- API ---------------------------------------------------------------------------
    def waiting(self) -> list[tuple[int, str, bytes]]:
        """Events not yet acked, oldest first: (id, topic, payload)."""
        with self._lock:
            items = sorted(self._pending.items())
        out = []
        for entry, line in items:
            _, topic, payload = line.rstrip(b"\n").split(b" ", 2)
            out.append((entry, topic.decode(), payload))
        return out

    def add(self, topic: str, payload: bytes) -> int | None:
        """Journal an event; its id, or None if the queue is full and it was dropped."""
        with self._lock:
            if len(self._pending) >= self.limit:
                self.dropped += 1
                if not self._full_logged:
                    self._full_logged = True
                    log.error("outbox full: %d events wait for the broker; dropping new events "
                              "until it is back (raise [broker] queue_limit to keep more)",
                              len(self._pending))
                return None
            entry = self._next
            self._next += 1
            self._pending[entry] = b"%d %s %s\n" % (entry, topic.encode(), payload)
            self._unwritten.append(entry)
            return entry

    def flush(self, sync: bool = False) -> int:
        """Write the events added since the last flush and still unacked, in one `write()`;
        with `sync`, `fdatasync()` whatever was written unsynced. Returns how many were written
        (0 while the disk refuses writes: they wait in memory)."""
        with self._lock:
            pending = self._pending
            if self._fd is None:
                self._unwritten.clear()  # kept in _pending; _recover writes them all
                self._recover()
                return 0
            lines = [pending[e] for e in self._unwritten if e in pending]
            self._unwritten.clear()
            if lines:
                data, fd = b"".join(lines), self._fd
                if not self._try_disk(lambda: _write_all(fd, data)):
                    return 0
                self._written += len(data)
                self._unsynced = True
            if sync and self._unsynced:
                fd = self._fd
                if not self._try_disk(lambda: os.fdatasync(fd)):
                    return 0
                self._unsynced = False
            return len(lines)

    def done(self, entry: int) -> None:
        """The broker acked event `entry`."""
        with self._lock:
            if self._pending.pop(entry, None) is None:
                return
            self._full_logged = False
            if self._unwritten and entry >= self._unwritten[0]:
                return  # acked before its turn ended: it was never written, nothing to undo
            if self._ack_fd is None:
                return  # the disk refuses writes: the rewrite that ends that leaves it out
            self._ack_buf += b"%d\n" % entry
            if self._written > _COMPACT_BYTES and len(self._pending) < _COMPACT_PENDING:
                self._try_disk(self._rewrite)
            elif len(self._ack_buf) >= _ACK_FLUSH * 4:
                self._flush_acks()

    def _flush_acks(self) -> None:
        if self._ack_fd is not None and self._ack_buf:
            data, fd = bytes(self._ack_buf), self._ack_fd
            self._ack_buf.clear()
            self._try_disk(lambda: _write_all(fd, data))

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Write what is still unwritten (synced) and close the files; never raises for the
        disk (a SIGTERM while it is full ends cleanly, saying what was only in memory)."""
        self.flush(sync=True)
        with self._lock:
            self._flush_acks()
            if self.disk_problem is not None and self._pending:
                log.warning("outbox %s: %d events waited in memory only (%s) and are lost with "
                            "this stop", self.folder, len(self._pending), self.disk_problem)
            self._close_files()

    def _close_files(self) -> None:
        for fd in (self._fd, self._ack_fd):
            if fd is not None:
                with contextlib.suppress(OSError):  # EIO on close: nothing more to do
                    os.close(fd)
        self._fd = self._ack_fd = None


def _write_all(fd: int | None, data: bytes) -> None:
    """`os.write` until every byte is written: it may take only part of them."""
    if fd is None:
        raise OSError(errno.EBADF, "file closed after an earlier error")
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
