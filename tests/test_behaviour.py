"""The behaviour API: what a maker writes in `behaviour.py` beside the TOML.

Each test gives an installation file and a behaviour module to the `harness` fixture
(virtual clock, simulated devices) and plays a visitor. Behaviour modules record what
happened in a `calls` list that the test reads back through `h.runtime.behaviour`.
"""

from __future__ import annotations

import logging
import sys

import pytest

from museokit.core.config import InstallationError
from museokit.sim.harness import Harness
from tests.conftest import ONE_BUTTON, write_installation

PIECE = """
[installation]
site = "demo"

[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "bell"
kind = "button"
pin = 27

[[devices]]
id = "entrance"
kind = "motion"
pin = 4
retrigger = 1

[[devices]]
id = "lamp"
kind = "led"
pin = 18

[[states]]
name = "attract"        # the first state is where the piece starts

[[states]]
name = "engaged"
idle = 20               # back to attract after 20 s without a visitor

[[states]]
name = "film"
timeout = 30            # the film lasts 30 s...
then = "engaged"        # ...then back to engaged

[options]
greeting = "hello"
"""

HEADER = "from museokit import after, emit, enter, every, goto, lockout, on, state\ncalls = []\n"


def click(h: Harness, device: str = "door") -> None:
    """A visitor presses and releases a button (0.2 s of virtual time)."""
    h.act(device, "press")
    h.run_for(0.1)
    h.act(device, "release")
    h.run_for(0.1)


def calls(h: Harness) -> list[object]:
    return h.runtime.behaviour.calls  # type: ignore[no-any-return]


@pytest.fixture
def piece(harness):
    """`piece(behaviour_body)` -> a started Harness of PIECE with that behaviour."""

    def make(body: str, toml: str = PIECE, **kwargs: object) -> Harness:
        return harness(toml, HEADER + body, **kwargs)

    return make


# -- handlers -------------------------------------------------------------------------------


def test_devices_are_globals_and_handlers_take_the_event_or_nothing(piece):
    h = piece("""
@on("door.pressed")
def toggle():                     # no argument: fine
    lamp.toggle()                 # `lamp` is the device with id "lamp"

@on("door.released")
def note(event):                  # or take the event
    calls.append((event.key, event.value))
""")
    click(h)
    assert h.device("lamp").label == "on"
    assert calls(h) == [("door.released", 0.1)]
    click(h)
    assert h.device("lamp").label == "off"


def test_wildcard_handlers(piece):
    h = piece("""
@on("*.pressed")
def any_button(event):
    calls.append(event.device)
""")
    click(h, "door")
    click(h, "bell")
    assert calls(h) == ["door", "bell"]


def test_gpiozero_style_when_pressed(piece):
    h = piece("""
door.when_pressed = lambda: calls.append("pressed")
""")
    click(h)
    assert calls(h) == ["pressed"]


def test_options_reach_the_behaviour(piece):
    h = piece("""
from museokit import options as opts
calls.append(options.greeting)
calls.append(opts.greeting)
""")
    assert calls(h) == ["hello", "hello"]


def test_a_handler_that_raises_does_not_stop_the_installation(piece, caplog):
    h = piece("""
@on("door.pressed")
def flaky():
    calls.append("pressed")
    if len(calls) == 1:
        raise RuntimeError("sound card gone")
    lamp.on()
""")
    with caplog.at_level(logging.ERROR):
        click(h)
        click(h)
    assert calls(h) == ["pressed", "pressed"]
    assert h.device("lamp").label == "on"  # the second press was handled
    stats = h.runtime.bus.stats
    assert stats.errors == 1
    # Named by file, line and function, so a maker knows where to look.
    assert stats.errors_by_handler == {"behaviour.py:4 flaky": 1}
    assert "behaviour.py:4 flaky failed on door.pressed: RuntimeError: sound card gone" \
        in caplog.text


