"""Nodes and broker settings in the installation file, on the command line and in the env."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

from museokit.core.config import InstallationError
from museokit.net.outbox import Outbox
from museokit.net.remote import RemoteDevice, for_node, remote_class
from museokit.net.settings import ENV_BROKER, plan, resolve
from tests.conftest import REPO, device

TWO_ROOMS = REPO / "installations/two-rooms"
NODES = '[installation]\nname = "t"\nnode = "hall"\n\n[[nodes]]\nid = "hall"\n\n[[nodes]]\nid = "door"\n\n'


def problem(installation, toml: str):
    with pytest.raises(InstallationError) as info:
        installation(toml)
    [issue] = info.value.issues
    return issue


@pytest.mark.parametrize(("toml", "path", "says"), [
    (NODES + device("bell", "button", 'node = "dor"'), "devices[0].node", "did you mean 'door'"),
    ('[[devices]]\nid = "bell"\nkind = "button"\nnode = "door"\n', "devices[0].node",
     'declare it: [[nodes]] id = "door"'),
    ('[installation]\nnode = "lobby"\n[[nodes]]\nid = "hall"\n', "installation.node",
     "not declared in [[nodes]]"),
    ('[[nodes]]\nid = "hall"\n[[nodes]]\nid = "hall"\n', "nodes[1].id", "duplicate node"),
    ('[[nodes]]\ndescription = "x"\n', "nodes[0]", "node without an id"),
    ('[[nodes]]\nid = "hall"\ncolour = 1\n', "nodes[0].colour", "unknown key"),
    ('[broker]\nurl = "http://x"\n', "broker.url", "must start with mqtt://"),
    ('[broker]\nurl = "mqtt://:1883"\n', "broker.url", "has no host"),
    ('[broker]\nurl = "mqtt://host:99999"\n', "broker.url", "out of range"),
    ('[broker]\nqueue_limit = 100000\n', "broker.queue_limit", "from 1 to 60000"),
    ('[broker]\ndiscovery = "yes"\n', "broker.discovery", "true or false"),
    ('[broker]\nurll = "mqtt://x"\n', "broker.urll", "did you mean 'url'"),
])
def test_bad_node_and_broker_settings_name_the_line_and_the_fix(installation, toml, path, says):
    issue = problem(installation, toml)
    assert issue.path == path and issue.line is not None
    assert says in str(issue)


def test_the_lead_runs_everything_and_sees_other_nodes_devices_as_remote(installation):
    inst = installation(NODES + device("bell", "button", 'node = "door"') + device("lamp", "led")
                        + '[[rules]]\nwhen = "bell.pressed"\ndo = "lamp.on"\n')
    assert inst.node == "hall" and inst.node_of(inst.device("bell")) == "door"
    hall = for_node(inst, "hall")
    bell = hall.device("bell")
    assert bell.backend == "mqtt" and issubclass(bell.cls, RemoteDevice)
    assert hall.device("lamp").backend is None and hall.rules
    door = for_node(inst, "door")
    assert [d.id for d in door.devices] == ["bell"] and not door.rules and door.node == "door"
    with pytest.raises(ValueError, match="node 'attic' is not declared"):
        for_node(inst, "attic")


def test_remote_devices_keep_the_kind_events_and_command_signatures():
    from museokit.devices.led import Led

    proxy = remote_class(Led)
    assert proxy is remote_class(Led) and proxy.kind == "led" and proxy.events == Led.events
    assert set(proxy.commands) == set(Led.commands)
    for name, method in Led.commands.items():
        assert inspect.signature(proxy.commands[name]) == inspect.signature(method)


def test_broker_comes_from_flag_then_environment_then_file(installation, monkeypatch, tmp_path):
    inst = installation('[broker]\nurl = "mqtt://file-host"\n' + device("lamp", "led"))
    monkeypatch.delenv(ENV_BROKER, raising=False)
    assert resolve(inst, "main").url.host == "file-host"  # type: ignore[union-attr]
    monkeypatch.setenv(ENV_BROKER, "mqtts://u:p%40ss@env-host")
    url = resolve(inst, "main").url  # type: ignore[union-attr]
    assert (url.host, url.port, url.username, url.password, url.tls) == ("env-host", 8883, "u", "p@ss", True)
    assert str(url) == "mqtts://u@env-host:8883"  # no password in logs
    assert resolve(inst, "main", broker="mqtt://flag-host:1").url.host == "flag-host"  # type: ignore[union-attr]
    monkeypatch.setenv(ENV_BROKER, "tcp://nope")
    with pytest.raises(ValueError, match=r"MUSEOKIT_BROKER: .*must start with mqtt://"):
        resolve(inst, "main")


def test_without_a_broker_every_node_runs_here_and_node_alone_is_refused(installation, monkeypatch):
    monkeypatch.delenv(ENV_BROKER, raising=False)
    inst = installation(NODES + device("bell", "button", 'node = "door"'))
    assert plan(inst, None) == (inst, None)
    with pytest.raises(ValueError, match="--node door: a node needs a broker"):
        plan(inst, "door")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "museokit.cli", *args], capture_output=True, text=True,
                          timeout=30, env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})})


@pytest.mark.subprocess
def test_cli_refuses_a_bad_broker_address_and_an_unknown_node(tmp_path):
    bad = run_cli("run", str(TWO_ROOMS), "--broker", "localhost:1883")
    assert bad.returncode == 1 and "--broker: broker address 'localhost:1883' must start with mqtt://" \
        in bad.stderr
    unknown = run_cli("sim", str(TWO_ROOMS), "--broker", "mqtt://127.0.0.1:1", "--node", "attic",
                      "--state-dir", str(tmp_path))
    assert unknown.returncode == 1 and "node 'attic' is not declared; nodes: gallery, entrance" \
        in unknown.stderr


@pytest.mark.subprocess
def test_checking_a_two_node_piece_imports_no_paho():
    code = (f"import sys, museokit.cli as c; c.main(['check', {str(TWO_ROOMS)!r}]);"
            "print('paho' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.stdout.strip().endswith("False"), result.stdout + result.stderr


@pytest.mark.subprocess
def test_broker_config_writes_acl_passwords_and_the_tuned_settings(tmp_path):
    result = run_cli("broker", "config", str(TWO_ROOMS), "--dir", str(tmp_path / "b"), "--port", "1884",
                     "--tls-cert", "/etc/c.pem", "--tls-key", "/etc/k.pem")
    assert result.returncode == 0, result.stderr
    conf = (tmp_path / "b/mosquitto.conf").read_text()
    for line in ("set_tcp_nodelay true", "max_queued_messages 100000", "persistence true",
                 "allow_anonymous false", "listener 1884", "listener 8883", "certfile /etc/c.pem"):
        assert line in conf.splitlines()
    acl = (tmp_path / "b/acl").read_text()
    assert "user entrance\ntopic write museokit/two_rooms/entrance/#" in acl
    assert "topic write museokit/two_rooms/entrance/ready/cmd/+" in acl.split("user gallery")[1]
    assert "cmd" not in acl.split("user entrance")[1].split("user ")[0]
    users = [line.split(":")[0] for line in (tmp_path / "b/passwords").read_text().splitlines()]
    assert users == ["museokit-admin", "gallery", "entrance"]
    assert oct((tmp_path / "b/credentials").stat().st_mode & 0o777) == "0o600"
    assert "--broker mqtt://entrance:" in result.stdout


@pytest.mark.subprocess
def test_broker_config_needs_the_installation_for_passwords(tmp_path):
    result = run_cli("broker", "config", "--dir", str(tmp_path / "b"))
    assert result.returncode == 1 and "give the installation folder" in result.stderr


@pytest.mark.subprocess
def test_the_two_room_scenarios_pass_on_one_laptop_without_a_broker():
    result = run_cli("sim", str(TWO_ROOMS), "--scenario", str(TWO_ROOMS / "scenarios"),
                     env={ENV_BROKER: ""})
    assert result.returncode == 0 and "2 passed, 0 failed" in result.stdout, result.stdout + result.stderr


# -- the outbox ---------------------------------------------------------------------------
def test_outbox_keeps_unacked_events_in_order_across_a_restart(tmp_path: Path):
    box = Outbox(tmp_path, limit=100)
    ids = [box.add(f"t/{i}", b'{"seq":%d}' % i) for i in range(5)]
    box.done(ids[1])
    box.done(ids[3])
    box.close()
    again = Outbox(tmp_path, limit=100)
    assert [(t, p) for _, t, p in again.waiting()] == [("t/0", b'{"seq":0}'), ("t/2", b'{"seq":2}'),
                                                       ("t/4", b'{"seq":4}')]
    assert again.add("t/5", b"{}") == 6  # ids go on after the last run's
    again.close()


def test_outbox_writes_each_turn_once_and_a_crash_keeps_the_flushed_turns(tmp_path: Path):
    box = Outbox(tmp_path, limit=100)
    first = [box.add(f"t/{i}", b"{}") for i in range(3)]
    assert box.flush() == 3  # one turn's events, in one write
    box.add("t/3", b"{}")  # its turn has not ended when the node crashes (no flush, no close)
    crashed = Outbox(tmp_path, limit=100)
    assert [(e, t) for e, t, _ in crashed.waiting()] == list(zip(first, ["t/0", "t/1", "t/2"], strict=True))
    crashed.close()
    box.close()


def test_an_event_acked_before_its_turn_ends_never_touches_the_disk(tmp_path: Path):
    box = Outbox(tmp_path, limit=100)
    quick, slow = box.add("t/quick", b"{}"), box.add("t/slow", b"{}")
    assert quick is not None
    box.done(quick)  # the PUBACK beat the end of the turn
    assert box.flush(sync=True) == 1
    assert (tmp_path / "outbox.log").read_bytes() == b"%d t/slow {}\n" % slow
    box.close()
    assert [t for _, t, _ in Outbox(tmp_path, limit=100).waiting()] == ["t/slow"]


def test_outbox_ignores_a_line_cut_short_by_a_crash(tmp_path: Path):
    box = Outbox(tmp_path, limit=10)
    box.add("t/a", b"{}")
    box.close()
    with open(tmp_path / "outbox.log", "ab") as f:
        f.write(b"2 t/b {\"se")  # no newline: the crash came mid-write
    assert [t for _, t, _ in Outbox(tmp_path, limit=10).waiting()] == ["t/a"]


def test_a_full_outbox_drops_new_events_and_says_so_once(tmp_path: Path, caplog):
    box = Outbox(tmp_path, limit=3)
    assert all(box.add("t", b"{}") for _ in range(3))
    assert box.add("t", b"{}") is None and box.add("t", b"{}") is None
    assert box.dropped == 2
    assert len([r for r in caplog.records if "outbox full" in r.getMessage()]) == 1
    box.done(1)
    assert box.add("t", b"{}") is not None
    box.close()
