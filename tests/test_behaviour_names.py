"""Behaviour files that tools understand (issue 12, item 3).

- `museokit` re-exports its API explicitly, so editors and mypy see it;
- devices come from `museokit.installation`, which linters accept without `noqa`;
- `museokit check` (and every load) reads the file first: undefined names, unknown
  device ids and misspelled device attributes, each on one line with a suggestion;
- at run time, assigning an unknown `when_…` on a device raises, like gpiozero.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import museokit
from museokit.core.config import InstallationError
from museokit.core.lint import check_behaviour
from tests.conftest import REPO, device, write_installation
from tests.test_cli import museokit as run_museokit

PIECE = (device("door", "button", "pin = 17") + device("lamp", "led", "pin = 18")
         + '[[states]]\nname = "attract"\n\n[[states]]\nname = "engaged"\n\n'
         + '[options]\ngreeting = "hello"\n')

BEHAVIOURS = sorted([*REPO.glob("installations/*/behaviour.py"),
                     REPO / "toolkit" / "templates" / "basic" / "behaviour.py"])


def load_problems(harness, behaviour: str) -> list[str]:
    with pytest.raises(InstallationError) as info:
        harness(PIECE, textwrap.dedent(behaviour))
    return [str(issue) for issue in info.value.issues]


# -- the examples ------------------------------------------------------------------------

@pytest.mark.parametrize("path", BEHAVIOURS, ids=lambda p: p.parent.name)
@pytest.mark.subprocess
def test_examples_need_no_noqa_and_pass_the_linter(path):
    assert "noqa" not in path.read_text(encoding="utf-8")
    # ruff's pyflakes rules (F821 undefined name among them) accept them as they are.
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated",
                             "--select", "F", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


# -- the API, explicitly --------------------------------------------------------------------

@pytest.mark.subprocess
def test_the_api_is_explicit_and_import_museokit_stays_light():
    for name in museokit.__all__:
        assert hasattr(museokit, name), name
    # The rest of the toolkit loads with an installation, not with `import museokit`.
    code = "import sys, museokit; print(sorted(m for m in sys.modules if m.startswith('museokit')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout
    assert "museokit.core.config" not in loaded and "museokit.core.device" not in loaded


@pytest.mark.subprocess
def test_mypy_sees_the_api(tmp_path):
    (tmp_path / "behaviour.py").write_text(
        "from museokit import goto, on, stat\nfrom museokit.installation import lamp\n\n"
        "goto(3)\nlamp.on()\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mypy", "--no-incremental",
                             "--follow-imports=silent", "behaviour.py"],
                            capture_output=True, text=True, cwd=tmp_path)
    out = result.stdout
    assert 'Module "museokit" has no attribute "stat"' in out
    assert 'Argument 1 to "goto" has incompatible type "int"; expected "str"' in out
    assert "lamp" not in out  # devices are typed Any: the kind is in the TOML, checked by check
    assert "Found 2 errors" in out


# -- reaching devices -------------------------------------------------------------------------

def test_devices_imported_from_the_installation_are_the_running_ones(harness):
    h = harness(PIECE, """\
from museokit import log, on, options
from museokit.installation import door, lamp as light

seen = []


@on("door.pressed")
def light_up(event):
    light.on()
    seen.append((door.is_pressed, options.greeting))
    log.info("pressed")
""")
    h.act("door", "press")
    h.run_for(0.1)
    assert h.device("lamp").label == "on"
    assert h.runtime.behaviour.seen == [(True, "hello")]


def test_an_unknown_device_id_gets_one_line_at_load_time_too(harness):
    # Hidden from the static check (built at run time): Python's own import names it.
    [problem] = load_problems(harness, """\
exec("from museokit.installation import dor")
""")
    assert problem.endswith("behaviour.py:1: UnknownDevice: installation.toml has no device 'dor' "
                            "— did you mean 'door'? — the installation did not start; fix the "
                            "behaviour module")


def test_options_name_a_missing_key_with_a_suggestion(harness):
    [problem] = load_problems(harness, """\
from museokit import options