def test_a_handler_that_blocks_is_named(piece, caplog):
    h = piece("""
import time

@on("door.pressed")
def slow():
    time.sleep(0.05)
    calls.append("done")
""", slow_threshold=0.02)
    with caplog.at_level(logging.WARNING):
        click(h)
    assert calls(h) == ["done"]
    assert h.runtime.bus.stats.slow_warnings >= 1
    assert "handler behaviour.py:6 slow blocked the loop" in caplog.text


# -- refused at load -----------------------------------------------------------------------


def load_error(harness, body: str, toml: str = PIECE):
    with pytest.raises(InstallationError) as info:
        harness(toml, HEADER + body)
    (issue,) = info.value.issues
    return issue


@pytest.mark.parametrize(("decorator", "says", "did_you_mean"), [
    pytest.param('@on("dor.pressed")', "no device 'dor'", "door", id="on-unknown-device"),
    pytest.param('@on("door.presed")', "door has no event 'presed'", "pressed", id="on-unknown-event"),
    pytest.param('@enter("engagd")', "states has no event 'engagd'", "engaged", id="enter-unknown-state"),
    # Otherwise the handler would silently never fire.
    pytest.param('@on("door.pressed", state="engagd")', "engagd", "engaged",
                 id="on-with-unknown-state-filter"),
    # Otherwise the lockout would never be released: the piece would stop responding.
    pytest.param('@on("door.pressed", lockout=60, until="lamp.finishd")',
                 "lamp has no event 'finishd'", "finished", id="on-with-unknown-until-event"),
])
def test_a_handler_on_something_unknown_is_refused_at_load(harness, tmp_path, decorator, says,
                                                            did_you_mean):
    issue = load_error(harness, f"""
{decorator}
def greet():
    pass
""")
    assert (issue.file, issue.line) == (str(tmp_path / "piece" / "behaviour.py"), 4)
    assert says in issue.message
    assert f"did you mean '{did_you_mean}'?" in issue.message


def test_an_exception_at_import_time_is_reported_with_file_and_line(harness, tmp_path):
    issue = load_error(harness, """
lamp.on()
lamp.blink(n=int("three"))
""")
    assert (issue.file, issue.line) == (str(tmp_path / "piece" / "behaviour.py"), 5)
    assert str(issue).startswith(f"{tmp_path / 'piece' / 'behaviour.py'}:5: ValueError")
    assert "three" in issue.message
    assert "did not start" in issue.hint


def test_an_exception_in_a_function_called_at_import_names_the_line_it_happened(harness):
    issue = load_error(harness, """
def setup():
    return 1 / 0

setup()
""")
    assert issue.line == 5  # inside setup(), not where it was called
    assert issue.message == "ZeroDivisionError: division by zero"


def test_a_failed_load_leaves_nothing_running(installation):
    inst = installation(PIECE, HEADER + "raise RuntimeError('nope')\n")
    with pytest.raises(InstallationError):
        Harness(inst)


# -- trigger policies ------------------------------------------------------------------------


def test_value_matches_the_events_value(piece):
    h = piece("""
@on("door.clicked", value=2)
def double_click(event):
    calls.append(event.value)
""")
    click(h)
    h.run_for(1)
    assert calls(h) == []  # a single click has value 1
    click(h)
    click(h)
    h.run_for(1)
    assert calls(h) == [2]


def test_state_limits_a_handler_to_some_states(piece):
    h = piece("""
@on("door.pressed", state="engaged")
def only_engaged():
    calls.append(("engaged only", state()))

@on("door.pressed", state=["engaged", "film"])
def engaged_or_film():
    calls.append(("engaged or film", state()))
""")
    click(h)
    assert calls(h) == []
    h.command("states", "goto", "engaged")
    click(h)
    h.command("states", "goto", "film")
    click(h)
    assert calls(h) == [("engaged only", "engaged"), ("engaged or film", "engaged"),
                        ("engaged or film", "film")]


def test_cooldown_ignores_repeats_for_a_while(piece):
    h = piece("""
@on("door.pressed", cooldown=5)
def ring():
    calls.append(("ring", round(h_now(), 1)))

@on("door.pressed")
def count():
    calls.append("count")

def h_now():
    return device("door").clock.monotonic()

from museokit import device
""")
    click(h)            # t=0: rings
    h.run_for(1)
    click(h)            # t=1.2: cooling down
    h.run_for(4)
    click(h)            # t=5.4: ready again
    assert calls(h) == [("ring", 0.0), "count", "count", ("ring", 5.4), "count"]


