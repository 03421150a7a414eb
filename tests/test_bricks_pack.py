"""The fork round trip with the real tools: fork, rename, edit, scenarios, `build`, a fresh venv,
pip, `museokit bricks`, and `new --from` the installed brick; and a device brick's entry points."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from museokit.bricks import manifest
from museokit.bricks.pack import pyproject
from tests.conftest import REPO

#: These tests run `museokit` (and git, pip, build) in child processes.
pytestmark = pytest.mark.subprocess

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))


def run(*command: str | Path, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done


def rename_device(folder: Path, old: str, new: str) -> None:
    for path in [folder / "installation.toml", folder / "brick.toml",
                 *(folder / "scenarios").glob("*.scenario")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace(f'id = "{old}"', f'id = "{new}"')
                        .replace(f'device = "{old}"', f'device = "{new}"')
                        .replace(f"{old}.", f"{new}.").replace(f"expect {old} ", f"expect {new} "),
                        encoding="utf-8")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) with museokit installed from this repository."""
    root = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", root / "env", cwd=root)
    assert "include-system-site-packages = false" in (root / "env" / "pyvenv.cfg").read_text()
    run(root / "env" / "bin" / "pip", "install", "-q", REPO, cwd=root)
    return root / "env"


def test_fork_rename_edit_pack_install_list_and_fork_again(tmp_path: Path, venv: Path) -> None:
    piece = tmp_path / "lantern"
    done = run(MUSEOKIT, "new", piece, "--from", REPO / "installations" / "object-plinth",
               "--author", "Team Lantern", cwd=tmp_path)
    assert "2 passed" not in done.stdout and "PASSED" in done.stdout
    rename_device(piece, "spot", "lantern")
    toml = piece / "installation.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("idle = 120", "idle = 60"),
                    encoding="utf-8")
    scenario = piece / "scenarios" / "idle-attract.scenario"
    scenario.write_text(scenario.read_text(encoding="utf-8").replace("+119 ", "+59  "), encoding="utf-8")
    done = run(MUSEOKIT, "sim", piece, "--scenario", piece / "scenarios", cwd=tmp_path)
    assert "2 passed, 0 failed" in done.stdout + done.stderr
    assert "expect lantern is on" in done.stdout

    done = run(MUSEOKIT, "brick", "pack", piece, "--out", tmp_path / "dist", cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("museokit_brick_lantern-0.1.0-*.whl"))
    assert (tmp_path / "dist" / "museokit_brick_lantern-0.1.0.tar.gz").is_file()
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        entry_points = z.read("museokit_brick_lantern-0.1.0.dist-info/entry_points.txt").decode()
    assert "museokit_brick_lantern/brick.toml" in names and "museokit_brick_lantern/screenshot.png" in names
    assert "[museokit.bricks]\nlantern = museokit_brick_lantern" in entry_points

    run(venv / "bin" / "pip", "install", "-q", "--no-index", wheel, cwd=tmp_path)
    listed = run(venv / "bin" / "museokit", "bricks", cwd=tmp_path).stdout
    assert any(line.startswith("lantern ") and "0.1.0" in line and "installation" in line
               and "museokit-brick-lantern 0.1.0" in line for line in listed.splitlines()), listed
    assert "attract-loop" in listed
    assert "lantern" in run(venv / "bin" / "museokit", "bricks", "plinth", cwd=tmp_path).stdout

    again = run(venv / "bin" / "museokit", "new", "next-year", "--from", "lantern", "--author", "B",
                cwd=tmp_path)
    assert "forked lantern 0.1.0" in again.stdout and "FAILED" not in again.stdout
    m = manifest.load(tmp_path / "next-year")
    assert [(f.name, f.version) for f in m.forked_from] == [("lantern", "0.1.0"),
                                                           ("object-plinth", "1.0.0")]
    assert {c.name for c in m.credits} == {"museokit contributors", "Team Lantern"}
    assert not (tmp_path / "next-year" / "__init__.py").exists()
    assert m.forked_from[0].hash == manifest.content_hash(piece)  # the installed copy is the same

    for archive in (wheel, tmp_path / "dist" / "museokit_brick_lantern-0.1.0.tar.gz"):
        target = tmp_path / f"from-{archive.suffix.strip('.')}"
        run(MUSEOKIT, "new", target, "--from", archive, "--author", "C", cwd=tmp_path)
        assert manifest.load(target).forked_from[0].hash == manifest.content_hash(piece)


CHIME = '''\
"""A chime: a relay that rings a bell."""

from museokit.devices.relay import Relay


class Chime(Relay):
    kind = "chime"
    summary = "a bell rung by a relay"
'''


def test_a_device_brick_registers_its_device(tmp_path: Path, venv: Path) -> None:
    brick = tmp_path / "chime"
    brick.mkdir()
    (brick / "chime.py").write_text(CHIME, encoding="utf-8")
    (brick / "README.md").write_text("# chime\n\n## Wiring\n\nIN to a GPIO.\n\n## Parts\n\nA relay.\n",
                                     encoding="utf-8")
    (brick / "brick.toml").write_text('''\
[brick]
name = "chime"
kind = "device"
version = "2.0.1"
summary = "A bell on a relay."
license = "Apache-2.0"
museokit = ">=0.1,<1"

[[authors]]
name = "Ada"

[provides]
devices = { chime = "chime:Chime" }
''', encoding="utf-8")
    assert 'chime = "museokit_brick_chime.chime:Chime"' in pyproject(manifest.load(brick))
    run(MUSEOKIT, "brick", "pack", brick, "--out", tmp_path / "dist", cwd=tmp_path)
    wheel = next((tmp_path / "dist").glob("*.whl"))
    run(venv / "bin" / "pip", "install", "-q", "--no-index", wheel, cwd=tmp_path)
    piece = tmp_path / "bell"
    piece.mkdir()
    (piece / "installation.toml").write_text(
        '[[devices]]\nid = "bell"\nkind = "chime"\npin = 22\n', encoding="utf-8")
    done = run(venv / "bin" / "museokit", "check", piece, cwd=tmp_path)
    assert "bell" in done.stdout and "chime" in done.stdout
