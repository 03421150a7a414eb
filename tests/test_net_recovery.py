"""Nothing lost: node processes across a broker restart, an outage and a node restart.

Visitors are typed into the door node's console (`tag reader N`), so each event
carries its number; the hall node (the lead, another process) prints every
event it receives. Each test checks that the hall saw every number exactly once
and in order, and that availability went offline and came back by itself.

An outage lasts until both nodes have noticed it and the door node has queued
every visitor, not the 30 s of the issue: with the broker process gone the TCP
connections close at once, so a node notices immediately either way, and
reconnects within paho's back-off (0.25 s doubling to at most 2 s). A longer
outage only adds more of the same back-off waits. The tests wait on what the
nodes print and write, never for a fixed time.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import write_installation
from tests.net_fixtures import wait_for

TOML = """\
[installation]
name = "recovery"
site = "rec"
node = "hall"

[[nodes]]
id = "hall"

[[nodes]]
id = "door"

[[devices]]
id = "reader"
kind = "tag_reader"
node = "door"
removal_delay = 0

[[devices]]
id = "lamp"
kind = "led"
"""
RECOVER = 15.0


@pytest.fixture
def piece(tmp_path: Path) -> Path:
    return write_installation(tmp_path / "recovery", TOML)


@pytest.fixture
def two_nodes(own_broker, node_process, piece):
    """A broker of the test's own, the hall (lead) and the door node, both connected."""
    broker = own_broker()
    hall = node_process(piece, broker.url, "hall")
    door = node_process(piece, broker.url, "door")
    wait_for(lambda: hall.find(r"reader\.online"), what="the door node online at the hall")
    return broker, hall, door


def visitors(door, numbers) -> None:
    for n in numbers:
        door.type(f"tag reader {n}")
        time.sleep(0.01)


def seen_at_door(door) -> int:
    """How many tags the door node has seen itself (it prints each of its events)."""
    return len(door.find(r"reader\.placed"))


def journalled(door) -> int:
    """Tags in the door node's outbox journal (written at the end of each loop turn; acked
    ones stay in it until it is compacted, far beyond these tests)."""
    try:
        return (door.state_dir / "outbox.log").read_bytes().count(b"/reader/event/placed ")
    except FileNotFoundError:
        return 0


def saved_since(broker, moment: float) -> bool:
    """The broker wrote its persistence file (sessions, queues) after `moment`."""
    try:
        return (broker.log.parent / "data" / "mosquitto.db").stat().st_mtime > moment
    except FileNotFoundError:
        return False


def received(hall) -> list[int]:
    return [int(m.group(1)) for line in list(hall.lines)
            if (m := re.search(r"reader\.placed (\d+)$", line))]


def all_received(hall, count: int) -> None:
    wait_for(lambda: len(received(hall)) >= count, RECOVER,
             what=lambda: f"{count} tags at the hall; got {received(hall)[-5:]}\n{hall.text[-3000:]}")
    assert received(hall) == list(range(1, count + 1))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["stopped", "killed"])
def test_broker_restart_mid_run_loses_nothing_and_status_recovers(two_nodes, sig):
    broker, hall, door = two_nodes
    visitors(door, range(1, 21))
    all_received(hall, 20)

    # A crashed broker keeps what it saved: let it save the sessions once (every 1 s here).
    delivered = time.time()
    wait_for(lambda: saved_since(broker, delivered), what="the broker to save its sessions")
    broker.stop(sig)  # between visitors: one in flight at a kill -9 may be lost (see README)
    wait_for(lambda: hall.find(r"reader\.offline"), what="the reader offline at the hall")
    visitors(door, range(21, 41))  # these wait in the door node's outbox
    wait_for(lambda: journalled(door) >= 40, what="tags 21-40 in the door node's outbox")
    broker.start()
    all_received(hall, 40)
    wait_for(lambda: len(hall.find(r"reader\.online")) == 2, RECOVER, what="the reader online again")
    visitors(door, range(41, 51))
    all_received(hall, 50)


def test_visitors_during_a_broker_outage_arrive_in_order(two_nodes):
    broker, hall, door = two_nodes
    visitors(door, range(1, 11))
    broker.stop()
    visitors(door, range(11, 61))
    wait_for(lambda: door.find(r"lost broker") and hall.find(r"reader\.offline"),
             what="both nodes to notice the broker is gone")
    wait_for(lambda: journalled(door) >= 60, what="tags 11-60 in the door node's outbox")
    broker.start()
    all_received(hall, 60)
    assert len(door.find(r"lost broker")) == 1 and len(hall.find(r"reader\.offline")) == 1


def test_a_node_restarted_while_the_broker_is_away_still_delivers(two_nodes, node_process, piece):
    broker, hall, door = two_nodes
    broker.stop()
    visitors(door, range(1, 31))
    wait_for(lambda: seen_at_door(door) == 30, what="the door node saw 30 tags")
    assert door.stop() == 0  # restarted: the 30 events are only on disk now
    broker.start()
    node_process(piece, broker.url, "door", state_dir=door.state_dir)
    all_received(hall, 30)


def test_a_node_killed_while_the_broker_is_away_still_delivers(two_nodes, node_process, piece):
    """kill -9: no clean close; the events were journalled at the end of their loop turn."""
    broker, hall, door = two_nodes
    broker.stop()
    visitors(door, range(1, 31))
    wait_for(lambda: seen_at_door(door) == 30, what="the door node saw 30 tags")
    wait_for(lambda: journalled(door) == 30, what="the 30 tags journalled at their turns' end")
    door.proc.kill()
    assert door.stop() == -signal.SIGKILL
    broker.start()
    node_process(piece, broker.url, "door", state_dir=door.state_dir)
    all_received(hall, 30)


def test_a_broker_restart_while_visitors_keep_coming(two_nodes):
    """Tags keep arriving while the broker stops and starts (SIGTERM: it saves its queues)."""
    broker, hall, door = two_nodes
    typer = threading.Thread(target=visitors, args=(door, range(1, 301)))
    typer.start()
    wait_for(lambda: len(received(hall)) >= 20, what="the first tags at the hall")
    broker.stop()
    at_stop = seen_at_door(door)
    wait_for(lambda: seen_at_door(door) >= min(at_stop + 20, 300),
             what="more tags at the door while the broker is away")
    broker.start()
    typer.join()
    all_received(hall, 300)
