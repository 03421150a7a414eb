"""The installation file: every mistake a maker can make is refused before anything
starts, with the file, the line, the key path and, where it helps, a suggestion.

Each test writes a small `installation.toml` (and sometimes a `behaviour.py`) into a
temporary folder with the `installation` fixture from conftest.py. Most mistakes are
rows of one catalogue, `MISTAKES`: the file as written, and what the issue must say.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from museokit.core.config import (
    Action,
    ConfigIssue,
    InstallationError,
    load_installation,
    parse_action,
    parse_scalar,
)
from museokit.core.pins import PinRef
from museokit.core.tomlmap import key_lines, line_of
from tests.conftest import ONE_BUTTON, device, option_problem

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


def toml_lines(*lines: str) -> str:
    """A file written one line per argument: `toml_lines("[installation]", 'name = "x"')`."""
    return "\n".join(lines) + "\n"


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


def rules_file(rules: str) -> str:
    return textwrap.dedent(DEVICES) + textwrap.dedent(rules)


def rule(*lines: str) -> str:
    """DEVICES, then one `[[rules]]` table written one line per argument."""
    return rules_file(toml_lines("[[rules]]", *lines))


WHEN_DOOR = 'when = "door.pressed"'


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
    toml = device("door", "buton")
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


# -- the catalogue: one mistake, one issue at its line and key -----------------------------


def mistake(name: str, toml: str, *, at: str, path: str, says: str = "", hint: str = ""):
    """One row of the catalogue: `toml` has one mistake, reported on the line holding `at`,
    under the key `path`, with `says` in its message and `hint` in its hint."""
    return pytest.param(toml, at, path, says, hint, id=name)


MISTAKES = [
    # -- the top level and [installation]
    mistake("unknown-top-level-table-suggests-the-right-one",
            toml_lines("[instalation]", 'name = "x"'), at="[instalation]", path="instalation",
            says="unknown key 'instalation' in the installation file",
            hint="did you mean 'installation'?"),
    mistake("unknown-array-of-tables-names-its-first-header",
            toml_lines("[[device]]", 'id = "door"', 'kind = "button"'), at="[[device]]", path="device",
            hint="did you mean 'devices'?"),
    mistake("a-top-level-key-outside-any-table-lists-the-known-ones",
            'name = "Hello"\n', at="name", path="name", hint="installation, devices"),
    mistake("unknown-key-in-installation-table",
            toml_lines("[installation]", 'nmae = "Hello"'), at="nmae", path="installation.nmae",
            hint="did you mean 'name'?"),
    mistake("devices-written-as-a-single-table-is-refused",
            toml_lines("[devices]", 'id = "door"'), at="[devices]", path="devices", says="[[devices]]"),
    mistake("site-must-be-a-usable-name",
            toml_lines("[installation]", 'site = "Main Hall"'), at="site", path="installation.site",
            hint="lower case"),
    mistake("unknown-installation-backend-lists-the-installed-ones",
            toml_lines("[installation]", 'backend = "zigbee"'), at="backend",
            path="installation.backend", says="unknown backend 'zigbee'", hint="sim"),
    mistake("misspelt-backend-is-suggested",
            toml_lines("[installation]", 'backend = "gpoi"'), at="backend", path="installation.backend",
            says="unknown backend 'gpoi'", hint="did you mean 'gpio'?"),
    mistake("options-must-be-a-table", "options = 3\n", at="options", path="options"),
    mistake("named-behaviour-file-must-exist",
            toml_lines("[installation]", 'behaviour = "logic.py"'), at="logic.py",
            path="installation.behaviour", says="not found"),
    # -- devices
    mistake("unknown-device-backend-suggests-a-close-one",
            device("door", "button", 'backend = "simm"'), at="simm", path="devices[0].backend",
            hint="did you mean 'sim'?"),
    mistake("unknown-kind-suggests-a-close-one",
            device("lamp", "lde"), at="lde", path="devices[0].kind", hint="did you mean 'led'?"),
    mistake("device-without-id",
            toml_lines("[[devices]]", 'kind = "button"', "pin = 17"), at="[[devices]]",
            path="devices[0]", says="without an id", hint='id = "door"'),
    *[mistake(f"bad-id-{bad_id}", device(bad_id, "button"), at="id =", path="devices[0].id",
              says="not a usable name", hint="lower case")
      for bad_id in ["Door", "front door", "2door", "door-2", "_door"]],
    *[mistake(f"reserved-id-{reserved}", device(reserved, "button"), at="id =", path="devices[0].id",
              says="reserved", hint=f"'{reserved}_1'")
      for reserved in ["states", "on", "after", "goto", "log", "options", "class"]],
    mistake("unknown-option-key-suggests-a-close-one",
            ONE_BUTTON + "debounse = 0.1", at="debounse", path="devices[0].debounse",
            says="unknown key 'debounse' in a button device", hint="did you mean 'debounce'?"),
    mistake("an-unknown-dotted-key-is-reported-on-its-own-line",
            ONE_BUTTON + 'extra.colour = "red"', at="extra.colour", path="devices[0].extra"),
    # -- states
    mistake("state-then-must-name-a-state",
            toml_lines("[[states]]", 'name = "attract"', "",
                       "[[states]]", 'name = "film"', "timeout = 30", 'then = "atract"'),
            at="then", path="states[1].then",
            says="unknown state 'atract'", hint="did you mean 'attract'?"),
    # -- rules: when
    mistake("rule-on-unknown-device-suggests-one",
            rule('when = "dor.pressed"', 'do = "lamp.on"'), at="dor.pressed", path="rules[0].when",
            says="unknown device 'dor' in 'dor.pressed'", hint="did you mean 'door'?"),
    mistake("rule-on-unknown-event-suggests-one",
            rule('when = "door.presed"', 'do = "lamp.on"'), at="door.presed", path="rules[0].when",
            says="door has no event 'presed'", hint="did you mean 'pressed'?"),
    mistake("rule-when-must-be-device-dot-event",
            rule('when = "door"', 'do = "lamp.on"'), at='when = "door"', path="rules[0].when",
            hint="door.pressed"),
    mistake("rule-on-unknown-state-event",
            rule('when = "states.engagd"', 'do = "lamp.on"'), at="states.engagd",
            path="rules[0].when", hint="did you mean 'engaged'?"),
    mistake("rule-without-when",
            rule('do = "lamp.on"'), at="[[rules]]", path="rules[0]", hint='when = "door.pressed"'),
    # -- rules: do
    mistake("rule-action-on-unknown-device",
            rule(WHEN_DOOR, 'do = "lmap.on"'), at="lmap.on", path="rules[0].do",
            says="'lmap.on': unknown device 'lmap'", hint="did you mean 'lamp'?"),
    mistake("rule-action-unknown-command",
            rule(WHEN_DOOR, 'do = ["lamp.on", "lamp.blnik 0.5"]'), at="lamp.blnik", path="rules[0].do",
            says="'lamp.blnik 0.5': a led has no command 'blnik'", hint="did you mean 'blink'?"),
    mistake("rule-action-on-an-input-device-has-no-commands",
            rule('when = "entrance.motion"', 'do = "door.press"'), at="door.press", path="rules[0].do",
            says="'door.press': a button has no command 'press'", hint="its commands: none"),
    mistake("blink-usage-names-its-arguments",
            rule(WHEN_DOOR, 'do = "lamp.blink n=3 x=1"'), at="lamp.blink", path="rules[0].do",
            says="usage: blink [on_time=0.5] [off_time=0.5] [n=None]"),
    mistake("rule-goto-unknown-state",
            rule(WHEN_DOOR, 'do = "states.goto engagd"'), at="states.goto", path="rules[0].do",
            says="'states.goto engagd': unknown state 'engagd'", hint="did you mean 'engaged'?"),
    mistake("rule-goto-needs-a-state-name",
            rule(WHEN_DOOR, 'do = "states.goto"'), at="states.goto", path="rules[0].do",
            says="usage: goto NAME"),
    # -- rules: in_state, policies and other keys
    mistake("rule-in-unknown-state",
            rule(WHEN_DOOR, 'in_state = "engagd"', 'do = "lamp.on"'), at="in_state",
            path="rules[0].in_state", says="unknown state 'engagd'", hint="did you mean 'engaged'?"),
    mistake("rule-in-a-list-with-an-unknown-state",
            rule(WHEN_DOOR, 'in_state = ["attract", "engagd"]', 'do = "lamp.on"'), at="in_state",
            path="rules[0].in_state", says="unknown state 'engagd'", hint="did you mean 'engaged'?"),
    *[mistake(f"rule-in-state-as-{what}", rule(WHEN_DOOR, f"in_state = {in_state}", 'do = "lamp.on"'),
              at="in_state", path="rules[0].in_state")
      for what, in_state in [("a-number", "3"), ("a-list-of-numbers", "[3]"), ("a-boolean", "true")]],
    mistake("rule-unknown-key-suggests",
            rule(WHEN_DOOR, 'do = "lamp.on"', "cooldwn = 3"), at="cooldwn", path="rules[0].cooldwn",
            hint="did you mean 'cooldown'?"),
    mistake("rule-until-must-be-a-known-event",
            rule(WHEN_DOOR, 'do = "lamp.blink n=3"', "lockout = 10", 'until = "lamp.finishd"'),
            at="until", path="rules[0].until", hint="did you mean 'finished'?"),
    # -- a command that needs an option the device was not given
    mistake("pulse-on-an-led-without-pwm",
            device("lamp", "led", "pin = 18")
            + toml_lines("[[rules]]", 'when = "states.attract"', 'do = "lamp.pulse"', "",
                         "[[states]]", 'name = "attract"'),
            at="lamp.pulse", path="rules[0].do", says="pulse needs a dimmable LED; set pwm = true"),
]


@pytest.mark.parametrize(("toml", "at", "path", "says", "hint"), MISTAKES)
def test_a_mistake_is_reported_at_its_line_and_key(installation, toml_file, toml, at, path, says,
                                                   hint):
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, at), path)
    assert says in issue.message
    assert hint in issue.hint


@pytest.mark.parametrize(("toml", "listed"), [
    pytest.param('name = "Hello"\n', ["installation", "devices"], id="top-level-keys"),
    pytest.param(device("thing", "xylophone"), ["button", "led"], id="kinds"),
    pytest.param(device("door", "button", 'colour = "red"'), ["debounce", "hold_time", "pin"],
                 id="a-buttons-keys"),
])
def test_a_mistake_with_nothing_close_lists_what_is_known(installation, toml, listed):
    hint = the_problem(installation, toml).hint
    assert all(word in hint for word in listed), hint


# -- TOML itself --------------------------------------------------------------------------


def test_toml_syntax_error_gives_the_line_from_tomllib(installation, toml_file):
    toml = toml_lines("[[devices]]", 'id = "door"', 'kind "button"', "pin = 17")
    issue = the_problem(installation, toml)
    assert issue.file == toml_file
    assert issue.line == line(toml, 'kind "button"')
    assert "not valid TOML" in issue.message
    assert issue.hint


def test_toml_error_at_end_of_document_still_names_a_line(installation):
    toml = toml_lines("[[rules]]", WHEN_DOOR, 'do = ["lamp.on",')
    issue = the_problem(installation, toml)
    assert "not valid TOML" in issue.message
    # tomllib only says "at end of document": the last line is where to look.
    assert issue.line == len(toml.splitlines())


def test_a_key_written_twice_is_a_toml_error(installation):
    toml = device("door", "button", 'kind = "led"')
    assert the_problem(installation, toml).line == line(toml, 'kind = "led"')


# -- the top level and [installation] ---------------------------------------------------


def test_the_default_gpio_backend_is_not_checked_so_a_laptop_can_simulate(installation):
    # gpio is not installed here; a file that does not name a backend still loads.
    assert installation(DEVICES).backend == "gpio"


# -- devices ---------------------------------------------------------------------------


def test_device_without_kind_lists_the_kinds(installation):
    toml = toml_lines("[[devices]]", 'id = "door"', "", "[[devices]]", 'id = "lamp"', "pin = 18")
    issues = problems(installation, toml)
    assert [(i.line, i.path) for i in issues] == [(line(toml, "[[devices]]", 1), "devices[0]"),
                                                  (line(toml, "[[devices]]", 2), "devices[1]")]
    assert issues[1].message == "device 'lamp' has no kind"
    assert "button" in issues[1].hint


def test_duplicate_id_names_the_first_ones_line(installation, toml_file):
    toml = ONE_BUTTON + "\n" + device("door", "button", "pin = 27")
    issue = the_problem(installation, toml)
    assert (issue.file, issue.line, issue.path) == (toml_file, line(toml, 'id = "door"', 2),
                                                    "devices[1].id")
    assert issue.message == (f"duplicate id 'door', already used by devices[0] at line "
                             f"{line(toml, '[[devices]]', 1)}")


@pytest.mark.parametrize("second_pin", ["17", '"GPIO17"', '"gpio17"', '"BCM17"', '"BOARD11"',
                                        '" GPIO17 "', '"17"'])
def test_two_devices_on_one_pin_whatever_it_is_called(installation, second_pin):
    toml = ONE_BUTTON + "\n" + device("lamp", "led", f"pin = {second_pin}")
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "pin =", 2), "devices[1].pin")
    assert issue.message == "pin GPIO17 is already used by device 'door'"
    assert issue.hint


def test_same_pin_name_on_different_boards_is_fine(installation):
    inst = installation(device("door", "button", 'board = "uno"\npin = "D2"')
                        + device("lamp", "led", 'board = "mega"\npin = "D2"')
                        # GPIO2 of the Pi itself: a third, different pin
                        + device("bell", "button", "pin = 2"))
    assert [d.pins["pin"] for d in inst.devices] == [
        PinRef("uno", "D2"), PinRef("mega", "D2"), PinRef("pi", "GPIO2")]


def test_same_pin_on_one_board_is_caught_whatever_the_case(installation):
    issue = the_problem(installation, device("door", "button", 'board = "uno"\npin = "D2"')
                        + device("lamp", "led", 'board = "uno"\npin = "d2"'))
    assert issue.path == "devices[1].pin"
    assert issue.message == "pin uno:D2 is already used by device 'door'"


@pytest.mark.parametrize(("pin", "says"), [
    ("28", "GPIO28 does not exist"),
    ('"GPIO40"', "GPIO40 does not exist"),
    ("-1", "does not exist"),
    ('"BOARD1"', "header pin 1 is power or ground"),
    ('"BOARD6"', "header pin 6 is power or ground"),
    ('"banana"', "unknown pin 'banana': use a BCM number (17), 'GPIO17', 'BOARD11' or 'J8:11'"),
    ('"J8:2"', "header pin 2 is power or ground"),
    ('"P1:11"', "unknown pin 'P1:11'"),
    ('"GPIO 17"', "unknown pin 'GPIO 17'"),
    ("true", "a pin is a number or a name"),
    ("17.5", "17.5"),
    ("[17]", "[17]"),
])
def test_bad_pin_names(installation, pin, says):
    toml = device("door", "button", f"pin = {pin}")
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "pin ="), "devices[0].pin")
    assert says in issue.message


def test_missing_pin_is_only_a_warning(installation, toml_file):
    toml = device("door", "button")
    inst = installation(toml)
    (warning,) = inst.warnings
    assert (warning.file, warning.line, warning.path) == (toml_file, line(toml, "[[devices]]"),
                                                          "devices[0]")
    assert warning.message == "device 'door' has no pin yet"
    assert "simulator" in warning.hint
    assert inst.device("door").pins == {}


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
    assert option_problem(installation, "button", option).message == expected


def test_options_are_converted(installation):
    inst = installation(device("door", "button", "debounce = 0   # an int is a fine float\n"
                                                 "hold_time = 1"))
    assert inst.device("door").options == {"debounce": 0.0, "hold_time": 1.0}
    assert isinstance(inst.device("door").options["debounce"], float)


# -- states ------------------------------------------------------------------------------


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


def test_rule_wildcards_and_state_events_are_accepted(installation):
    inst = installation(rule('when = "*.pressed"', 'do = "lamp.on"',
                             "[[rules]]", 'when = "door.*"', 'do = "lamp.off"',
                             "[[rules]]", 'when = "states.engaged"', 'do = "lamp.on"'))
    assert [r.when for r in inst.rules] == ["*.pressed", "door.*", "states.engaged"]


@pytest.mark.parametrize(("action", "says"), [
    ("lamp.blink n=3 x=1", "unexpected keyword argument 'x'"),
    ("lamp.blink 1 2 3 4", "too many positional arguments"),
    ("lamp.brightness", "missing a required argument: 'level'"),
    ("lamp.on 1", "too many positional arguments"),
])
def test_rule_action_bad_arguments_show_the_usage(installation, action, says):
    toml = rule(WHEN_DOOR, f'do = "{action}"')
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, action), "rules[0].do")
    assert issue.message.startswith(f"{action!r}: ")
    assert says in issue.message
    assert "usage:" in issue.message


@pytest.mark.parametrize("do", ['""', "[]", "3", '["lamp.on", 3]', '"lamp"', '"lamp.on \'oops"'])
def test_rule_do_must_be_actions(installation, do):
    toml = rule(WHEN_DOOR, f"do = {do}")
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, "do ="), "rules[0].do")


@pytest.mark.parametrize("policy", ["cooldown = -1", 'cooldown = "3s"', "lockout = true"])
def test_rule_policies_are_seconds(installation, policy):
    toml = rule(WHEN_DOOR, 'do = "lamp.on"', policy)
    issue = the_problem(installation, toml)
    assert (issue.line, issue.path) == (line(toml, policy), f"rules[0].{policy.split()[0]}")
    assert "seconds" in issue.message


def test_rule_in_state_without_any_states(installation):
    toml = device("door", "button") + toml_lines(
        "[[rules]]", WHEN_DOOR, 'in_state = "engaged"', 'do = "door.nothing"')
    issues = problems(installation, toml)
    assert [i.path for i in issues] == ["rules[0].in_state", "rules[0].do"]
    assert "[[states]]" in issues[0].hint


def test_rule_value_is_kept_only_when_written(installation):
    inst = installation(rule('when = "door.clicked"', "value = 2", 'do = "lamp.on"',
                             "[[rules]]", 'when = "door.clicked"', 'do = "lamp.off"'))
    assert [(r.match_value, r.value) for r in inst.rules] == [(True, 2), (False, None)]


def test_a_device_with_a_bad_kind_is_not_also_reported_as_unknown_in_rules(installation):
    # The maker wrote one mistake; the rules that use `door` must not pile on a second,
    # misleading "unknown device 'door'" (door *is* declared, only its kind is wrong).
    toml = device("door", "buton") + device("lamp", "led") + toml_lines(
        "[[rules]]", WHEN_DOOR, 'do = ["lamp.on", "door.something"]')
    issue = the_problem(installation, toml)
    assert issue.path == "devices[0].kind"


# -- the behaviour module ------------------------------------------------------------------


def test_behaviour_syntax_error_is_reported_as_file_and_line(installation, tmp_path):
    behaviour = """\
        from museokit import on

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


def test_behaviour_file_is_optional(installation):
    assert installation(DEVICES).behaviour is None


# -- all at once ---------------------------------------------------------------------------


def test_every_error_is_reported_at_once(installation, toml_file):
    toml = (toml_lines("[optoins]", "volume = 3", "")
            + device("door", "buton", "pin = 17")
            + device("lamp", "led", 'pin = 18\npwm = "yes"')
            + toml_lines("[[rules]]", WHEN_DOOR, 'do = "lamp.blnk"'))
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
    issues = problems(installation, device("door", "buton"), "def broken(:\n    pass\n")
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


# -- options that conflict with each other ------------------------------------------------------

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
