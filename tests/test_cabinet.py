"""The cabinet of curiosities passes its scenarios, watching a video generated here and now."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from museokit.cli import main
from museokit.core.config import load_installation
from museokit.sim.scenario import load_scenario, run_scenario
from tests.conftest import REPO

CABINET = REPO / "installations" / "cabinet-of-curiosities"
SCENARIOS = sorted((CABINET / "scenarios").glob("*.scenario"))


@pytest.fixture(scope="module")
def visit_video(tmp_path_factory) -> Path:
    """The visit of scenarios/make_video.py, drawn into a temporary folder."""
    spec = importlib.util.spec_from_file_location("make_video", CABINET / "scenarios/make_video.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main(tmp_path_factory.mktemp("cabinet") / "visitor.avi")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_cabinet_scenario_passes(path, visit_video):
    installation = load_installation(CABINET)
    installation.device("cam").options["sim_source"] = str(visit_video)
    result = run_scenario(installation, load_scenario(path, installation))
    assert result.passed, "\n".join(result.lines())


def test_museokit_sim_camera_option_runs_the_scenarios(visit_video, capsys):
    assert main(["sim", str(CABINET), "--camera", str(visit_video),
                 "--scenario", str(CABINET / "scenarios")]) == 0
    assert f"{len(SCENARIOS)} passed, 0 failed" in capsys.readouterr().out


def test_a_missing_camera_file_is_refused_before_anything_runs(tmp_path, capsys):
    assert main(["sim", str(CABINET), "--camera", str(tmp_path / "nope.mp4")]) == 2
    assert "no such video file" in capsys.readouterr().err
