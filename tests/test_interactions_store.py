"""The interaction log's store: writer, readers, schema, and every fault the issue lists.

Real SQLite throughout; the kill test kills real processes with SIGKILL, the full-disk
test fills a real (tiny) tmpfs in a mount namespace of its own.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from museokit.core.config import load_installation
from museokit.core.events import Event
from museokit.ops.interactions import (
    SCHEMA_VERSION,
    InteractionLog,
    LogError,
    NewerLogError,
    count_by_day,
    count_events,
    default_path,
    read_events,
    read_runs,
    time_span,
)
from museokit.ops.interactions.writer import PICTURE
from museokit.sim.harness import Harness
from tests.net_fixtures import wait_for
from tests.test_watchdog import wakeups

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "installations" / "hello-button"
MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
#: Monday 2026-01-05 10:00 local time.
MONDAY = time.mktime((2026, 1, 5, 10, 0, 0, 0, 0, -1))


def _log(path: Path, **kw: object) -> InteractionLog:
    return InteractionLog(path, node="main", keep_days=None, interval=0.01, **kw)  # type: ignore[arg-type]


def test_events_round_trip_with_filters_and_day_counts(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = _log(path)
    log.record(Event("door", "pressed", None, MONDAY + 1, 1, ""))
    log.record(Event("door", "released", 0.25, MONDAY + 2, 2, "main"))
    log.record(Event("cam", "count", {"zone": "left", "count": 2}, MONDAY + 3, 3, "hall"))
    log.record(Event("door", "pressed", None, MONDAY + 86400, 4, ""))
    log.close()
    rows = list(read_events(path))
    assert [(r.ts - MONDAY, r.node, r.key, r.value, r.seq) for r in rows] == [
        (1, "main", "door.pressed", None, 1), (2, "main", "door.released", 0.25, 2),
        (3, "hall", "cam.count", {"zone": "left", "count": 2}, 3),
        (86400, "main", "door.pressed", None, 4)]
    assert [r.seq for r in read_events(path, MONDAY + 2, MONDAY + 4)] == [2, 3]
    assert [r.seq for r in read_events(path, devices=["door"], names=["pressed"])] == [1, 4]
    assert count_by_day(path) == {"2026-01-05": 3, "2026-01-06": 1}
    assert count_by_day(path, names=["pressed"]) == {"2026-01-05": 1, "2026-01-06": 1}
    assert count_events(path, devices=["cam"]) == 1
    assert time_span(path) == (MONDAY + 1, MONDAY + 86400)
    runs = read_runs(path)
    assert len(runs) == 1 and runs[0].node == "main" and runs[0].stopped is not None


def test_schema_is_the_shared_contract(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    _log(path).close()
    db = sqlite3.connect(path)
    columns = [(c[1], c[2], c[3]) for c in db.execute("PRAGMA table_info(events)")]
    assert columns == [("id", "INTEGER", 0), ("ts", "REAL", 1), ("node", "TEXT", 1),
                       ("device", "TEXT", 1), ("name", "TEXT", 1), ("value", "TEXT", 0),
                       ("seq", "INTEGER", 0)]
    indexes = {r[1]: [c[2] for c in db.execute(f"PRAGMA index_info({r[1]})")]
               for r in db.execute("PRAGMA index_list(events)")}
    assert ["ts"] in indexes.values() and ["device", "name", "ts"] in indexes.values()
    assert db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_pictures_are_never_stored(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    path = tmp_path / "log.sqlite"
    log = _log(path)
    log.record(Event("cam", "presence", {"zones": ["left"], "count": 1,
                                         "frame": np.zeros((4, 4, 3), np.uint8)}, MONDAY, 1))
    log.record(Event("cam", "snapshot", b"\xff\xd8jpeg", MONDAY + 1, 2))
    log.close()
    values = [r.value for r in read_events(path)]
    assert values == [{"zones": ["left"], "count": 1, "frame": PICTURE}, PICTURE]


def test_simulated_run_logs_every_bus_event_and_handler_errors(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = _log(path)
    with Harness(load_installation(HELLO), before_start=log.attach) as h:
        h.act("entrance", "motion")
        h.run_for(1)
        h.act("door", "press")
        h.run_for(0.1)
        h.act("door", "release")
        h.runtime.bus.subscribe("door.clicked", lambda e: 1 / 0, name="broken")
        h.act("door", "press")
        h.run_for(0.1)
        h.act("door", "release")
        h.run_for(2)
        seen = [s.key for s in h.seen]
    log.close()
    logged = [r for r in read_events(path)]
    keys = [r.key for r in logged if r.device != "runtime"]
    assert keys == seen
    assert keys[:2] == ["states.attract", "entrance.motion"]
    errors = [r.value for r in logged if r.key == "runtime.handler_error"]
    assert errors == [{"handler": "broken", "on": "door.clicked",
                       "error": "ZeroDivisionError: division by zero"}]


@pytest.mark.subprocess
def test_museokit_run_logs_by_default_into_the_state_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUSEOKIT_STATE_DIR", str(tmp_path / "state"))
    path = tmp_path / "state" / "demo" / "main" / "interactions.sqlite"
    assert default_path("demo", "main") == path
    env = {**os.environ}
    proc = subprocess.Popen([MUSEOKIT, "run", str(HELLO), "--backend", "sim", "--display",
                             "headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "ready" in line
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert [r.key for r in read_events(path)][:1] == ["states.attract"], err
    run = read_runs(path)[0]
    assert run.installation == "Hello button" and run.stopped is not None


@pytest.mark.subprocess
def test_run_without_log_and_with_a_newer_log_keeps_running(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite"
    _log(path).close()
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    db.execute("UPDATE meta SET value='9.0.0' WHERE key='written_by'")
    db.commit()
    db.close()
    proc = subprocess.Popen([MUSEOKIT, "run", str(HELLO), "--backend", "sim", "--display",
                             "headless", "--log", str(path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert "ready" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    lines = [line for line in err.splitlines() if "interaction log" in line]
    assert len(lines) == 1, err
    assert "schema 99, written by museokit 9.0.0" in lines[0] and "9.0.0 or later" in lines[0]
    assert "stopped after" in out
    with pytest.raises(NewerLogError) as caught:
        list(read_events(path))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, "foreign"])
def test_corrupt_or_foreign_file_is_moved_aside_with_one_line(
        tmp_path: Path, content: object, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "log.sqlite"
    if content == "foreign":
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE photos (id INTEGER, jpeg BLOB)")
        db.commit()
        db.close()
        why = "foreign"
    else:
        path.write_bytes(content)  # type: ignore[arg-type]
        why = "corrupt"
    log = _log(path)
    log.record(Event("door", "pressed", None, MONDAY, 1))
    log.close()
    assert [r.key for r in read_events(path)] == ["door.pressed"]
    aside = [p.name for p in tmp_path.iterdir() if f".{why}-" in p.name]
    assert len(aside) == 1
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "moved it aside" in warnings[0] and aside[0] in warnings[0]


def test_older_schema_is_migrated_forward(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite"
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE events (id INTEGER PRIMARY KEY, ts REAL NOT NULL, node TEXT NOT NULL,
            device TEXT NOT NULL, name TEXT NOT NULL, value TEXT, seq INTEGER);
        INSERT INTO meta VALUES ('schema_version', '1');
    """)
    db.execute("INSERT INTO events (ts, node, device, name, value, seq) VALUES (?, 'main', "
               "'door', 'pressed', NULL, 1)", (MONDAY,))
    db.commit()
    db.close()
    assert [r.key for r in read_events(path)] == ["door.pressed"]  # a reader migrates too
    assert read_runs(path) == []
    log = _log(path)
    log.record(Event("door", "released", 0.1, MONDAY + 1, 2))
    log.close()
    assert [r.key for r in read_events(path)] == ["door.pressed", "door.released"]


