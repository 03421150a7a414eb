"""Cross-node events over Mosquitto: museokit's link beside raw paho, in the same run.

Every run starts its own Mosquitto (the config `museokit broker config` writes:
set_tcp_nodelay, max_queued_messages 100000) on a free loopback port. The
receiving side is always a separate process, as a second node would be.

latency   museokit: node A (a `Button` on the real clock, loop on a thread) gets an
          edge from a "backend" thread every GAP; its link publishes `door.pressed`
          at QoS 1 through the outbox; node B (the lead, another process) has the
          remote `door` and a `when_pressed` handler that stamps `perf_counter_ns()`.
          Raw: a paho client publishes a QoS 1 message every GAP; a paho subscriber in
          another process stamps `on_message`. Both raw clients set TCP_NODELAY, as
          museokit does (without it the raw figure is Nagle's, not paho's).
          perf_counter is CLOCK_MONOTONIC, one clock for both processes.
throughput  museokit: node A puts N events on its bus as fast as the loop can; node B's
          handler counts them. Raw: `publish(qos=1)` N times; the subscriber counts.
          events/s = N / (last arrival - first send); lost = N - distinct received.
--scale   100 nodes × 10 devices in one process, one broker: all online with retained
          meta (seen by a fresh client), one event per device, none lost; node-process
          and broker CPU seconds and peak RSS.

Targets: latency p50 <= 1.5x raw, p99 <= 3 ms; throughput >= 0.85x raw with 0 lost of 50,000
in each of THROUGHPUT_RUNS alternating runs (the row shows the worst run beside its raw run).
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from time import perf_counter_ns
from typing import Any

from _common import Result, cpu_seconds, median, percentile, progress, report, rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402

from museokit.core.config import load_installation  # noqa: E402
from museokit.core.events import Event  # noqa: E402
from museokit.core.runtime import Runtime  # noqa: E402
from museokit.net.broker import mosquitto_command, write_config  # noqa: E402
from museokit.net.link import Link  # noqa: E402
from museokit.net.settings import plan  # noqa: E402

SAMPLES = 2000
GAP = 0.002
EVENTS = 50_000
WAIT = 120.0
TOPIC = "bench/raw"

PIECE = """\
[installation]
name = "mqtt bench"
site = "bench"
node = "b"

[[nodes]]
id = "b"

[[nodes]]
id = "a"

