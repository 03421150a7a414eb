"""Opening hours on the virtual clock: a week in Paris across the spring DST change, devices
asleep outside hours, the display switched by a real (stand-in) tool, and bad tables."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from museokit.core.clock import VirtualClock
from museokit.ops.display_power import Cec, DisplayPower, Vcgencmd, WlrRandr, choose, follow_schedule
from museokit.sim.harness import Harness
from tests.conftest import device
from tests.test_config import line, the_problem

PARIS = ZoneInfo("Europe/Paris")

WEEK = """\
[schedule]
timezone = "Europe/Paris"
hours = "10:00-18:00"
days = ["tue-sun"]
thu = ["14:00-21:00", "10:00-13:00"]
closed = [2026-03-27]
open = ["2026-03-23"]
"""

DEVICES = (device("door", "button", "pin = 17") + device("lamp", "led", "pin = 18")
           + device("motor", "relay", "pin = 23")
           + device("arm", "servo", "pin = 12\nrest_angle = 90")
           + '[[rules]]\nwhen = "door.pressed"\ndo = ["lamp.on", "motor.on", "arm.angle 10"]\n')


def paris(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=PARIS).timestamp()


def at(text: str) -> VirtualClock:
    """A virtual clock whose wall time starts at `text`, Paris time."""
    return VirtualClock(epoch=paris(text))


def opened(installation, toml: str, start: str, **kwargs) -> Harness:
    """`toml` opened at `start`; a button stands in where the test needs no device (an
    installation without any is refused)."""
    if "[[devices]]" not in toml:
        toml += device("door", "button", "pin = 17")
    return Harness(installation(toml), clock=at(start), **kwargs)


def transitions(h: Harness) -> list[str]:
    return [f"{datetime.fromtimestamp(s.event.ts, PARIS):%a %d %H:%M %Z} {s.event.name}"
            for s in h.seen if s.event.device == "schedule"]


def test_a_week_in_paris_across_the_dst_change(installation):
    h = opened(installation, WEEK, "2026-03-23T08:00")  # a Monday; DST starts Sunday the 29th
    h.run_for(8 * 24 * 3600 + 3600 * 12)
    assert transitions(h) == [
        "Mon 23 08:00 CET closed",                             # starts closed
        "Mon 23 10:00 CET open", "Mon 23 18:00 CET closed",    # an extra open Monday
        "Tue 24 10:00 CET open", "Tue 24 18:00 CET closed",
        "Wed 25 10:00 CET open", "Wed 25 18:00 CET closed",
        "Thu 26 10:00 CET open", "Thu 26 13:00 CET closed",    # Thursday's own two ranges
        "Thu 26 14:00 CET open", "Thu 26 21:00 CET closed",
        # Friday 27: a closed date
        "Sat 28 10:00 CET open", "Sat 28 18:00 CET closed",
        "Sun 29 10:00 CEST open", "Sun 29 18:00 CEST closed",  # 10:00 is still 10:00
        # Monday 30: not an open weekday
        "Tue 31 10:00 CEST open", "Tue 31 18:00 CEST closed",
    ]
    utc = [datetime.fromtimestamp(s.event.ts).astimezone(ZoneInfo("UTC")).hour
           for s in h.seen if s.key == "schedule.open"]
    assert utc[5:] == [9, 8, 8]  # Saturday opens at 09:00 UTC, Sunday and Tuesday at 08:00


def test_outside_hours_inputs_are_ignored_and_outputs_go_safe(installation):
    h = opened(installation, WEEK + DEVICES, "2026-03-24T09:00")
    h.run_for(1)
    assert h.device("door").asleep and h.device("lamp").state["asleep"]
    h.act("door", "press")
    h.act("door", "release")
    h.run_for(1)
    assert not h.fired("door.pressed")
    assert h.device("lamp").label == "off"
    h.command("lamp", "on")  # a rule, a scenario or a remote peer: dropped while asleep
    h.device("lamp").blink()  # a behaviour's own timer, too
    assert h.device("lamp").label == "off"

    h.run_until(h.now + 3600)  # 10:00: open
    assert not h.device("door").asleep
    h.act("door", "press")
    h.run_for(0.1)
    assert [h.device(d).label for d in ("lamp", "motor", "arm")] == ["on", "on", "holding"]
    assert h.output("arm").value == pytest.approx(0.001 + 10 / 180 * 0.001)

    h.run_until(h.now + 8 * 3600)  # 18:00: closed
    assert [h.device(d).label for d in ("lamp", "motor")] == ["off", "off"]
    assert [v for _, v in h.output("arm").history][-2:] == [pytest.approx(0.0015), None]


def test_opening_starts_again_from_the_first_state(installation):
    toml = WEEK + DEVICES + """
