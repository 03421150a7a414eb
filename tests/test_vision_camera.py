"""The camera device: missing and unplugged cameras, bad frames, threads, debug view, privacy."""

from __future__ import annotations

import logging
import threading

import pytest

from museokit.vision.cv import cv2, np
from museokit.vision.drivers import LatestFrame
from museokit.vision.sources import GeneratedSource, SourceLost, VideoFileSource, open_source
from museokit.vision.synth import Scene, Show, marker_at, write_video
from tests.conftest import ONE_BUTTON
from tests.live import settle
from tests.vision_kit import camera_toml, seen, trigger, watch

MARKER_7 = Scene([Show(0.5, None, marker_at(7, (320, 240)))])


def test_no_camera_at_start_is_one_message_the_rest_runs_and_the_camera_is_retried(
        harness, tmp_path, caplog):
    toml = camera_toml(trigger("marker"), options="retry = 5", more=ONE_BUTTON,
                       source='"later.avi"')
    with caplog.at_level(logging.INFO, logger="museokit.vision"):
        h = harness(toml)
        h.run_for(2)
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1
        assert "camera 'cam'" in errors[0] and "later.avi" in errors[0]
        assert "retrying every 5s" in errors[0]
        assert seen(h, "cam.offline") and h.device("cam").label == "offline"
        # The rest of the installation runs.
        h.act("door", "press")
        assert h.device("door").is_pressed
        # The camera is plugged in (the file appears); the next retry (at 5 s) finds it.
        write_video(h.installation.folder / "later.avi", MARKER_7.frame, seconds=3)
        h.run_for(6)
        assert [t for t, _ in seen(h, "cam.online")] == [5.0]
        assert [v for _, v in seen(h, "cam.marker_placed")] == [7]
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


def _unplugged_between(start: float, end: float, scene: Scene):
    def frame(t: float):
        if start <= t < end:
            raise SourceLost("webcam 0 stopped giving frames (unplugged?)")
        return scene.frame(t)
    return frame


def test_a_camera_unplugged_mid_run_goes_offline_and_comes_back(harness):
    toml = camera_toml(trigger("marker"), options="retry = 1")
    h = watch(harness, toml, _unplugged_between(3, 4.5, MARKER_7), 8)
    offline = seen(h, "cam.offline")
    assert offline == [(3.0, "webcam 0 stopped giving frames (unplugged?)")]
    # Retried every second from 3 s: at 4 s still gone, at 5 s frames again.
    assert seen(h, "cam.online") == [(5.0, None)]
    assert h.device("cam").label == "watching" and h.device("cam").is_online


def test_a_camera_unplugged_mid_run_on_the_real_clock(harness):
    """The same through the capture and processing threads, on the real clock."""
    plugged = threading.Event()
    plugged.set()

    def frame(t: float):
        if not plugged.is_set():
            raise SourceLost("webcam 0 stopped giving frames (unplugged?)")
        return MARKER_7.frame(t)

    from museokit.core.config import load_installation
    from museokit.core.runtime import Runtime

    h = harness(camera_toml(trigger("marker"), options="retry = 0.2\nfps = 20"))
    runtime = Runtime(load_installation(h.installation.folder), backend_override="sim")
    events: list[str] = []
    runtime.bus.tap(lambda e: events.append(e.key), name="test recorder")
    runtime.start()
    runtime.devices["cam"].use_source(GeneratedSource(frame, fps=30))
    loop_thread = threading.Thread(target=runtime.loop.run_forever, daemon=True)
    loop_thread.start()
    try:
        assert settle(lambda: "cam.marker_placed" in events, timeout=10.0)
        plugged.clear()
        assert settle(lambda: "cam.offline" in events, timeout=10.0)
        plugged.set()
        assert settle(lambda: "cam.online" in events, timeout=10.0)
        assert runtime.devices["cam"].is_online
    finally:
        runtime.stop()
        loop_thread.join(5)
        runtime.close()


@pytest.mark.subprocess
def test_corrupt_and_empty_frames_are_skipped_and_counted(harness, caplog):
    bad = {1.0: None, 1.1: np.zeros((0, 0, 3), np.uint8), 1.2: np.zeros((4, 4, 5), np.uint8),
           1.3: np.zeros((480, 640, 3), np.float32), 1.4: "not a picture"}

    def frame(t: float):
        return bad.get(round(t, 3), MARKER_7.frame(t) if t < 1 or t > 1.45 else None)

    with caplog.at_level(logging.WARNING, logger="museokit.vision"):
        h = watch(harness, camera_toml(trigger("marker")), frame, 3)
    cam = h.device("cam")
    assert cam.stats()["bad_frames"] == 5
    assert cam.state["bad_frames"] == 5
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 1 and "corrupt or empty frame" in warnings[0]
    # The marker seen before stays placed: bad frames are no frames, not empty pictures.
    assert [v for _, v in seen(h, "cam.marker_placed")] == [7]
    assert seen(h, "cam.marker_removed") == []


def test_a_grey_or_bgra_camera_is_accepted(harness):
    def frame(t: float):
        return cv2.cvtColor(MARKER_7.frame(t), cv2.COLOR_BGR2GRAY if t < 2 else cv2.COLOR_BGR2BGRA)

    h = watch(harness, camera_toml(trigger("marker")), frame, 3)
    assert h.device("cam").stats()["bad_frames"] == 0
    assert [v for _, v in seen(h, "cam.marker_placed")] == [7]


