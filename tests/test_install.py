"""`pip install .` into a fresh venv: only `museokit` lands at the top level, and it works.

A real `python -m venv` and the real pip, with build isolation (pip fetches the build
backend setuptools>=77 as it would for a user), from a copy of the project's files.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from museokit import __version__
from tests.conftest import REPO

#: What is not part of the project's files: the developer's venv, caches, build output.
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache")


def site_packages(venv: Path) -> Path:
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    return Path(purelib)


def recorded(venv: Path) -> set[str]:
    """Every file museokit's wheel installed, as its RECORD lists them."""
    info = site_packages(venv) / f"museokit-{__version__}.dist-info"
    with open(info / "RECORD", newline="", encoding="utf-8") as f:
        return {row[0] for row in csv.reader(f)}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A fresh venv with `pip install .` done; returns it and the top-level names pip added."""
    work = tmp_path_factory.mktemp("install")
    source = work / "museokit"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = site_packages(venv)
    before = {p.name for p in site.iterdir()}
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                           "--disable-pip-version-check", str(source)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return venv, {p.name for p in site.iterdir()} - before


@pytest.mark.subprocess
def test_only_museokit_lands_at_the_top_level_of_site_packages(installed):
    venv, added = installed
    ours = {name.split("/")[0] for name in recorded(venv) if not name.startswith("..")}
    assert ours == {"museokit", f"museokit-{__version__}.dist-info"}, ours  # no toolkit, no sim
    # Whatever else pip added belongs to the declared dependencies (packaging, for bricks).
    others = added - ours
    assert others <= {"packaging", *{n for n in others if n.startswith("packaging-")}}, others


@pytest.mark.subprocess
def test_the_console_script_works_from_the_fresh_venv(installed):
    venv, _ = installed
    out = subprocess.run([str(venv / "bin" / "museokit"), "--version"], capture_output=True,
                         text=True, timeout=60, cwd=venv)  # not the source folder: the install
    assert out.returncode == 0, out.stderr
    assert __version__ in out.stdout + out.stderr


@pytest.mark.subprocess
def test_the_wheel_carries_py_typed_the_licence_the_templates_and_the_simulator(installed):
    venv, _ = installed
    info = site_packages(venv) / f"museokit-{__version__}.dist-info"
    files = recorded(venv)
    assert "museokit/py.typed" in files
    assert any(name.endswith("/LICENSE") and name.startswith(info.name) for name in files), files
    assert "museokit/templates/basic/installation.toml" in files
    assert "museokit/templates/basic/behaviour.py" in files
    assert "museokit/sim/scenario.py" in files
    assert "License-Expression: MIT" in (info / "METADATA").read_text(encoding="utf-8")
    # Nothing from the project's other folders rides along.
    assert not {name for name in files if name.split("/")[0] in ("tests", "installations",
                                                                 "firmware", "bench", "docs")}