def test_a_cooldown_belongs_to_its_handler(piece):
    h = piece("""
@on("door.pressed", cooldown=60)
def door():
    calls.append("door")

@on("bell.pressed", cooldown=60)
def bell():
    calls.append("bell")
""")
    click(h, "door")
    click(h, "bell")
    assert calls(h) == ["door", "bell"]


LOCKOUT = """
@on("door.pressed", lockout=10)
def play_film():
    calls.append("film")
    lamp.blink(1, 1, n=1)          # an output: it emits lamp.finished after 2 s
    after(3, lambda: calls.append("timer"))

@on("bell.pressed")
def ring():
    calls.append("ring")

@on("lamp.finished")
def film_over():
    calls.append("finished")
"""


def test_lockout_ignores_visitor_triggers_but_not_outputs_or_timers(piece):
    h = piece(LOCKOUT)
    click(h, "door")
    click(h, "bell")          # a visitor: ignored while locked out
    click(h, "door")          # the same handler too
    h.run_for(5)              # lamp.finished (an output) and the timer still run
    assert calls(h) == ["film", "finished", "timer"]
    h.run_for(5)              # the 10 s are over
    click(h, "bell")
    assert calls(h)[-1] == "ring"


def test_the_event_that_starts_a_lockout_reaches_all_its_handlers(piece):
    # Two handlers on one press: the lockout one must not swallow the other,
    # whatever order they were written in.
    h = piece(LOCKOUT + """
@on("door.pressed")
def count_visitors():
    calls.append("count")
""")
    click(h, "door")
    assert calls(h) == ["film", "count"]
    click(h, "door")
    assert calls(h) == ["film", "count"]  # the next press is locked out for both


def test_lockout_ignores_motion_too_but_not_state_changes(piece):
    h = piece("""
@on("door.pressed", lockout=10)
def play():
    goto("film")

@on("entrance.motion")
def someone():
    calls.append("motion")

@on("states.*")
def changed(event):
    calls.append(event.key)
""")
    h.run_for(0)  # the piece starts in attract
    click(h)
    h.act("entrance", "motion")
    h.run_for(1)
    assert calls(h) == ["states.attract", "states.film"]


def test_until_releases_the_lockout_early(piece):
    h = piece("""
@on("door.pressed", lockout=60, until="lamp.finished")
def play_film():
    calls.append("film")
    lamp.blink(1, 1, n=1)          # lamp.finished after 2 s

@on("bell.pressed")
def ring():
    calls.append("ring")
""")
    click(h, "door")
    click(h, "bell")
    assert calls(h) == ["film"]
    h.run_for(2)                   # lamp.finished: released long before 60 s
    click(h, "bell")
    assert calls(h) == ["film", "ring"]


def test_until_alone_locks_until_the_event(piece):
    h = piece("""
@on("door.pressed", until="lamp.finished")
def play_film():
    calls.append("film")

@on("bell.pressed")
def ring():
    calls.append("ring")
""")
    click(h, "door")
    h.run_for(3600)
    click(h, "bell")
    assert calls(h) == ["film"]
    h.command("lamp", "blink", 0.1, 0.1, n=1)
    h.run_for(1)
    click(h, "bell")
    assert calls(h) == ["film", "ring"]


def test_lockout_function_from_a_handler(piece):
    h = piece("""
@on("door.pressed")
def play():
    calls.append("play")
    lockout(5)

@on("bell.pressed")
def ring():
    calls.append("ring")
""")
    click(h, "door")
    click(h, "bell")
    h.run_for(5)
    click(h, "bell")
    assert calls(h) == ["play", "ring"]


# -- after, every, goto, state, enter, emit ----------------------------------------------------