def test_frames_are_processed_at_the_resolution_and_rate_asked(harness):
    big = Scene([Show(0.5, None, marker_at(7, (640, 480), side=240))], size=(1280, 960))
    h = watch(harness, camera_toml(trigger("marker"), options="resolution = [320, 240]\nfps = 4"),
              big, 2.9)
    cam = h.device("cam")
    assert cam.stats()["frames"] == 12        # 0, 0.25, ... 2.75 s
    assert cam.debug_frame().shape == (240, 320, 3)
    assert [v for _, v in seen(h, "cam.marker_placed")] == [7]


def test_the_debug_frame_shows_zones_and_detections(harness):
    toml = camera_toml(trigger("marker"), zones="[devices.zones]\n"
                       "plinth = [[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]")
    h = harness(toml)
    assert h.device("cam").debug_frame() is None
    h.device("cam").use_source(GeneratedSource(MARKER_7.frame, 10))
    h.run_for(1)
    picture = h.device("cam").debug_frame()
    assert picture.dtype == np.uint8 and picture.shape == (480, 640, 3)
    assert tuple(picture[360, 400]) == (0, 255, 255)       # the plinth's bottom edge, yellow
    plain = MARKER_7.frame(1.0)
    marker_outline = np.argwhere(np.all(picture == (255, 0, 255), axis=2))
    assert len(marker_outline) > 100 and not np.all(plain == (255, 0, 255), axis=2).any()


def test_no_frame_is_stored_unless_save_frames_is_set(harness, tmp_path):
    private = watch(harness, camera_toml(trigger("marker")), MARKER_7, 2)
    folder = private.installation.folder
    assert seen(private, "cam.marker_placed")
    assert [p.name for p in folder.rglob("*") if p.suffix in (".jpg", ".png", ".avi")] == []

    saving = watch(harness, camera_toml(trigger("marker"), options='save_frames = "shots"'),
                   MARKER_7, 2)
    shots = list((saving.installation.folder / "shots").glob("*.jpg"))
    assert len(shots) == 1 and "cam-marker_placed" in shots[0].name
    assert cv2.imread(str(shots[0])).shape == (480, 640, 3)


def test_debug_window_without_a_display_says_so_once_and_keeps_watching(harness, caplog):
    from museokit.core.config import load_installation
    from museokit.core.runtime import Runtime

    h = harness(camera_toml(trigger("marker"), options="debug_window = true\nfps = 20"))
    runtime = Runtime(load_installation(h.installation.folder), backend_override="sim")
    events: list[str] = []
    runtime.bus.tap(lambda e: events.append(e.key), name="test recorder")
    runtime.start()
    runtime.devices["cam"].use_source(GeneratedSource(MARKER_7.frame, fps=30))
    loop_thread = threading.Thread(target=runtime.loop.run_forever, daemon=True)
    with caplog.at_level(logging.WARNING, logger="museokit.vision"):
        loop_thread.start()
        try:
            assert settle(lambda: "cam.marker_placed" in events, timeout=10.0)
        finally:
            runtime.stop()
            loop_thread.join(5)
            runtime.close()
    windows = [r.getMessage() for r in caplog.records if "debug_window" in r.getMessage()]
    assert len(windows) == 1 and "opencv-python" in windows[0]


def test_sim_source_replaces_source_in_the_simulator(harness, tmp_path):
    write_video(tmp_path / "visitor.avi", MARKER_7.frame, seconds=2)
    toml = camera_toml(trigger("marker"), options=f'sim_source = "{tmp_path / "visitor.avi"}"')
    h = harness(toml)
    h.run_for(1.5)
    assert [v for _, v in seen(h, "cam.marker_placed")] == [7]


def test_a_video_file_loops_and_serves_the_frame_for_each_moment(tmp_path):
    path = write_video(tmp_path / "count.avi", lambda t: np.full((48, 64, 3), round(t * 100),
                                                                 np.uint8), seconds=2, fps=10)
    source = VideoFileSource(path)
    source.open()
    levels = [int(source.frame_at(t).mean() + 0.5) for t in (0.0, 0.5, 1.9, 2.0, 2.5, 0.1)]
    source.close()
    expected = [0, 50, 190, 0, 50, 10]   # looped at 2 s, and back to 0.1 s (MJPEG: +-2)
    assert all(abs(a - b) <= 2 for a, b in zip(levels, expected, strict=True)), levels


def test_sources_are_chosen_from_the_installation_file(tmp_path):
    assert open_source(0, tmp_path, (640, 480)).name == "webcam 0"
    assert open_source("usb:2", tmp_path, (640, 480)).name == "webcam 2"
    assert open_source("/dev/video1", tmp_path, (640, 480)).name == "webcam /dev/video1"
    assert open_source("picamera", tmp_path, (640, 480)).name == "Pi camera"
    video = open_source("clips/a.mp4", tmp_path, (640, 480))
    assert isinstance(video, VideoFileSource) and video.path == tmp_path / "clips/a.mp4"


def test_latest_frame_keeps_only_the_newest_and_counts_the_dropped():
    slot = LatestFrame()
    for i in range(3):
        slot.put(i, float(i))
    assert slot.take(timeout=0) == (2, 2.0)
    assert slot.dropped == 2
    assert slot.take(timeout=0) is None
    slot.put(3, 3.0)
    assert slot.take(timeout=0) == (3, 3.0) and slot.dropped == 2
