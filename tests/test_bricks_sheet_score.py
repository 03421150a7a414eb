"""`brick sheet` (wiring, parts, power, credits; opened in chromium) and `brick score`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from museokit.bricks.score import score
from museokit.bricks.sheet import power, wiring, write_sheet
from museokit.core.config import load_installation
from tests.bricks_kit import examples_copy
from tests.browser import needs_chromium, page
from tests.conftest import REPO, write_installation

#: These tests run `museokit` (and git, pip, build) in child processes.
pytestmark = pytest.mark.subprocess

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
EXAMPLES = sorted(p.parent for p in (REPO / "installations").glob("*/installation.toml"))


def museokit(*args: str | Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MUSEOKIT, *map(str, args)], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, cwd=cwd)


def test_wiring_comes_from_the_installation_file() -> None:
    inst = load_installation(REPO / "installations" / "hello-button")
    from museokit.bricks.manifest import load

    hookups = {h.device: h for h in wiring(inst, load(inst.folder))}
    door = hookups["door"]
    assert door.part == "Push button, normally open"
    assert [(w.pin, w.physical, w.to) for w in door.wires] == [("GPIO17", 11, "signal"),
                                                              ("GND", 9, "GND")]
    pir = hookups["entrance"]
    first = pir.wires[0]
    assert (first.pin, first.physical, first.colour) == ("5V", 2, "red")


def test_the_power_budget_warns_when_a_rail_is_exceeded(tmp_path: Path) -> None:
    folder = write_installation(tmp_path / "glow", """\
        [[devices]]
        id = "strip"
        kind = "pixels"
        pin = 10
        count = 60

        [[devices]]
        id = "fan"
        kind = "relay"
        pin = 23
        """)
    inst = load_installation(folder)
    rails = {r.name: r for r in power(inst, None, wiring(inst, None))}
    assert rails["5v"].total == 60 * 20 + 70 and rails["5v"].over
    html, svg = write_sheet(folder, tmp_path / "out")
    text = html.read_text(encoding="utf-8")
    assert "pi 5 V rail: 1270 mA of 1000 mA" in text and "own supply" in text
    assert "GPIO10 (pin 19)" in svg.read_text(encoding="utf-8")


def test_each_node_gets_its_header_and_own_supplies_stay_off_the_rails(tmp_path: Path) -> None:
    from museokit.bricks.manifest import load

    inst = load_installation(REPO / "installations" / "two-rooms")
    m = load(inst.folder)
    hookups = {h.device: h for h in wiring(inst, m)}
    assert {w.board for w in hookups["start"].wires} == {"pi@entrance"}
    assert {w.board for w in hookups["glow"].wires} == {"pi@gallery"}
    assert [w.to for w in hookups["glow"].wires] == ["signal", "GND"]  # no VCC: its own supply
    rails = {(r.board, r.name): r.total for r in power(inst, m, list(hookups.values()))}
    assert rails[("pi@gallery", "5v")] == 70  # the relay; the strip has its own supply
    text = write_sheet(inst.folder, tmp_path)[1].read_text(encoding="utf-8")
    assert "Raspberry Pi of node entrance" in text and "Raspberry Pi of node gallery" in text


@needs_chromium
@pytest.mark.parametrize("example", ["hello-button", "object-plinth"])
def test_the_sheet_prints_in_chromium(tmp_path: Path, example: str) -> None:
    done = museokit("brick", "sheet", REPO / "installations" / example, "--out", tmp_path)
    assert done.returncode == 0, done.stderr
    errors: list[str] = []
    with page(errors) as tab:
        tab.goto((tmp_path / "sheet.html").as_uri())
        text = tab.inner_text("body")
        assert "Wiring" in text and "Parts" in text and "Power budget" in text
        assert "Every rail is within its budget." in text
        assert "museokit contributors" in text and "CC0-1.0" in text
        labels = tab.eval_on_selector_all("svg text", "els => els.map(e => e.textContent)")
        wires = [t for t in labels if " wire: " in t]
        assert wires and all("→" in w for w in wires)
        box = tab.locator("svg").bounding_box()
        assert box is not None and box["width"] > 500
        shot = tmp_path / "sheet.png"
        tab.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        pdf = tmp_path / "sheet.pdf"
        tab.pdf(path=str(pdf), format="A4")
        assert pdf.read_bytes().startswith(b"%PDF")
    if example == "object-plinth":
        assert "yellow wire: D2 → signal" in labels and "red wire: 5V → VCC" in labels
    else:
        assert "yellow wire: GPIO17 (pin 11) → signal" in labels
    assert errors == []


def test_a_broken_installation_has_no_sheet_and_one_line(tmp_path: Path) -> None:
    folder = write_installation(tmp_path / "bad", '[[devices]]\nid = "x"\nkind = "buton"\n')
    done = museokit("brick", "sheet", folder, "--out", tmp_path / "out")
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "unknown kind 'buton'" in done.stderr and not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return examples_copy(tmp_path_factory.mktemp("examples"))


@pytest.mark.parametrize("name", [p.name for p in EXAMPLES])
def test_every_example_scores_full_marks(examples: Path, name: str) -> None:
    card = score(examples / name)
    assert card.full, "\n".join(card.lines())
    assert card.score == 8


def test_every_gap_comes_with_its_fix(tmp_path: Path) -> None:
    folder = tmp_path / "thin"
    shutil.copytree(REPO / "installations" / "hello-button", folder)
    (folder / "README.md").write_text("# thin\n\nNo details.\n", encoding="utf-8")
    for scenario in (folder / "scenarios").glob("*"):
        scenario.unlink()
    toml = folder / "brick.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('photos = ["screenshot.png"]\n', ""),
                    encoding="utf-8")
    done = museokit("brick", "score", folder)
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "hello-button 1.0.0: 5/8"
    gaps = [line for line in lines[1:] if line.lstrip().startswith("✗")]
    assert [g.split()[1] for g in gaps] == ["readme", "scenarios", "photos"]
    assert all(" — fix: " in g for g in gaps)
    assert "lacks wiring and parts" in gaps[0]


def test_a_failing_scenario_costs_a_point(tmp_path: Path) -> None:
    folder = tmp_path / "wrong"
    shutil.copytree(REPO / "installations" / "hello-button", folder)
    (folder / "scenarios" / "wrong.scenario").write_text("at 0  expect states is engaged\n",
                                                         encoding="utf-8")
    card = score(folder)
    [gap] = [p for p in card.points if not p.met]
    assert gap.name == "scenarios" and "wrong.scenario: FAILED" in gap.detail
