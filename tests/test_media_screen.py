"""The screen device drawn headless (SDL dummy driver): pixels of images, fades, text,
video frames, the loop seam and the trigger-to-first-frame delay, on the virtual clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pygame
import pytest

from museokit.core.clock import VirtualClock
from museokit.core.config import load_installation
from museokit.core.device import CommandError
from museokit.core.runtime import Runtime
from museokit.media import samples, text
from museokit.media.scenes import VideoScene
from museokit.sim.harness import Harness
from tests.conftest import write_installation
from tests.mediakit import BLUE, FPS, GREEN, RED, SCREEN, SIZE, drawn, make_media, near, open_piece

FRAME = 1 / FPS


def test_an_image_fits_with_bars_or_fills_the_screen(tmp_path):
    samples.solid_image(tmp_path / "square.png", (100, 100), RED)
    with open_piece(tmp_path, screen_options="") as h:
        h.command("screen", "show", "square.png")
        pixels = drawn(h)
        assert near(pixels[90, 160], RED) and near(pixels[90, 5], (0, 0, 0))  # bars at the sides
        h.command("screen", "show", "square.png", fit="fill")
        pixels = drawn(h)
        assert near(pixels[90, 5], RED) and near(pixels[2, 160], RED)
        assert h.device("screen").state == {"label": "image", "shows": "square.png", "attract": False}


def test_a_portrait_screen_turns_the_picture(tmp_path):
    # A screen turned a quarter clockwise: the picture's top must end up on the panel's left.
    samples.marked_image(tmp_path / "portrait.png", (90, 160), BLUE, mark=GREEN)
    with open_piece(tmp_path, screen_options="rotate = 90") as h:
        h.command("screen", "show", "portrait.png")
        pixels = drawn(h)
        assert near(pixels[90, 3], GREEN)
        assert near(pixels[90, 316], BLUE)


def test_a_fade_half_way_blends_both_slides(tmp_path):
    with open_piece(tmp_path, screen_options="interval = 2\nfade = 1") as h:
        h.command("screen", "slideshow", "red.png", "blue.png")
        h.run_for(2.0)
        assert near(drawn(h)[90, 160], RED)  # the fade starts at the change
        h.run_for(0.5)
        assert near(drawn(h)[90, 160], (127.5, 0, 127.5), tolerance=2)
        h.run_for(0.5)
        assert near(drawn(h)[90, 160], BLUE)
        assert h.device("screen").state["shows"] == "blue.png"
        h.run_for(1.5)  # the slideshow loops back to the first slide
        assert near(drawn(h)[90, 160], (127.5, 0, 127.5), tolerance=2)


def test_a_cut_changes_slides_at_once(tmp_path):
    with open_piece(tmp_path, screen_options="interval = 2") as h:
        h.command("screen", "slideshow", ["red.png", "blue.png"], transition="cut")
        h.run_for(1.99)
        assert near(drawn(h)[90, 160], RED)
        h.run_for(0.01)
        assert near(drawn(h)[90, 160], BLUE)


def test_text_with_accents_is_drawn_and_the_font_covers_french():
    assert text.missing_glyphs(text.default_font(), "àâæçéèêëîïôœùûüÿ€ÀÉÇŒ«»") == ""
    assert text.missing_glyphs(text.default_font(), "漢") == "漢"


def test_text_is_drawn_centred_and_wrapped(tmp_path):
    with open_piece(tmp_path) as h:
        h.command("screen", "text", "Élodie à Noël, près de la fenêtre ouverte", size=120)
        pixels = drawn(h)
        lit = pixels.max(axis=2) > 200
        rows = lit.any(axis=1).nonzero()[0]
        assert lit[:, :5].sum() == 0 and lit.sum() > 500  # white text, margins clear
        lines = 1 + int((rows[1:] - rows[:-1] > 1).sum())
        assert lines >= 2  # too long for one line at this size: wrapped
        assert abs((rows.min() + rows.max()) / 2 - 90) < 10  # centred
        assert h.device("screen").state["label"] == "text"


def test_text_refuses_a_bad_colour(tmp_path):
    with open_piece(tmp_path) as h, pytest.raises(CommandError, match="text"):
        h.command("screen", "text", "hello", color="notacolour")


def test_video_frames_follow_the_clock_with_a_caption_over_them(tmp_path):
    with open_piece(tmp_path) as h:
        h.command("screen", "play", "film.mp4", caption="Le portrait parle")
        seen = []
        for _ in range(5):
            pixels = drawn(h)
            seen.append(samples.read_number(pixels))
            h.run_for(FRAME)
        assert seen == [0, 1, 2, 3, 4]
        caption_rows = pixels[140:170]
        assert (caption_rows.max(axis=2) > 200).sum() > 50  # caption text over the video
        assert near(pixels[10, 10], GREEN, tolerance=12)  # the video around it


def test_a_video_loop_seam_repeats_no_frame_and_drops_none(tmp_path):
    with open_piece(tmp_path) as h:
        h.command("screen", "play", "loop.mp4", loop=True)
        numbers, indices = [], []
        for _ in range(3 * 12 + 1):
            numbers.append(samples.read_number(drawn(h)))
            scene = h.device("screen").scene
            assert isinstance(scene, VideoScene)
            indices.append(scene.shown)
            h.run_for(FRAME)
        assert numbers == [i % 12 for i in range(37)]
        assert indices == list(range(37))
        assert h.device("screen").state["label"] == "video"  # a loop never finishes


def test_a_trigger_shows_its_first_frame_within_one_frame(tmp_path):
    rule = '[[rules]]\nwhen = "pir.motion"\ndo = "screen.play film.mp4"\n'
    with open_piece(tmp_path, rule) as h:
        screen = h.device("screen")
        assert screen.store.is_preloaded("film.mp4")  # named in a rule: ready before the visitor
        assert near(drawn(h)[90, 160], RED)
        h.act("pir", "motion")
        h.run_for(1 / 60)  # one display refresh
        pixels = drawn(h)
        assert samples.read_number(pixels) == 0 and near(pixels[10, 10], GREEN, tolerance=12)
        assert h.fired("screen.started")


def test_content_returns_to_the_attract_loop_when_it_ends(tmp_path):
    with open_piece(tmp_path, screen_options='attract = ["red.png", "blue.png"]') as h:
        h.command("screen", "play", "film.mp4")
        h.run_for(20 * FRAME - 0.01)
        assert h.device("screen").state["shows"] == "film.mp4"
        h.run_for(0.02)
        assert [s.value for s in h.events("screen.finished")] == ["film.mp4"]
        assert h.device("screen").state == {"label": "slideshow", "shows": "red.png", "attract": True}
        assert near(drawn(h)[90, 160], RED)
        h.command("screen", "show", "blue.png", seconds=2, then="blank")
        h.run_for(2)
        assert h.device("screen").label == "blank" and near(drawn(h)[90, 160], (0, 0, 0))


def test_draw_scales_into_any_surface(tmp_path):
    with open_piece(tmp_path) as h:
        h.command("screen", "play", "film.mp4")
        h.run_for(3 * FRAME)
        small = pygame.Surface((80, 45))
        h.device("screen").draw(small)
        assert samples.read_number(pygame.surfarray.array3d(small).swapaxes(0, 1)) == 3
        assert SIZE == (320, 180)


@pytest.mark.parametrize("then", ["nowhere", "film.txt"])
def test_then_must_be_a_word_or_a_media_file(tmp_path, then):
    with open_piece(tmp_path) as h, pytest.raises(CommandError, match="then"):
        h.command("screen", "play", "film.mp4", then=then)


def test_the_screen_goes_black_at_closing_and_back_to_attract_at_opening(tmp_path):
    make_media(tmp_path)
    write_installation(tmp_path, f'{SCREEN}attract = ["red.png"]\n\n'
                                 '[schedule]\ntimezone = "UTC"\nhours = "10:00-18:00"\n')
    start = datetime(2026, 6, 1, 17, 59, tzinfo=UTC).timestamp()
    with Harness(load_installation(tmp_path), clock=VirtualClock(epoch=start)) as h:
        h.run_for(1)
        assert near(drawn(h)[90, 160], RED)
        h.run_for(60)  # 18:00: closed
        assert h.device("screen").label == "blank" and near(drawn(h)[90, 160], (0, 0, 0))
        h.command("screen", "show", "blue.png")  # a behaviour timer at night does nothing
        assert near(drawn(h)[90, 160], (0, 0, 0))
        h.run_for(16 * 3600)  # 10:00 next day: open
        assert h.device("screen").state["shows"] == "red.png" and near(drawn(h)[90, 160], RED)


def test_a_screen_needs_no_backend_so_it_starts_where_there_is_no_gpio(tmp_path):
    make_media(tmp_path)
    write_installation(tmp_path, '[installation]\nbackend = "gpio"\n\n[[devices]]\nid = "screen"\n'
                                 'kind = "screen"\nattract = ["red.png"]\n')
    runtime = Runtime(load_installation(tmp_path), clock=VirtualClock())
    runtime.start()
    try:
        assert runtime.backends == {} and runtime.devices["screen"].ctx.backend is None
    finally:
        runtime.close()
