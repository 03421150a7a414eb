"""The installation file: every mistake a maker can make is refused before anything
starts, with the file, the line, the key path and, where it helps, a suggestion.

Each test writes a small `installation.toml` (and sometimes a `behaviour.py`) into a
temporary folder with the `installation` fixture from conftest.py.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from toolkit.core.config import (
    Action,
    ConfigIssue,
    InstallationError,
    load_installation,
    parse_action,
    parse_scalar,
)
from toolkit.core.pins import PinRef
from toolkit.core.tomlmap import key_lines, line_of

# -- helpers ---------------------------------------------------------------------------


def problems(installation, toml: str, behaviour: str | None = None) -> list[ConfigIssue]:
    """Load a file that must be refused; return every issue it was refused for."""
    with pytest.raises(InstallationError) as info:
        installation(toml, behaviour)
    return info.value.issues


def the_problem(installation, toml: str, behaviour: str | None = None) -> ConfigIssue:
    """Load a file with exactly one mistake in it; return that one issue."""
    issues = problems(installation, toml, behaviour)
    assert len(issues) == 1, "\n".join(map(str, issues))
    return issues[0]


def line(toml: str, snippet: str, nth: int = 1) -> int:
    """The line number (from 1) of the nth line of `toml` containing `snippet`."""
    hits = [n for n, text in enumerate(textwrap.dedent(toml).splitlines(), 1) if snippet in text]
    assert len(hits) >= nth, f"{snippet!r} is not in the test's TOML"
    return hits[nth - 1]


@pytest.fixture
def toml_file(tmp_path: Path) -> str:
    """The path the `installation` fixture writes the TOML to."""
    return str(tmp_path / "piece" / "installation.toml")


DEVICES = """
[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "entrance"
kind = "motion"
pin = 4

[[devices]]
id = "lamp"
kind = "led"
pin = 18
pwm = true

[[states]]
name = "attract"

[[states]]
name = "engaged"
idle = 20
"""


# -- a good file ------------------------------------------------------------------------


def test_a_good_file_becomes_typed_objects(installation):
    inst = installation(f"""
        [installation]
        name = "Hello"
        site = "demo"
        node = "pi1"
        {textwrap.dedent(DEVICES)}
        [[rules]]
        when = "door.pressed"
        in_state = "engaged"
        do = ["lamp.blink 0.2 0.2 n=3", "states.goto attract"]
        cooldown = 2
    """)
    assert (inst.name, inst.site, inst.node) == ("Hello", "demo", "pi1")
    assert [d.id for d in inst.devices] == ["door", "entrance", "lamp"]
    assert inst.device("door").pins == {"pin": PinRef("pi", "GPIO17")}
    assert inst.device("lamp").options == {"pwm": True}
    assert [(s.name, s.idle) for s in inst.states] == [("attract", None), ("engaged", 20.0)]
    (rule,) = inst.rules
    assert rule.in_state == ("engaged",)
    assert rule.cooldown == 2.0
    assert rule.actions[0] == Action("lamp", "blink", (0.2, 0.2), (("n", 3),),
                                     "lamp.blink 0.2 0.2 n=3")
    assert rule.actions[1].args == ("attract",)
    assert inst.warnings == []


def test_the_issue_reads_file_line_key_message_and_hint(installation, toml_file):
    toml = """
        [[devices]]
        id = "door"
        kind = "buton"
    """
    issue = the_problem(installation, toml)
    assert str(issue) == (f"{toml_file}:{line(toml, 'buton')}: devices[0].kind: "
                          "unknown kind 'buton' — did you mean 'button'?")


def test_a_missing_file_says_how_to_start_one(tmp_path):
    with pytest.raises(InstallationError) as info:
        load_installation(tmp_path)
    (issue,) = info.value.issues
    assert issue.file == str(tmp_path / "installation.toml")
    assert issue.message == "file not found"
    assert "museokit new" in issue.hint


# -- TOML itself --------------------------------------------------------------------------


def test_toml_syntax_error_gives_the_line_from_tomllib(installation, toml_file):
    toml = """
        [[devices]]
        id = "door"
        kind "button"
        pin = 17
    """
    issue = the_problem(installation, toml)
    assert issue.file == toml_file
    assert issue.line == line(toml, 'kind "button"')
    assert "not valid TOML" in issue.message
    assert issue.hint


def test_toml_error_at_end_of_document_still_names_a_line(installation):
    toml = """
        [[rules]]
        when = "door.pressed"
        do = ["lamp.on",
    """
    issue = the_problem(installation, toml)
    assert "not valid TOML" in issue.message
    # tomllib only says "at end of document": the last line is where to look.
    assert issue.line == len(textwrap.dedent(toml).splitlines())


def test_a_key_written_twice_is_a_toml_error(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        kind = "led"
    """
    assert the_problem(installation, toml).line == line(toml, 'kind = "led"')


# -- the top level and [installation] ---------------------------------------------------


def test_unknown_top_level_table_suggests_the_right_one(installation, toml_file):
    toml = """
        [instalation]
        name = "x"
    """
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, "[instalation]"),
                                                    "instalation")
    assert issue.message == "unknown key 'instalation' in the installation file"
    assert issue.hint == "did you mean 'installation'?"


