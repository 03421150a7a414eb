"""Record a session played by hand, replay it as a scenario: it passes, and fails once tampered."""

from __future__ import annotations

import subprocess
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from museokit.core.config import load_installation
from museokit.sim.live import LiveSession
from museokit.sim.record import Recorder
from museokit.sim.scenario import load_scenario, run_scenario
from tests.conftest import REPO
from tests.sim_live_helpers import LAMP_ON, label, live_piece, save, wait_for
from tests.test_cli import MUSEOKIT

HELLO = REPO / "installations" / "hello-button"


def replay(folder: Path, scenario: Path) -> list[str]:
    installation = load_installation(folder)
    result = run_scenario(installation, load_scenario(scenario, installation))
    return [line for line in result.lines() if not line.startswith("PASS")] if not result.passed else []


def recorded_piece(folder: Path, recorders: list[Recorder]) -> AbstractContextManager[LiveSession]:
    """The editable piece, live, with a Recorder (appended to `recorders`) attached from the start."""
    return live_piece(folder, before_start=lambda session: recorders.append(Recorder(session)))


def test_a_recorded_session_replays_and_catches_a_change(tmp_path):
    folder = tmp_path / "piece"
    recorders: list[Recorder] = []
    with recorded_piece(folder, recorders) as session:
        session.act("door", "press")
        wait_for(lambda: label(session, "lamp") == "on", "lamp on")
        time.sleep(0.3)  # a person's pace: outputs settle between actions, and are checked
        session.act("door", "release")
        session.act("dist", "value", "120")
        wait_for(lambda: label(session, "door") == "released", "door released")
        time.sleep(0.3)
        session.command("lamp.blink 0.2 0.2 n=2")
        wait_for(lambda: label(session, "lamp") == "off", "the blink to end")
    scenario = tmp_path / "poked.scenario"
    summary = recorders[0].save(scenario)
    assert "recorded 4 actions" in summary and str(scenario) in summary
    text = scenario.read_text()
    for line in ("press door", "release door", "value dist 120", "do lamp.blink 0.2 0.2 n=2",
                 "expect door.pressed within", "expect lamp is on", "expect lamp is off"):
        assert line in text, text
    assert replay(folder, scenario) == []
    save(folder / "behaviour.py", LAMP_ON.replace("lamp.on()", "lamp.off()"))
    failures = replay(folder, scenario)
    assert any(line.startswith("FAIL") and "expect lamp is on" in line for line in failures), failures


def test_a_reload_restarts_the_recording(tmp_path):
    recorders: list[Recorder] = []
    with recorded_piece(tmp_path / "piece", recorders) as session:
        session.act("dist", "value", "80")
        wait_for(lambda: session.runtime.devices["dist"].state["distance"] == 80, "a reading of 80 cm")
        save(tmp_path / "piece" / "behaviour.py", "from museokit import on\n\n"
             "@on('door.pressed')\ndef light():\n    lamp.blink()\n")
        assert session.reload_if_changed() is True
        wait_for(lambda: session.runtime.devices["dist"].state["distance"] == 80, "80 cm again")
    recording = recorders[0].finish()
    assert [s.line for s in recording.steps] == ["value dist 80"]  # played again at the reload
    assert recording.steps[0].t < 0.5
    scenario = tmp_path / "after-reload.scenario"
    recorders[0].save(scenario)
    assert replay(tmp_path / "piece", scenario) == []


@pytest.mark.subprocess
def test_record_from_the_console_then_replay_with_the_command(tmp_path):
    folder = tmp_path / "hello"
    subprocess.run(["cp", "-r", str(HELLO), str(folder)], check=True)
    scenario = tmp_path / "visit.scenario"
    proc = subprocess.Popen([MUSEOKIT, "sim", str(folder), "--headless", "--record", str(scenario)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdin is not None and proc.stdout is not None
    while " ready" not in proc.stdout.readline():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    for line in ("motion entrance", "click door", "click door", "lamp.on", "quit"):
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        time.sleep(0.35)  # a person typing: actions land apart, clicks stay double-clicks
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "recorded 6 actions" in out and "Traceback" not in err
    passed = subprocess.run([MUSEOKIT, "sim", str(folder), "--scenario", str(scenario)],
                            capture_output=True, text=True, timeout=60)
    assert passed.returncode == 0, passed.stdout + scenario.read_text()
    assert "PASSED" in passed.stdout
    behaviour = folder / "behaviour.py"
    behaviour.write_text(behaviour.read_text().replace("lamp.toggle()", "lamp.on()"))
    failed = subprocess.run([MUSEOKIT, "sim", str(folder), "--scenario", str(scenario)],
                            capture_output=True, text=True, timeout=60)
    assert failed.returncode == 1 and "FAIL" in failed.stdout, failed.stdout
