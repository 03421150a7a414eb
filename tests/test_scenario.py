"""Scenarios: parsing, checking against the installation, running and reporting."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from museokit.core.config import Installation, load_installation
from museokit.sim.scenario import (
    CLICK_TIME,
    DEFAULT_WINDOW,
    CommandStep,
    EventExpectation,
    Scenario,
    ScenarioError,
    ScenarioResult,
    StateExpectation,
    VisitorStep,
    load_scenario,
    run_scenario,
)
from tests.conftest import REPO

HELLO = REPO / "installations/hello-button"

# A button and a plain LED; pressing lights the lamp 0.3 s later, `door.held` raises.
PIECE = """
    [[devices]]
    id = "door"
    kind = "button"
    pin = 17

    [[devices]]
    id = "lamp"
    kind = "led"
    pin = 18

    [[states]]
    name = "attract"

    [[states]]
    name = "engaged"
"""
BEHAVIOUR = """
    from museokit import after, goto, on

    @on("door.pressed")
    def light_up():
        goto("engaged")
        after(0.3, lamp.on)

    @on("door.held")
    def broken():
        return 1 / 0
"""


@pytest.fixture
def hello() -> Installation:
    return load_installation(HELLO)


@pytest.fixture
def piece(installation: Callable[..., Installation]) -> Installation:
    return installation(PIECE, BEHAVIOUR)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str], Path]:
    def make(text: str) -> Path:
        path = tmp_path / "test.scenario"
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return make


@pytest.fixture
def load(write: Callable[[str], Path]) -> Callable[[str, Installation], Scenario]:
    return lambda text, inst: load_scenario(write(text), inst)


@pytest.fixture
def run(load: Callable[[str, Installation], Scenario]) -> Callable[[str, Installation], ScenarioResult]:
    return lambda text, inst: run_scenario(inst, load(text, inst))


def errors(load: Callable[[str, Installation], Scenario], text: str, inst: Installation) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load(text, inst)
    return caught.value.issues


def failures(result: ScenarioResult) -> list[str]:
    return [line for line in result.lines() if line.startswith("FAIL")]


# -- parsing -------------------------------------------------------------------------------
def test_times_units_relative_times_and_comments(load, hello):
    scenario = load("""
        # a comment line, then a blank one

        at 0        expect states is attract     # a trailing comment
        at 250ms    motion entrance
        +1.5        press door
                    release door
        at 1.5m     do lamp.on
        +30s        expect lamp is on
        at 2h       expect states is attract
    """, hello)
    steps = [(s.where.number, s.t) for s in scenario.steps]
    assert steps == [(5, 0.25), (6, 1.75), (7, 1.75), (8, 90.0)]
    assert [(e.where.number, e.where.t) for e in scenario.expectations] == [
        (4, 0.0), (9, 120.0), (10, 7200.0)]
    assert scenario.end == 7200.0
    assert scenario.steps[0] == VisitorStep(scenario.steps[0].where, 0.25, "entrance", "motion")
    assert isinstance(scenario.steps[3], CommandStep)
    assert scenario.steps[3].action.command == "on"


def test_click_and_hold_are_press_then_release(load, hello):
    scenario = load("""
        at 1   click door
        at 5   hold door 2s
    """, hello)
    assert [(s.t, s.action) for s in scenario.steps] == [
        (1, "press"), (1 + CLICK_TIME, "release"), (5, "press"), (7, "release")]
    assert scenario.end == 7


def test_expectation_forms(load, hello):
    scenario = load("""
        expect door.clicked = 2 within 1s
        expect door.clicked=2
        expect no door.pressed for 5s
        expect lamp is on within 100ms
        expect door.pressed is true
        expect states is engaged
    """, hello)
    clicked, compact, absent, lamp, key, states = scenario.expectations
    assert (clicked.key, clicked.value, clicked.window) == ("door.clicked", "2", 1.0)
    assert isinstance(compact, EventExpectation) and compact.window == DEFAULT_WINDOW
    assert absent.absent and absent.window == 5.0
    assert lamp == StateExpectation(lamp.where, "lamp", "label", "on", 0.1)
    assert isinstance(key, StateExpectation) and (key.key, key.value, key.window) == ("pressed", "true", 0)
    assert isinstance(states, StateExpectation) and states.device == "states"
    assert scenario.end == 5.0  # the longest window, from time 0


# -- errors, all reported together ----------------------------------------------------------
def test_every_error_is_reported_with_its_line(load, hello, write):
    issues = errors(load, """
        at 1    press dor
                expect door.pressd
                motion door
        at x    press door
        +2q     press door
        at 0.5  press door
                tag "unclosed
                prss door
                expect states is atract
                do lamp.blnk
                hold door
    """, hello)
    file = str(write(""))
    assert issues == [
        f"{file}:2: unknown device 'dor' — did you mean 'door'?",
        f"{file}:3: door has no event 'pressd' — did you mean 'pressed'?",
        f"{file}:4: door (button) cannot 'motion' — it can: press, release, click, hold",
        f"{file}:5: 'x' is not a time — write a number with an optional unit: 2, 2.5s, 300ms, 1.5m, 2h",
        f"{file}:6: unknown time unit 'q' in '2q' — units: ms, s, m, h",
        f"{file}:7: at 0.5s is before the previous line (1s) — lines run in order: move it up",
        f"{file}:8: cannot read this line: No closing quotation — check its quotes",
        f"{file}:9: door (button) cannot 'prss' — did you mean 'press'?",
        f"{file}:10: unknown state 'atract' — did you mean 'attract'?",
        f"{file}:11: lamp (led) has no command 'blnk' — did you mean 'blink'?",
        f"{file}:12: hold needs how long — write `hold door 2s`",
    ]


@pytest.mark.parametrize(("line", "message"), [
    ("wave dor", "unknown action 'wave'"),
    ("expect lamp", "'lamp' is not an event"),
    ("expect no lamp is on", "`expect no` takes an event, not a state"),
    ("expect door.pressed within", "`within` needs a time"),
    ("expect door.pressed soon", "unexpected 'soon' after door.pressed"),
    ("expect lamp is", "`is` needs exactly one value"),
    ("click door twice", "too many words after `click door`: twice"),
    ("do lamp.blink 1 2 3 4", "blink: too many positional arguments"),
    ("do states.goto engagd", "unknown state 'engagd'"),
    ("press screen", "unknown device 'screen'"),
    ("at", "`at` needs a time"),
    ("at -1 press door", "'-1' is not a time"),
])
def test_bad_lines(load, hello, line, message):
    (issue,) = errors(load, line, hello)
    assert f":1: {message}" in issue


def test_empty_and_missing_scenarios(load, hello, tmp_path):
    assert "nothing to run" in errors(load, "# only a comment\nat 5\n", hello)[0]
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.scenario", hello)


# -- running -------------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted((HELLO / "scenarios").glob("*.scenario")), ids=lambda p: p.name)
def test_hello_button_scenarios_pass(hello, path):
    result = run_scenario(hello, load_scenario(path, hello))
    assert result.passed, "\n".join(result.lines())
    assert result.met == len(result.outcomes) > 0


def test_a_wrong_expectation_fails_with_what_was_seen(run, hello):
    result = run("""
        at 0    expect states is engaged
        at 2    motion entrance
                expect states.attract within 1s
        at 3.5  click door
                expect door.clicked = 2
    """, hello)
    assert not result.passed
    assert result.failed == 3 and result.met == 0
    state, event, value = failures(result)
    assert state.startswith("FAIL  line 2") and state.endswith("— states was attract (since 0s)")
    assert "saw states.attract at 0s (2s early)" in event
    assert event.startswith("FAIL  line 4")
    assert value.endswith("— saw door.clicked = 1 at 4s")
    assert result.lines()[-1].startswith("test.scenario: FAILED — 0 of 3 met")


def test_an_event_that_never_happens(run, hello):
    (line,) = failures(run("at 1 expect door.long_press within 10s", hello))
    assert line.endswith("— no door.long_press in the whole run")


def test_expect_no(run, hello):
    result = run("""
        at 1    expect no door.pressed for 1s
        at 3    click door
                expect no door.released for 50ms
                expect no door.released for 1s
    """, hello)
    (line,) = failures(result)
    assert line.startswith("FAIL  line 5") and line.endswith("— saw door.released = 0.1 at 3.1s")


def test_state_checks_with_and_without_within(run, piece):
    result = run("""
        at 1    press door
                expect lamp is on within 0.5s
                expect lamp is on within 0.2s
                expect lamp is on
                expect door.pressed is true
        +0.3    expect lamp is on
                expect lamp.value is 1
                expect lamp.valeu is 1
    """, piece)
    assert [line.split("—")[1].strip() for line in failures(result)] == [
        "lamp was off (since 0s)",
        "lamp was off (since 0s)",
        "lamp has no state 'valeu'; did you mean 'value'?",
    ]
    assert [line.split()[2] for line in failures(result)] == ["4", "5", "9"]


def test_do_sets_up_state_and_a_refused_step_fails(run, piece):
    result = run("""
        do lamp.on
        expect lamp is on
        +1 do lamp.blink 0.2 0.2 n=0
    """, piece)
    (line,) = failures(result)
    assert line.startswith("FAIL  line 4")
    assert "could not do lamp.blink 0.2 0.2 n=0: n: expected a whole number of at least 1" in line


def test_handler_errors_fail_the_run(run, piece):
    result = run("""
        at 1   hold door 1.5s
               expect door.held within 1.1s
    """, piece)
    assert failures(result) == []
    assert not result.passed
    (error,) = result.handler_errors
    assert error.startswith("at 2s: handler behaviour.py:")
    assert "broken failed on door.held: ZeroDivisionError: division by zero" in error
    assert result.lines()[-2] == f"ERROR {error}"
    assert "1 handler error," in result.lines()[-1]


def test_runs_are_deterministic(hello):
    scenario = load_scenario(HELLO / "scenarios/wake-and-toggle.scenario", hello)
    first, second = run_scenario(hello, scenario), run_scenario(hello, scenario)
    assert first.lines() == second.lines()
    assert (first.events, first.virtual_seconds) == (second.events, second.virtual_seconds)


def test_a_gallery_day_of_virtual_time(run, hello):
    visits = "\n".join(f"at {minute}m motion entrance\n+1 click door\nexpect lamp is on\n"
                       "+10s expect states is engaged\nexpect states.attract within 30s"
                       for minute in range(0, 8 * 60, 10))
    result = run(visits + "\nat 8h expect states is attract", hello)
    assert result.passed, "\n".join(failures(result))
    assert result.virtual_seconds == 8 * 3600
    assert len(result.outcomes) == 48 * 3 + 1


def test_visitor_actions_with_a_value(run, installation):
    reader = installation("""
        [[devices]]
        id = "reader"
        kind = "tag_reader"
    """, name="reader")
    result = run("""
        at 1    tag reader 123456
                expect reader.placed = 123456
                expect reader is present
        at 2    tag reader none
                expect reader.removed = 123456 within 1s
                expect reader.tag is none within 1s
    """, reader)
    assert result.passed, "\n".join(result.lines())


def test_a_command_the_device_options_rule_out_is_refused_at_load(installation, tmp_path):
    inst = installation("""\
        [[devices]]
        id = "lamp"
        kind = "led"
        pin = 18
    """)
    file = tmp_path / "pulse.scenario"
    file.write_text("at 1  do lamp.pulse\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(file, inst)
    assert err.value.issues == [
        f"{file}:1: pulse needs a dimmable LED; set pwm = true on the device in "
        "installation.toml (and wire it to a PWM pin)"]
