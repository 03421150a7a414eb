"""`museokit check` on camera installations: zones, triggers and their options, with lines."""

from __future__ import annotations

import pytest

from museokit.cli import main
from museokit.core.config import InstallationError
from museokit.core.tomlmap import key_lines
from tests.conftest import write_installation
from tests.vision_kit import LEFT_RIGHT, camera_toml, trigger


def problems(installation, toml: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(InstallationError) as info:
        installation(toml)
    return [(i.line, i.path, f"{i.message} — {i.hint}" if i.hint else i.message)
            for i in info.value.issues]


def line_of(toml: str, text: str) -> int:
    return next(n for n, line in enumerate(toml.splitlines(), 1) if text in line)


def test_a_zone_outside_the_frame_is_refused_with_its_line_key_and_fix(installation):
    zones = "[devices.zones]\nplinth = [[0.2, 0.5], [1.3, 0.5], [0.5, 1.0]]\n"
    toml = camera_toml(trigger("marker"), zones)
    [(line, key, message)] = problems(installation, toml)
    assert line == line_of(toml, "plinth =") and key == "devices[0].zones.plinth"
    assert "corner 2 [1.3, 0.5] is outside the picture" in message
    assert "from 0 (left, top) to 1 (right, bottom)" in message
    assert 'zone_units = "pixels"' in message


def test_a_zone_in_pixels_must_fit_the_resolution(installation):
    zones = "[devices.zones]\ndoor = [[10, 10], [700, 10], [10, 400]]\n"
    toml = camera_toml(trigger("motion"), zones, 'zone_units = "pixels"\nresolution = [640, 480]')
    [(line, key, message)] = problems(installation, toml)
    assert key == "devices[0].zones.door" and line == line_of(toml, "door =")
    assert "the picture is 640x480 pixels" in message and "x within 0..640" in message
    # The same zone fits a bigger processing size.
    installation(toml.replace("[640, 480]", "[800, 600]"))


def test_museokit_check_refuses_a_zone_outside_the_frame_and_starts_nothing(tmp_path, capsys):
    zones = "[devices.zones]\nplinth = [[-0.1, 0.5], [0.9, 0.5], [0.5, 1.0]]\n"
    toml = camera_toml(trigger("marker"), zones)
    folder = write_installation(tmp_path / "piece", toml)
    assert main(["check", str(folder)]) == 1
    err = capsys.readouterr().err
    assert (f"installation.toml:{line_of(toml, 'plinth =')}: devices[0].zones.plinth: "
            "zone 'plinth': corner 1 [-0.1, 0.5] is outside the picture") in err
    assert "1 problem found; nothing was started." in err


def test_an_unknown_trigger_gets_did_you_mean_on_its_own_line(installation):
    toml = camera_toml(trigger("motion") + trigger("markr"))
    [(line, key, message)] = problems(installation, toml)
    assert key == "devices[0].triggers[1].kind"
    assert line == line_of(toml, 'kind = "markr"')
    assert "unknown trigger 'markr' — did you mean 'marker'?" in message


@pytest.mark.parametrize(("option", "expected"), [
    ("threshold = 400", "threshold — expected a whole number from 1 to 255, got 400"),
    ("treshold = 30", "a motion trigger has no option 'treshold' — did you mean 'threshold'?"),
    ('method = "mog"', "expected one of 'diff', 'mog2', got 'mog'"),
    ('zones = ["lef"]', "unknown zone 'lef' — did you mean 'left'?"),
])
def test_trigger_options_are_checked_with_their_line(installation, option, expected):
    toml = camera_toml(trigger("motion", option), LEFT_RIGHT)
    [(line, key, message)] = problems(installation, toml)
    assert line == line_of(toml, option)
    assert key == f"devices[0].triggers[0].{option.split()[0]}"
    assert expected.split(" — ")[-1] in message or expected in message


@pytest.mark.parametrize(("kind", "option", "expected"), [
    ("colour", 'colours = ["red", "blu"]', "unknown colour 'blu' — did you mean 'blue'?"),
    ("marker", 'dictionary = "4X4_5"', "expected one of '4X4_50'"),
    ("presence", "dwell = -1", "expected a number of at least 0, got -1"),
])
def test_each_trigger_checks_its_own_options(installation, kind, option, expected):
    toml = camera_toml(trigger(kind, option))
    [(line, _, message)] = problems(installation, toml)
    assert line == line_of(toml, option) and expected in message


@pytest.mark.parametrize(("option", "expected"), [
    ("resolution = [640]", "expected [width, height] in pixels"),
    ('source = "holiday.jpg"', "'holiday.jpg' is not a camera"),
    ("source = true", "expected a webcam number (0)"),
    ("fps = 0", "expected a number from 0.2 to 60, got 0"),
])
def test_camera_options_are_checked(installation, option, expected):
    toml = camera_toml(trigger("marker"), source="0").replace("source = 0\n", "")
    toml = toml.replace('kind = "camera"\n', f'kind = "camera"\n{option}\n', 1)
    [(line, _, message)] = problems(installation, toml)
    assert line == line_of(toml, option) and expected in message


def test_a_good_camera_installation_checks_without_opening_the_camera(tmp_path, capsys, caplog):
    toml = camera_toml(trigger("marker") + trigger("motion", 'zones = ["left"]'), LEFT_RIGHT,
                       source='"not-plugged-in.mp4"')
    folder = write_installation(tmp_path / "piece", toml)
    assert main(["check", str(folder)]) == 0
    assert "device  cam            camera" in capsys.readouterr().out
    assert not [r for r in caplog.records if r.name == "museokit.vision"]


def test_nested_arrays_of_tables_get_their_own_lines():
    text = ('[[devices]]\nid = "a"\n[[devices.triggers]]\nkind = "x"\n'
            '[[devices]]\nid = "b"\n[devices.zones]\nz = 1\n[[devices.triggers]]\nkind = "y"\n'
            '[[devices.triggers]]\nkind = "w"\n')
    lines = key_lines(text)
    assert lines[("devices", 0, "triggers", 0, "kind")] == 4
    assert lines[("devices", 1, "zones", "z")] == 8
    assert lines[("devices", 1, "triggers", 0, "kind")] == 10
    assert lines[("devices", 1, "triggers", 1, "kind")] == 12