[[states]]
name = "attract"
[[states]]
name = "engaged"
[[rules]]
when = "states.attract"
do = "lamp.blink"
"""
    h = opened(installation, toml, "2026-03-24T17:59")
    h.command("states", "goto", "engaged")
    h.run_for(120)  # closes at 18:00
    assert h.device("lamp").label == "off"
    h.run_until(h.now + 16 * 3600)  # opens at 10:00
    assert h.runtime.current_state() == "attract"
    assert h.device("lamp").label == "blinking"


def test_rules_and_scenarios_can_use_the_schedule_events(installation):
    inst = installation(WEEK + DEVICES + '[[rules]]\nwhen = "schedule.open"\ndo = "motor.pulse 5"\n')
    assert inst.event_names()["schedule"] == ("open", "closed")
    h = Harness(inst, clock=at("2026-03-24T09:59:58"))
    h.run_for(3)
    assert h.device("motor").label == "pulsing"


def test_always_open_without_a_schedule(harness):
    h = harness(DEVICES)
    h.run_for(3600 * 24)
    assert not h.fired("schedule.closed") and not h.device("door").asleep


# -- the display ----------------------------------------------------------------------------

@pytest.fixture
def tools(tmp_path, monkeypatch):
    """A folder on PATH where a test puts stand-ins for vcgencmd & co. that log their args."""
    folder = tmp_path / "bin"
    folder.mkdir()
    monkeypatch.setenv("PATH", f"{folder}:/usr/bin:/bin")

    def make(name: str, exit_code: int = 0, prints: str = "") -> None:
        script = folder / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> {tmp_path}/calls\n'
                          f'printf "{prints}"\nexit {exit_code}\n')
        script.chmod(0o755)

    make.calls = lambda: (tmp_path / "calls").read_text().splitlines()  # type: ignore[attr-defined]
    return make


@pytest.mark.subprocess
def test_the_display_goes_off_at_closing_and_on_at_opening(installation, tools):
    tools("vcgencmd")
    h = opened(installation, WEEK, "2026-03-24T17:59")
    follow_schedule(h.runtime.bus, choose("vcgencmd"))
    h.run_for(120)
    h.run_until(h.now + 16 * 3600)
    deadline = time.monotonic() + 10
    while len(_calls(tools)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _calls(tools) == ["vcgencmd display_power 1", "vcgencmd display_power 0",
                             "vcgencmd display_power 1"]


def _calls(tools) -> list[str]:
    try:
        return tools.calls()
    except FileNotFoundError:
        return []


@pytest.mark.subprocess
def test_auto_picks_what_this_machine_has(tools, tmp_path):
    assert type(choose("auto", env={})) is DisplayPower  # nothing installed
    tools("vcgencmd")
    assert type(choose("auto", env={})) is Vcgencmd
    tools("cec-ctl")
    cec = tmp_path / "cec0"
    assert type(choose("auto", env={}, cec_device=cec)) is Vcgencmd  # no CEC adapter
    cec.touch()
    assert type(choose("auto", env={}, cec_device=cec)) is Cec
    tools("wlr-randr", prints=r"HDMI-A-1 Dell\n  Enabled: yes\nHDMI-A-2 x\n")
    power = choose("auto", env={"WAYLAND_DISPLAY": "wayland-1"})
    assert type(power) is WlrRandr
    assert power.set(False)
    assert tools.calls()[-3:] == ["wlr-randr ", "wlr-randr --output HDMI-A-1 --off",
                                  "wlr-randr --output HDMI-A-2 --off"]


def test_a_missing_tool_degrades_to_blank_with_one_warning(tools, caplog):
    with caplog.at_level(logging.WARNING, logger="museokit.display"):
        power = choose("cec")
        assert not power.set(False)
        assert not power.set(True)
    [warning] = [r.getMessage() for r in caplog.records]
    assert "display = 'cec' but cec-ctl is not installed; the screen only goes black" in warning


@pytest.mark.subprocess
def test_a_failing_tool_is_one_warning(tools, caplog):
    tools("vcgencmd", exit_code=255)
    with caplog.at_level(logging.WARNING, logger="museokit.display"):
        power = choose("vcgencmd")
        assert not power.set(False)
        assert not power.set(False)
    [warning] = [r.getMessage() for r in caplog.records]
    assert warning.startswith("`vcgencmd display_power 0` failed (exit 255")


# -- bad tables -----------------------------------------------------------------------------

@pytest.mark.parametrize(("entry", "key", "says"), [
    ('hours = "10:00-25:00"', "schedule.hours", "25:00 in '10:00-25:00' is not a time of day"),
    ('hours = "10:60-18:00"', "schedule.hours", "10:60 in '10:60-18:00' is not a time of day"),
    ('hours = "18:00-10:00"', "schedule.hours", "'18:00-10:00' ends before it starts"),
    ('hours = "10h-18h"', "schedule.hours", "'10h-18h' is not a range of hours"),
    ('thu = ["10:00-12:00", "22:00-02:00"]', "schedule.thu[1]", "ends before it starts"),
    ('days = ["mon", "tues"]', "schedule.days[1]", "unknown weekday 'tues'"),
    ('days = "mon-sunday"', "schedule.days", "unknown weekday 'sunday'"),
    ('timezone = "Europe/Pariss"', "schedule.timezone", "unknown timezone 'Europe/Pariss'"),
    ('closed = ["25/12/2026"]', "schedule.closed[0]", "'25/12/2026' is not a date"),
    ('open = "2026-12-25"', "schedule.open", "expected a list of dates"),
    ('display = "hdmi"', "schedule.display", "unknown display control 'hdmi'"),
    ('opening = "10:00-18:00"', "schedule.opening", "unknown key 'opening' in [schedule]"),
])
def test_impossible_schedules_are_refused_with_their_line(installation, entry, key, says):
    toml = f'[installation]\nname = "t"\n\n[schedule]\n{entry}\n'
    issue = the_problem(installation, toml)
    assert (issue.path, issue.line) == (key, line(toml, entry))
    assert says in issue.message
    assert issue.hint


def test_a_night_past_midnight_is_two_ranges(installation):
    h = opened(installation, '[schedule]\ntimezone = "Europe/Paris"\nhours = "00:00-24:00"\n'
               'days = ["mon-sun"]\nfri = ["10:00-24:00"]\nsat = ["00:00-02:00", "10:00-18:00"]\n',
               "2026-03-27T23:00")
    h.run_for(4 * 3600)
    assert transitions(h) == ["Fri 27 23:00 CET open", "Sat 28 02:00 CET closed"]


def test_schedule_is_a_reserved_device_id(installation):
    issue = the_problem(installation, device("schedule", "button", "pin = 17"))
    assert issue.message == "id 'schedule' is reserved by museokit"
