"""The simulator window under Xvfb: real X input (xdotool) and injected keys drive the piece."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pygame
import pytest

from museokit.core.config import load_installation
from museokit.media import samples
from museokit.sim.live import LiveSession
from museokit.sim.window import SimWindow
from tests.conftest import REPO, device, write_installation
from tests.external import needs, starting
from tests.sim_live_helpers import LAMP_ON, PIECE, label, save
from tests.test_cli import MUSEOKIT

HELLO = REPO / "installations" / "hello-button"
SHOTS = Path(os.environ.get("MUSEOKIT_TEST_SCREENSHOTS", "/tmp/museokit-test-screenshots"))

#: The editable piece plus one device of every other kind.
EVERY_KIND = (PIECE + device("pir", "motion", "pin = 4") + device("knob", "analog")
              + device("reader", "tag_reader", 'tags = {"04A3B2" = "owl"}')
              + device("ring", "pixels", "pin = 20\ncount = 12") + device("fan", "relay", "pin = 5")
              + device("arm", "servo", "pin = 13") + device("beeper", "buzzer", "pin = 12")
              + device("eye", "rgb_led", "red = 16\ngreen = 21\nblue = 26"))


def _answers(display: str) -> bool:
    return subprocess.run(["xdotool", "getmouselocation"], env={**os.environ, "DISPLAY": display},
                          capture_output=True).returncode == 0


@pytest.fixture(scope="module")
@needs("xvfb")
def xvfb() -> Iterator[str]:
    """An X server on a free display number (several test runs may share the machine)."""
    starting("xvfb")
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.fail("Xvfb or xdotool is missing: ./dev.sh test installs them (Debian xvfb, xdotool)")
    for number in range(90, 190):
        if Path(f"/tmp/.X{number}-lock").exists() or Path(f"/tmp/.X11-unix/X{number}").exists():
            continue
        display = f":{number}"
        proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                                stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while proc.poll() is None and not _answers(display) and time.monotonic() < deadline:
            time.sleep(0.05)
        if proc.poll() is None and _answers(display):
            yield display
            proc.terminate()
            proc.wait(10)
            return
        proc.kill()  # lost a race for that number: try the next
        proc.wait(10)
    pytest.fail("no free X display number for Xvfb")


@pytest.fixture
def display(xvfb, monkeypatch) -> str:
    monkeypatch.setenv("DISPLAY", xvfb)
    monkeypatch.setenv("SDL_VIDEODRIVER", "x11")
    return xvfb


def xdotool(display: str, *args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, env={**os.environ, "DISPLAY": display}, timeout=10)


class Shown:
    """A window on the Xvfb display, pumped frame by frame by the test."""

    def __init__(self, sessions: list[LiveSession], size: tuple[int, int] = (1100, 700)) -> None:
        self.sessions = sessions
        self.window = SimWindow(sessions, size=size)
        for session in sessions:
            session.start()
        self.window.open()
        self.window.frame()

    def until(self, condition, what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            self.window.frame()
            if condition():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            time.sleep(0.02)

    def pixel(self, pos: tuple[int, int]) -> tuple[int, int, int]:
        return tuple(self.window.screen.get_at(pos))[:3]

    def key(self, key: int, text: str = "", mod: int = 0) -> None:
        pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=key, unicode=text, mod=mod))
        pygame.event.post(pygame.event.Event(pygame.KEYUP, key=key, unicode=text, mod=mod))

    def logged(self, text: str) -> bool:
        return any(text in line for _, line in self.window.lines)

    def shoot(self, name: str) -> Path:
        SHOTS.mkdir(parents=True, exist_ok=True)
        path = SHOTS / f"{name}.png"
        pygame.image.save(self.window.screen, str(path))
        return path

    def close(self) -> None:
        self.window.shutdown()
        for session in self.sessions:
            session.close()


def session_of(folder: Path) -> LiveSession:
    return LiveSession(load_installation(folder))


def led_centre(shown: Shown, device_id: str) -> tuple[int, int]:
    row = next(r for p in shown.window.panels for r in p.rows if r.device.id == device_id)
    body = row.body(shown.window.theme)
    return body.left + body.height // 2, body.centery


def test_clicks_on_the_window_press_the_button_and_light_the_lamp(display):
    shown = Shown([session_of(HELLO)])
    session = shown.sessions[0]
    try:
        door = shown.window.control("door button")
        x, y = door.rect.center
        window_id = str(pygame.display.get_wm_info()["window"])
        xdotool(display, "mousemove", "--window", window_id, str(x), str(y), "mousedown", "1")
        shown.until(lambda: label(session, "door") == "pressed", "door pressed by a real click")
        shown.until(lambda: shown.logged("door.pressed"), "door.pressed in the window's log")
        xdotool(display, "mouseup", "1")
        shown.until(lambda: shown.logged("door.released"), "door.released in the log")
        shown.until(lambda: shown.pixel(led_centre(shown, "lamp")) == (255, 214, 90), "the lamp drawn lit")
        shown.shoot("hello-lamp-on")
        xdotool(display, "click", "1")  # engaged now: a second click toggles the lamp off
        shown.until(lambda: label(session, "lamp") == "off", "lamp off")
        shown.until(lambda: shown.pixel(led_centre(shown, "lamp")) == (55, 48, 36), "the lamp drawn dark")
        shown.shoot("hello-lamp-off")
    finally:
        shown.close()


def test_every_control_works_from_the_keyboard(display, tmp_path):
    shown = Shown([session_of(write_installation(tmp_path / "every", EVERY_KIND))])
    session = shown.sessions[0]
    runtime = session.runtime
    try:
        shown.key(pygame.K_2, "2")  # the PIR's shortcut, shown on its pulse button
        shown.until(lambda: shown.logged("pir.motion"), "pir.motion from its shortcut")
        window = shown.window
        while window.focus != "dist slider":
            shown.key(pygame.K_TAB)
            window.frame()
        for _ in range(4):  # from "nobody" at the far end: 200 cm, then 5 cm closer each time
            shown.key(pygame.K_LEFT)
        shown.until(lambda: runtime.devices["dist"].state["distance"] == 185, "the slider at 185 cm")
        while window.focus != "reader card 04A3B2":
            shown.key(pygame.K_TAB)
            window.frame()
        shown.key(pygame.K_RETURN)
        shown.until(lambda: runtime.devices["reader"].state["name"] == "owl", "the owl card on the reader")
        shown.key(pygame.K_F5)  # pause
        shown.until(lambda: session.clock.paused, "the clock paused")
        before = session.clock.monotonic()
        shown.key(pygame.K_F8)  # step
        shown.until(lambda: session.clock.monotonic() == pytest.approx(before + 0.1), "one step")
        shown.key(pygame.K_F6)
        shown.until(lambda: session.clock.rate == 1, "1x again")
        for command in ("fan.on", "arm.angle 45", "ring.fill red", "beeper.play 440", "lamp.on",
                        "eye.color purple"):
            session.command(command)
        shown.until(lambda: (runtime.devices["fan"].label, runtime.devices["arm"].label,
                             runtime.devices["beeper"].label) == ("on", "holding", "playing"),
                    "the outputs to change")
        assert not shown.logged("has no command")
        ring = next(r for r in window.panels[0].rows if r.device.id == "ring").body(window.theme)
        shown.until(lambda: shown.pixel((ring.left + 3, ring.centery)) == (255, 0, 0), "the ring drawn red")
        shown.until(lambda: shown.pixel(led_centre(shown, "eye")) == (128, 0, 255),
                    "the RGB LED drawn in its colour")
        shown.shoot("every-kind")
        shown.key(pygame.K_q, "q", pygame.KMOD_CTRL)
        shown.until(lambda: window.closed, "Ctrl+Q to close the window")
    finally:
        shown.close()


def test_a_broken_save_shows_a_banner_and_the_old_version_keeps_running(display, tmp_path):
    folder = write_installation(tmp_path / "piece", PIECE, LAMP_ON)
    shown = Shown([session_of(folder)])
    session = shown.sessions[0]
    banner = (5, shown.window.bar.bottom + 5)
    try:
        save(folder / "behaviour.py", "def broken(:\n")
        shown.until(lambda: session.error is not None, "the reload to be refused")
        shown.until(lambda: shown.pixel(banner) == (110, 30, 28), "the red banner")
        shown.shoot("reload-refused")
        shown.key(pygame.K_1, "1")  # the old behaviour still lights the lamp
        shown.until(lambda: label(session, "lamp") == "on", "lamp on from the old behaviour")
        save(folder / "behaviour.py", LAMP_ON)
        shown.until(lambda: session.error is None and session.reloads == 1, "the fixed file reloaded")
        shown.until(lambda: shown.pixel(banner) != (110, 30, 28), "the banner gone")
    finally:
        shown.close()


def test_a_node_that_dies_says_so_in_its_panel(display, tmp_path):
    other = write_installation(tmp_path / "other", PIECE.replace('name = "Edit me"',
                                                                  'name = "Other"\nnode = "side"'))
    shown = Shown([session_of(HELLO), session_of(other)])
    main, side = shown.sessions
    try:
        side.runtime.stop()
        shown.until(lambda: side.ended.is_set(), "the side node to end")
        status = [panel.status() for panel in shown.window.panels]
        assert status[1][0] == "node side stopped" and status[1][1] == (235, 80, 72)
        assert status[0][0].startswith("running")
        main.act("door", "press")
        shown.until(lambda: label(main, "door") == "pressed", "the main node still plays")
        shown.shoot("node-died")
    finally:
        shown.close()


def test_closing_the_window_while_recording_ends_cleanly_and_saves(display, tmp_path):
    scenario = tmp_path / "closed.scenario"
    proc = subprocess.Popen([MUSEOKIT, "sim", str(HELLO), "--record", str(scenario)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"})
    try:
        assert proc.stdout is not None
        assert "simulator window" in proc.stdout.readline()
        xdotool(display, "search", "--sync", "--onlyvisible", "--pid", str(proc.pid), ".", "windowfocus")
        xdotool(display, "keydown", "1")  # the door's shortcut, through the X server
        time.sleep(0.3)
        xdotool(display, "keyup", "1")
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)  # closed while recording: it must stop cleanly and save
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "recorded 2 actions" in out and "stopped after" in out and "Traceback" not in err
    text = scenario.read_text()
    assert "press door" in text and "release door" in text
    replayed = subprocess.run([MUSEOKIT, "sim", str(HELLO), "--scenario", str(scenario)],
                              capture_output=True, text=True, timeout=60)
    assert replayed.returncode == 0, replayed.stdout


def test_an_absent_webcam_says_so_where_the_feed_would_be(display, tmp_path):
    folder = tmp_path / "cabinet"
    shutil.copytree(REPO / "installations" / "cabinet-of-curiosities", folder)
    toml = folder / "installation.toml"
    toml.write_text(toml.read_text().replace('"scenarios/make_video.py"', '"scenarios/gone.avi"'))
    shown = Shown([session_of(folder)])
    try:
        camera = shown.sessions[0].runtime.devices["cam"]
        shown.until(lambda: not camera.is_online, "the camera to go offline (its video is not there)")
        area = shown.window.log_rect.top - shown.window.theme.pad - 1  # the camera view ends above the log
        window = shown.window
        pixels = {shown.pixel((x, y)) for x in range(window.body.left, window.body.right, 2)
                  for y in range(area - round(window.body.height * 0.3), area, 2)}
        assert (240, 190, 70) in pixels  # the warning, written in the camera's place
        shown.shoot("camera-absent")
    finally:
        shown.close()


def colours_in(shown: Shown, rect) -> set[tuple[int, int, int]]:
    return {shown.pixel((x, y)) for x in range(rect.left, rect.right, 4)
            for y in range(rect.top, rect.bottom, 4)}


def test_the_projection_shows_what_the_screen_device_draws(display, tmp_path):
    samples.solid_image(tmp_path / "red.png", (64, 36), (220, 30, 30))
    samples.solid_image(tmp_path / "blue.png", (64, 36), (30, 30, 220))
    write_installation(tmp_path, device("door", "button", "pin = 17")
                       + device("screen", "screen", 'attract = ["red.png"]')
                       + '[[rules]]\nwhen = "door.pressed"\ndo = "screen.show blue.png"\n')
    shown = Shown([session_of(tmp_path)])
    try:
        body = shown.window.body
        top = pygame.Rect(body.left, body.top, body.width, body.height // 3)
        shown.until(lambda: (220, 30, 30) in colours_in(shown, top), "the attract picture")
        shown.sessions[0].act("door", "press")
        shown.until(lambda: (30, 30, 220) in colours_in(shown, top), "the picture the rule shows")
        shown.shoot("projection")
    finally:
        shown.close()


def test_the_camera_feed_shows_the_frames_the_camera_watches(display, tmp_path):
    samples.numbered_video(tmp_path / "feed.mp4", 25, size=(160, 120), tint=(0, 200, 0))
    write_installation(tmp_path, device("cam", "camera", 'source = "feed.mp4"\nresolution = [160, 120]')
                       + '[[devices.triggers]]\nkind = "motion"\n')
    shown = Shown([session_of(tmp_path)])
    try:
        camera = shown.sessions[0].runtime.devices["cam"]
        shown.until(lambda: camera.debug_frame() is not None, "the first processed frame")
        window = shown.window
        bottom = window.log_rect.top - window.theme.pad
        area = pygame.Rect(window.body.left, bottom - round(window.body.height * 0.3),
                           window.body.width, round(window.body.height * 0.3))
        shown.until(lambda: any(g > 150 and r < 80 for r, g, _ in colours_in(shown, area)),
                    "green video frames in the camera area")
    finally:
        shown.close()