def test_after_and_every(piece):
    h = piece("""
from museokit import device

def now():
    return round(device("door").clock.monotonic(), 2)

@on("door.pressed")
def start():
    after(2, lamp.on)
    after(1.5, lambda: calls.append(("after", now())))
    global ticker
    ticker = every(1, lambda: calls.append(("every", now())))

@on("bell.pressed")
def stop():
    ticker.cancel()
""")
    click(h)          # pressed at t=0
    h.run_for(3.0)
    assert h.device("lamp").label == "on"
    click(h, "bell")  # t=3.2
    h.run_for(10)
    assert calls(h) == [("every", 1.0), ("after", 1.5), ("every", 2.0), ("every", 3.0)]


def test_after_and_every_pass_arguments(piece):
    h = piece("""
after(1, calls.append, "once")
every(2, calls.append, "again")
""")
    h.run_for(5)
    assert calls(h) == ["once", "again", "again"]


def test_goto_state_and_enter(piece):
    h = piece("""
@enter("engaged")
def welcome(event):
    calls.append(("entered engaged from", event.value))

@on("door.pressed")
def wake():
    if state() == "attract":
        goto("engaged")
    calls.append(("now", state()))
""")
    assert h.runtime.current_state() == "attract"
    click(h)
    assert calls(h) == [("now", "engaged"), ("entered engaged from", "attract")]
    assert h.fired("states.engaged")


def test_goto_unknown_state_from_a_handler_is_a_handler_error(piece, caplog):
    h = piece("""
@on("door.pressed")
def wake():
    goto("engagd")
""")
    with caplog.at_level(logging.ERROR):
        click(h)
    assert h.runtime.bus.stats.errors == 1
    assert "no state 'engagd'" in caplog.text
    assert h.runtime.current_state() == "attract"


def test_emit_custom_events_and_handle_them(piece):
    h = piece("""
@on("door.pressed")
def next_chapter():
    emit("story", "chapter", len(calls) + 1)

@on("story.chapter")
def show(event):
    calls.append(event.value)
""")
    click(h)
    click(h)
    assert calls(h) == [1, 2]
    assert [s.value for s in h.events("story.chapter")] == [1, 2]


def test_emitted_custom_events_are_checked_too(harness):
    issue = load_error(harness, """
@on("door.pressed")
def next_chapter():
    emit("story", "chapter", 1)

@on("story.chaptr")
def show(event):
    pass
""")
    assert "did you mean 'chapter'?" in issue.message


def test_the_api_outside_an_installation_says_so():
    import importlib

    from museokit.core import behaviour

    saved_local, saved_last = getattr(behaviour._local, "runtime", None), list(behaviour._last)
    behaviour._local.runtime = None
    behaviour._last.clear()
    try:
        with pytest.raises(RuntimeError, match="no installation is running"):
            importlib.import_module("museokit").goto("attract")
    finally:
        behaviour._local.runtime = saved_local
        behaviour._last[:] = saved_last


def test_two_installations_in_one_process_do_not_mix(installation):
    # The simulator may run several nodes side by side: each one's handlers act on
    # its own installation.
    body = HEADER + """
@on("door.pressed")
def wake():
    goto("engaged")
"""
    first = Harness(installation(PIECE, body, name="first"))
    second = Harness(installation(PIECE, body, name="second"))
    try:
        click(first)
        assert first.runtime.current_state() == "engaged"
        assert second.runtime.current_state() == "attract"
    finally:
        first.close()
        second.close()


# -- states: idle, timeout, then ---------------------------------------------------------------


def test_the_first_state_is_entered_at_start(piece):
    h = piece("")
    assert h.runtime.current_state() == "attract"
    h.run_for(0)
    assert h.fired("states.attract")


def goto_film_again(h: Harness) -> None:
    h.command("states", "goto", "film")


