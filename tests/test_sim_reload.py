"""Hot reload in the live simulator: an edit takes effect, a broken file keeps the old version."""

from __future__ import annotations

import logging

import pytest

from museokit.core.clock import ScaledClock
from museokit.sim.live import LiveSession
from tests.sim_live_helpers import PIECE, label, live_piece, save, wait_for


def press_and_release(session: LiveSession) -> None:
    session.act("door", "press")
    wait_for(lambda: label(session, "door") == "pressed", "door pressed")
    session.act("door", "release")
    wait_for(lambda: label(session, "door") == "released", "door released")


def test_an_edit_of_the_behaviour_takes_effect(tmp_path):
    with live_piece(tmp_path / "piece") as session:
        first = session.runtime
        press_and_release(session)
        wait_for(lambda: label(session, "lamp") == "on", "lamp on")
        save(tmp_path / "piece" / "behaviour.py",
             "from museokit import on\n\n@on('door.pressed')\ndef light():\n    lamp.blink()\n")
        assert session.reload_if_changed() is True
        assert session.runtime is not first and not first.started
        assert session.error is None and session.reloads == 1
        assert session.reload_if_changed() is None  # nothing new saved
        press_and_release(session)
        wait_for(lambda: label(session, "lamp") == "blinking", "the new behaviour: lamp blinking")


@pytest.mark.parametrize("file, broken, where", [
    ("behaviour.py", "from museokit import on\n\n@on('door.pressed')\ndef light(:\n    lamp.on()\n",
     "behaviour.py:4"),
    ("installation.toml", PIECE.replace('kind = "led"', 'kind = "lde"'), "installation.toml:10"),
    ("installation.toml", PIECE + "\n[[devices]\n", "installation.toml:"),
])
def test_a_broken_save_keeps_the_old_version_and_says_why(tmp_path, caplog, file, broken, where):
    folder = tmp_path / "piece"
    with live_piece(folder) as session:
        running = session.runtime
        good = (folder / file).read_text()
        caplog.set_level(logging.ERROR, "museokit")
        save(folder / file, broken)
        assert session.reload_if_changed() is False
        assert session.runtime is running and running.started and session.alive
        assert where in session.error
        [record] = [r for r in caplog.records if "reload refused" in r.getMessage()]
        assert where in record.getMessage() and "\n" not in record.getMessage()
        press_and_release(session)  # the previous version still plays
        wait_for(lambda: label(session, "lamp") == "on", "the old behaviour: lamp on")
        save(folder / file, good)
        assert session.reload_if_changed() is True
        assert session.error is None and session.runtime is not running


def test_a_reload_keeps_the_clock_and_what_the_visitor_is_holding(tmp_path):
    with live_piece(tmp_path / "piece") as session:
        clock = session.clock
        session.act("door", "press")
        session.act("dist", "value", "80")
        wait_for(lambda: label(session, "door") == "pressed", "door pressed")
        wait_for(lambda: session.runtime.devices["dist"].state["distance"] == 80, "a reading of 80 cm")
        before = clock.monotonic()
        save(tmp_path / "piece" / "behaviour.py", "# nothing happens now\n")
        assert session.reload_if_changed() is True
        assert session.runtime.clock is clock and clock.monotonic() >= before
        wait_for(lambda: label(session, "door") == "pressed", "the held button, pressed again")
        wait_for(lambda: session.runtime.devices["dist"].state["distance"] == 80, "80 cm again")
        assert label(session, "lamp") == "off"  # the new behaviour no longer lights it


def test_a_quit_ends_the_session_and_says_so(tmp_path):
    with live_piece(tmp_path / "piece") as session:
        session.runtime.stop()  # what `quit` in the console does; a crashed loop ends the same way
        wait_for(session.ended.is_set, "the session to end")
        assert session.end_reason == "stopped" and not session.alive


def test_a_paused_clock_stands_still_until_stepped():
    clock = ScaledClock(rate=0)
    start = clock.monotonic()
    assert clock.monotonic() == start and clock.paused
    clock.step(0.25)
    assert clock.monotonic() == start + 0.25
    assert clock.real_delay(1.0) == float("inf")
    clock.set_rate(10)
    assert clock.real_delay(1.0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match="rate"):
        clock.set_rate(-1)
    with pytest.raises(ValueError, match="backwards"):
        clock.step(-1)


def test_a_paused_session_runs_no_timers_until_stepped(tmp_path):
    with live_piece(tmp_path / "piece") as session:
        session.set_rate(0)
        session.act("door", "press")
        wait_for(lambda: label(session, "door") == "pressed", "door pressed")
        session.act("door", "release")  # the release is debounced: a timer on the paused clock
        session.command("lamp.blink 0.2 0.2 n=1")
        wait_for(lambda: label(session, "lamp") == "blinking", "lamp blinking")
        for _ in range(20):
            session.step(0.1)
        wait_for(lambda: label(session, "lamp") == "off", "the blink to finish after stepping 2 s")
