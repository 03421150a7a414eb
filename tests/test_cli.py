"""The `museokit` command, run as a maker runs it: as a separate process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.conftest import ONE_BUTTON, REPO, write_installation

HELLO = str(REPO / "installations" / "hello-button")
MUSEOKIT = str(Path(sys.executable).with_name("museokit"))


def museokit(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUSEOKIT, *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO)


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start museokit and wait for its ready line; returns the process and that line."""
    proc = subprocess.Popen([MUSEOKIT, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=REPO)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if " ready" in line:
            return proc, line
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError(f"museokit never got ready: {proc.stderr.read() if proc.stderr else ''}")


@pytest.mark.subprocess
def test_version():
    result = museokit("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("museokit ")


@pytest.mark.subprocess
def test_check_summarises_a_good_installation():
    result = museokit("check", HELLO)
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "door" in result.stdout and "button" in result.stdout and "GPIO17" in result.stdout


@pytest.mark.subprocess
def test_check_prints_every_error_and_exits_1(tmp_path):
    folder = write_installation(tmp_path / "bad", """\
        [installation]
        name = "bad"

        [[devices]]
        id = "door"
        kind = "buton"
        pin = 17

        [[devices]]
        id = "lamp"
        kind = "led"
        pin = "GPIO17"

        [[devices]]
        id = "bell"
        kind = "led"
        pin = "BOARD11"

        [[rules]]
        when = "lamp.pressed"
        do = "lamp.blnk"
    """)
    result = museokit("check", str(folder))
    assert result.returncode == 1
    err = result.stderr
    assert "installation.toml:6: devices[0].kind: unknown kind 'buton' — did you mean 'button'?" in err
    assert "devices[2].pin: pin GPIO17 is already used by device 'lamp'" in err
    assert "rules[0].when: lamp has no event 'pressed'" in err
    assert "did you mean 'blink'?" in err
    assert "4 problems found; nothing was started." in err


@pytest.mark.parametrize(("behaviour", "expected"), [
    ("from museokit import on\n\n@on('door.pressed')\ndef f(:\n    pass\n",
     "behaviour.py:4: Python syntax error"),
    ("from museokit import on\n\n@on('door.presed')\ndef f():\n    pass\n",
     "door has no event 'presed'; did you mean 'pressed'?"),
], ids=["syntax-error", "unknown-event"])
@pytest.mark.subprocess
def test_check_reports_behaviour_errors_before_start(tmp_path, behaviour, expected):
    folder = write_installation(tmp_path / "piece", """\
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17
    """, behaviour=behaviour)
    result = museokit("check", str(folder))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_missing_installation_says_how_to_start_one(tmp_path):
    result = museokit("check", str(tmp_path))
    assert result.returncode == 1
    assert "file not found" in result.stderr and "museokit new" in result.stderr
    assert f"{tmp_path} has no installation.toml: is it the installation folder?" in result.stderr


@pytest.mark.subprocess
def test_a_folder_that_does_not_exist_gets_a_new_command_for_it(tmp_path):
    missing = tmp_path / "my-piece"
    result = museokit("check", str(missing))
    assert result.returncode == 1
    assert f"no such folder; `museokit new {missing}` starts an installation there" in result.stderr


@pytest.mark.subprocess
def test_run_on_an_absent_backend_is_one_clear_line():
    result = museokit("run", HELLO, "--backend", "gpoi")
    assert result.returncode == 1
    assert "backend 'gpoi' is not installed" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.subprocess
def test_signal_stops_a_run_cleanly(sig):
    proc, ready = start("run", HELLO, "--backend", "sim")
    assert "Hello button ready" in ready
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped after" in out
    assert "Traceback" not in err


@pytest.mark.subprocess
def test_live_sim_plays_typed_visitor_actions():
    result = museokit("sim", HELLO, "--for", "1.5",
                      stdin="motion entrance\npress door\nrelease door\nstatus\nbogus\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "entrance.motion" in out
    assert "states.engaged" in out
    assert "door.pressed" in out and "door.released" in out
    assert "lamp is on" in out
    assert "unknown command 'bogus'" in out


@pytest.mark.subprocess
def test_gallery_day_prints_its_summary():
    result = museokit("sim", HELLO, "--visitors", "300", "--hours", "2", "--seed", "7")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "gallery day: 300 visitors over 2 h" in out
    for label in ("events", "handler errors", "slowest handler", "max queue depth"):
        assert label in out
    assert "simulated 2.00 / 2 h" in result.stderr  # progress


@pytest.mark.subprocess
def test_gallery_day_is_deterministic_for_a_seed():
    def counts(seed: str) -> list[str]:
        out = museokit("sim", HELLO, "--visitors", "100", "--hours", "1", "--seed", seed).stdout
        return [line for line in out.splitlines() if "events" in line or "actions" in line]

    assert counts("3") == counts("3")
    assert counts("3") != counts("4")


@pytest.mark.subprocess
def test_new_scaffolds_an_installation_that_checks_and_runs(tmp_path):
    target = tmp_path / "my-piece"
    result = museokit("new", str(target))
    assert result.returncode == 0, result.stderr
    assert (target / "installation.toml").is_file()
    assert museokit("check", str(target)).returncode == 0
    live = museokit("sim", str(target), "--for", "0.5", stdin="press button\n")
    assert "states.active" in live.stdout


@pytest.mark.subprocess
def test_new_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "keep.txt").write_text("precious")
    result = museokit("new", str(tmp_path))
    assert result.returncode == 1
    assert "not empty" in result.stderr
    assert (tmp_path / "keep.txt").read_text() == "precious"


def sim_door_for(tmp_path: Path, behaviour: str, seconds: float) -> subprocess.CompletedProcess[str]:
    """Run a one-button piece live for `seconds` while a visitor presses and releases."""
    folder = write_installation(tmp_path / "piece", ONE_BUTTON, behaviour=textwrap.dedent(behaviour))
    return museokit("sim", str(folder), "--for", str(seconds), stdin="press door\nrelease door\n")


@pytest.mark.subprocess
def test_a_handler_that_raises_is_one_line_and_the_piece_keeps_running(tmp_path):
    result = sim_door_for(tmp_path, """\
        from museokit import on

        @on("door.pressed")
        def broken():
            raise ValueError("oops")

        @on("door.released")
        def fine():
            print("released ok", flush=True)
    """, 1)
    assert result.returncode == 0
    assert "behaviour.py:3 broken failed on door.pressed: ValueError: oops" in result.stderr
    assert "released ok" in result.stdout
    assert "1 handler errors" in result.stdout


@pytest.mark.subprocess
def test_no_heavy_imports_for_a_button_and_led_piece():
    code = (f"import sys, museokit.cli as c; c.main(['check', {HELLO!r}]);"
            "heavy = [m for m in ('pygame', 'cv2', 'paho', 'serial', 'gpiozero', 'numpy') "
            "if m in sys.modules]; print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stdout.strip().endswith("[]"), result.stdout + result.stderr
