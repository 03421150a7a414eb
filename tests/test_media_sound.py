"""Sound on the real pygame mixer (SDL dummy audio driver), a video's soundtrack in sync,
and the display host running the installation with the loop on another thread."""

from __future__ import annotations

import logging

import numpy as np
import pygame
import pytest

from museokit.core.clock import RealClock
from museokit.core.config import load_installation
from museokit.core.device import CommandError
from museokit.core.runtime import Runtime
from museokit.media import samples
from museokit.media.display import DisplayHost, screens_of
from tests.conftest import write_installation
from tests.mediakit import FPS, RED, SIZE, make_media, near

SOUND = '[[devices]]\nid = "sound"\nkind = "sound"\nchannels = 4\n'


@pytest.fixture
def sounds(harness, tmp_path):
    folder = tmp_path / "piece"
    samples.tone_wav(folder / "bell.wav", 0.5)
    samples.tone_wav(folder / "rain.wav", 0.25, hz=220)
    h = harness(SOUND)
    h.run_for(0)
    return h


def test_sounds_play_on_several_channels_and_finish_on_the_clock(sounds):
    h = sounds
    h.command("sound", "play", "bell.wav")
    h.command("sound", "loop", "rain.wav", channel=3, volume=0.5)
    assert h.device("sound").state["playing"] == {"0": "bell.wav", "3": "rain.wav"}
    assert pygame.mixer.Channel(0).get_busy() and pygame.mixer.Channel(3).get_busy()
    assert pygame.mixer.Channel(3).get_volume() == pytest.approx(0.5, abs=0.01)
    h.run_for(0.49)
    assert not h.fired("sound.finished")
    h.run_for(0.02)
    assert [s.value for s in h.events("sound.finished")] == ["bell.wav"]
    h.run_for(5)  # the loop goes on
    assert h.device("sound").state == {"label": "playing", "playing": {"3": "rain.wav"}}
    h.command("sound", "volume", 0.2)
    assert pygame.mixer.Channel(3).get_volume() == pytest.approx(0.2, abs=0.01)
    h.command("sound", "stop")
    assert h.device("sound").label == "silent" and not pygame.mixer.Channel(3).get_busy()


def test_a_bad_sound_logs_once_and_the_rest_plays_on(sounds, caplog, tmp_path):
    (tmp_path / "piece" / "broken.wav").write_bytes(b"RIFF not really")
    with caplog.at_level(logging.WARNING):
        for _ in range(2):
            sounds.command("sound", "play", "broken.wav")
            sounds.command("sound", "play", "nope.ogg")
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "broken.wav: cannot decode" in lines[0] and "nope.ogg" in lines[1]
    assert len(sounds.events("sound.error")) == 4
    sounds.command("sound", "play", "bell.wav")
    assert sounds.device("sound").label == "playing"


@pytest.mark.parametrize(("channel", "problem"), [
    (4, "channel: expected a whole number from 0 to 3"),
    (-1, "channel: expected a whole number from 0 to 3"),
    ("two", "channel: expected a whole number or none, got 'two'"),
    (True, "channel: expected a whole number or none, got True")])
def test_a_channel_outside_the_device_is_refused(sounds, channel, problem):
    with pytest.raises(CommandError, match=problem):
        sounds.command("sound", "play", "bell.wav", channel=channel)


def _real_time_piece(tmp_path, screen_options: str = "") -> Runtime:
    folder = tmp_path / "live"
    make_media(folder)
    write_installation(folder, f'[[devices]]\nid = "screen"\nkind = "screen"\nwidth = {SIZE[0]}\n'
                               f'height = {SIZE[1]}\nattract = ["red.png"]\n{screen_options}\n')
    runtime = Runtime(load_installation(folder), clock=RealClock(), backend_override="sim")
    runtime.start()
    return runtime


def test_a_soundtrack_keeps_in_step_with_its_video_across_the_loop_seam(tmp_path):
    # Real time: the mixer plays at the sound card's pace, the video at the clock's.
    samples.numbered_video(tmp_path / "live" / "sync.mp4", 12, fps=FPS)
    samples.tone_wav(tmp_path / "live" / "sync.wav", 12 / FPS)
    runtime = _real_time_piece(tmp_path)
    screen = runtime.devices["screen"]
    runtime.start_in_thread()
    try:
        runtime.loop.call_soon_threadsafe(runtime.command, "screen", "play", ["sync.mp4"],
                                          {"loop": True})
        surface = pygame.Surface(SIZE)
        offsets, numbers = [], set()
        deadline = runtime.clock.monotonic() + 1.5  # three passes
        while runtime.clock.monotonic() < deadline:
            screen.draw(surface)
            started = screen.state.get("shows") == "sync.mp4" and pygame.mixer.get_init()
            if not started or not pygame.mixer.music.get_busy():
                continue
            number = samples.read_number(pygame.surfarray.array3d(surface).swapaxes(0, 1))
            audio_frame = pygame.mixer.music.get_pos() / 1000 * FPS
            numbers.add(number)
            # Frames apart (around the seam), and in which pass of the loop.
            offsets.append((int(screen.scene.shown // 12), (audio_frame - number + 6) % 12 - 6))
            pygame.time.wait(7)
        assert len(numbers) >= 6, numbers  # it plays (a loaded machine may skip a frame or two)
        # The mixer reports its position in 512-sample steps (half a frame at 25 fps).
        for loop_pass in (0, 1, 2):  # the soundtrack restarts with the picture at each seam
            apart = [abs(o) for p, o in offsets if p == loop_pass]
            assert len(apart) > 5 and np.median(apart) <= 1.5, (loop_pass, apart)
    finally:
        runtime.stop()
        assert runtime.join(5)
        runtime.close()


def test_the_display_host_draws_on_the_main_thread_while_the_loop_runs_on_another(tmp_path):
    runtime = _real_time_piece(tmp_path)
    host = DisplayHost(runtime, screens_of(runtime), "headless", fps=100)
    surface = host.open()
    runtime.loop.call_soon_threadsafe(runtime.loop.call_later, 0.3, runtime.stop)
    host.run()  # returns when the loop stops
    assert not runtime.running and host.frames >= 5
    assert near(pygame.surfarray.array3d(surface).swapaxes(0, 1)[90, 160], RED)
    host.close()
    runtime.close()
