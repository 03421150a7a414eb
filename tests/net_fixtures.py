"""Real Mosquitto, real MQTT clients and real node processes for the networking tests.

The broker is started from the config `museokit broker config` writes, on a free
loopback port, and stopped by its PID. Nodes run either in this process (a
`Runtime` with its `Link`, the loop on a thread) or as `museokit` processes.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from museokit.core.config import Installation, load_installation
from museokit.core.runtime import Runtime
from museokit.net.broker import mosquitto_command, write_config
from museokit.net.link import Link, client_id
from museokit.net.remote import simulated
from museokit.net.settings import plan
from tests.external import needs, starting

MUSEOKIT = str(Path(sys.executable).with_name("museokit"))
WAIT = 10.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float = WAIT,
             what: str | Callable[[], str] = "") -> Any:
    """Poll `check` until it returns something truthy; fail naming `what` after `timeout`
    (a callable `what` is called then, to show how things ended)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        result = check()
        if result:
            return result
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what() if callable(what) else what or check}")


class Broker:
    """One Mosquitto process on a config written by museokit; restartable, stopped by PID."""

    def __init__(self, folder: Path, *, inst: Installation | None = None, auth: bool = False) -> None:
        self.port = free_port()
        # Saved every second, so a test need not wait long before it may kill the broker.
        self.files = write_config(folder, inst=inst, port=self.port, bind="127.0.0.1", auth=auth,
                                  autosave=1)
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def url_for(self, user: str) -> str:
        return f"mqtt://{user}:{self.files.credentials[user]}@127.0.0.1:{self.port}"

    def start(self) -> None:
        starting("mosquitto")
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(mosquitto_command(self.files.conf), stdout=out,
                                         stderr=subprocess.STDOUT)
        wait_for(self._accepting, what=f"mosquitto on port {self.port} ({self.log})")

    def _accepting(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)
            self.proc.wait(timeout=WAIT)
        self.proc = None


@pytest.fixture(scope="session")
@needs("mosquitto")
def mosquitto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """An anonymous broker for the whole session."""
    broker = Broker(tmp_path_factory.mktemp("mosquitto"))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
@needs("mosquitto")
def own_broker(tmp_path: Path) -> Iterator[Callable[..., Broker]]:
    """A broker of the test's own (to stop, restart, or run with passwords and ACLs)."""
    made: list[Broker] = []

    def make(**kwargs: Any) -> Broker:
        broker = Broker(tmp_path / f"broker{len(made)}", **kwargs)
        broker.start()
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.stop()


class Observer:
    """A plain paho client that records every message on `topics` (the test's eyes)."""

    def __init__(self, url_port: int, topics: list[str], username: str | None = None,
                 password: str | None = None) -> None:
        self.messages: list[tuple[str, bytes, bool]] = []
        self._lock = threading.Lock()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_message = self._on_message
        self.client.on_connect = lambda c, u, f, rc, p: topics and c.subscribe([(t, 1) for t in topics])
        self.client.connect("127.0.0.1", url_port)
        self.client.loop_start()
        wait_for(self.client.is_connected, what="the observer's connection")

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((msg.topic, bytes(msg.payload), bool(msg.retain)))

    def on(self, topic: str) -> list[bytes]:
        with self._lock:
            return [p for t, p, _ in self.messages if t == topic]

    def last(self, topic: str) -> bytes | None:
        found = self.on(topic)
        return found[-1] if found else None

    def publish(self, topic: str, payload: bytes | str, qos: int = 1) -> None:
        self.client.publish(topic, payload, qos=qos).wait_for_publish(WAIT)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def observer(mosquitto: Broker) -> Iterator[Callable[..., Observer]]:
    made: list[Observer] = []

    def make(topics: list[str], port: int | None = None, **kwargs: Any) -> Observer:
        obs = Observer(port or mosquitto.port, topics, **kwargs)
        made.append(obs)
        return obs

    yield make
    for obs in made:
        obs.close()