def test_missing_or_bad_file_for_readers_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(LogError, match="no such interaction log"):
        list(read_events(tmp_path / "nope.sqlite"))
    (tmp_path / "bad.sqlite").write_bytes(b"garbage" * 1000)
    with pytest.raises(LogError, match="not a museokit interaction log") as caught:
        list(read_events(tmp_path / "bad.sqlite"))
    assert "\n" not in str(caught.value)


def test_retention_deletes_old_days_and_keeps_under_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    now = MONDAY + 400 * 86400
    log = InteractionLog(path, keep_days=30, max_mb=None, clock=lambda: now)
    for day in (1, 10, 25, 35, 300):
        log.record(Event("door", "pressed", None, now - day * 86400, day))
    log.flush()
    log.record(Event("door", "pressed", None, now - 31 * 86400, 31))
    log.flush()
    assert log.trim() == 1
    log.close()
    assert sorted(r.seq for r in read_events(path)) == [1, 10, 25]

    path = tmp_path / "big.sqlite"
    log = InteractionLog(path, keep_days=None, max_mb=0.5, interval=0.01)
    for i in range(20000):
        log.record(Event("door", "pressed", {"pad": "x" * 50}, MONDAY + i, i))
    log.flush()
    log.trim()
    assert log.used_bytes() <= 0.5 * 1024 * 1024
    log.close()
    kept = [r.seq for r in read_events(path)]
    assert kept == list(range(20000 - len(kept), 20000))  # the newest stay, the oldest went


