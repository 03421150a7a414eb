"""A node's link against a real Mosquitto: contract topics, remote devices, commands, sim."""

from __future__ import annotations

import json
import logging
import socket
import subprocess

import pytest

from museokit.core.config import load_installation
from museokit.core.runtime import Runtime
from museokit.net.link import Link
from museokit.net.remote import simulated
from museokit.net.settings import plan
from tests.conftest import REPO, write_installation
from tests.net_fixtures import WAIT, wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
PREFIX = "museokit/two_rooms"


def state_of(obs, topic: str) -> dict:
    payload = obs.last(topic)
    return json.loads(payload) if payload else {}


def test_a_node_announces_itself_and_publishes_events_and_state(mosquitto, node, observer):
    obs = observer([f"{PREFIX}/entrance/#"])
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    wait_for(lambda: obs.last(f"{PREFIX}/entrance/status") == b"online", what="status online")
    meta = json.loads(wait_for(lambda: obs.last(f"{PREFIX}/entrance/meta"), what="meta"))
    assert meta["node"] == "entrance" and set(meta["devices"]) == {"start", "ready"}
    assert meta["devices"]["start"]["kind"] == "button"
    assert "blink" in meta["devices"]["ready"]["commands"]

    entrance.on_loop(entrance.runtime.simulate, "start", "press")
    pressed = json.loads(wait_for(lambda: obs.last(f"{PREFIX}/entrance/start/event/pressed"),
                                  what="the pressed event"))
    assert set(pressed) == {"ts", "value", "seq", "state"} and pressed["value"] is None
    assert pressed["state"]["pressed"] is True  # the state changed with the event: it rides along
    wait_for(lambda: state_of(obs, f"{PREFIX}/entrance/start/state").get("pressed"),
             what="the pressed state")
    # Events first, then the retained state of the turn (the event is what a receiver waits for).
    order = [t for t, _, _ in obs.messages if t.startswith(f"{PREFIX}/entrance/start/")]
    assert order[-2:] == [f"{PREFIX}/entrance/start/event/pressed", f"{PREFIX}/entrance/start/state"]


def test_status_meta_and_state_are_retained(mosquitto, node, observer):
    node(TWO_ROOMS, mosquitto.url, "entrance")
    late = observer([f"{PREFIX}/entrance/status", f"{PREFIX}/entrance/meta",
                     f"{PREFIX}/entrance/+/state"])
    wait_for(lambda: {t for t, _, retained in late.messages if retained} >= {
        f"{PREFIX}/entrance/status", f"{PREFIX}/entrance/meta", f"{PREFIX}/entrance/start/state",
        f"{PREFIX}/entrance/ready/state"}, what="retained status, meta and states")


def test_the_client_socket_has_tcp_nodelay(mosquitto, node):
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    sock = entrance.link.client.socket()
    assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1


def test_a_button_on_one_node_starts_the_show_on_the_other(mosquitto, node, observer):
    obs = observer([f"{PREFIX}/#"])
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    gallery = node(TWO_ROOMS, mosquitto.url)  # the lead
    devices = gallery.runtime.devices
    wait_for(lambda: devices["start"].is_online, what="the entrance's button online at the gallery")
    # The rule that ran at start (ready.pulse) was held until the entrance came online.
    wait_for(lambda: entrance.runtime.devices["ready"].label == "pulsing", what="ready pulsing")

    entrance.on_loop(entrance.runtime.simulate, "start", "press")
    wait_for(lambda: gallery.runtime.current_state() == "show", what="the show to start")
    wait_for(lambda: devices["spot"].label == "on", what="the spotlight")
    wait_for(lambda: entrance.runtime.devices["ready"].label == "off", what="ready off (remote cmd)")
    assert obs.on(f"{PREFIX}/entrance/ready/cmd/off") == [b"[]"]
    # The remote button's state mirrors the entrance's.
    wait_for(lambda: devices["start"].state.get("pressed") is True, what="mirrored state")


def test_a_behaviour_reads_a_remote_button_and_lamp_like_local_ones(mosquitto, node):
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    gallery = node(TWO_ROOMS, mosquitto.url)
    start, ready = gallery.runtime.devices["start"], gallery.runtime.devices["ready"]
    wait_for(lambda: start.is_online, what="the entrance's button online at the gallery")
    assert (start.is_pressed, start.is_active, start.value) == (False, False, 0)
    wait_for(lambda: ready.is_lit, what="the entrance's lamp pulsing, read at the gallery")
    seen: list[tuple[str, bool, int]] = []
    for name in ("pressed", "released"):  # what a handler reads when the remote event arrives
        gallery.on_loop(gallery.runtime.bus.subscribe, f"start.{name}",
                        lambda e: seen.append((e.name, start.is_pressed, start.value)))
    entrance.on_loop(entrance.runtime.simulate, "start", "press")
    wait_for(lambda: seen, what="start.pressed at the gallery")
    assert start.is_pressed and start.is_active
    entrance.on_loop(entrance.runtime.simulate, "start", "release")
    wait_for(lambda: len(seen) == 2, what="start.released at the gallery")
    assert seen == [("pressed", True, 1), ("released", False, 0)]
    # The show turned the entrance's lamp off (a remote command); the gallery reads it off.
    wait_for(lambda: not ready.is_lit and ready.value == 0.0, what="the lamp off, read at the gallery")