[[devices]]
id = "door"
kind = "button"
node = "a"
debounce = 0.0002
"""


# -- the broker ------------------------------------------------------------------------
class Broker:
    def __init__(self, folder: Path) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        files = write_config(folder, port=self.port, bind="127.0.0.1", auth=False)
        self.proc = subprocess.Popen(mosquitto_command(files.conf), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.1).close()
                return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not start")

    def usage(self) -> tuple[float, float]:
        """(CPU seconds, peak RSS in MB) of the broker so far."""
        return cpu_seconds(self.proc.pid), rss_mb(self.proc.pid, peak=True)

    def stop(self) -> None:
        os.kill(self.proc.pid, signal.SIGTERM)
        self.proc.wait()


# -- museokit nodes --------------------------------------------------------------------
def museokit_node(folder: Path, port: int, node: str | None, state: Path,
                  first: Callable[[Event], Any] | None = None) -> tuple[Runtime, Link]:
    """A started node; `first` sees every event before the link does."""
    inst, settings = plan(load_installation(folder), node, broker=f"mqtt://127.0.0.1:{port}",
                          state_dir=str(state))
    assert settings is not None
    runtime = Runtime(inst, backend="sim")
    link = Link(runtime, settings)
    runtime.start()
    if first is not None:
        runtime.bus.tap(first, name="bench stamp")
    link.start()
    runtime.start_in_thread()
    deadline = time.monotonic() + 10
    while not link.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    return runtime, link


def receive_museokit(folder: str, port: int, count: int) -> dict[str, Any]:
    """Child process: the lead node B; stamps every `door.pressed` by seq."""
    with tempfile.TemporaryDirectory() as state:
        runtime, _ = museokit_node(Path(folder), port, None, Path(state))
        arrivals: dict[int, int] = {}
        done = threading.Event()

        def stamp(event: Event) -> None:
            arrivals[event.seq] = perf_counter_ns()
            if len(arrivals) >= count:
                done.set()

        runtime.loop.call_soon_threadsafe(runtime.bus.subscribe, "door.pressed", stamp)
        time.sleep(0.5)  # connected; give the subscriptions of its (re)connect time to land
        print("ready", flush=True)
        until_done(done, arrivals)
        return {str(k): v for k, v in arrivals.items()}


def receive_raw(port: int, count: int) -> dict[str, Any]:
    """Child process: a plain paho subscriber; stamps every message by its seq."""
    arrivals: dict[str, int] = {}
    done = threading.Event()
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="raw-receiver", clean_session=False)
    client.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(TOPIC, qos=1)
    client.on_subscribe = lambda c, u, mid, rc, p: subscribed.set()

    def on_message(c: Any, u: Any, msg: mqtt.MQTTMessage) -> None:
        arrivals[msg.payload.decode()] = perf_counter_ns()
        if len(arrivals) >= count:
            done.set()

    client.on_message = on_message
    client.connect("127.0.0.1", port)
    client.loop_start()
    subscribed.wait(10)
    print("ready", flush=True)
    until_done(done, arrivals)
    client.loop_stop()
    return arrivals


def until_done(done: threading.Event, arrivals: dict[Any, int]) -> None:
    """Until `done`, or until the sender closed our stdin and nothing arrived for 1 s (a
    press the sender's debounce merged never comes)."""
    sender_done = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.read(), sender_done.set()), daemon=True).start()
    deadline = time.monotonic() + WAIT
    seen = -1
    while not done.wait(1.0) and time.monotonic() < deadline:
        if sender_done.is_set() and len(arrivals) == seen:
            return
        seen = len(arrivals)


def spawn_receiver(kind: str, port: int, count: int, folder: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, __file__, "--receiver", kind, str(port), str(count),
                             str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{kind} receiver did not start")
    return proc


def collect(proc: subprocess.Popen[str]) -> dict[str, int]:
    out, _ = proc.communicate(timeout=WAIT + 10)
    return {k: int(v) for k, v in json.loads(out).items()}


# -- the two measures ----------------------------------------------------------------------
def museokit_run(broker: Broker, folder: Path, count: int, gap: float | None) -> tuple[dict[int, int],
                                                                                        dict[str, int]]:
    """Node A sends `count` presses (every `gap` s, or all at once); node B stamps them."""
    receiver = spawn_receiver("museokit", broker.port, count, folder)
    sent: dict[int, int] = {}

    def stamp(event: Event) -> None:  # on A's bus, before its link publishes the event
        if event.key == "door.pressed":
            sent[event.seq] = perf_counter_ns()

    with tempfile.TemporaryDirectory() as state:
        runtime, link = museokit_node(folder, broker.port, "a", Path(state),
                                      None if gap is None else stamp)
        if gap is None:

            def burst() -> None:
                first = next(runtime.seq)
                sent[first] = perf_counter_ns()
                for i in range(count):
                    runtime.bus.publish(Event("door", "pressed", None, time.time(), first + i, "a"))

            runtime.loop.call_soon_threadsafe(burst)
        else:
            channel = runtime.backends["sim"].inputs["door"]  # type: ignore[attr-defined]
            for _ in range(count):  # what a gpiozero callback thread does on each edge
                runtime.loop.call_soon_threadsafe(channel.sink, True)
                time.sleep(gap / 2)
                runtime.loop.call_soon_threadsafe(channel.sink, False)
                time.sleep(gap / 2)
        arrivals = collect(receiver)
        link.close()
        runtime.stop()
        runtime.close()
    return sent, arrivals


def raw_run(broker: Broker, count: int, gap: float | None) -> tuple[dict[int, int], dict[str, int]]:
    receiver = spawn_receiver("raw", broker.port, count, Path("."))
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="raw-sender")
    client.on_socket_open = lambda c, u, sock: sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    sent: dict[int, int] = {}
    for i in range(1, count + 1):
        sent[i] = perf_counter_ns()
        client.publish(TOPIC, str(i), qos=1)
        if gap is not None:
            time.sleep(gap)
    arrivals = collect(receiver)
    client.disconnect()
    client.loop_stop()
    return sent, arrivals


