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
  `fdatasync`); while the broker is connected, unacked events rely on the
  kernel writing the page cache back (a PUBACK takes well under a millisecond
  on a LAN, so that window is only the events in flight);
- a receiver may see an event twice (QoS 1 is at-least-once, and an ack not yet
  flushed to `outbox.acked` means a resend after a restart); the link drops
  duplicates by their `seq` and `ts`.

The queue is bounded: with `limit` events waiting, new ones are dropped,
counted and logged once, instead of filling the SD card. Both files are
rewritten small whenever they hold mostly acked events.

Thread safety: `add` and `flush` run on the loop thread, `done` on paho's
network thread; one lock guards the files and the tables.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

log = logging.getLogger("museokit.net.outbox")

#: Rewrite the journal when it holds this many bytes and few events still wait.
_COMPACT_BYTES = 4 << 20
_COMPACT_PENDING = 1000
#: Acks are flushed to disk every this many (a crash loses at most that many acks,
#: which only means those events are sent again).
_ACK_FLUSH = 256


class Outbox:
    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.dropped = 0
        self._lock = threading.Lock()
        self._pending: dict[int, bytes] = {}
        #: Pending events not written to the log yet (they wait for the end of their turn).
        self._unwritten: list[int] = []
        self._full_logged = False
        folder.mkdir(parents=True, exist_ok=True)
        self._log_path = folder / "outbox.log"
        self._ack_path = folder / "outbox.acked"
        self._next = self._load() + 1
        self._rewrite()

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
        highest = 0
        try:
            data = self._log_path.read_bytes()
        except FileNotFoundError:
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
        tmp = self._log_path.with_suffix(".tmp")
        tmp.write_bytes(b"".join(self._pending[k] for k in sorted(self._pending)))
        os.replace(tmp, self._log_path)
        self._fd = os.open(self._log_path, os.O_WRONLY | os.O_APPEND)
        self._written = sum(len(v) for v in self._pending.values())
        self._unwritten = []
        self._unsynced = bool(self._pending)  # the rewritten file is not synced yet
        self._acks = open(self._ack_path, "wb")  # noqa: SIM115 (kept open, closed in close())
        self._unflushed = 0

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
        with `sync`, `fdatasync()` whatever was written unsynced. Returns how many were written."""
        with self._lock:
            pending = self._pending
            lines = [pending[e] for e in self._unwritten if e in pending]
            self._unwritten.clear()
            if lines:
                data = b"".join(lines)
                os.write(self._fd, data)
                self._written += len(data)
                self._unsynced = True
            if sync and self._unsynced:
                os.fdatasync(self._fd)
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
            self._acks.write(b"%d\n" % entry)
            self._unflushed += 1
            if self._written > _COMPACT_BYTES and len(self._pending) < _COMPACT_PENDING:
                self._close_files()
                self._rewrite()
            elif self._unflushed >= _ACK_FLUSH:
                self._acks.flush()
                self._unflushed = 0

    def __len__(self) -> int:
        return len(self._pending)

    def close(self) -> None:
        """Write what is still unwritten (synced) and close the files."""
        if self._acks.closed:
            return
        self.flush(sync=True)
        with self._lock:
            if not self._acks.closed:
                self._close_files()

    def _close_files(self) -> None:
        self._acks.close()
        os.close(self._fd)
