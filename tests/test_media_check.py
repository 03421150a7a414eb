"""`museokit check` decodes every media file an installation names, and the talking
portrait runs: its scenarios headless, and the display host from the command line."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from museokit.media import samples
from tests.conftest import REPO, write_installation
from tests.mediakit import SCREEN, make_media
from tests.test_cli import museokit, start

PORTRAIT = REPO / "installations" / "talking-portrait"


@pytest.mark.subprocess
def test_check_names_every_missing_or_broken_media_file(tmp_path):
    folder = make_media(tmp_path / "piece")
    (folder / "broken.png").write_bytes(b"not a png")
    samples.tone_wav(folder / "bell.wav", 0.2)
    (folder / "film.wav").write_bytes(b"RIFF broken soundtrack")
    write_installation(folder, f"""\
{SCREEN}attract = ["red.png", "broken.png"]

[[devices]]
id = "sound"
kind = "sound"

[[rules]]
when = "pir.motion"
do = ["screen.play film.mp4 then=gone.png", "sound.play bell.wav", "screen.text 'not a file.png?'"]
""", behaviour="""\
from museokit import on

@on("pir.motion")
def greet():
    screen.play("missing film.mp4")
    sound.play("bell.wav")
    screen.show(f"{1}.png")   # built at run time: not checked
""")
    result = museokit("check", str(folder))
    assert result.returncode == 1, result.stdout
    lines = result.stderr.splitlines()
    toml, behaviour = folder / "installation.toml", folder / "behaviour.py"
    rule = toml.read_text().splitlines().index("[[rules]]") + 1
    assert lines[0].startswith(f"{toml}:6: screen.attract: broken.png: cannot decode this image")
    assert lines[1].startswith(f"{toml}:{rule}: rules[0].do: film.wav: cannot decode this sound")
    assert lines[2].startswith(f"{toml}:{rule}: rules[0].do: gone.png: file not found")
    assert lines[3].startswith(f"{behaviour}:5: screen.play: missing film.mp4: file not found")
    assert lines[4] == "4 problems found; nothing was started."


@pytest.mark.subprocess
def test_check_passes_the_talking_portrait():
    result = museokit("check", str(PORTRAIT))
    assert result.returncode == 0, result.stderr
    assert "device  screen         screen\n" in result.stdout  # a screen has no pin to wait for
    assert "media   4 files, each found and decoded" in result.stdout


@pytest.mark.subprocess
def test_sim_runs_a_screen_installation_headless_in_the_console():
    result = museokit("sim", str(PORTRAIT), "--for", "1", "--headless")
    assert result.returncode == 0, result.stderr
    assert "Talking portrait ready" in result.stdout and "(headless;" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.subprocess
def test_a_signal_stops_a_run_with_a_screen_cleanly():
    proc, ready = start("run", str(PORTRAIT), "--backend", "sim", "--display", "headless")
    assert "Talking portrait ready" in ready
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped after" in out and "Traceback" not in err


def test_media_paths_in_the_example_are_not_committed():
    assert (PORTRAIT / ".gitignore").read_text().strip() == "media/"
    assert Path(PORTRAIT / "make_media.py").is_file()
