"""Shared by the brick tests: the examples as bricks, copied aside with their generated media."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

VIDEO = Path("cabinet-of-curiosities") / "scenarios" / "visitor.avi"


def examples_copy(root: Path) -> Path:
    """The six examples copied under `root`/installations, with the cabinet's scenario video
    made there as its README says (git ignores it, and the repository keeps none, so tests
    that need it absent still find it absent)."""
    folder = root / "installations"
    shutil.copytree(REPO / "installations", folder,
                    ignore=shutil.ignore_patterns("__pycache__", "*.avi", "media"))
    subprocess.run([sys.executable, str(folder / VIDEO.parent / "make_video.py"), str(folder / VIDEO)],
                   check=True, capture_output=True, timeout=300)
    return folder


def git(*args: str, cwd: Path) -> None:
    """Run git with an author set (a test machine may have none configured)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, env=env)
