"""Physical maintenance mode on the virtual clock: two buttons held, or the admin tag, pause
visitor rules, test each output in turn, say so, and leave on the same gesture or a timeout."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from museokit.core.clock import VirtualClock
from museokit.core.config import Installation, InstallationError
from museokit.core.runtime import Runtime
from museokit.ops.maintenance import SAY_OFF, SAY_ON, STEP, Maintenance

PIECE = """
[installation]
backend = "sim"

[maintenance]
buttons = ["a", "b"]
hold = 5
timeout = 120
tag = "04A1B2C3"
speak = false

[[devices]]
id = "a"
kind = "button"
pin = 17

[[devices]]
id = "b"
kind = "button"
pin = 27

[[devices]]
id = "reader"
kind = "tag_reader"
pin = 5

[[devices]]
id = "lamp"
kind = "led"
pin = 18

[[devices]]
id = "spot"
kind = "relay"
pin = 23

[[states]]
name = "attract"

[[states]]
name = "show"

[[rules]]
when = "a.pressed"
do = "states.goto show"
"""


@pytest.fixture
def piece(installation: Callable[..., Installation]) -> Iterator[tuple[Runtime, Maintenance, list[Any]]]:
    inst = installation(PIECE)
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")
    runtime.start()
    said: list[Any] = []
    assert inst.staff.maintenance is not None
    maint = Maintenance(runtime, inst.staff.maintenance, on_change=lambda on: said.append(on),
                        speak=said.append)
    maint.start()
    yield runtime, maint, said
    maint.close()
    runtime.close()


def test_two_buttons_held_enter_test_each_output_and_leave(piece: Any) -> None:
    runtime, maint, said = piece
    lamp_changes: list[Any] = []
    runtime.bus.watch_state(lambda dev, state: dev == "lamp" and lamp_changes.append(state))
    runtime.simulate("a", "press")
    runtime.run_for(0.1)
    assert runtime.current_state() == "show"      # a visitor press, before maintenance
    runtime.states.goto("attract")
    runtime.simulate("b", "press")
    runtime.run_for(4)
    assert not maint.active                        # held 4 s of 5
    runtime.run_for(1.5)
    assert maint.active
    assert said == [SAY_ON, True]
    assert runtime.lockout.paused_by == {"maintenance"}
    runtime.run_for(STEP * 3)
    assert maint.tested == ["lamp", "spot"]        # each output in turn
    assert lamp_changes                            # the lamp really blinked
    runtime.simulate("a", "release")
    runtime.simulate("b", "release")
    runtime.simulate("a", "press")                 # a visitor rule would run now: paused
    runtime.run_for(0.5)
    assert runtime.current_state() == "attract"
    runtime.simulate("b", "press")                 # the same gesture leaves
    runtime.run_for(5.5)
    assert not maint.active
    assert said == [SAY_ON, True, SAY_OFF, False]
    assert not runtime.lockout.paused_by
    runtime.simulate("a", "release")
    runtime.simulate("a", "press")
    runtime.run_for(0.1)
    assert runtime.current_state() == "show"       # visitors are back


def test_the_admin_tag_enters_and_the_timeout_leaves(piece: Any) -> None:
    runtime, maint, said = piece
    runtime.simulate("reader", "tag", "04a1b2c3")
    runtime.run_for(0.1)
    assert maint.active
    runtime.simulate("reader", "tag", "DEADBEEF")  # a visitor's tag changes nothing
    runtime.run_for(100)
    assert maint.active
    runtime.run_for(21)
    assert not maint.active and said[-1] is False


def test_a_bad_maintenance_table_is_refused_with_the_fix(
        installation: Callable[..., Installation]) -> None:
    bad = PIECE.replace('buttons = ["a", "b"]', 'buttons = ["a", "lamp"]').replace(
        "hold = 5", "hold = -1")
    with pytest.raises(InstallationError) as err:
        installation(bad)
    text = str(err.value)
    assert "maintenance.buttons[1]: 'lamp' is not a button device" in text
    assert "maintenance.hold: expected a number from 0.5 to 60" in text



SCENARIO = """
# A technician holds a and b for 5 s: each output is tested, visitors are ignored.
at 1      press a
          press b
          expect states.show within 100ms     # a visitor press, before maintenance
at 6.5    expect lamp is blinking within 3s   # held 5 s: maintenance tests the lamp ...
          expect spot is pulsing within 4s    # ... then the relay
at 12     release a
          release b
at 13     click a
          expect no states.show for 3s        # visitor rules paused
at 20     press a
          press b
at 26     release a
          release b
at 27     click a
          expect states.show within 500ms     # left on the same gesture: visitors are back
"""


def test_maintenance_in_a_scenario(installation: Callable[..., Installation]) -> None:
    from museokit.sim.scenario import load_scenario, run_scenario

    inst = installation(PIECE.replace('name = "show"', 'name = "show"\ntimeout = 2\nthen = "attract"'))
    path = inst.folder / "maintenance.scenario"
    path.write_text(SCENARIO)
    result = run_scenario(inst, load_scenario(path, inst))
    assert result.passed, "\n".join(result.lines())