def test_unknown_array_of_tables_names_its_first_header(installation):
    toml = """
        [[device]]
        id = "door"
        kind = "button"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "[[device]]"), "device")
    assert issue.hint == "did you mean 'devices'?"


def test_a_top_level_key_outside_any_table_lists_the_known_ones(installation):
    issue = the_problem(installation, 'name = "Hello"\n')
    assert (issue.line, issue.path) == (1, "name")
    assert "installation" in issue.hint and "devices" in issue.hint


def test_unknown_key_in_installation_table(installation):
    toml = """
        [installation]
        nmae = "Hello"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path, issue.hint) == (line(toml, "nmae"), "installation.nmae",
                                                    "did you mean 'name'?")


def test_devices_written_as_a_single_table_is_refused(installation):
    toml = """
        [devices]
        id = "door"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "[devices]"), "devices")
    assert "[[devices]]" in issue.message


def test_site_must_be_a_usable_name(installation):
    toml = """
        [installation]
        site = "Main Hall"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "site"), "installation.site")
    assert "lower case" in issue.hint


def test_unknown_installation_backend_lists_the_installed_ones(installation):
    toml = """
        [installation]
        backend = "gpoi"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "backend"), "installation.backend")
    assert issue.message == "unknown backend 'gpoi'"
    assert "sim" in issue.hint


def test_unknown_device_backend_suggests_a_close_one(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        backend = "simm"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "simm"), "devices[0].backend")
    assert issue.hint == "did you mean 'sim'?"


def test_the_default_gpio_backend_is_not_checked_so_a_laptop_can_simulate(installation):
    # gpio is not installed here; a file that does not name a backend still loads.
    assert installation(DEVICES).backend == "gpio"


def test_options_must_be_a_table(installation):
    issue = the_problem(installation, 'options = 3\n')
    assert (issue.line, issue.path) == (1, "options")


# -- devices ---------------------------------------------------------------------------


def test_unknown_kind_suggests_a_close_one(installation, toml_file):
    toml = """
        [[devices]]
        id = "lamp"
        kind = "lde"
    """
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, "lde"),
                                                    "devices[0].kind")
    assert issue.hint == "did you mean 'led'?"


def test_unknown_kind_with_nothing_close_lists_the_kinds(installation):
    toml = """
        [[devices]]
        id = "thing"
        kind = "xylophone"
    """
    issue = the_problem(installation, toml)
    assert "button" in issue.hint and "led" in issue.hint


def test_device_without_id(installation):
    toml = """
        [[devices]]
        kind = "button"
        pin = 17
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "[[devices]]"), "devices[0]")
    assert "without an id" in issue.message
    assert 'id = "door"' in issue.hint


