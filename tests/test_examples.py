"""Every example installation passes `museokit check` and the scenarios it ships, in the
simulator: the examples are what the next team forks, so they must stay green."""

from __future__ import annotations

import pytest

from museokit.cli import main
from museokit.core.config import load_installation
from museokit.sim.scenario import load_scenario, run_scenario
from tests.conftest import REPO

EXAMPLES = sorted(p.parent for p in (REPO / "installations").glob("*/installation.toml"))
#: Scenarios that need input generated at test time run in their own test files (none:
#: the cabinet's camera draws its visit from scenarios/make_video.py as it goes).
OWN_TESTS: dict[str, str] = {}


def test_there_are_examples_for_every_part():
    assert {p.name for p in EXAMPLES} >= {"hello-button", "approach-lamp", "object-plinth",
                                          "talking-portrait", "cabinet-of-curiosities"}


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_example_passes_check(folder, capsys):
    assert main(["check", str(folder)]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("folder", [p for p in EXAMPLES if p.name not in OWN_TESTS],
                         ids=lambda p: p.name)
def test_example_scenarios_pass_in_the_simulator(folder):
    files = sorted((folder / "scenarios").glob("*.scenario"))
    assert files, f"{folder.name} has no scenarios/*.scenario"
    installation = load_installation(folder)
    for file in files:
        result = run_scenario(installation, load_scenario(file, installation))
        assert result.passed, "\n".join(result.lines())
