"""The fleet view: two site Mosquittos bridged (by `museokit broker config --bridge`) to a
central third, a third site straight on the central one; the dashboard reads only the
central broker's retained topics. One site's broker is killed: that site, and only it,
shows unreachable. In real headless Chromium."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from museokit.cli import main
from museokit.core.config import load_installation
from museokit.core.nodes import parse_broker_url
from museokit.core.opsconfig import DashboardConfig
from museokit.dashboard.feeds import MqttFeed
from museokit.dashboard.server import Dashboard
from museokit.net.bridge import state_topic
from museokit.net.broker import write_config
from tests.conftest import write_installation
from tests.dash_fixtures import SHOTS
from tests.net_fixtures import Broker, Node, Observer, free_port, wait_for

SITE = """
[installation]
name = "{name}"
site = "{site}"
backend = "sim"

[[nodes]]
id = "hall"

[[nodes]]
id = "room"

[[devices]]
id = "door"
kind = "button"
pin = 17

[[devices]]
id = "lamp"
kind = "led"
node = "room"
pin = 18
"""


def site(tmp_path: Path, name: str) -> Path:
    return write_installation(tmp_path / name, SITE.format(name=name.title(), site=name))


def bridged_broker(tmp_path: Path, folder: Path, central: Broker) -> Broker:
    broker = Broker(tmp_path / f"broker-{folder.name}")
    broker.files = write_config(broker.files.folder, inst=load_installation(folder),
                                port=broker.port, bind="127.0.0.1", auth=False, autosave=1,
                                bridge=central.url)
    broker.start()
    return broker


def test_broker_config_writes_the_bridge(tmp_path: Path, capsys: Any) -> None:
    folder = site(tmp_path, "museum_a")
    assert main(["broker", "config", str(folder), "--dir", str(tmp_path / "b"), "--no-auth",
                 "--bridge", "mqtt://fleet:secret@central.example:1884"]) == 0
    conf = (tmp_path / "b" / "mosquitto.conf").read_text()
    for line in ("connection museokit-museum_a", "address central.example:1884",
                 "topic museokit/museum_a/# out 1", "notifications true",
                 "notification_topic museokit/museum_a/_bridge/state",
                 "remote_username fleet", "remote_password secret"):
        assert line in conf.splitlines(), line
    assert main(["broker", "config", "--dir", str(tmp_path / "c"), "--no-auth",
                 "--bridge", "mqtt://central"]) == 1
    assert "give the installation folder" in capsys.readouterr().err
    assert main(["broker", "config", str(folder), "--dir", str(tmp_path / "d"), "--no-auth",
                 "--bridge", "http://central"]) == 1
    assert "--bridge" in capsys.readouterr().err


def test_one_page_shows_three_sites_and_a_dead_site_broker(
        tmp_path: Path, own_broker: Callable[..., Broker], node: Callable[..., Node],
        browser: Any) -> None:
    central = own_broker()
    folders = [site(tmp_path, name) for name in ("museum_a", "museum_b", "museum_c")]
    site_a = bridged_broker(tmp_path, folders[0], central)
    site_b = bridged_broker(tmp_path, folders[1], central)
    try:
        for folder, url in zip(folders, (site_a.url, site_b.url, central.url), strict=True):
            node(folder, url, "hall")
            node(folder, url, "room")
        alarm = Observer(site_b.port, [])
        alarm.client.publish("museokit/museum_b/hall/alert/disk", json.dumps(
            {"since": 1.0, "severity": "critical", "text": "disk 97 % full <b>",
             "fix": "delete old logs"}), qos=1, retain=True).wait_for_publish(5)
        dash = Dashboard(tmp_path / "fleet", DashboardConfig(port=free_port()), title="Fleet")
        feed = MqttFeed(parse_broker_url(central.url), dash.handoff)
        assert dash.start()
        feed.start()
        try:
            password = dash.accounts.add("lea", "viewer")
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(dash.url + "/login")
            page.fill("input[name=user]", "lea")
            page.fill("input[name=password]", password)
            page.click("form.login button")
            page.goto(dash.url + "/fleet")
            for name in ("museum_a", "museum_b", "museum_c"):
                for n in ("hall", "room"):
                    page.wait_for_selector(f'[data-node="{name}/{n}"].up')
                page.wait_for_selector(f'[data-site="{name}"].up')
            assert "disk 97 % full <b>" in page.inner_text('[data-site="museum_b"]')
            page.screenshot(path=str(SHOTS / "dashboard-fleet.png"), full_page=True)

            site_a.stop(signal.SIGKILL)   # museum A's broker dies
            page.wait_for_selector('[data-site="museum_a"].down', timeout=20_000)
            assert "site unreachable" in page.inner_text('[data-site="museum_a"]')
            assert page.query_selector('[data-site="museum_b"].up')
            assert page.query_selector('[data-site="museum_c"].up')
            page.screenshot(path=str(SHOTS / "dashboard-fleet-site-down.png"), full_page=True)
            watcher = Observer(central.port, [state_topic("museum_a")])
            wait_for(lambda: watcher.last(state_topic("museum_a")) == b"0",
                     what="the bridge's last will on the central broker")
            watcher.close()
            page.close()
        finally:
            feed.close()
            dash.stop()
            alarm.close()
    finally:
        site_b.stop()
        site_a.stop()
