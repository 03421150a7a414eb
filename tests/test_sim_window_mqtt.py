"""The simulator window of one node over a real Mosquitto: the other node's devices, and its death.

The gallery (the lead of installations/two-rooms) runs in the window under Xvfb,
joined to a Mosquitto of the test's own; the entrance is a `museokit sim --node entrance`
process. Killing that process makes the broker publish its last will, and the
gallery's panel says so.
"""

from __future__ import annotations

import signal
import subprocess

import pytest

from museokit.core.config import load_installation
from museokit.net.remote import simulated
from museokit.net.settings import plan
from museokit.sim.live import LiveSession
from tests.conftest import REPO
from tests.net_fixtures import MUSEOKIT, wait_for
from tests.test_sim_window import Shown, display, xvfb  # noqa: F401 (fixtures)

TWO_ROOMS = REPO / "installations" / "two-rooms"


def gallery_session(url: str, state_dir: str) -> LiveSession:
    inst, settings = plan(load_installation(TWO_ROOMS), None, broker=url, state_dir=state_dir)
    assert settings is not None
    session = LiveSession(simulated(inst), backend_override=None, hot_reload=False)
    session.join_broker(settings)
    return session


def row_colours(shown: Shown, device_id: str) -> set[tuple[int, int, int]]:
    row = next(r for p in shown.window.panels for r in p.rows if r.device.id == device_id)
    return {shown.pixel((x, y)) for x in range(row.rect.left, row.rect.right)
            for y in range(row.rect.top, row.rect.bottom, 2)}


BAD = (235, 80, 72)


@pytest.mark.usefixtures("display")
def test_the_panel_shows_the_other_node_online_then_offline_when_it_dies(own_broker, node_process, tmp_path):
    mosquitto = own_broker()  # its own: the persistent sessions it leaves must not meet other tests
    entrance = node_process(TWO_ROOMS, mosquitto.url, "entrance")
    shown = Shown([gallery_session(mosquitto.url, str(tmp_path / "gallery"))])
    session, panel = shown.sessions[0], shown.window.panels[0]
    start = session.runtime.devices["start"]
    try:
        shown.until(lambda: start.is_online, "the entrance's button online at the gallery")
        shown.until(lambda: panel.status()[1] != BAD, "the panel head without an offline node")
        assert BAD not in row_colours(shown, "start")
        entrance.type("press start")
        shown.until(lambda: start.is_pressed, "the entrance's press mirrored at the gallery")
        assert session.runtime.current_state() == "show"
        # Remote devices are shown, not played here: no control of the gallery presses them.
        assert not any(c.name.startswith("start") for c in shown.window.controls())

        entrance.proc.send_signal(signal.SIGKILL)  # no goodbye: the broker sends its last will
        shown.until(lambda: not start.is_online, "the entrance offline at the gallery")
        shown.until(lambda: BAD in row_colours(shown, "start"), "the start row drawn in red")
        assert panel.status() == ("running · node entrance offline", BAD)
        assert BAD in row_colours(shown, "ready")
        shown.shoot("two-rooms-entrance-died")
    finally:
        shown.close()


def test_closing_the_session_takes_the_node_off_the_broker(own_broker, observer, tmp_path):
    mosquitto = own_broker()
    status = "museokit/two_rooms/gallery/status"
    obs = observer([status], port=mosquitto.port)
    session = gallery_session(mosquitto.url, str(tmp_path / "gallery"))
    session.start()
    wait_for(lambda: obs.last(status) == b"online", what="the gallery online")
    session.close()
    wait_for(lambda: obs.last(status) == b"offline", what="the gallery offline after close")


@pytest.mark.usefixtures("display")
def test_museokit_sim_with_a_broker_opens_the_window(own_broker, tmp_path):
    mosquitto = own_broker()
    result = subprocess.run([MUSEOKIT, "sim", str(TWO_ROOMS), "--broker", mosquitto.url, "--node",
                             "entrance", "--state-dir", str(tmp_path), "--for", "1"],
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "node entrance on broker mqtt://127.0.0.1" in result.stdout
    assert "in the simulator window (close the window to stop)" in result.stdout