def test_remote_devices_go_offline_with_their_node_and_come_back(mosquitto, node, tmp_path):
    gallery = node(TWO_ROOMS, mosquitto.url)
    seen: list[str] = []
    gallery.on_loop(gallery.runtime.bus.subscribe, "start.*line", lambda e: seen.append(e.name))
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    wait_for(lambda: seen == ["online"], what="start.online")
    entrance.stop()  # a clean stop says offline; a crash lets the broker send the last will
    wait_for(lambda: seen == ["online", "offline"], what="start.offline")
    assert not gallery.runtime.devices["start"].is_online
    node(TWO_ROOMS, mosquitto.url, "entrance")
    wait_for(lambda: seen == ["online", "offline", "online"], what="start.online again")


def test_mosquitto_pub_plays_a_visitor_and_sends_a_command(mosquitto, node):
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    pub = ["mosquitto_pub", "-p", str(mosquitto.port), "-q", "1"]
    subprocess.run([*pub, "-t", f"{PREFIX}/entrance/start/sim/press", "-n"], check=True, timeout=WAIT)
    wait_for(lambda: entrance.runtime.devices["start"].is_pressed, what="the press")
    subprocess.run([*pub, "-t", f"{PREFIX}/entrance/ready/cmd/blink", "-m", '{"n": 2}'],
                   check=True, timeout=WAIT)
    wait_for(lambda: entrance.runtime.devices["ready"].label == "blinking", what="blinking")


def test_mosquitto_sub_sees_the_event_topics(mosquitto, node):
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    sub = subprocess.Popen(["mosquitto_sub", "-p", str(mosquitto.port), "-q", "1", "-v", "-C", "2",
                            "-t", f"{PREFIX}/entrance/status", "-t", f"{PREFIX}/entrance/start/event/+"],
                           stdout=subprocess.PIPE, text=True)
    assert sub.stdout is not None
    # The retained status arrives first: from then on mosquitto_sub is subscribed.
    assert sub.stdout.readline().strip() == f"{PREFIX}/entrance/status online"
    entrance.on_loop(entrance.runtime.simulate, "start", "press")
    topic, payload = sub.stdout.readline().strip().split(" ", 1)
    assert sub.wait(WAIT) == 0
    assert topic == f"{PREFIX}/entrance/start/event/pressed"
    assert json.loads(payload)["seq"] >= 1


@pytest.mark.parametrize(("topic", "payload", "why"), [
    ("ready/cmd/explode", b"[]", "ready (led) has no command 'explode'"),
    ("ready/cmd/blink", b"{\"n\": \"many\"}", "n: expected a whole number"),
    ("ready/cmd/blink", b"[1, 2, 3, 4, 5]", "usage: blink"),
    ("ready/cmd/on", b"{not json", "payload is not JSON"),
    ("ready/cmd/on", b"x" * 5000, "over the 4096-byte limit"),
    ("ready/cmd/on", b'{"__class__": 1}', "is not a name"),
    ("ready/cmd/on", b'[{"a": 1}]', "is a table"),
    ("nobody/cmd/on", b"[]", "no device 'nobody'"),
    ("ready/sim/press", b"", "ready (led) cannot 'press'"),
    ("start/sim/press", b"\x00\x01", "control characters"),
])
def test_bad_commands_are_refused_in_one_log_line(mosquitto, node, observer, caplog, topic,
                                                  payload, why):
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    obs = observer([])
    before = entrance.runtime.devices["ready"].state
    with caplog.at_level(logging.WARNING, logger="museokit.net"):
        obs.publish(f"{PREFIX}/entrance/{topic}", payload)
        wait_for(lambda: entrance.link.refused == 1, what="the refusal")
    [line] = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert why in line and f"{PREFIX}/entrance/{topic}" in line and "\n" not in line
    assert entrance.runtime.devices["ready"].state == before
    assert entrance.runtime.bus.stats.errors == 0


def test_an_event_whose_state_is_not_an_object_is_refused(mosquitto, node, observer, caplog):
    gallery = node(TWO_ROOMS, mosquitto.url)
    seen: list[str] = []
    gallery.on_loop(gallery.runtime.bus.subscribe, "start.pressed", lambda e: seen.append(e.name))
    with caplog.at_level(logging.WARNING, logger="museokit.net"):
        observer([]).publish(f"{PREFIX}/entrance/start/event/pressed", b'{"seq": 1, "ts": 1, "state": 5}')
        wait_for(lambda: gallery.link.refused == 1, what="the refusal")
    assert any('"state" must be a JSON object' in r.getMessage() for r in caplog.records)
    assert seen == [] and not gallery.runtime.devices["start"].is_pressed


def test_commands_to_a_device_on_another_node_are_not_run_here(mosquitto, node, observer):
    gallery = node(TWO_ROOMS, mosquitto.url)
    obs = observer([])
    obs.publish(f"{PREFIX}/gallery/ready/cmd/on", b"[]")  # ready lives on the entrance
    wait_for(lambda: gallery.link.refused == 1, what="the refusal")


def test_a_wrong_password_is_reported_and_the_node_keeps_trying(own_broker, tmp_path, caplog):
    folder = write_installation(tmp_path / "solo", '[[devices]]\nid = "lamp"\nkind = "led"\n')
    broker = own_broker(inst=load_installation(folder), auth=True)
    inst, settings = plan(load_installation(folder), None, state_dir=str(tmp_path / "state"),
                          broker=f"mqtt://main:wrong@127.0.0.1:{broker.port}")
    runtime = Runtime(simulated(inst))
    link = Link(runtime, settings)
    runtime.start()
    with caplog.at_level(logging.ERROR, logger="museokit.net"):
        link.start()
        wait_for(lambda: any("refused node main" in r.getMessage() for r in caplog.records),
                 what="the refusal in the log")
    assert not link.connected
    link.close()
    runtime.close()