def test_device_without_kind_lists_the_kinds(installation):
    toml = """
        [[devices]]
        id = "door"

        [[devices]]
        id = "lamp"
        pin = 18
    """
    issues = problems(installation, toml)
    assert [(i.line, i.path) for i in issues] == [(line(toml, "[[devices]]", 1), "devices[0]"),
                                                  (line(toml, "[[devices]]", 2), "devices[1]")]
    assert issues[1].message == "device 'lamp' has no kind"
    assert "button" in issues[1].hint


@pytest.mark.parametrize("bad_id", ["Door", "front door", "2door", "door-2", "_door"])
def test_bad_ids_are_refused(installation, bad_id):
    toml = f"""
        [[devices]]
        id = "{bad_id}"
        kind = "button"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "id ="), "devices[0].id")
    assert "not a usable name" in issue.message
    assert "lower case" in issue.hint


@pytest.mark.parametrize("reserved", ["states", "on", "after", "goto", "log", "options", "class"])
def test_reserved_ids_are_refused(installation, reserved):
    toml = f"""
        [[devices]]
        id = "{reserved}"
        kind = "button"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "id ="), "devices[0].id")
    assert "reserved" in issue.message
    assert f"'{reserved}_1'" in issue.hint


def test_duplicate_id_names_the_first_ones_line(installation, toml_file):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17

        [[devices]]
        id = "door"
        kind = "button"
        pin = 27
    """
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, 'id = "door"', 2),
                                                    "devices[1].id")
    assert issue.message == (f"duplicate id 'door', already used by devices[0] at line "
                             f"{line(toml, '[[devices]]', 1)}")


@pytest.mark.parametrize("second_pin", ["17", '"GPIO17"', '"gpio17"', '"BCM17"', '"BOARD11"',
                                        '" GPIO17 "', '"17"'])
def test_two_devices_on_one_pin_whatever_it_is_called(installation, second_pin):
    toml = f"""
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17

        [[devices]]
        id = "lamp"
        kind = "led"
        pin = {second_pin}
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "pin =", 2), "devices[1].pin")
    assert issue.message == "pin GPIO17 is already used by device 'door'"
    assert issue.hint


def test_same_pin_name_on_different_boards_is_fine(installation):
    inst = installation("""
        [[devices]]
        id = "door"
        kind = "button"
        board = "uno"
        pin = "D2"

        [[devices]]
        id = "lamp"
        kind = "led"
        board = "mega"
        pin = "D2"

        [[devices]]
        id = "bell"
        kind = "button"
        pin = 2          # GPIO2 of the Pi itself: a third, different pin
    """)
    assert [d.pins["pin"] for d in inst.devices] == [
        PinRef("uno", "D2"), PinRef("mega", "D2"), PinRef("pi", "GPIO2")]


def test_same_pin_on_one_board_is_caught_whatever_the_case(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        board = "uno"
        pin = "D2"

        [[devices]]
        id = "lamp"
        kind = "led"
        board = "uno"
        pin = "d2"
    """
    issue = the_problem(installation, toml)
    assert issue.path == "devices[1].pin"
    assert issue.message == "pin uno:D2 is already used by device 'door'"


@pytest.mark.parametrize(("pin", "says"), [
    ("28", "GPIO28 does not exist"),
    ('"GPIO40"', "GPIO40 does not exist"),
    ("-1", "does not exist"),
    ('"BOARD1"', "header pin 1 is power or ground"),
    ('"BOARD6"', "header pin 6 is power or ground"),
    ('"banana"', "unknown pin 'banana'"),
    ("true", "a pin is a number or a name"),
    ("17.5", "17.5"),
    ("[17]", "[17]"),
])
def test_bad_pin_names(installation, pin, says):
    toml = f"""
        [[devices]]
        id = "door"
        kind = "button"
        pin = {pin}
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "pin ="), "devices[0].pin")
    assert says in issue.message