options.greting
""")
    assert "installation.toml [options] has no 'greting' — did you mean 'greeting'?" in problem


# -- what check reports --------------------------------------------------------------------

BAD = [
    pytest.param("from museokit.installation import dor\n",
                 "behaviour.py:1: installation.toml has no device 'dor' — did you mean 'door'?",
                 id="unknown-device-import"),
    pytest.param("from museokit import device\n\ndevice('lamb').on()\n",
                 "behaviour.py:3: installation.toml has no device 'lamb' — did you mean 'lamp'?",
                 id="device-call"),
    pytest.param("from museokit.installation import *\n",
                 "behaviour.py:1: `from museokit.installation import *` imports no device — name "
                 "them: from museokit.installation import door, lamp", id="star-import"),
    pytest.param("from museokit.installation import lamp\n\nlmap.on()\n",
                 "behaviour.py:3: undefined name 'lmap' — did you mean 'lamp'?", id="undefined-name"),
    pytest.param("def later():\n    goto('engaged')\n",
                 "behaviour.py:2: undefined name 'goto' — import it: from museokit import goto",
                 id="api-not-imported"),
    pytest.param("def f():\n    return frobnicate()\n",
                 "behaviour.py:2: undefined name 'frobnicate' — define it, import it, or declare "
                 "a device with this id", id="undefined-no-suggestion"),
    pytest.param("from museokit.installation import lamp\n\ndef f():\n    lamp.blnk()\n",
                 "behaviour.py:4: lamp (led) has no attribute 'blnk' — did you mean 'blink'?",
                 id="misspelled-command"),
    pytest.param("from museokit.installation import door\n\ndoor.when_presed = print\n",
                 "behaviour.py:3: door (button) has no event 'presed' for when_presed — did you mean "
                 "'when_pressed'?", id="misspelled-when"),
    pytest.param("from museokit.installation import door as d\n\nprint(d.is_presed)\n",
                 "behaviour.py:3: door (button) has no attribute 'is_presed' — did you mean "
                 "'is_pressed'?", id="aliased-device"),
    # A file from before the import: its injected globals are still checked.
    pytest.param("lamp.blnk()\n",
                 "behaviour.py:1: lamp (led) has no attribute 'blnk' — did you mean 'blink'?",
                 id="injected-global"),
    pytest.param("class Show:\n    speed = 2\n\n    def go(self):\n        return speed\n",
                 "behaviour.py:5: undefined name 'speed' — inside class Show, write self.speed",
                 id="class-scope-is-not-enclosing"),
]


@pytest.mark.parametrize(("behaviour", "line"), BAD)
@pytest.mark.subprocess
def test_check_names_each_bad_name_with_line_and_suggestion(tmp_path, behaviour, line):
    folder = write_installation(tmp_path / "piece", PIECE, behaviour)
    result = run_museokit("check", str(folder))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    [problem, summary] = result.stderr.splitlines()
    assert problem.startswith(str(folder / "behaviour.py"))
    assert problem.endswith(line), problem
    assert summary == "1 problem found; nothing was started."


def test_every_problem_is_reported_at_once_in_line_order(harness):
    problems = load_problems(harness, """\
from museokit import on
from museokit.installation import dor, lamp


@on("door.pressed")
def toggle():
    lamp.toggel()
    door.when_relased = toggle
""")
    assert [p.split("behaviour.py:")[1].split(":")[0] for p in problems] == ["2", "7", "8"]
    assert "did you mean 'toggle'?" in problems[1]
    assert "did you mean 'when_released'?" in problems[2]


def test_correct_python_is_not_flagged(harness, tmp_path):
    (tmp_path / "piece").mkdir()
    (tmp_path / "piece" / "stories.py").write_text("TEXT = 'once upon a time'\n", encoding="utf-8")
    h = harness(PIECE, """\
import stories
from museokit import after, every, goto, on, options
from museokit.installation import door, lamp

COUNT = 0
tags = {n: n * 2 for n in range(3)}
pair = (lambda y: y, lambda: 0)     # two scopes on one line


