"""A brick from another package plugs in through the entry point, like a built-in."""

from __future__ import annotations

import os
import subprocess
import textwrap

import pytest

from tests.conftest import REPO, write_installation
from tests.test_cli import MUSEOKIT

FOG_MACHINE = '''
from museokit.core.device import Device, command
from museokit.core.options import Option


class FogMachine(Device):
    kind = "fog"
    role = "output"
    events = ("finished",)
    options = {"warmup": Option(float, 30.0, "seconds to heat up", min=0)}

    def open(self):
        self.channel = self.open_output("digital")
        self.set_state(label="off")

    @command
    def puff(self, seconds: float = 2.0):
        self.channel.write(True)
        self.set_state(label="puffing")
        self.later("puff", seconds, self._done)

    def _done(self):
        self.channel.write(False)
        self.set_state(label="off")
        self.emit("finished")
'''


def make_brick(site: os.PathLike[str]) -> None:
    """An installed distribution `museokit-brick-fog` (its module and dist-info), by hand."""
    (site / "fogmachine.py").write_text(FOG_MACHINE)
    info = site / "museokit_brick_fog-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: museokit-brick-fog\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[museokit.devices]\nfog = fogmachine:FogMachine\n")


@pytest.mark.subprocess
def test_a_third_party_device_kind_works_like_a_built_in(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_brick(site)
    folder = write_installation(tmp_path / "smoky", """\
        [[devices]]
        id = "door"
        kind = "button"
        pin = 17

        [[devices]]
        id = "fog"
        kind = "fog"
        pin = 22
        warmup = 10.0

        [[rules]]
        when = "door.pressed"
        do = "fog.puff 1.5"
    """)
    scenario = tmp_path / "smoke.scenario"
    scenario.write_text(textwrap.dedent("""\
        at 1    press door
                expect fog is puffing
        +1.5    expect fog.finished within 10ms
                expect fog is off
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    check = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True,
                           env=env)
    assert check.returncode == 0, check.stderr
    assert "fog" in check.stdout
    run = subprocess.run([MUSEOKIT, "sim", str(folder), "--scenario", str(scenario)],
                         capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 passed, 0 failed" in run.stdout


@pytest.mark.subprocess
def test_without_the_brick_its_kind_is_unknown_with_the_list_of_kinds(tmp_path):
    folder = write_installation(tmp_path / "smoky", """\
        [[devices]]
        id = "fog"
        kind = "fog"
    """)
    result = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "unknown kind 'fog'" in result.stderr
    assert "button" in result.stderr  # it lists what is installed


@pytest.mark.subprocess
def test_a_brick_that_fails_to_import_is_named(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_brick(site)
    (site / "fogmachine.py").write_text("import not_installed_dependency\n")
    folder = write_installation(tmp_path / "smoky", """\
        [[devices]]
        id = "fog"
        kind = "fog"
    """)
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True,
                            env=env)
    assert result.returncode == 1
    assert "from museokit-brick-fog" in result.stderr
    assert "No module named 'not_installed_dependency'" in result.stderr
    assert "Traceback" not in result.stderr