def test_missing_pin_is_only_a_warning(installation, toml_file):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
    """
    inst = installation(toml)
    (warning,) = inst.warnings
    assert (warning.file, warning.line, warning.path) == (toml_file, line(toml, "[[devices]]"),
                                                          "devices[0]")
    assert warning.message == "device 'door' has no pin yet"
    assert "simulator" in warning.hint
    assert inst.device("door").pins == {}


def test_unknown_option_key_suggests_a_close_one(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17
        debounse = 0.1
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "debounse"), "devices[0].debounse")
    assert issue.message == "unknown key 'debounse' in a button device"
    assert issue.hint == "did you mean 'debounce'?"


def test_unknown_option_key_with_nothing_close_lists_the_known_keys(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        colour = "red"
    """
    issue = the_problem(installation, toml)
    assert "debounce" in issue.hint and "hold_time" in issue.hint and "pin" in issue.hint


@pytest.mark.parametrize(("option", "expected"), [
    ('debounce = "fast"', "expected a number from 0 to 2, got 'fast'"),
    ("debounce = 5", "expected a number from 0 to 2, got 5"),
    ("debounce = -0.1", "expected a number from 0 to 2, got -0.1"),
    ("debounce = true", "expected a number from 0 to 2, got True"),
    ('pull_up = "yes"', "expected true or false, got 'yes'"),
    ("pull_up = 1", "expected true or false, got 1"),
    ("hold_time = 0", "expected a number of at least 0.01, got 0"),
])
def test_wrong_option_type_or_range_says_what_was_expected(installation, option, expected):
    toml = f"""
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17
        {option}
    """
    issue = the_problem(installation, toml)
    name = option.split(" =")[0]
    assert (issue.line, issue.path) == (line(toml, option), f"devices[0].{name}")
    assert issue.message == expected
    assert issue.hint  # the option's own help line


def test_options_are_converted(installation):
    inst = installation("""
        [[devices]]
        id = "door"
        kind = "button"
        debounce = 0       # an int is a fine float
        hold_time = 1
    """)
    assert inst.device("door").options == {"debounce": 0.0, "hold_time": 1.0}
    assert isinstance(inst.device("door").options["debounce"], float)


# -- states ------------------------------------------------------------------------------


def test_state_then_must_name_a_state(installation):
    toml = """
        [[states]]
        name = "attract"

        [[states]]
        name = "film"
        timeout = 30
        then = "atract"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "then"), "states[1].then")
    assert issue.message == "unknown state 'atract'"
    assert issue.hint == "did you mean 'attract'?"


def test_state_problems(installation):
    toml = """
        [[states]]
        name = "attract"
        idle = -5

        [[states]]
        name = "attract"

        [[states]]
        timeout = 3

        [[states]]
        name = "film"
        timout = 3
    """
    issues = problems(installation, toml)
    assert [(i.line, i.path) for i in issues] == [
        (line(toml, "idle"), "states[0].idle"),
        (line(toml, 'name = "attract"', 2), "states[1].name"),
        (line(toml, "[[states]]", 3), "states[2]"),
        (line(toml, "timout"), "states[3].timout"),
    ]
    assert "seconds" in issues[0].message
    assert issues[1].message == "duplicate state 'attract'"
    assert issues[2].message == "state without a name"
    assert issues[3].hint == "did you mean 'timeout'?"


# -- rules -------------------------------------------------------------------------------


def rules_file(rules: str) -> str:
    return textwrap.dedent(DEVICES) + textwrap.dedent(rules)


def test_rule_on_unknown_device_suggests_one(installation, toml_file):
    toml = rules_file("""
        [[rules]]
        when = "dor.pressed"
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, "dor.pressed"),
                                                    "rules[0].when")
    assert issue.message == "unknown device 'dor' in 'dor.pressed'"
    assert issue.hint == "did you mean 'door'?"


