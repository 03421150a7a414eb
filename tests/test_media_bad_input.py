"""Bad media: one clear log line naming the file and the fix, `screen.error`, the attract
loop instead, and the installation keeps running."""

from __future__ import annotations

import logging
import unicodedata
from pathlib import Path

import pytest

from museokit.media import samples
from museokit.media.files import MediaError, resolve
from museokit.media.images import load_image
from tests.mediakit import FPS, GREEN, RED, drawn, near, open_piece


def _garbage(path: Path) -> Path:
    path.write_bytes(b"this is not a picture \x00\xff" * 50)
    return path


BAD = {
    # name: (how to make it, command, words the log line must hold)
    "missing.mp4": (None, "play", ["file not found", "relative to the installation folder"]),
    "corrupt.png": (_garbage, "show", ["cannot decode this image", "export it again"]),
    "corrupt.mp4": (_garbage, "play", ["cannot open this video", "ffmpeg -i"]),
    "cut.mp4": (lambda p: p.write_bytes(p.with_name("film.mp4").read_bytes()[:3000]), "play",
                ["cannot open this video", "truncated"]),
    "codec.mp4": (samples.unknown_codec_video, "play", ["codec this OpenCV cannot decode"]),
    "huge.png": (lambda p: samples.huge_png(p, 30000, 20000), "show", ["30000x20000", "scale it"]),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_media_logs_one_line_and_falls_back_to_attract(tmp_path, caplog, name):
    make, cmd, words = BAD[name]
    with open_piece(tmp_path) as h:
        if make is not None:
            make(tmp_path / name)
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            h.command("screen", cmd, name)
            h.run_for(1)
            h.command("screen", cmd, name)  # asked again: no second line
            h.run_for(1)
        errors = [r.getMessage() for r in caplog.records]
        assert len(errors) == 1, errors
        assert name in errors[0] and all(w in errors[0] for w in words), errors[0]
        assert len(h.events("screen.error")) == 2
        assert h.device("screen").state == {"label": "image", "shows": "red.png", "attract": True}
        assert near(drawn(h)[90, 160], RED)
        h.command("screen", "play", "film.mp4")  # and it goes on working
        assert near(drawn(h)[10, 10], GREEN, tolerance=12)
        assert not h.errors


def test_a_truncated_video_plays_what_decodes_then_returns_to_attract(tmp_path, caplog):
    with open_piece(tmp_path) as h:
        samples.truncated_video(tmp_path / "half.avi", frames=40)
        with caplog.at_level(logging.WARNING):
            h.command("screen", "play", "half.avi")
            for _ in range(40):  # a display drawing every frame finds the early end
                drawn(h)
                h.run_for(1 / FPS)
        [line] = [r.getMessage() for r in caplog.records]
        assert "half.avi" in line and "of its 40 frames decode" in line and "truncated" in line
        assert h.events("screen.finished")[0].value == "half.avi"
        assert h.events("screen.finished")[0].t < 40 / FPS
        assert h.device("screen").state["attract"] is True


def test_a_missing_attract_item_leaves_the_screen_blank_and_says_so(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        h = open_piece(tmp_path, screen_options='attract = ["gone.png"]')
    with h:
        assert h.device("screen").label == "blank"
        assert any("gone.png" in r.getMessage() for r in caplog.records)
        assert near(drawn(h)[90, 160], (0, 0, 0))


def test_names_with_accents_and_spaces_work_in_either_unicode_form(tmp_path):
    decomposed = unicodedata.normalize("NFD", "salle d'été/portrait Élodie.mp4")
    samples.numbered_video(tmp_path / decomposed, 5, tint=GREEN)  # as a Mac writes the name
    with open_piece(tmp_path) as h:
        h.command("screen", "play", "salle d'été/portrait Élodie.mp4")
        h.run_for(2 / FPS)
        pixels = drawn(h)
        assert samples.read_number(pixels) == 2 and near(pixels[10, 10], GREEN, tolerance=12)
        assert not h.events("screen.error")


def test_a_large_photo_is_downscaled_once_to_cover_the_screen(tmp_path):
    samples.solid_image(tmp_path / "photo.jpg", (4000, 3000), RED)
    image = load_image(tmp_path / "photo.jpg", "photo.jpg", (320, 180))
    assert image.get_size() == (320, 240)  # covers 320x180 for fill, no larger


def test_a_missing_file_names_what_is_there(tmp_path):
    samples.solid_image(tmp_path / "intro.png", (4, 4), RED)
    with pytest.raises(MediaError, match=r"intro\.pgn: file not found .* intro\.png"):
        resolve(tmp_path, "intro.pgn")


def test_a_missing_font_falls_back_to_the_default_with_one_line(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        h = open_piece(tmp_path, screen_options='font = "fonts/Missing.ttf"')
    with h:
        h.command("screen", "text", "Noël")
        assert (drawn(h).max(axis=2) > 200).any()
        [line] = [r.getMessage() for r in caplog.records]
        assert "fonts/Missing.ttf" in line and "using DejaVu Sans" in line