def latencies(sent: dict[int, int], arrivals: dict[str, int]) -> list[float]:
    return [(arrivals[str(k)] - t0) / 1e6 for k, t0 in sent.items() if str(k) in arrivals]


def throughput(sent: dict[int, int], arrivals: dict[str, int], count: int) -> tuple[float, int]:
    if not arrivals:
        return 0.0, count
    seconds = (max(arrivals.values()) - min(sent.values())) / 1e9
    return len(arrivals) / seconds, count - len(arrivals)


def run(scale: bool = False) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "piece"
        folder.mkdir()
        (folder / "installation.toml").write_text(PIECE)
        broker = Broker(Path(tmp) / "broker")
        try:
            results = measure(broker, folder)
            if scale:
                results += scale_run(broker, Path(tmp))
        finally:
            broker.stop()
    return results


ROUNDS = 3
THROUGHPUT_RUNS = 5


def measure(broker: Broker, folder: Path) -> list[Result]:
    """Both sides in alternating blocks (the machine's load moves both alike): latency in
    ROUNDS blocks of SAMPLES // ROUNDS presses each, throughput THROUGHPUT_RUNS times."""
    ours: list[float] = []
    raw: list[float] = []
    made = 0
    block = SAMPLES // ROUNDS
    for i in range(ROUNDS):
        progress(f"latency {i + 1}/{ROUNDS}: {block} presses {GAP * 1000:g} ms apart, museokit "
                 "node A → broker → node B, then raw paho QoS 1")
        sent, arrivals = museokit_run(broker, folder, block, GAP)
        made += len(sent)
        ours += latencies(sent, arrivals)
        raw += latencies(*raw_run(broker, block, GAP))
    rates: list[float] = []
    raw_rates: list[float] = []
    lost = raw_lost = 0
    for i in range(THROUGHPUT_RUNS):
        progress(f"throughput {i + 1}/{THROUGHPUT_RUNS}: {EVENTS:,} events as fast as they go, "
                 "museokit then raw paho")
        rate, missing = throughput(*museokit_run(broker, folder, EVENTS, None), EVENTS)
        rates.append(rate)
        lost += missing
        rate, missing = throughput(*raw_run(broker, EVENTS, None), EVENTS)
        raw_rates.append(rate)
        raw_lost += missing
    merged = block * ROUNDS - made
    ratios = [ours_rate / raw_rate for ours_rate, raw_rate in zip(rates, raw_rates, strict=True)]
    worst = ratios.index(min(ratios))
    return [
        Result("cross-node latency p50", percentile(ours, 50), percentile(raw, 50), "ms", 1.5,
               target_is_ratio=True,
               note=f"{len(ours)} of the {made} events node A made arrived at B "
                    f"({merged} of {block * ROUNDS} presses merged by A's 0.2 ms debounce when its "
                    "loop got the CPU late)"),
        Result("cross-node latency p99", percentile(ours, 99), percentile(raw, 99), "ms", 3),
        Result("sustained events/s, worst run", rates[worst], raw_rates[worst], "ev/s", 0.85,
               higher_is_better=True, target_is_ratio=True,
               note=f"{THROUGHPUT_RUNS} alternating runs: museokit {_rates(rates)}, raw "
                    f"{_rates(raw_rates)} (median ratio {median(ratios):.2f}x); lost: museokit "
                    f"{lost}, raw {raw_lost} of {THROUGHPUT_RUNS} × {EVENTS:,}"),
    ]