def test_rule_on_unknown_event_suggests_one(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.presed"
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "door.presed"), "rules[0].when")
    assert issue.message == "door has no event 'presed'"
    assert issue.hint == "did you mean 'pressed'?"


def test_rule_when_must_be_device_dot_event(installation):
    toml = rules_file("""
        [[rules]]
        when = "door"
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert issue.path == "rules[0].when"
    assert "door.pressed" in issue.hint


def test_rule_wildcards_are_accepted(installation):
    inst = installation(rules_file("""
        [[rules]]
        when = "*.pressed"
        do = "lamp.on"

        [[rules]]
        when = "door.*"
        do = "lamp.off"
    """))
    assert [r.when for r in inst.rules] == ["*.pressed", "door.*"]


def test_rule_on_state_event(installation):
    inst = installation(rules_file("""
        [[rules]]
        when = "states.engaged"
        do = "lamp.on"
    """))
    assert inst.rules[0].when == "states.engaged"
    toml = rules_file("""
        [[rules]]
        when = "states.engagd"
        do = "lamp.on"
    """)
    assert the_problem(installation, toml).hint == "did you mean 'engaged'?"


def test_rule_action_on_unknown_device(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "lmap.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "lmap.on"), "rules[0].do")
    assert issue.message == "'lmap.on': unknown device 'lmap'"
    assert issue.hint == "did you mean 'lamp'?"


def test_rule_action_unknown_command(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = ["lamp.on", "lamp.blnik 0.5"]
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "lamp.blnik"), "rules[0].do")
    assert issue.message == "'lamp.blnik 0.5': a led has no command 'blnik'"
    assert issue.hint == "did you mean 'blink'?"


def test_rule_action_on_an_input_device_has_no_commands(installation):
    toml = rules_file("""
        [[rules]]
        when = "entrance.motion"
        do = "door.press"
    """)
    issue = the_problem(installation, toml)
    assert issue.message == "'door.press': a button has no command 'press'"
    assert issue.hint == "its commands: none"


@pytest.mark.parametrize(("action", "says"), [
    ("lamp.blink n=3 x=1", "unexpected keyword argument 'x'"),
    ("lamp.blink 1 2 3 4", "too many positional arguments"),
    ("lamp.brightness", "missing a required argument: 'level'"),
    ("lamp.on 1", "too many positional arguments"),
])
def test_rule_action_bad_arguments_show_the_usage(installation, action, says):
    toml = rules_file(f"""
        [[rules]]
        when = "door.pressed"
        do = "{action}"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, action), "rules[0].do")
    assert issue.message.startswith(f"{action!r}: ")
    assert says in issue.message
    assert "usage:" in issue.message


def test_blink_usage_names_its_arguments(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "lamp.blink n=3 x=1"
    """)
    assert "usage: blink [on_time=0.5] [off_time=0.5] [n=None]" in the_problem(
        installation, toml).message


@pytest.mark.parametrize("do", ['""', "[]", "3", '["lamp.on", 3]', '"lamp"', '"lamp.on \'oops"'])
def test_rule_do_must_be_actions(installation, do):
    toml = rules_file(f"""
        [[rules]]
        when = "door.pressed"
        do = {do}
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "do ="), "rules[0].do")


def test_rule_without_when(installation):
    toml = rules_file("""
        [[rules]]
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "[[rules]]"), "rules[0]")
    assert 'when = "door.pressed"' in issue.hint


def test_rule_unknown_key_suggests(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "lamp.on"
        cooldwn = 3
    """)
    issue = the_problem(installation, toml)
    assert (issue.path, issue.hint) == ("rules[0].cooldwn", "did you mean 'cooldown'?")


