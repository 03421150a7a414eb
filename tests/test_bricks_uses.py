"""`[[uses]]`: behaviour bricks run beside an installation; missing or incompatible ones refused."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from museokit.core.config import InstallationError, load_installation
from museokit.sim.harness import Harness
from tests.conftest import REPO, device, write_installation

#: These tests run `museokit` (and git, pip, build) in child processes.
pytestmark = pytest.mark.subprocess

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))

DEVICES = device("door", "button", "pin = 17") + "\n" + device("lamp", "led", "pin = 18")

BRICK = """\
[brick]
name = "press-light"
kind = "behaviour"
version = "1.4.0"
summary = "A press turns a light on for a while."
license = "MIT"
museokit = ">=0.1,<1"

[[authors]]
name = "Ada"

[options]
button = "door"
light = "lamp"
seconds = 5.0
"""

MODULE = """\
from museokit import after, device, on

opts = options  # noqa: F821
light = device(opts.light)


@on(f"{opts.button}.pressed")
def light_up():
    light.on()
    after(float(opts.seconds), light.off)
"""


def local_brick(root: Path) -> Path:
    folder = root / "bricks" / "press-light"
    folder.mkdir(parents=True)
    (folder / "brick.toml").write_text(BRICK, encoding="utf-8")
    (folder / "behaviour.py").write_text(MODULE, encoding="utf-8")
    return folder


def piece(root: Path, uses: str) -> Path:
    return write_installation(root / "piece", '[installation]\nname = "t"\n\n' + textwrap.dedent(uses)
                              + "\n" + DEVICES)


def check(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def test_a_local_behaviour_brick_runs_with_its_options(tmp_path: Path) -> None:
    local_brick(tmp_path)
    folder = piece(tmp_path, """\
        [[uses]]
        brick = "press-light"
        version = ">=1.2,<2"
        path = "../bricks/press-light"
        options = { seconds = 2 }
        """)
    assert check(folder).returncode == 0
    h = Harness(load_installation(folder))
    try:
        h.act("door", "press")
        h.run_for(0.1)
        assert h.runtime.devices["lamp"].is_lit
        h.run_for(2.5)  # its option says 2 s, not the brick's default 5 s
        assert not h.runtime.devices["lamp"].is_lit
    finally:
        h.close()


def test_installed_brick_runs_in_an_example() -> None:
    h = Harness.open(REPO / "installations" / "object-plinth")
    try:
        h.act("plinth", "press")
        h.run_for(121)
        assert h.runtime.devices["ring"].label == "breathe"
    finally:
        h.close()


@pytest.mark.parametrize(("uses", "expected"), [
    ('brick = "atract-loop"',
     "uses[0].brick: brick 'atract-loop' is not installed — did you mean 'attract-loop'?"),
    ('brick = "attract-loop"\nversion = ">=2,<3"',
     "uses[0].version: brick 'attract-loop' 1.0.0 (at "),
    ('brick = "attract-loop"\nversion = "=>1"',
     "uses[0].version: '=>1' is not a version range"),
    ('brick = "attract-loop"\noptions = { idel = 3 }',
     "uses[0].options: brick 'attract-loop' has no option 'idel' — did you mean 'idle'?"),
    ('brick = "attract-loop"\noptions = { idle = "soon" }',
     "uses[0].options: option 'idle' of brick 'attract-loop' is a number (like 30.0), got 'soon'"),
    ('brick = "hello-button"\npath = "../../../installations/hello-button"',
     "uses[0].brick: brick 'hello-button' is an installation brick, not a behaviour"),
    ('brick = "press-light"\npath = "../nowhere"',
     "uses[0].path: no brick.toml in"),
])
def test_check_refuses_a_bad_use_in_one_line(tmp_path: Path, uses: str, expected: str) -> None:
    uses = uses.replace("../../../installations", str(REPO / "installations"))
    folder = piece(tmp_path, "[[uses]]\n" + uses + "\n")
    done = check(folder)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert len(lines) == 2 and lines[1] == "1 problem found; nothing was started.", done.stderr
    key = expected.split(":")[0].split(".")[1]
    text = (folder / "installation.toml").read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(text, 1) if t.startswith(f"{key} ="))
    assert lines[0].startswith(f"{folder / 'installation.toml'}:{line}: " + expected), lines[0]


def test_the_incompatible_version_names_the_fix(tmp_path: Path) -> None:
    folder = piece(tmp_path, '[[uses]]\nbrick = "attract-loop"\nversion = "^2"\n')
    line = check(folder).stderr.splitlines()[0]
    assert "is not in the range ^2 — install a version in range" in line
    assert "or change version to match 1.0.0" in line


def test_run_and_sim_refuse_it_too(tmp_path: Path) -> None:
    folder = piece(tmp_path, '[[uses]]\nbrick = "no-such-brick"\n')
    done = subprocess.run([MUSEOKIT, "sim", str(folder), "--for", "1", "--headless"],
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "brick 'no-such-brick' is not installed" in done.stderr


def test_unknown_key_in_uses_is_refused_by_the_installation_file(tmp_path: Path) -> None:
    folder = piece(tmp_path, '[[uses]]\nbrick = "attract-loop"\nversion = ">=1"\nopts = {}\n')
    with pytest.raises(InstallationError) as info:
        load_installation(folder)
    [issue] = info.value.issues
    assert (issue.path, issue.line) == ("uses[0].opts", 7)
    assert "did you mean 'options'?" in issue.hint


def test_a_broken_brick_option_stops_the_start_with_the_file_and_line(tmp_path: Path) -> None:
    folder = piece(tmp_path, '[[uses]]\nbrick = "distance-fade"\noptions = { far = 10, near = 60 }\n')
    with pytest.raises(InstallationError) as info:
        Harness(load_installation(folder))
    [issue] = info.value.issues
    assert issue.file.endswith("behaviour.py") and "far (10.0) must be more than near" in issue.message