@pytest.mark.parametrize(("start", "at_20s", "moves_at", "then"), [
    pytest.param("film", None, 30, "engaged", id="timeout-goes-to-then"),
    pytest.param("engaged", None, 20, "attract", id="idle-without-then-returns-to-the-first-state"),
    # film has a timeout, not an idle: a press does not extend it.
    pytest.param("film", click, 30, "engaged", id="input-in-a-state-without-idle-changes-nothing"),
    pytest.param("film", goto_film_again, 50, "engaged", id="entering-a-state-again-restarts-its-timers"),
])
def test_a_state_with_idle_or_timeout_moves_on_at_the_right_time(piece, start, at_20s, moves_at, then):
    h = piece("")
    h.command("states", "goto", start)     # at t=0
    if at_20s is not None:
        h.run_until(20)
        at_20s(h)
    h.run_until(moves_at - 0.1)
    assert h.runtime.current_state() == start
    h.run_until(moves_at)
    assert h.runtime.current_state() == then
    assert h.events(f"states.{then}")[-1].t == pytest.approx(moves_at)


def test_idle_countdown_is_restarted_by_visitor_input(piece):
    h = piece("")
    h.command("states", "goto", "engaged")
    h.run_for(15)
    click(h)                       # a visitor at t=15
    h.run_for(10)                  # t=25.2: would have been idle at 20
    assert h.runtime.current_state() == "engaged"
    h.act("entrance", "motion")    # a PIR counts as a visitor too (t=25.2)
    h.run_for(19.5)
    assert h.runtime.current_state() == "engaged"
    h.run_for(1.5)                 # 20 s after the last input (the PIR's no_motion at 26.2)
    assert h.runtime.current_state() == "attract"


def test_idle_countdown_is_not_restarted_by_outputs_or_logic(piece):
    h = piece("""
every(3, lamp.toggle)                                  # an output changing by itself
every(4, lambda: lamp.blink(0.5, 0.5, n=1))           # ...and emitting lamp.finished
every(5, lambda: emit("story", "chapter"))            # a custom event
""")
    h.command("states", "goto", "engaged")
    h.run_for(19.9)
    assert h.fired("lamp.finished") and h.fired("story.chapter")
    assert h.runtime.current_state() == "engaged"
    h.run_for(0.1)
    assert h.runtime.current_state() == "attract"


def test_state_changes_carry_the_previous_state(piece):
    h = piece("")
    h.command("states", "goto", "film")
    h.run_for(30)
    assert [(s.key, s.value) for s in h.events() if s.key.startswith("states.")] == [
        ("states.attract", None), ("states.film", "attract"), ("states.engaged", "film")]


# -- the same policies as no-code rules -------------------------------------------------------


def test_rules_with_state_cooldown_and_lockout(harness):
    h = harness(PIECE + """
[[rules]]
when = "door.pressed"
in_state = "attract"
do = ["states.goto engaged", "lamp.on"]

[[rules]]
when = "bell.pressed"
in_state = "engaged"
do = "lamp.blink 1 1 n=1"
lockout = 60
until = "lamp.finished"

[[rules]]
when = "*.pressed"
cooldown = 1
do = "lamp.toggle"
""")
    click(h, "door")
    assert h.runtime.current_state() == "engaged"
    assert h.device("lamp").label == "off"  # lamp.on, then the toggle rule
    click(h, "bell")
    assert h.device("lamp").label == "blinking"
    h.run_for(1)
    click(h, "door")                        # locked out: nothing happens
    assert h.device("lamp").label == "blinking"
    h.run_for(2)                            # lamp.finished releases the lockout
    click(h, "door")
    assert h.device("lamp").label == "on"   # the toggle rule again


def test_a_rule_with_a_value(harness):
    h = harness(PIECE + """
[[rules]]
when = "door.clicked"
value = 3
do = "lamp.on"
""")
    for _ in range(3):
        click(h)
    h.run_for(1)
    assert h.device("lamp").label == "on"


def test_behaviour_can_import_a_module_beside_it(tmp_path):
    folder = write_installation(tmp_path / "piece", ONE_BUTTON, behaviour="""\
        from museokit import on
        import door_stories

        @on("door.pressed")
        def tell():
            door_stories.told.append(door_stories.FIRST)
    """)
    (folder / "door_stories.py").write_text("FIRST = 'once upon a time'\ntold = []\n")
    with Harness.open(folder) as h:
        h.act("door", "press")
        h.run_for(0.1)
        assert sys.modules["door_stories"].told == ["once upon a time"]