@pytest.mark.parametrize("policy", ["cooldown = -1", 'cooldown = "3s"', "lockout = true"])
def test_rule_policies_are_seconds(installation, policy):
    toml = rules_file(f"""
        [[rules]]
        when = "door.pressed"
        do = "lamp.on"
        {policy}
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, policy), f"rules[0].{policy.split()[0]}")
    assert "seconds" in issue.message


def test_rule_until_must_be_a_known_event(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "lamp.blink n=3"
        lockout = 10
        until = "lamp.finishd"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "until"), "rules[0].until")
    assert issue.hint == "did you mean 'finished'?"


@pytest.mark.parametrize("in_state", ['"engagd"', '["attract", "engagd"]'])
def test_rule_in_unknown_state(installation, in_state):
    toml = rules_file(f"""
        [[rules]]
        when = "door.pressed"
        in_state = {in_state}
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "in_state"), "rules[0].in_state")
    assert issue.message == "unknown state 'engagd'"
    assert issue.hint == "did you mean 'engaged'?"


@pytest.mark.parametrize("in_state", ["3", "[3]", "true"])
def test_rule_in_state_of_the_wrong_type(installation, in_state):
    toml = rules_file(f"""
        [[rules]]
        when = "door.pressed"
        in_state = {in_state}
        do = "lamp.on"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "in_state"), "rules[0].in_state")


def test_rule_in_state_without_any_states(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"

        [[rules]]
        when = "door.pressed"
        in_state = "engaged"
        do = "door.nothing"
    """
    issues = problems(installation, toml)
    assert [i.path for i in issues] == ["rules[0].in_state", "rules[0].do"]
    assert "[[states]]" in issues[0].hint


def test_rule_goto_unknown_state(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "states.goto engagd"
    """)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "states.goto"), "rules[0].do")
    assert issue.message == "'states.goto engagd': unknown state 'engagd'"
    assert issue.hint == "did you mean 'engaged'?"


def test_rule_goto_needs_a_state_name(installation):
    toml = rules_file("""
        [[rules]]
        when = "door.pressed"
        do = "states.goto"
    """)
    assert "usage: goto NAME" in the_problem(installation, toml).message


def test_rule_value_is_kept_only_when_written(installation):
    inst = installation(rules_file("""
        [[rules]]
        when = "door.clicked"
        value = 2
        do = "lamp.on"

        [[rules]]
        when = "door.clicked"
        do = "lamp.off"
    """))
    assert [(r.match_value, r.value) for r in inst.rules] == [(True, 2), (False, None)]


def test_a_device_with_a_bad_kind_is_not_also_reported_as_unknown_in_rules(installation):
    # The maker wrote one mistake; the rules that use `door` must not pile on a second,
    # misleading "unknown device 'door'" (door *is* declared, only its kind is wrong).
    toml = """
        [[devices]]
        id = "door"
        kind = "buton"

        [[devices]]
        id = "lamp"
        kind = "led"

        [[rules]]
        when = "door.pressed"
        do = ["lamp.on", "door.something"]
    """
    issue = the_problem(installation, toml)
    assert issue.path == "devices[0].kind"


# -- the behaviour module ------------------------------------------------------------------


def test_behaviour_syntax_error_is_reported_as_file_and_line(installation, tmp_path):
    behaviour = """\
        from toolkit import on

        @on("door.pressed")
        def toggle(:
            lamp.toggle()
    """
    issue = the_problem(installation, DEVICES, behaviour)
    path = str(tmp_path / "piece" / "behaviour.py")
    assert (issue.file, issue.line) == (path, 4)
    assert str(issue).startswith(f"{path}:4: Python syntax error")
    assert issue.hint == "def toggle(:"


def test_behaviour_indentation_error_too(installation, tmp_path):
    behaviour = "def f():\nreturn 1\n"
    issue = the_problem(installation, DEVICES, behaviour)
    assert (issue.file, issue.line) == (str(tmp_path / "piece" / "behaviour.py"), 2)


def test_named_behaviour_file_must_exist(installation):
    toml = """
        [installation]
        behaviour = "logic.py"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "logic.py"), "installation.behaviour")
    assert "not found" in issue.message


def test_behaviour_file_is_optional(installation):
    assert installation(DEVICES).behaviour is None


# -- all at once ---------------------------------------------------------------------------


def test_every_error_is_reported_at_once(installation, toml_file):
    toml = """
        [optoins]
        volume = 3

        [[devices]]
        id = "door"
        kind = "buton"
        pin = 17

        [[devices]]
        id = "lamp"
        kind = "led"
        pin = 18
        pwm = "yes"

        [[rules]]
        when = "door.pressed"
        do = "lamp.blnk"
    """
    issues = problems(installation, toml)
    assert [(i.file, i.line, i.path) for i in issues] == [
        (toml_file, line(toml, "[optoins]"), "optoins"),
        (toml_file, line(toml, "buton"), "devices[0].kind"),
        (toml_file, line(toml, "pwm"), "devices[1].pwm"),
        (toml_file, line(toml, "lamp.blnk"), "rules[0].do"),
    ]
    assert [i.hint for i in issues if "did you mean" in i.hint] == [
        "did you mean 'options'?", "did you mean 'button'?", "did you mean 'blink'?"]
    # The exception's message lists them all, one a line, as `museokit check` prints them.
    with pytest.raises(InstallationError) as info:
        installation(toml)
    assert len(str(info.value).splitlines()) == 4


def test_toml_errors_and_behaviour_errors_are_reported_together(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "buton"
    """
    issues = problems(installation, toml, "def broken(:\n    pass\n")
    assert {Path(i.file).name for i in issues} == {"installation.toml", "behaviour.py"}


# -- parse_action and parse_scalar ---------------------------------------------------------


def test_parse_action_positional_and_keyword_arguments():
    assert parse_action("led.blink 0.2 0.2 n=3") == Action(
        "led", "blink", (0.2, 0.2), (("n", 3),), "led.blink 0.2 0.2 n=3")


def test_parse_action_without_arguments():
    action = parse_action("lamp.on")
    assert (action.device, action.command, action.args, action.kwargs) == ("lamp", "on", (), ())


def test_parse_action_quotes_keep_spaces_together():
    action = parse_action("screen.show 'intro film.mp4' caption=\"Hello there\"")
    assert action.args == ("intro film.mp4",)
    assert action.kwargs == (("caption", "Hello there"),)


def test_parse_action_an_equals_sign_in_text_is_not_a_keyword():
    # Only `name=value` with a usable name is a keyword argument.
    assert parse_action("screen.text 'a = b'").args == ("a = b",)
    assert parse_action("screen.text 1+1=2").args == ("1+1=2",)


@pytest.mark.parametrize("text", ["", "   ", "lamp", ".on", "lamp.", "lamp.on 'unclosed"])
def test_parse_action_refuses_malformed_actions(text):
    with pytest.raises(ValueError):
        parse_action(text)


@pytest.mark.parametrize(("word", "value"), [
    ("3", 3), ("-2", -2), ("0.5", 0.5), ("1e3", 1000.0),
    ("true", True), ("False", False), ("none", None), ("None", None),
    ("intro.png", "intro.png"), ("red", "red"), ("#ff8800", "#ff8800"), ("", ""),
])
def test_parse_scalar(word, value):
    result = parse_scalar(word)
    assert result == value
    assert type(result) is type(value)


# -- tomlmap: where each key was written ---------------------------------------------------


def test_key_lines_tables_arrays_of_tables_and_keys():
    lines = key_lines(textwrap.dedent("""\
        [installation]
        name = "x"

        [[devices]]
        id = "a"

        [[devices]]   # a comment
        id = "b"
        kind = 'led'
    """))
    assert lines[("installation",)] == 1
    assert lines[("installation", "name")] == 2
    assert lines[("devices", 0)] == 4
    assert lines[("devices", 0, "id")] == 5
    assert lines[("devices", 1)] == 7
    assert lines[("devices", 1, "id")] == 8
    assert lines[("devices", 1, "kind")] == 9
    assert lines[("devices",)] == 4  # the array itself: its first header


def test_key_lines_multi_line_arrays_do_not_shift_later_keys():
    lines = key_lines(textwrap.dedent("""\
        [[rules]]
        when = "door.pressed"
        do = [
            "lamp.on",        # a comment with a ] bracket
            "buzzer.beep",
            "screen.show 'x = [1]'",
        ]
        cooldown = 2
        [[rules]]
        when = "x.y"
    """))
    assert lines[("rules", 0, "do")] == 3
    assert lines[("rules", 0, "cooldown")] == 8
    assert lines[("rules", 1)] == 9
    assert lines[("rules", 1, "when")] == 10
    # Nothing inside the array was taken for a key.
    assert not any("lamp" in str(part) for path in lines for part in path)


def test_key_lines_multi_line_strings_are_skipped():
    lines = key_lines(textwrap.dedent('''\
        [installation]
        description = """
        name = "not a key"
        [not_a_table]
        """
        name = "real"
    '''))
    assert lines[("installation", "name")] == 6
    assert ("not_a_table",) not in lines


def test_key_lines_dotted_keys_and_their_parents():
    lines = key_lines(textwrap.dedent("""\
        [[devices]]
        id = "lamp"
        colour.on = "red"
        "quoted key" . sub = 1
    """))
    assert lines[("devices", 0, "colour", "on")] == 3
    assert lines[("devices", 0, "quoted key", "sub")] == 4
    # An error about the dotted table itself points at where it was written.
    assert line_of(lines, ("devices", 0, "colour")) == 3


def test_key_lines_dotted_table_headers():
    lines = key_lines('[options.sound]\nvolume = 3\n["a.b".c]\nx = 1\n')
    assert lines[("options", "sound", "volume")] == 2
    assert lines[("a.b", "c", "x")] == 4


def test_values_inside_inline_tables_map_to_their_key():
    lines = key_lines(textwrap.dedent("""\
        [[devices]]
        id = "servo"
        range = { min = 0, max = [
            180,
        ] }
        kind = "servo"
    """))
    assert line_of(lines, ("devices", 0, "range", "max")) == 3
    assert lines[("devices", 0, "kind")] == 6


def test_line_of_falls_back_to_the_nearest_parent():
    lines = {("devices", 0): 4, ("devices", 0, "id"): 5}
    assert line_of(lines, ("devices", 0, "options", "colour")) == 4
    assert line_of(lines, ("devices", 0, "id")) == 5
    assert line_of(lines, ("rules", 0)) is None


def test_an_unknown_dotted_key_is_reported_on_its_own_line(installation):
    toml = """
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17
        extra.colour = "red"
    """
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "extra.colour"), "devices[0].extra")


# -- checks that involve several options, or a command and the device's options ---------------

def test_pulse_on_an_led_without_pwm_is_refused_by_check(installation):
    with pytest.raises(InstallationError) as err:
        installation("""\
            [[devices]]
            id = "lamp"
            kind = "led"
            pin = 18

            [[rules]]
            when = "states.attract"
            do = "lamp.pulse"

            [[states]]
            name = "attract"
        """)
    (issue,) = err.value.issues
    assert issue.path == "rules[0].do"
    assert "pulse needs a dimmable LED; set pwm = true" in issue.message


@pytest.mark.parametrize(("options", "key", "words"), [
    ('kind = "servo"\nmin_angle = 90.0\nmax_angle = 90.0', "max_angle", "both 90"),
    ('kind = "analog"\nthreshold = 0.98\nhysteresis = 0.05', "hysteresis", "reaches past 0..1"),
], ids=["servo-equal-angles", "analog-threshold-edge"])
def test_options_that_conflict_are_refused_by_check(installation, options, key, words):
    with pytest.raises(InstallationError) as err:
        installation(f'[[devices]]\nid = "thing"\npin = 5\n{options}\n')
    (issue,) = err.value.issues
    assert issue.path == f"devices[0].{key}"
    assert words in issue.message
    assert issue.line is not None