@dataclass
class Node:
    """An installation node running in this process: real clock, loop on a thread."""

    runtime: Runtime
    link: Link

    def start(self) -> Node:
        """Started, and listening: `connected` comes at CONNACK, before the node subscribes,
        and a command published in between would be lost. The link sets no `on_subscribe`,
        so the test watches paho's for the broker's SUBACK."""
        subscribed = threading.Event()
        self.link.client.on_subscribe = lambda *args: subscribed.set()
        self.runtime.start()
        self.link.start()
        self.runtime.start_in_thread()
        wait_for(subscribed.is_set, what=f"node {self.link.node} to subscribe")
        return self

    def on_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        self.runtime.loop.call_soon_threadsafe(fn, *args)

    def stop(self) -> None:
        if not self.runtime.running:
            return
        self.runtime.stop()
        self.runtime.join(WAIT)
        self.link.close()
        self.runtime.close()


def forget_session(url: str, client_id: str) -> None:
    """Drop the broker's persistent session for `client_id` (a clean-session connect).

    Nodes keep their session across disconnects (that is the broker window), so on
    the session-wide broker a node id would otherwise receive, when a later test
    starts it, the events queued for it while an earlier test's node was gone.
    """
    parts = urlsplit(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    wait_for(client.is_connected, what=f"a clean session for {client_id}")
    client.disconnect()
    client.loop_stop()


def fresh_sessions() -> Callable[[Installation, str], None]:
    """A test's `forget(inst, url)`: forgets each node's old session the first time only."""
    forgotten: set[tuple[str, str]] = set()

    def forget(inst: Installation, url: str) -> None:
        key = (url, client_id(inst.site, inst.node))
        if key not in forgotten:
            forgotten.add(key)
            forget_session(*key)
    return forget


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Callable[..., Node]]:
    """`node(folder, broker_url, node_id=None, **options)` -> a started in-process node."""
    made: list[Node] = []
    forget = fresh_sessions()

    def make(folder: Path, url: str, node_id: str | None = None, **options: Any) -> Node:
        inst, settings = plan(load_installation(folder), node_id, broker=url,
                              state_dir=str(tmp_path / f"state-{node_id}-{len(made)}"), **options)
        assert settings is not None
        forget(inst, url)
        runtime = Runtime(simulated(inst))
        n = Node(runtime, Link(runtime, settings)).start()
        made.append(n)
        return n

    yield make
    for n in made:
        n.stop()


class NodeProcess:
    """`museokit sim PATH --broker URL --node ID` as a process; typed lines play visitors."""

    def __init__(self, folder: Path, url: str, node_id: str | None, state_dir: Path,
                 wrap: Callable[[list[str]], list[str]] = list) -> None:
        """`wrap` turns the command into the one to run (inside `unshare`, say)."""
        self.lines: list[str] = []
        self.state_dir = state_dir
        node = ["--node", node_id] if node_id else []
        self.proc = subprocess.Popen(
            wrap([MUSEOKIT, "sim", str(folder), "--broker", url, *node,
                  "--state-dir", str(state_dir), "--headless"]),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(self._connected, what=f"node {node_id} to connect")

    def _connected(self) -> bool:
        if self.proc.poll() is not None:
            self._reader.join(WAIT)
            pytest.fail(f"the node process exited with {self.proc.returncode}:\n{self.text}")
        return bool(self.find(r"connected to "))

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def find(self, pattern: str) -> list[str]:
        return [line for line in list(self.lines) if re.search(pattern, line)]

    def type(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(WAIT)
        self._reader.join(WAIT)
        return code


@pytest.fixture
@needs("subprocess")
def node_process(tmp_path: Path) -> Iterator[Callable[..., NodeProcess]]:
    made: list[NodeProcess] = []
    forget = fresh_sessions()

    def make(folder: Path, url: str, node_id: str, state_dir: Path | None = None) -> NodeProcess:
        forget(plan(load_installation(folder), node_id, broker=url)[0], url)
        proc = NodeProcess(folder, url, node_id, state_dir or tmp_path / f"state-{node_id}")
        made.append(proc)
        return proc

    yield make
    for proc in made:
        proc.stop()
