"""The disk as a resource that runs out: the outbox on a small tmpfs that fills, and on a
bind mount turned read-only, in the test's own mount namespace (`unshare -m`, as root).

One warning line, the installation keeps running, events kept in memory up to the bound,
writing resumes when space returns, and a SIGTERM while the disk is full ends cleanly.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.net_fixtures import NodeProcess, wait_for

HELLO = REPO / "installations/hello-button"


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs",
                            "tmpfs", "/mnt"], capture_output=True)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(),
                                reason="needs root and unshare -m to mount a small tmpfs")

#: Runs inside the namespace: Outbox on the mount, the disk filled, freed, made read-only.
DRIVER = textwrap.dedent('''
    import errno, logging, os, subprocess, sys
    from pathlib import Path
    from museokit.net.outbox import Outbox

    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="LOG %(message)s")
    mnt, mode = Path(sys.argv[1]), sys.argv[2]
    now = [0.0]
    state = mnt / "state"
    state.mkdir()
    if mode == "ro-at-start":
        subprocess.run(["mount", "--bind", str(state), str(state)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(state)], check=True)
    box = Outbox(state, limit=1000, clock=lambda: now[0])

    def fill():
        with open(mnt / "filler", "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"x" * 512)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC

    def turn(n, tag):
        ids = [box.add(f"t/{tag}{i}", b'{"seq":%d,"pad":"%s"}' % (i, b"p" * 60)) for i in range(n)]
        assert all(ids), "dropped below the bound"
        return box.flush(sync=True)

    if mode == "full":
        assert turn(5, "a") == 5
        fill()
        written = [turn(20, "b") for _ in range(10)]  # the disk is full: kept in memory
        print("WRITTEN", written, "WAITING", len(box), "PROBLEM", box.disk_problem)
        os.unlink(mnt / "filler")
        print("TOO-SOON", turn(1, "c"))  # retried at most once a second
        now[0] += 2
        turn(1, "d")  # resumes: everything in memory goes to disk
        print("PROBLEM-AFTER", box.disk_problem, "ERRORS", box.disk_errors)
        box.close()
        print("RELOADED", len(Outbox(state, limit=1000).waiting()))
    elif mode == "partial":
        # Leave room for part of one batch: os.write takes some bytes, then ENOSPC.
        fill()
        os.truncate(mnt / "filler", os.path.getsize(mnt / "filler") - 3000)
        written = turn(100, "p")  # ~9 KB in one write: part of it fits
        print("WRITTEN", written, "WAITING", len(box), "PROBLEM", box.disk_problem)
        os.unlink(mnt / "filler")
        now[0] += 2
        turn(1, "q")
        box.close()
        lines = (state / "outbox.log").read_bytes().split(b"\\n")
        print("RELOADED", len(Outbox(state, limit=1000).waiting()),
              "TORN", sum(1 for l in lines[:-1] if not l.endswith(b"}")))
    elif mode == "ro-midway":
        import museokit.net.outbox as outbox_module
        outbox_module._COMPACT_BYTES = 1000  # compact (rewrite: new files) after a few acks
        subprocess.run(["mount", "--bind", str(state), str(state)], check=True)
        assert turn(5, "a") == 5
        subprocess.run(["mount", "-o", "remount,ro,bind", str(state)], check=True)
        written = [turn(10, "b") for _ in range(3)]  # files already open: the kernel takes these
        for entry, _, _ in box.waiting()[:10]:
            box.done(entry)  # the broker acks; the compaction's new files are refused
        print("WRITTEN", written, "WAITING", len(box), "PROBLEM", box.disk_problem)
        print("AFTER", turn(2, "c"))
        subprocess.run(["mount", "-o", "remount,rw,bind", str(state)], check=True)
        now[0] += 2
        turn(1, "d")
        box.close()
        print("RELOADED", len(Outbox(state, limit=1000).waiting()))
    elif mode == "ro-at-start":
        print("WRITTEN", turn(10, "a"), "WAITING", len(box), "PROBLEM", box.disk_problem)
        box.close()
    print("CLEAN-EXIT")
''')


def in_namespace(tmp_path: Path, mode: str, size: str = "64k") -> str:
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    script = tmp_path / "driver.py"
    script.write_text(DRIVER)
    shell = f"mount -t tmpfs -o size={size} tmpfs {mnt} && exec {sys.executable} {script} {mnt} {mode}"
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", shell],
                            capture_output=True, text=True, timeout=60)
    out = result.stdout + result.stderr
    assert result.returncode == 0 and "Traceback" not in out and "CLEAN-EXIT" in out, out
    return out


def warnings(out: str, words: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("LOG") and words in line]


@pytest.mark.subprocess
def test_a_full_disk_keeps_events_in_memory_and_resumes(tmp_path: Path) -> None:
    out = in_namespace(tmp_path, "full")
    # The file's last page may still take a turn or two; then nothing goes to disk.
    assert re.search(r"WRITTEN \[(20, )*0(, 0)*\] WAITING 205 PROBLEM No space left on device", out)
    assert len(warnings(out, "cannot write (No space left on device)")) == 1, out
    assert "TOO-SOON 0" in out
    assert len(warnings(out, "writing again; the 207 waiting events are on disk")) == 1, out
    assert "PROBLEM-AFTER None" in out
    assert "RELOADED 207" in out  # every event, from the rewritten file


@pytest.mark.subprocess
def test_a_partial_write_is_finished_or_rewritten_never_torn(tmp_path: Path) -> None:
    out = in_namespace(tmp_path, "partial")
    assert "WAITING 100 PROBLEM No space left on device" in out, out
    assert "RELOADED 101 TORN 0" in out, out


@pytest.mark.subprocess
def test_a_disk_turned_read_only_midway(tmp_path: Path) -> None:
    out = in_namespace(tmp_path, "ro-midway")
    assert "WRITTEN [10, 10, 10] WAITING 25 PROBLEM Read-only file system" in out, out
    assert "AFTER 0" in out
    assert len(warnings(out, "cannot write (Read-only file system)")) == 1, out
    assert len(warnings(out, "writing again; the 28 waiting events are on disk")) == 1, out
    assert "RELOADED 28" in out


@pytest.mark.subprocess
def test_a_read_only_state_folder_at_start(tmp_path: Path) -> None:
    out = in_namespace(tmp_path, "ro-at-start")
    assert "WRITTEN 0 WAITING 10 PROBLEM Read-only file system" in out, out
    assert len(warnings(out, "cannot write")) == 1
    assert len(warnings(out, "10 events waited in memory only")) == 1  # said at the stop


def test_node_on_a_full_disk_during_an_outage_logs_once_delivers_and_stops_cleanly(
        tmp_path: Path, own_broker, observer) -> None:
    """The issue's case end to end: `museokit sim --broker` with its state folder on a 64 KB
    tmpfs, the broker away, the disk full, visitors pressing; then the broker back, the
    events delivered from memory, the disk freed, SIGTERM: exit 0, no traceback."""
    broker = own_broker()
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    proc = _node_in_namespace(mnt, broker.url)
    try:
        filler = Path(f"/proc/{proc.proc.pid}/root{mnt}/filler")
        with open(filler, "wb", buffering=0) as f:  # the node's namespace, seen through /proc
            try:
                while True:
                    f.write(b"x" * 512)
            except OSError:
                pass
        broker.stop()
        wait_for(lambda: proc.find("lost broker"), what="the node to see the broker go")
        for _ in range(30):  # a visitor's pace: the debounce merges presses closer together
            proc.type("press door")
            time.sleep(0.06)
            proc.type("release door")
            time.sleep(0.06)
        wait_for(lambda: proc.find("cannot write"), what=lambda: f"the outbox warning\n{proc.text}")
        broker.start()
        obs = observer(["museokit/+/+/door/event/#"], port=broker.port)
        wait_for(lambda: len([m for m in obs.messages if m[0].endswith("/released")]) >= 30,
                 what=lambda: f"30 releases delivered, got {len(obs.messages)}\n{proc.text}")
        filler.unlink()
        proc.type("press door")
        wait_for(lambda: proc.find("writing again"), what=lambda: f"the outbox resumes\n{proc.text}")
        code = proc.stop()
    finally:
        if proc.proc.poll() is None:
            proc.stop()
    assert code == 0, proc.text
    assert "Traceback" not in proc.text
    assert len(proc.find("cannot write")) == 1, proc.text


def _node_in_namespace(mnt: Path, url: str) -> NodeProcess:
    """A NodeProcess whose state folder is a 64 KB tmpfs in its own mount namespace."""
    def wrap(command: list[str]) -> list[str]:
        shell = f"mount -t tmpfs -o size=64k tmpfs {mnt} && exec {shlex.join(command)}"
        return ["unshare", "-m", "--propagation", "private", "sh", "-c", shell]

    return NodeProcess(HELLO, url, None, mnt / "state", wrap)
