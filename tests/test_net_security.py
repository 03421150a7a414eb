"""Bad payloads fuzzed against a running node, and the per-node ACL enforced by Mosquitto."""

from __future__ import annotations

import json
import logging
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from museokit.core.config import load_installation
from museokit.net.payload import PayloadError, command_arguments, sim_argument
from tests.conftest import REPO
from tests.net_fixtures import WAIT, wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
PREFIX = "museokit/two_rooms/entrance"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12)
payloads = st.one_of(
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.binary(min_size=4097, max_size=5000),
    st.sampled_from([b"NaN", b"[Infinity]", b"[[[[1]]]]", b'{"n": 1e999}', b"\xff\xfe", b"[" * 3000]))
topics = st.tuples(st.sampled_from(["ready", "start", "nobody", "READY", "ready/x"]),
                   st.sampled_from(["cmd", "sim"]),
                   st.sampled_from(["on", "blink", "pulse", "brightness", "press", "tag", "__init__",
                                    "run_command", "close", "set_state", "explode"]))


@given(payloads)
def test_command_payloads_parse_or_are_refused_with_a_reason(payload):
    try:
        args, kwargs = command_arguments(payload)
    except PayloadError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert isinstance(args, list) and isinstance(kwargs, dict)


@given(st.binary(max_size=100))
def test_sim_payloads_parse_or_are_refused(payload):
    try:
        arg = sim_argument(payload)
    except PayloadError:
        return
    assert arg is None or (arg.isprintable() and len(arg) <= 64)


@pytest.fixture
def entrance(mosquitto, node, observer):
    """One entrance node and one client for all the examples of a fuzz test (hypothesis runs
    them within one function-scoped fixture)."""
    return node(TWO_ROOMS, mosquitto.url, "entrance"), observer([])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(messages=st.lists(st.tuples(topics, payloads), min_size=1, max_size=8))
def test_fuzzed_messages_never_crash_the_node_or_run_undeclared_commands(entrance, caplog, messages):
    node, obs = entrance
    runtime = node.runtime
    caplog.clear()
    refused_before = node.link.refused
    with caplog.at_level(logging.WARNING, logger="museokit.net"):
        for (device, channel, name), payload in messages:
            obs.publish(f"{PREFIX}/{device}/{channel}/{name}", payload)
        # A known-good command last: once it has run, every message before it was handled.
        marker = "off" if runtime.devices["ready"].label != "off" else "on"
        obs.publish(f"{PREFIX}/ready/cmd/{marker}", b"")
        wait_for(lambda: runtime.devices["ready"].label == marker, what="the marker command")
    refusals = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    # Every refusal is counted; the log shows a few a minute (rate-limited), each bounded.
    assert len(refusals) <= node.link.refused - refused_before
    assert node.link._refusals.total == node.link.refused
    assert all("\n" not in line and len(line) < 600 for line in refusals)
    assert runtime.bus.stats.errors == 0
    assert node.runtime.running and node.link.connected


def pub(broker, user: str, topic: str, payload: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-u", user, "-P",
                           broker.files.credentials[user], "-q", "1", "-t", topic, "-m", payload],
                          capture_output=True, text=True, timeout=WAIT)


def test_acl_a_node_cannot_publish_another_nodes_commands(own_broker, observer, node):
    inst = load_installation(TWO_ROOMS)
    broker = own_broker(inst=inst, auth=True)
    admin = observer(["museokit/#"], port=broker.port, username="museokit-admin",
                     password=broker.files.credentials["museokit-admin"])
    gallery_cmd = "museokit/two_rooms/gallery/spot/cmd/on"
    entrance_cmd = "museokit/two_rooms/entrance/ready/cmd/off"

    assert pub(broker, "entrance", gallery_cmd, "[]").returncode == 0  # accepted, then dropped
    assert pub(broker, "gallery", entrance_cmd, "[]").returncode == 0  # the lead drives ready
    assert pub(broker, "entrance", "museokit/two_rooms/gallery/status", "offline").returncode == 0
    wait_for(lambda: admin.on(entrance_cmd), what="the lead's command")
    assert admin.on(gallery_cmd) == [] and admin.on("museokit/two_rooms/gallery/status") == []

    # The real node, with its own credentials, can announce itself and is refused elsewhere.
    entrance = node(TWO_ROOMS, broker.url_for("entrance"), "entrance")
    wait_for(lambda: admin.last("museokit/two_rooms/entrance/status") == b"online", what="online")
    assert entrance.link.connected
    wrong = subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-u", "entrance", "-P", "nope",
                            "-t", entrance_cmd, "-m", "[]"], capture_output=True, text=True,
                           timeout=WAIT)
    assert wrong.returncode != 0
