"""Shared by the brick tests: the examples' generated media, made as their READMEs say."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

CABINET_VIDEO = REPO / "installations" / "cabinet-of-curiosities" / "scenarios" / "visitor.avi"


def ensure_example_media() -> None:
    """The cabinet's scenarios watch a generated video (git ignores it): make it if missing."""
    if not CABINET_VIDEO.is_file():
        subprocess.run([sys.executable, str(CABINET_VIDEO.parent / "make_video.py")], check=True,
                       capture_output=True, timeout=300)
