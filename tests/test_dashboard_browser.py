"""The dashboard in a real headless Chromium (Playwright driving Debian's /usr/bin/chromium),
against two real nodes on a real Mosquitto: log in, watch a device go offline when its node
is killed, test an output, mark the exhibit out of order. Screenshots go to docs/screenshots/.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.core.config import load_installation
from museokit.core.runtime import Runtime
from museokit.dashboard.attach import Served, serve
from museokit.net.link import Link
from museokit.net.remote import simulated
from museokit.net.settings import plan
from tests.conftest import REPO
from tests.dash_fixtures import SHOTS
from tests.net_fixtures import Broker, NodeProcess, free_port, wait_for


def lead_with_dashboard(folder: Path, url: str, state: Path) -> tuple[Runtime, Link, Served]:
    """The lead node of two-rooms in this process, with its dashboard, like `museokit run`."""
    inst, settings = plan(load_installation(folder), None, broker=url, state_dir=str(state))
    assert settings is not None
    runtime = Runtime(simulated(inst))
    link = Link(runtime, settings)
    runtime.start()
    link.start()
    served = serve(runtime, state, power={"reboot": ["true"], "shutdown": ["true"]})
    assert served is not None
    runtime.start_in_thread()
    wait_for(lambda: link.connected, what="the lead to connect")
    return runtime, link, served


def two_rooms(tmp_path: Path) -> Path:
    folder = tmp_path / "two-rooms"
    shutil.copytree(REPO / "installations" / "two-rooms", folder)
    toml = folder / "installation.toml"
    toml.write_text(toml.read_text() + f"\n[dashboard]\nport = {free_port()}\n")
    return folder


def test_staff_log_in_see_a_node_die_test_an_output_and_mark_out_of_order(
        tmp_path: Path, own_broker: Callable[..., Broker],
        node_process: Callable[..., NodeProcess], browser: Any) -> None:
    broker = own_broker()
    folder = two_rooms(tmp_path)
    entrance = node_process(folder, broker.url, "entrance")
    runtime, link, served = lead_with_dashboard(folder, broker.url, tmp_path / "lead")
    try:
        dash = served.dashboard
        password = dash.accounts.add("marie", "technician")
        wait_for(lambda: link.nodes_online.get("entrance"), what="the entrance node online")
        page = browser.new_page(viewport={"width": 390, "height": 844}, locale="fr-FR")
        page.goto(dash.url + "/login")
        page.fill("input[name=user]", "marie")
        page.fill("input[name=password]", password)
        page.click("form.login button")
        page.wait_for_selector('[data-dev="two_rooms/entrance/start"].up')
        assert page.inner_text("h1") == "Two rooms"
        assert "fonctionne" in page.inner_text('[data-dev="two_rooms/entrance/start"]')

        # a visitor presses start on the other node: the row updates live (SSE)
        entrance.type("press start")
        page.wait_for_function(
            "document.querySelector('[data-dev=\"two_rooms/entrance/start\"] .seen')"
            ".dataset.ts > 0")
        page.screenshot(path=str(SHOTS / "dashboard-overview.png"), full_page=True)

        # the entrance Pi dies (kill -9): its devices go offline in the page, by themselves
        entrance.proc.send_signal(signal.SIGKILL)
        page.wait_for_selector('[data-dev="two_rooms/entrance/start"].down', timeout=20_000)
        page.wait_for_selector('[data-node="two_rooms/entrance"].down')
        assert "ne fonctionne pas" in page.inner_text('[data-dev="two_rooms/entrance/ready"]')
        page.screenshot(path=str(SHOTS / "dashboard-node-offline.png"), full_page=True)

        # a technician tests the spotlight relay on the lead node
        page.click('[data-dev="two_rooms/gallery/spot"] form.act button')
        page.wait_for_selector("#toast.show")
        assert "spot" in page.inner_text("#toast") and "pulse" in page.inner_text("#toast")
        wait_for(lambda: runtime.devices["spot"].state.get("label") == "on"
                 or any(r[4] == "test" and r[6] for r in dash.audit.recent()),
                 what="the relay test")
        assert any(r[1] == "marie" and r[4] == "test" and "spot" in r[5]
                   for r in dash.audit.recent())

        # staff mark the exhibit out of order, then back
        page.click("form.ooo button")
        page.wait_for_selector("#mode:not(.hidden)")
        assert "Hors service" in page.inner_text("#mode")
        assert runtime.lockout.paused_by == {"out of order"}
        page.screenshot(path=str(SHOTS / "dashboard-out-of-order.png"), full_page=True)
        page.click("form.ooo button")
        page.wait_for_selector("#mode.hidden", state="attached")
        assert not runtime.lockout.paused_by

        # staff note the broken entrance lamp, with a photo taken on the phone
        import cv2
        import numpy as np

        photo = tmp_path / "lamp.png"
        cv2.imwrite(str(photo), np.full((60, 80, 3), (40, 120, 220), np.uint8))
        page.select_option("form[action='/action/note'] select", "ready")
        page.uncheck("form[action='/action/note'] input[name=working]")
        page.fill("form[action='/action/note'] textarea", "lampe cassée <b>")
        page.click("form[action='/action/note'] button")
        page.wait_for_selector('[data-dev="two_rooms/entrance/ready"] .note')
        assert "lampe cassée <b>" in page.inner_text('[data-dev="two_rooms/entrance/ready"] .note')
        page.select_option("form[action='/action/photo'] select", "ready")
        page.set_input_files("form[action='/action/photo'] input[type=file]", str(photo))
        page.click("form[action='/action/photo'] button")
        page.wait_for_selector('[data-dev="two_rooms/entrance/ready"] img.photo')
        assert page.evaluate("document.querySelector('img.photo').naturalWidth") == 80

        # the connection history has the entrance going offline
        page.goto(dash.url + "/history")
        assert "two_rooms/entrance" in page.inner_text("main")
        page.close()
    finally:
        served.close()
        runtime.stop()
        runtime.join(10)
        link.close()
        runtime.close()
