"""Multi-node logging through the real Mosquitto: `museokit run` on two nodes (simulated
devices), each logging by default; the lead's log holds every node's events."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from museokit.ops.interactions import LogError, read_events, read_runs
from tests.conftest import REPO
from tests.net_fixtures import MUSEOKIT, WAIT, Broker, Observer, wait_for

TWO_ROOMS = REPO / "installations" / "two-rooms"
PREFIX = "museokit/two_rooms"


def _events(path: Path) -> list[tuple[str, str, str]]:
    try:
        return [(e.node, e.device, e.name) for e in read_events(path)]
    except LogError:
        return []  # not written yet


def test_the_lead_logs_every_nodes_events(own_broker: Callable[..., Broker], tmp_path: Path) -> None:
    # A broker of its own: the nodes' retained state and persistent sessions stay out of the
    # session broker that test_net_link.py uses with the same installation.
    mosquitto = own_broker()
    obs = Observer(mosquitto.port, [f"{PREFIX}/+/status"])
    procs = []
    try:
        for node in ("entrance", "gallery"):
            procs.append(subprocess.Popen(
                [MUSEOKIT, "run", str(TWO_ROOMS), "--backend", "sim", "--node", node, "--broker",
                 mosquitto.url, "--state-dir", str(tmp_path / node), "--display", "headless"],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        for node in ("entrance", "gallery"):
            wait_for(lambda n=node: obs.last(f"{PREFIX}/{n}/status") == b"online",
                     what=f"node {node} online")
        lead_log = tmp_path / "gallery" / "interactions.sqlite"
        obs.publish(f"{PREFIX}/entrance/start/sim/press", b"")
        wait_for(lambda: ("entrance", "start", "pressed") in _events(lead_log),
                 what=lambda: f"start.pressed in the lead's log: {_events(lead_log)}")
        wait_for(lambda: ("gallery", "states", "show") in _events(lead_log), what="the show logged")
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        outputs = [proc.communicate(timeout=WAIT)[0] for proc in procs]
        obs.close()
    assert all("stopped after" in out for out in outputs), outputs
    lead = _events(tmp_path / "gallery" / "interactions.sqlite")
    entrance = _events(tmp_path / "entrance" / "interactions.sqlite")
    # The lead has the entrance's button (node entrance) and its own states (node gallery).
    assert ("entrance", "start", "pressed") in lead and ("gallery", "states", "show") in lead
    # The entrance logged its own button, and not the lead's states.
    assert ("entrance", "start", "pressed") in entrance
    assert not any(device == "states" for _, device, _ in entrance)
    for node in ("entrance", "gallery"):
        runs = read_runs(tmp_path / node / "interactions.sqlite")
        assert [r.node for r in runs] == [node] and runs[0].stopped is not None
