"""A node's link to the broker (paho-mqtt 2.x), on the topics of docs/design.md.

    link = Link(runtime, settings)   # before runtime.start(): remote devices need it
    runtime.start()
    link.start()                     # connects in the background, reconnects forever
    ...
    link.close()

What it does, in the words of the contract:

- connects with the last will `offline` on `…/<node>/status` (retained), a fixed
  client id and a persistent session, so the broker keeps this node's QoS 1
  messages while it is away;
- on every (re)connect: retained `online`, retained `meta`, every local
  device's retained `state`, its subscriptions again, and (opt-in) Home
  Assistant discovery; TCP_NODELAY on the new socket, because QoS 1 otherwise
  waits on delayed ACKs (88 ms per round trip instead of 0.5 ms, measured);
- local events go out at QoS 1 through the on-disk outbox (`outbox.py`), so
  nothing is lost while the broker is away or the node restarts. The loop
  hands an event to the network thread (`sender.py`) in O(1); that thread
  writes each batch of unacked events in one `write()` (group commit, see
  `outbox.py` for the exact durability rule) and hands them to paho, which
  writes them to the socket on that same thread, so the loop never waits on
  the disk, on paho or on the network. A device's state is published
  (retained) once per turn, after the turn's events and only when it changed; an event whose
  device's state changed in that turn carries the new state in its payload
  (`"state": {...}`), so the lead's remote device is up to date when the
  event's handlers run, without waiting for the retained `…/state`;
- `…/<device>/cmd/<name>` runs a declared command after the payload and the
  arguments are checked; `…/<device>/sim/<action>` plays a visitor on a
  simulated device; anything else is refused with one log line;
- devices of other nodes (remote devices, `remote.py`) get their events,
  state and availability from the broker, and send their commands through it.

Threads: the network thread (`sender.py`) runs paho's network loop, writes the
outbox and publishes, in the loop's order; its paho callbacks only parse topics
and hand over; everything that touches devices or the bus runs on the runtime
loop. Nothing else calls into paho. The hand-over to the loop is batched:
messages that arrive while the loop has not yet taken the previous ones join
them, so a burst costs one wake-up of the loop thread, not one per message.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import logging
import socket
import ssl
import threading
from collections import OrderedDict, deque
from typing import TYPE_CHECKING, Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from museokit import __version__
from museokit.backends.mqtt import MqttBackend
from museokit.core.arguments import excerpt
from museokit.core.bus import callable_name
from museokit.core.device import CommandError, check_call
from museokit.core.events import Event
from museokit.core.ratelog import RateLimitedLog
from museokit.core.topics import Topic, format_topic, node_prefix, parse_topic
from museokit.net import discovery
from museokit.net.outbox import Outbox
from museokit.net.payload import PayloadError, command_arguments, decode_json, sim_argument
from museokit.net.remote import BACKEND, RemoteDevice
from museokit.net.sender import Sender
from museokit.net.settings import LinkSettings

if TYPE_CHECKING:
    from museokit.core.runtime import Runtime

log = logging.getLogger("museokit.net")

ONLINE, OFFLINE = b"online", b"offline"
#: How many (seq, ts) pairs per remote node are remembered to drop duplicates.
_DEDUP = 4096
#: Characters of a refused payload the log shows.
_SHORT = 120
#: Commands kept per offline node (the oldest go first when more arrive).
_HELD_COMMANDS = 100
#: Parsed topics remembered (forgotten all at once when full: a fuzzer sends endless new ones).
_PARSED = 1024
#: Batches one delivery takes before the loop's timers get a turn.
_ROUNDS = 32
#: Seconds one try to reach the broker (TCP and TLS) may take.
_CONNECT_TIMEOUT = 2.0


def _short(payload: bytes) -> str:
    """The start of a payload for the log: at most `_SHORT` characters, escaped, on one line."""
    text = payload[:_SHORT].decode("utf-8", "replace")
    return excerpt(text + ("…" if len(payload) > _SHORT else ""), _SHORT)


def client_id(site: str, node: str) -> str:
    """A node's MQTT client id: fixed, so the broker keeps its session (the queued events
    of the broker window) across reconnects and restarts."""
    return f"museokit-{site}-{node}"


class Link:
    def __init__(self, runtime: Runtime, settings: LinkSettings) -> None:
        inst = runtime.installation
        self.runtime = runtime
        self.settings = settings
        self.site, self.node = inst.site, inst.node
        self.prefix = node_prefix(self.site, self.node)
        #: remote device id -> its node, and the devices themselves once they attach.
        self.remote_nodes = {d.id: inst.node_of(d) for d in inst.devices if d.backend == BACKEND}
        self.remote: dict[str, RemoteDevice] = {}
        self.nodes_online: dict[str, bool] = {n: False for n in set(self.remote_nodes.values())}
        #: Commands for a node not (yet) online, sent in order when it comes online.
        self._held: dict[str, deque[tuple[str, bytes]]] = {
            n: deque(maxlen=_HELD_COMMANDS) for n in self.nodes_online}
        self._closing = False
        self.connected = False
        #: The last reason a connection attempt failed, said once (paho retries quietly).
        self._connect_problem = ""
        self.refused = 0
        self._refusals = RateLimitedLog(log, "refused messages")
        self._topics: dict[str, str] = {}
        #: Topic text -> parsed topic, for the topics this node hears again and again.
        self._parsed: dict[str, Topic] = {}
        #: Local device -> state changed in this loop turn, not yet published.
        self._dirty: dict[str, dict[str, Any]] = {}
        #: Local device -> the state last published (retained) for it.
        self._published: dict[str, dict[str, Any]] = {}
        self._turn_end_posted = False
        #: Calls for the loop, handed over from the network thread in batches (see _hand_over).
        self._inbox: list[tuple[Any, tuple[Any, ...]]] = []
        self._inbox_lock = threading.Lock()
        self._delivering = False
        self._seen: dict[str, OrderedDict[tuple[int, float], None]] = {}
        #: paho's message id -> the outbox entry it carries (None: not an event), until its
        #: PUBACK. Network thread only: paho reads an ack in `loop_read`, never inside publish().
        self._inflight: dict[int, int | None] = {}
        self.outbox = Outbox(settings.state_dir, settings.queue_limit)
        self.client = self._make_client()
        self.sender = Sender(self.outbox, self.client, self._publish_event,
                             lambda: not self.connected, self._sender_error, self._connect_failed)
        health = runtime.health
        health.add("mqtt", self.counters)
        health.limiters.append(self._refusals)
        health.listeners.append(self._publish_health)
        self._started = False
        runtime.backends[BACKEND] = MqttBackend(runtime.loop, {"link": self})

    # -- setup -------------------------------------------------------------------------
    def _make_client(self) -> mqtt.Client:
        s = self.settings
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id(self.site, self.node),
                             clean_session=False, protocol=mqtt.MQTTv311)
        if s.url.username:
            client.username_pw_set(s.url.username, s.url.password)
        if s.tls:
            client.tls_set(ca_certs=s.tls_ca, certfile=s.tls_cert, keyfile=s.tls_key)
        client.will_set(self._topic("status"), OFFLINE, qos=1, retain=True)
        # No limit in paho: the outbox bounds what waits. With a limit, paho looks through
        # its in-flight messages at every PUBACK for the next one to send (O(limit) per ack:
        # 100 cost 23 µs an event, the sender's largest single cost in a 50,000-event burst).
        client.max_inflight_messages_set(0)
        # A try to connect holds the network thread, and the events queued meanwhile wait in
        # memory for it (outbox.py): a LAN broker answers (or refuses) in milliseconds.
        client.connect_timeout = _CONNECT_TIMEOUT
        client.on_socket_open = _nodelay
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def _topic(self, channel: str, device: str = "", name: str = "", node: str | None = None) -> str:
        return format_topic(Topic(self.site, node or self.node, channel, device, name))  # type: ignore[arg-type]

    def start(self) -> None:
        """Hook into the bus and connect in the background (after runtime.start())."""
        bus = self.runtime.bus
        self._started = True
        self._tap = bus.tap(self._on_event, name="mqtt link")
        bus.watch_state(self._on_state)
        waiting = len(self.outbox)  # an earlier run's events: sent first, once connected
        log.info("joining broker %s as node %s%s", self.settings.url, self.node,
                 f" ({waiting} events from the last run to send)" if waiting else "")
        self.client.connect_async(self.settings.url.host, self.settings.url.port,
                                  keepalive=self.settings.keepalive)
        self.sender.start()  # the network thread: it connects, and reconnects forever

    def close(self) -> None:
        """Say `offline`, flush what the broker can still take, disconnect."""
        self._closing = True
        if self._started:
            self._end_turn()
            self.runtime.bus.untap(self._tap)
            self.runtime.bus.unwatch_state(self._on_state)
        # Commits and hands paho what is queued, says `offline`, disconnects.
        self.sender.stop(self._farewell if self._started else None)
        self.outbox.close()

    def _farewell(self) -> mqtt.MQTTMessageInfo:
        return self.client.publish(self._topic("status"), OFFLINE, qos=1, retain=True)

    def publish(self, topic: str, payload: bytes, retain: bool = True) -> None:
        """Publish at QoS 1 on this node's connection, from any thread (alerts, health); on the
        network thread, through `_send`, so its ack is matched like the link's own."""
        self.sender.call(self._send, topic, payload, retain)

    # -- publishing (network thread) ---------------------------------------------------------
    def _publish_event(self, topic: str, payload: bytes, entry: int) -> None:
        self._send(topic, payload, False, entry)

    def _sender_error(self, name: str, exc: BaseException) -> None:
        self.runtime.bus.stats.record_error(name, "the MQTT sender", exc)

    def _send(self, topic: str, payload: bytes, retain: bool, entry: int | None = None) -> None:
        self._inflight[self.client.publish(topic, payload, qos=1, retain=retain).mid] = entry

    def _on_event(self, event: Event) -> None:
        if event.device in self.remote_nodes:
            return
        topic = self._topics.get(event.key)
        if topic is None:
            topic = self._topics[event.key] = self._topic("event", event.device, event.name)
        body = event.payload()
        state = self._dirty.get(event.device)
        if state is not None:
            body["state"] = state
        self.sender.event(topic, _json(body))

    def _on_state(self, device: str, state: dict[str, Any]) -> None:
        if device not in self.remote_nodes:
            self._dirty[device] = state
            self._end_of_turn()

    def _end_of_turn(self) -> None:
        """Have `_end_turn` run once, after what the loop is doing now (loop thread).

        It goes round the loop's queue twice: a device sets its state and then posts
        its event, so one round would publish the state before the event it goes with.
        """
        if not self._turn_end_posted:
            self._turn_end_posted = True
            loop = self.runtime.loop
            loop.call_soon_threadsafe(loop.call_soon_threadsafe, self._end_turn)

    def _end_turn(self) -> None:
        """The states that changed in the turn, queued after the turn's events."""
        self._turn_end_posted = False
        dirty, self._dirty = self._dirty, {}
        for device, state in dirty.items():
            if self._published.get(device) != state:
                self._published[device] = state
                self.sender.call(self._send, self._topic("state", device), _json(state), True)

    def _announce(self) -> None:
        """Everything a (re)connect re-publishes and re-subscribes (on the loop thread).

        Subscriptions go first: the broker handles them before the `online` that follows on
        the same connection, so a node that acts on our `online` (sends a held command)
        finds us listening.
        """
        subs = [f"{self.prefix}/+/cmd/+"]
        if "sim" in self.runtime.device_backend.values():
            subs.append(f"{self.prefix}/+/sim/+")
        for node in self.nodes_online:
            base = node_prefix(self.site, node)
            subs += [f"{base}/status", f"{base}/+/event/+", f"{base}/+/state"]
        if self.settings.discovery:
            subs.append(discovery.HA_STATUS)
        self.sender.call(self._reannounce, subs, _json(self.meta()))
        self._publish_health(self.runtime.health.table())
        self._published.clear()  # a broker that lost its retained states gets them again
        for dev_id, device in self.runtime.devices.items():
            if dev_id not in self.remote_nodes and device.state:
                self._on_state(dev_id, device.state)
        if self.settings.discovery:
            self.publish_discovery()

    def _reannounce(self, subs: list[str], meta: bytes) -> None:
        """Subscriptions, `online`, `meta`, then the outbox's backlog (network thread)."""
        self.client.subscribe([(s, 1) for s in subs])
        self._send(self._topic("status"), ONLINE, retain=True)
        self._send(self._topic("meta"), meta, retain=True)
        self._send_waiting()

    def _send_waiting(self) -> None:
        """Hand paho the outbox's events it does not hold, oldest first; from now on new
        events go straight out. paho itself re-sends (at CONNACK, before this runs) the ones it
        held when the broker went away, so the order stays that of the events."""
        held = set(self._inflight.values())
        for entry, topic, payload in self.outbox.waiting():
            if entry not in held:
                self._send(topic, payload, retain=False, entry=entry)
        self.sender.sending = True

    def meta(self) -> dict[str, Any]:
        inst = self.runtime.installation
        return {"toolkit": __version__, "installation": inst.name, "site": self.site,
                "node": self.node,
                "devices": {dev_id: d.describe() for dev_id, d in self.runtime.devices.items()
                            if dev_id not in self.remote_nodes}}

    def counters(self) -> dict[str, Any]:
        """The link's part of the node's health."""
        box = self.outbox
        return {"connected": int(self.connected), "refused": self.refused,
                "outbox_waiting": len(box), "outbox_dropped": box.dropped,
                "outbox_disk_errors": box.disk_errors, "outbox_disk_problem": box.disk_problem or ""}

    def _publish_health(self, table: dict[str, Any]) -> None:
        if self.connected:
            self.sender.call(self._send, self._topic("health"), _json(table), True)

    def publish_discovery(self) -> None:
        local = {k: d for k, d in self.runtime.devices.items() if k not in self.remote_nodes}
        for topic, config in discovery.configs(self.site, self.node,
                                               self.runtime.installation.name, local):
            self.sender.call(self._send, topic, _json(config), True)

    # -- remote devices (loop thread) -----------------------------------------------------
    def attach_remote(self, device: RemoteDevice) -> None:
        self.remote[device.id] = device

    def send_command(self, device: RemoteDevice, name: str, args: list[Any],
                     kwargs: dict[str, Any]) -> None:
        node = self.remote_nodes[device.id]
        if args and kwargs:  # the payload carries one or the other: name every argument
            bound = inspect.signature(device.commands[name]).bind(None, *args, **kwargs)
            kwargs = dict(list(bound.arguments.items())[1:])
        topic, payload = self._topic("cmd", device.id, name, node=node), _json(kwargs or args)
        if self.nodes_online[node]:
            self.sender.call(self._send, topic, payload, False)
            return
        held = self._held[node]
        if len(held) == held.maxlen:
            log.warning("node %s is offline: its oldest held command %s is dropped", node,
                        held[0][0])
        held.append((topic, payload))
        log.info("%s.%s held until node %s (where %s is wired) is online", device.id, name, node,
                 device.id)

    def _node_status(self, node: str, online: bool) -> None:
        if self.nodes_online.get(node) == online:
            return
        self.nodes_online[node] = online
        log.info("node %s is %s", node, "online" if online else "offline")
        reason = "" if online else f"node {node} offline"
        for dev_id, device in self.remote.items():
            if self.remote_nodes[dev_id] == node:
                device.set_online(online, reason)
        held = self._held[node]
        while online and held:
            self.sender.call(self._send, *held.popleft(), False)

    def _broker_lost(self) -> None:
        self.sender.call(self._hold_events)
        for node in list(self.nodes_online):
            self._node_status(node, False)

    def _hold_events(self) -> None:
        """The broker is away (network thread): events wait in the outbox until _send_waiting,
        and what was in flight is synced, to survive a power cut."""
        self.sender.sending = False
        self.outbox.flush(sync=True)

    # -- paho callbacks (network thread) -------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            log.error("broker %s refused node %s: %s (check the user name, password and ACL)",
                      self.settings.url, self.node, reason)
            return
        self.connected = True
        self._connect_problem = ""
        log.info("connected to %s as node %s; %d events waiting in the outbox", self.settings.url,
                 self.node, len(self.outbox))
        self._hand_over(self._announce)

    def _connect_failed(self, exc: BaseException) -> None:
        """The broker could not be reached (the network thread tries again): say why once,
        not at every try."""
        if isinstance(exc, ssl.SSLCertVerificationError):
            why = (f"refused: its TLS certificate does not check out against the CA given "
                   f"({exc.verify_message}) — give the CA that signed the broker's certificate "
                   "in [broker] tls_ca or --tls-ca")
        elif isinstance(exc, ssl.SSLError):
            why = (f"refused: TLS failed ({exc.reason or exc}) — is it a TLS port (mqtts://, "
                   "8883), and are tls_ca, tls_cert and tls_key right?")
        else:
            why = f"unreachable ({exc.strerror if isinstance(exc, OSError) else exc}); retrying"
        if why != self._connect_problem:
            self._connect_problem = why
            log.error("broker %s %s", self.settings.url, why)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any,
                       properties: Any) -> None:
        was = self.connected
        self.connected = False
        if was and not self._closing:
            log.warning("lost broker %s (%s); events wait in the outbox until it is back",
                        self.settings.url, reason)
            self._hand_over(self._broker_lost)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any,
                    properties: Any) -> None:
        entry = self._inflight.pop(mid, None)
        if entry is not None:
            self.outbox.done(entry)

    def _hand_over(self, fn: Any, *args: Any) -> None:
        """Have the loop run `fn(*args)`, in arrival order (from the network thread)."""
        with self._inbox_lock:
            self._inbox.append((fn, args))
            if self._delivering:
                return  # the loop is (or will be) delivering, and takes this one too
            self._delivering = True
        self.runtime.loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:
        """Run what is handed over, and what arrives meanwhile (loop thread), so a stream of
        messages wakes the loop once; after `_ROUNDS` batches it lets timers run and goes on."""
        for _ in range(_ROUNDS):
            with self._inbox_lock:
                batch, self._inbox = self._inbox, []
                if not batch:
                    self._delivering = False
                    return
            for fn, args in batch:
                try:
                    fn(*args)
                except Exception as exc:  # like the loop's own posted calls: counted, logged
                    self.runtime.bus.stats.record_error(callable_name(fn), "a message from the broker",
                                                        exc)
        self.runtime.loop.call_soon_threadsafe(self._deliver)

    def _parse(self, text: str) -> Topic:
        topic = self._parsed.get(text)
        if topic is None:
            topic = parse_topic(text)
            if len(self._parsed) >= _PARSED:
                self._parsed.clear()
            self._parsed[text] = topic
        return topic

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        """The network thread: only the topic is looked at here; the payload is decoded on the loop,
        so the broker's next message (and its PUBACK) waits on as little as possible."""
        try:
            topic = self._parse(msg.topic)
        except (ValueError, UnicodeDecodeError):
            if msg.topic == discovery.HA_STATUS and msg.payload == ONLINE:
                self._hand_over(self.publish_discovery)
            return
        # Stamped on arrival (a simulated visitor's action): a busy loop changes no duration.
        self._hand_over(self._receive, topic, bytes(msg.payload), self.runtime.clock.monotonic())

    def _receive(self, t: Topic, payload: bytes, arrived: float) -> None:
        try:
            self._dispatch(t, payload, arrived)
        except PayloadError as exc:
            self.refuse(format_topic(t), payload, str(exc))

    def _dispatch(self, t: Topic, payload: bytes, arrived: float) -> None:
        if t.node == self.node and t.site == self.site:
            if t.channel == "cmd":
                args, kwargs = command_arguments(payload)
                self.run_command(t, payload, args, kwargs)
            elif t.channel == "sim":
                self.run_sim(t, payload, sim_argument(payload), arrived)
            return
        if t.channel == "status":
            self._node_status(t.node, payload == ONLINE)
            return
        device = self.remote.get(t.device)
        if device is None or self.remote_nodes[t.device] != t.node:
            return
        data = decode_json(payload)
        if not isinstance(data, dict):
            raise PayloadError("expected a JSON object")
        if t.channel == "state":
            device.mirror(data)
        elif t.channel == "event" and t.name in device.all_events():
            seq, ts, state = data.get("seq", 0), data.get("ts", 0.0), data.get("state")
            if state is not None and not isinstance(state, dict):
                raise PayloadError("\"state\" must be a JSON object")
            if not self._first_time(t.node, seq, ts):
                return
            if state:  # the state the device had when the event happened, before its handlers
                device.mirror(state)
            self.runtime.bus.publish(Event(t.device, t.name, data.get("value"), ts, seq, t.node))

    def _first_time(self, node: str, seq: Any, ts: Any) -> bool:
        """False for an event already delivered (QoS 1 may deliver twice)."""
        seen = self._seen.setdefault(node, OrderedDict())
        key = (seq, ts)
        if key in seen:
            return False
        seen[key] = None
        if len(seen) > _DEDUP:
            seen.popitem(last=False)
        return True

    # -- incoming commands and visitors (loop thread) --------------------------------------
    def run_command(self, t: Topic, payload: bytes, args: list[Any], kwargs: dict[str, Any]) -> None:
        device = self.runtime.devices.get(t.device)
        topic = format_topic(t)
        if device is None or t.device in self.remote_nodes:
            self.refuse(topic, payload, f"no device {t.device!r} on node {self.node}")
            return
        try:
            check_call(type(device), f"{device.id} ({device.kind})", t.name, args, kwargs, device.opts)
            getattr(device, t.name)(*args, **kwargs)
        except CommandError as exc:
            self.refuse(topic, payload, f"{exc}; {exc.hint}" if exc.hint else str(exc))
        except (TypeError, ValueError) as exc:
            self.refuse(topic, payload, f"{t.name}: {exc}")

    def run_sim(self, t: Topic, payload: bytes, arg: str | None, at: float | None = None) -> None:
        try:
            self.runtime.simulate(t.device, t.name, arg, at)
        except CommandError as exc:
            self.refuse(format_topic(t), payload, str(exc))

    def refuse(self, topic: str, payload: bytes, why: str) -> None:
        """A refused message runs nothing; a few a minute are logged, each on one bounded line,
        and the rest counted (a noisy peer cannot flood the journal)."""
        self._refusals(logging.WARNING, "refused %s %r: %s", excerpt(topic, 120), _short(payload),
                       excerpt(" ".join(why.split()), 200))
        self.refused += 1  # after the line: a reader that sees the count finds the line


#: One encoder for every payload: `json.dumps` with options builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":"), default=str).encode


def _json(value: Any) -> bytes:
    return _encode(value).encode()


def _nodelay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """paho never sets TCP_NODELAY; without it QoS 1 stalls on delayed ACKs."""
    with contextlib.suppress(OSError, AttributeError):  # not TCP (a websocket)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