def helper(lamp, *more, door=door, **kw):
    return lamp.anything, [lamp for lamp in more], door


@on("door.pressed")
def pressed(event):
    global COUNT
    COUNT += 1
    lamp.note = "mine"               # keeping a value on a device is allowed
    after(1, lambda: lamp.blink(n=2))
    print(stories.TEXT, __file__, options.greeting, lamp.channel, door.held_time, tags, NEWER)


def later():
    global NEWER
    NEWER = 1


class Show:
    speed = 2
    fast = [speed * 2]

    def go(self):
        return self.speed, Show.speed, goto


every(5, later)
""")
    assert h.runtime.behaviour.COUNT == 0


SHAKE_OUT = '''\
"""Constructs a reader of names can get wrong."""
from __future__ import annotations

import asyncio
import random as rnd
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from museokit import Event, after, device, emit, every, goto, log, on, options, state
from museokit.installation import door, lamp

if TYPE_CHECKING:
    from collections.abc import Callable

try:
    import numpy as np
except ImportError:
    np = None


@dataclass
class Visit:
    who: str
    seen: list[str] = field(default_factory=list)

    def add(self, x: str) -> Callable[[], None] | None:
        self.seen.append(x)
        return None


async def later(n):
    await asyncio.sleep(n)
    async with asyncio.timeout(1):
        pass
    async for _ in aiter([]):
        pass


def gen():
    yield from range(3)
    total = 0
    while (chunk := rnd.random()) < 0.5:
        total += chunk
    match total:
        case {"k": v}:
            return v
        case [first, *rest]:
            return first, rest
        case Visit(who=w):
            return w
        case _:
            pass
    try:
        1 / 0
    except ZeroDivisionError as err:
        log.info("%s", err)
    with open(__file__) as fh, open(__file__) as gh:
        return fh, gh


def closure():
    counter = 0

    def inc():
        nonlocal counter
        counter += 1
        return counter, door.is_pressed, lamp.is_lit

    return inc


@on("door.pressed")
def pressed(event: Event):
    squares = [i * i for i in range(3) if i]
    nested = [[j for j in range(i)] for i in range(3)]
    d = {k: v for k, v in zip("ab", (1, 2), strict=True)}
    g = sum(x for x in squares)
    lamp.blink(n=2)
    door.when_held = lambda e: emit("story", "chapter", e.value)
    device("lamp").on()
    after(1, goto, "engaged")
    every(5, lambda: state())
    del d
    print(options, nested, g, np, Visit("a").add("b"), __name__, __doc__)
    lamp.when_finished = None
    lambda *a, **kw: (a, kw)
    print(f"{door.held_time:.1f} {lamp.value!r}")
    for door_ in (door,):
        door_.anything  # a local copy: not checked
'''


def test_the_check_reads_modern_python_without_a_false_alarm(installation):
    """async, walrus, match, nonlocal, comprehensions in comprehensions, TYPE_CHECKING
    imports, dataclass fields, lambdas in handlers: every name resolves as Python does."""
    inst = installation(PIECE, SHAKE_OUT)
    assert check_behaviour(inst.behaviour, inst) == []


# -- at run time -----------------------------------------------------------------------------

def test_an_unknown_when_callback_raises_with_a_suggestion(harness):
    h = harness(PIECE)
    door = h.device("door")
    with pytest.raises(AttributeError) as info:
        door.when_presed = print
    assert str(info.value) == ("door (button) has no event 'presed' for when_presed — did you "
                               "mean 'when_pressed'?")
    with pytest.raises(AttributeError, match="its callbacks: when_finished, when_offline"):
        h.device("lamp").when_zzz = print
    door.when_offline = print  # the availability events every device has are fine
    door.when_pressed = None


@pytest.mark.subprocess
def test_the_template_checks_clean(tmp_path):
    target = tmp_path / "new-piece"
    assert run_museokit("new", str(target)).returncode == 0
    result = run_museokit("check", str(target))
    assert result.returncode == 0, result.stderr
    assert "noqa" not in Path(target / "behaviour.py").read_text(encoding="utf-8")
