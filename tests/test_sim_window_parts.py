"""Touch pads and knobs in the simulator window: real clicks on Xvfb, through xdotool."""

from __future__ import annotations

import pygame

from tests.conftest import device, write_installation
from tests.sim_live_helpers import label
from tests.test_sim_window import Shown, display, session_of, xdotool, xvfb  # noqa: F401

PARTS = device("pads", "touch", "pads = {owl = 0, vase = 3}") + device("knob", "encoder", "a = 5\nb = 6")


def click(shown: Shown, display: str, control: str) -> None:  # noqa: F811
    x, y = shown.window.control(control).rect.center
    window_id = str(pygame.display.get_wm_info()["window"])
    xdotool(display, "mousemove", "--window", window_id, str(x), str(y), "click", "1")


def test_a_pad_is_touched_and_let_go_and_a_knob_turned_by_clicks(display, tmp_path):  # noqa: F811
    shown = Shown([session_of(write_installation(tmp_path / "parts", PARTS))])
    session = shown.sessions[0]
    runtime = session.runtime
    try:
        click(shown, display, "pads pad 3")
        shown.until(lambda: runtime.devices["pads"].touched == ["vase"], "the vase pad touched")
        shown.until(lambda: shown.logged("pads.touched"), "pads.touched in the window's log")
        shown.until(lambda: label(session, "pads") == "touched", "the pads' label")
        click(shown, display, "pads pad 3")
        shown.until(lambda: runtime.devices["pads"].touched == [], "the vase pad let go")
        click(shown, display, "knob turn turn >")
        click(shown, display, "knob turn turn >")
        click(shown, display, "knob turn < turn back")
        shown.until(lambda: runtime.devices["knob"].position == 1, "two steps on, one back")
        shown.until(lambda: shown.logged("knob.rotated"), "knob.rotated in the log")
        shown.shoot("touch-and-knob")
    finally:
        shown.close()