@pytest.mark.subprocess
def test_kill_9_at_random_moments_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(14)
    for run in range(50):
        # Ten kills in a row on one file (each start recovers the last one's WAL), then a
        # fresh file, so that integrity_check stays quick.
        path = tmp_path / f"log{run // 10}.sqlite"
        child = [sys.executable, str(ROOT / "tests" / "logkit" / "killed_writer.py"), str(path)]
        proc = subprocess.Popen([*child, f"run{run}"], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        committed = int(proc.stdout.readline())  # it is logging now
        time.sleep(rng.uniform(0, 0.15))
        os.kill(proc.pid, signal.SIGKILL)
        for line in proc.stdout:
            committed = max(committed, int(line))
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
        db = sqlite3.connect(path)
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        present = db.execute("SELECT count(DISTINCT seq) FROM events WHERE node=? AND seq<?",
                             (f"run{run}", committed)).fetchone()[0]
        db.close()
        assert present == committed, f"kill {run}: {committed} committed, {present} present"


@pytest.mark.skipif(shutil.which("unshare") is None, reason="needs unshare (util-linux)")
@pytest.mark.subprocess
def test_full_disk_and_read_only_folder_pause_and_resume(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"no user namespaces here: {probe.stderr.decode().strip()}")
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    result = subprocess.run(["unshare", "-rm", sys.executable,
                             str(ROOT / "tests" / "logkit" / "full_disk.py"), str(folder)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    for line in out:
        what = dict(part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", "))
        assert int(what["visitor ok"]) >= 10
        assert what["logged"] == what["wanted"] and what["dropped"] == "0", line
    warnings = result.stderr.splitlines()
    assert len(warnings) == 4, result.stderr  # paused, resumed; paused, resumed
    assert "the disk is full" in warnings[0] and "resumed" in warnings[1]
    assert "is read-only" in warnings[2] and "resumed" in warnings[3]


def test_event_values_are_compact_json(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = _log(path)
    log.record(Event("reader", "placed", "04A3B2C1", MONDAY, 1))
    log.record(Event("screen", "started", "media/portrait d'Élodie.png", MONDAY, 2))
    log.close()
    raw = [r.raw for r in read_events(path)]
    assert raw == ['"04A3B2C1"', json.dumps("media/portrait d'Élodie.png", ensure_ascii=False)]


@pytest.mark.subprocess
def test_log_file_and_enabled_come_from_the_log_table(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from museokit.ops.interactions import log_path
    from tests.conftest import ONE_BUTTON, write_installation

    monkeypatch.setenv("MUSEOKIT_STATE_DIR", str(tmp_path / "state"))
    folder = write_installation(tmp_path / "piece", '[installation]\nsite = "s"\n' + ONE_BUTTON +
                                '\n[log]\nfile = "visits.sqlite"\nenabled = false\n')
    inst = load_installation(folder)
    assert not inst.log.enabled
    assert log_path(inst) == tmp_path / "state" / "s" / "main" / "visits.sqlite"
    assert log_path(inst, file=tmp_path / "x.sqlite") == tmp_path / "x.sqlite"
    assert log_path(inst, state_dir=tmp_path / "here") == tmp_path / "here" / "visits.sqlite"
    proc = subprocess.Popen([MUSEOKIT, "run", str(folder), "--backend", "sim", "--display",
                             "headless"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and "ready" in proc.stdout.readline()
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=20)
    assert not (tmp_path / "state").exists()  # [log] enabled = false: nothing written


def test_a_quiet_log_sleeps_until_an_event_comes(tmp_path: Path) -> None:
    """No wake-ups while nothing happens (an idle Pi), and an event is written at once."""
    log = _log(tmp_path / "log.sqlite")  # a 10 ms batch interval: 100 wake-ups/s if it polled
    try:
        time.sleep(0.2)
        before = wakeups(log._thread)
        time.sleep(0.5)
        assert wakeups(log._thread) - before <= 2
        log.record(Event("door", "pressed", ts=MONDAY))
        wait_for(lambda: log.written == 1, 2, what="the event written")
    finally:
        log.close()
