"""`museokit sim --replay LOG` and `museokit log tail|export|to-scenario`, on logs the
simulator wrote (a scenario run and a gallery day) and on a deliberately changed copy."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from museokit.cli import main
from museokit.ops.interactions import count_events
from tests.conftest import REPO

HELLO = REPO / "installations" / "hello-button"
LAMP = REPO / "installations" / "approach-lamp"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(list(args))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    log = tmp_path_factory.mktemp("day") / "day.sqlite"
    assert main(["sim", str(HELLO), "--visitors", "80", "--hours", "8", "--log", str(log)]) == 0
    return log


def test_a_log_recorded_from_a_scenario_replays_with_no_divergence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "scenario.sqlite"
    scenario = HELLO / "scenarios" / "wake-and-toggle.scenario"
    status, out, err = _run(capsys, "sim", str(HELLO), "--scenario", str(scenario), "--log", str(log))
    assert status == 0, out + err
    status, out, err = _run(capsys, "sim", str(HELLO), "--replay", str(log))
    assert status == 0, out + err
    assert "1 run," in out and "no divergence" in out
    assert "visitor actions played" in out and " 0 visitor actions" not in out


def test_a_gallery_day_replays_with_no_divergence(day: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "sim", str(HELLO), "--replay", str(day))
    assert status == 0, out + err
    assert "no divergence" in out


def test_a_changed_behaviour_shows_where_it_diverges(day: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    changed = tmp_path / "hello-button"
    shutil.copytree(HELLO, changed, ignore=shutil.ignore_patterns("__pycache__"))
    toml = changed / "installation.toml"
    text = toml.read_text()
    assert "idle = 20" in text
    toml.write_text(text.replace("idle = 20", "idle = 8"))  # v2 gives up on visitors sooner
    status, out, err = _run(capsys, "sim", str(changed), "--replay", str(day))
    assert status == 1, out + err
    lines = out.splitlines()
    assert "divergence" in lines[1] and "the first:" in lines[1]
    first = lines[2]
    # The first divergence: the piece now goes back to attract 8 s after a visitor, not 20 s.
    assert "states.attract" in first and "happened now, not in the log" in first, out
    assert len(lines) <= 2 + 10


def test_a_distance_sensor_day_replays_with_no_divergence(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "lamp.sqlite"
    assert main(["sim", str(LAMP), "--visitors", "40", "--hours", "4", "--log", str(log)]) == 0
    capsys.readouterr()
    status, out, err = _run(capsys, "sim", str(LAMP), "--replay", str(log))
    assert status == 0 and "no divergence" in out, out + err


def test_replay_bad_input_is_one_line(day: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    for args, message in ((["--replay", str(tmp_path / "none.sqlite")], "no such interaction log"),
                          (["--replay", str(day), "--from", "someday"], "--from 'someday': not a date"),
                          (["--replay", str(day), "--from", "2024-01-01", "--to", "2024-01-02"],
                           "nothing to replay in that range")):
        status, _out, err = _run(capsys, "sim", str(HELLO), *args)
        assert status == 1 and len(err.strip().splitlines()) == 1 and message in err, err


def test_log_tail_and_export(day: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "log", str(day), "tail", "-n", "3")
    assert status == 0 and len(out.splitlines()) == 3
    assert out.splitlines()[-1].startswith("2026-01-05 ")
    status, out, _ = _run(capsys, "log", str(day), "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == count_events(day)
    assert set(rows[0]) == {"time", "ts", "node", "device", "name", "value", "seq"}
    status, _, err = _run(capsys, "log", str(HELLO), "--log", str(day), "export", "--format", "jsonl",
                          "--from", "2026-01-05 12:00", "--to", "2026-01-05 13:00",
                          "--out", str(tmp_path / "noon.jsonl"))
    assert status == 0, err
    lines = (tmp_path / "noon.jsonl").read_text().splitlines()
    assert lines and all(json.loads(x)["time"].startswith("2026-01-05T12:") for x in lines)
    status, _, err = _run(capsys, "log", str(day), "export", "--to", "2026-02-31")
    assert status == 1 and "--to '2026-02-31': not a date" in err and len(err.splitlines()) == 1


def test_to_scenario_cuts_a_slice_that_runs_as_a_test(day: Path, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "noon.scenario"
    status, out, err = _run(capsys, "log", str(HELLO), "--log", str(day), "to-scenario",
                            "--from", "2026-01-05 12:00", "--to", "2026-01-05 12:30",
                            "--out", str(out_file))
    assert status == 0, err
    text = out_file.read_text()
    assert "expect " in text and "motion entrance" in text
    status, out, err = _run(capsys, "sim", str(HELLO), "--scenario", str(out_file))
    assert status == 0, out + err
    status, _, err = _run(capsys, "log", str(day), "to-scenario", "--out", str(out_file))
    assert status == 1 and "needs the installation, --from, --to and --out" in err


@pytest.mark.subprocess
def test_tail_follow_prints_new_events_as_they_are_written(tmp_path: Path) -> None:
    import subprocess
    import sys
    import time as _time

    from museokit.core.events import Event
    from museokit.ops.interactions import InteractionLog

    path = tmp_path / "live.sqlite"
    log = InteractionLog(path, interval=0.02, keep_days=None)
    log.record(Event("door", "pressed", None, 1_767_607_200.0, 1, "main"))
    log.flush()
    museokit = str(Path(sys.executable).with_name("museokit"))
    proc = subprocess.Popen([museokit, "log", str(path), "tail", "-f"], stdout=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None
        assert "door.pressed" in proc.stdout.readline()
        log.record(Event("door", "released", 0.3, 1_767_607_200.3, 2, "main"))
        log.record(Event("lamp", "finished", None, 1_767_607_201.0, 3, "main"))
        deadline = _time.monotonic() + 20
        lines = []
        while len(lines) < 2 and _time.monotonic() < deadline:
            lines.append(proc.stdout.readline())
        assert "door.released  0.3" in lines[0] and "lamp.finished" in lines[1]
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


@pytest.mark.subprocess
def test_a_long_report_shows_a_progress_bar_on_a_terminal(day: Path, tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    museokit = str(Path(sys.executable).with_name("museokit"))
    leader, follower = pty.openpty()
    proc = subprocess.run([museokit, "report", str(day), "--out", str(tmp_path / "r.html")],
                          stderr=follower, stdout=subprocess.PIPE, text=True, timeout=120)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    text = shown.decode()
    assert "report [" in text and "100 %" in text and "#" * 30 in text


@pytest.mark.subprocess
def test_a_live_simulation_keeps_a_log_with_log(tmp_path: Path) -> None:
    import subprocess
    import sys

    from museokit.ops.interactions import read_events

    path = tmp_path / "live.sqlite"
    museokit = str(Path(sys.executable).with_name("museokit"))
    done = subprocess.run([museokit, "sim", str(HELLO), "--headless", "--for", "3", "--log", str(path)],
                          input="motion entrance\nclick door\n", capture_output=True, text=True,
                          timeout=60, env={**__import__("os").environ, "DISPLAY": ""})
    assert done.returncode == 0, done.stderr
    keys = [e.key for e in read_events(path)]
    assert keys[0] == "states.attract" and "entrance.motion" in keys and "door.clicked" in keys
