"""A brick's scenarios, run as its user would: `museokit sim FOLDER --scenario scenarios/`.

In a fresh process, so that forking, scoring or cataloguing a brick never imports its
code into the tool that reads it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_scenarios(folder: Path, timeout: float = 300) -> tuple[bool, list[str]]:
    """Run the brick's scenarios in a fresh `museokit sim`; (all passed, one line per file).

    A brick without scenarios counts as not passing: there is nothing to show it works.
    """
    scenarios = folder / "scenarios"
    if not any(scenarios.glob("*.scenario")):
        return False, [f"no scenarios in {scenarios}: add one (docs/scenarios.md), or record one "
                       f"with `museokit sim {folder} --record {scenarios}/visit.scenario`"]
    command = [sys.executable, "-m", "museokit.cli", "sim", str(folder), "--scenario", str(scenarios)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, [f"the scenarios of {folder} did not finish within {timeout:.0f} s"]
    lines = [line for line in (done.stdout + done.stderr).splitlines()
             if ".scenario:" in line or line.startswith(("FAIL", "museokit:"))
             or ("problem" in line and "found" in line)]
    return done.returncode == 0, lines or [f"museokit sim exited with {done.returncode}"]
