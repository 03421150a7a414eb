"""Two installed packages provide the same device kind (issue 12, bad input).

Real distributions on sys.path (dist-info folders with entry_points.txt, as pip leaves
them), found by importlib.metadata in a fresh `museokit` process: the package whose
name sorts first wins whatever order the path lists them in, and one line names both.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import write_installation
from tests.test_cli import MUSEOKIT

BRICK = '''
from museokit.core.device import Device, command


class Fog(Device):
    kind = "fog"
    role = "output"
    summary = "a fog machine made by {maker}"
    signals = ("digital",)

    def open(self):
        self.channel = self.open_output("digital")
        self.set_state(label="off")

    @command
    def puff(self):
        """A puff of fog."""
        self.set_state(label="{maker}")
'''


def make_brick(site: Path, dist: str, module: str) -> None:
    """An installed distribution `dist` providing kind `fog` from `module`."""
    site.mkdir(parents=True)
    (site / f"{module}.py").write_text(BRICK.format(maker=dist))
    info = site / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[museokit.devices]\nfog = {module}:Fog\n")


@pytest.mark.parametrize("order", ["a-first", "b-first"])
@pytest.mark.subprocess
def test_two_bricks_with_one_kind_the_first_by_name_wins_and_one_line_names_both(tmp_path, order):
    make_brick(tmp_path / "a", "brick-alpha", "fog_alpha")
    make_brick(tmp_path / "b", "brick-beta", "fog_beta")
    paths = [str(tmp_path / "a"), str(tmp_path / "b")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths if order == "a-first" else paths[::-1])}
    folder = write_installation(tmp_path / "piece", """\
        [[devices]]
        id = "fog"
        kind = "fog"
        backend = "sim"
        pin = 17
    """)
    check = subprocess.run([MUSEOKIT, "check", str(folder)], capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stderr
    [warning] = [line for line in check.stderr.splitlines() if "two packages" in line]
    assert warning.endswith("museokit.devices 'fog' is provided by two packages, brick-alpha "
                            "(fog_alpha:Fog) and brick-beta (fog_beta:Fog): brick-alpha's is "
                            "used; uninstall one of them")
    explain = subprocess.run([MUSEOKIT, "explain", "fog"], capture_output=True, text=True, env=env)
    assert "a fog machine made by brick-alpha" in explain.stdout
    assert "(package brick-alpha)" in explain.stdout