def _rates(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--receiver":
        kind, port, count, folder = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
        result = receive_museokit(folder, port, count) if kind == "museokit" else receive_raw(port, count)
        print(json.dumps(result), flush=True)
        return 0
    report("Cross-node events over Mosquitto (ratio = museokit / raw paho)",
           run(scale="--scale" in sys.argv))
    return 0


SCALE_NODES = 100
SCALE_DEVICES = 10


def scale_run(broker: Broker, tmp: Path) -> list[Result]:
    """100 nodes × 10 devices in this process; the lead (n000) sees all 1,000 buttons."""
    folder = tmp / "scale"
    folder.mkdir()
    names = [f"n{i:03d}" for i in range(SCALE_NODES)]
    toml = ['[installation]\nname = "scale"\nsite = "scale"\nnode = "n000"\n']
    toml += [f'[[nodes]]\nid = "{n}"\n' for n in names]
    toml += [f'[[devices]]\nid = "{n}_b{d}"\nkind = "button"\nnode = "{n}"\n'
             for n in names for d in range(SCALE_DEVICES)]
    (folder / "installation.toml").write_text("\n".join(toml))
    total = SCALE_NODES * SCALE_DEVICES
    progress(f"scale: starting {SCALE_NODES} nodes × {SCALE_DEVICES} devices on one broker")
    cpu0, broker_cpu0 = resource.getrusage(resource.RUSAGE_SELF), broker.usage()[0]
    t0 = time.monotonic()
    nodes = [museokit_node(folder, broker.port, n, tmp / "state" / n) for n in reversed(names)]
    lead = nodes[-1][0]
    pressed: set[str] = set()
    lead.loop.call_soon_threadsafe(lead.bus.subscribe, "*.pressed", lambda e: pressed.add(e.device))
    remote = [d for d in lead.devices.values() if d.id.split("_")[0] != "n000"]
    while not all(d.is_online for d in remote) and time.monotonic() - t0 < WAIT:
        time.sleep(0.05)
    started = time.monotonic() - t0
    retained = retained_meta(broker.port, "museokit/scale/+/meta", SCALE_NODES)
    progress("scale: one press per device")
    t1 = time.monotonic()
    for runtime, _ in nodes:
        for dev_id, backend in runtime.device_backend.items():
            if backend == "sim":  # its own devices, not the lead's remote ones
                runtime.loop.call_soon_threadsafe(runtime.simulate, dev_id, "press")
    while len(pressed) < total and time.monotonic() - t1 < WAIT:
        time.sleep(0.02)
    flowed = time.monotonic() - t1
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    broker_cpu, broker_rss = broker.usage()
    lines = [
        f"scale: {SCALE_NODES} nodes × {SCALE_DEVICES} devices, one Mosquitto",
        f"  all remote devices online at the lead after {started:.1f} s: "
        f"{sum(d.is_online for d in remote)} of {len(remote)}",
        f"  retained meta seen by a fresh client: {retained} of {SCALE_NODES} nodes",
        f"  presses: {len(pressed)} of {total} reached the lead's bus in {flowed:.2f} s "
        f"({total - len(pressed)} lost)",
        f"  node process (all {SCALE_NODES} nodes): "
        f"{cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime:.1f} CPU s, "
        f"peak RSS {rss_mb(os.getpid(), peak=True):.0f} MB",
        f"  broker: {broker_cpu - broker_cpu0:.1f} CPU s, peak RSS {broker_rss:.1f} MB",
    ]
    for runtime, link in nodes:
        link.close()
        runtime.stop()
        runtime.close()
    print("\n".join(lines), flush=True)
    return []


def retained_meta(port: int, pattern: str, expected: int) -> int:
    seen: set[str] = set()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(pattern, qos=1)
    client.on_message = lambda c, u, m: seen.add(m.topic) if m.retain and json.loads(m.payload) else None
    client.connect("127.0.0.1", port)
    client.loop_start()
    deadline = time.monotonic() + 10
    while len(seen) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    return len(seen)


if __name__ == "__main__":
    sys.exit(main())

_ = resource
