"""micropython-lib's `umqtt.simple` for CPython: its API over paho-mqtt, to a real broker.

Same calls, arguments and failures as the board's module: MQTTClient(client_id, server,
port=0, user=None, password=None, keepalive=0, ssl=None); set_callback(f) with f(topic,
msg) as bytes; set_last_will; connect(clean_session=True) returning the session-present
flag; publish(topic, msg, retain=False, qos=0) blocking until the PUBACK at QoS 1;
subscribe(topic, qos=0); wait_msg / check_msg delivering messages to the callback on the
caller's thread; ping; disconnect; `sock`. A lost connection raises OSError, a refused one
MQTTException(code). Like umqtt.simple, nothing runs in the background and nothing
reconnects: paho is driven only from inside these calls. paho does send its own PINGREQs
inside those calls, which umqtt.simple leaves to the caller.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

import network
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

WAIT = 10.0  # s: how long a blocking call waits for the broker before the socket "times out"


class MQTTException(Exception):
    pass


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)


class _Socket:
    """What umqtt.simple's `sock` is used for from outside: close() without a DISCONNECT."""

    def __init__(self, client: mqtt.Client) -> None:
        self._client = client

    def close(self) -> None:
        sock = self._client.socket()
        if sock is not None:
            sock.close()


class MQTTClient:
    def __init__(self, client_id: str | bytes, server: str, port: int = 0, user: str | None = None,
                 password: str | None = None, keepalive: int = 0, ssl: Any = None) -> None:
        if ssl is not None:
            raise NotImplementedError("the test shim speaks plain MQTT")
        self.client_id, self.server, self.port = _text(client_id), server, port or 1883
        self.user, self.pswd, self.keepalive = user, password, keepalive
        self.cb: Callable[[bytes, bytes], None] | None = None
        self.lw: tuple[str, bytes, int, bool] | None = None
        self.sock: _Socket | None = None
        self._paho: mqtt.Client | None = None
        self._connack: int | None = None
        self._session = False
        self._granted: dict[int, list[int]] = {}
        self._delivered = 0

    def set_callback(self, f: Callable[[bytes, bytes], None]) -> None:
        self.cb = f

    def set_last_will(self, topic: str | bytes, msg: str | bytes, retain: bool = False, qos: int = 0) -> None:
        assert 0 <= qos <= 2
        assert topic
        self.lw = (_text(topic), _bytes(msg), qos, bool(retain))

    # -- connection --------------------------------------------------------------------
    def connect(self, clean_session: bool = True) -> bool:
        if not network.air:
            raise OSError(113, "EHOSTUNREACH")  # no Wi-Fi: no route to the broker
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             clean_session=clean_session, protocol=mqtt.MQTTv311)
        if self.user:
            client.username_pw_set(self.user, self.pswd)
        if self.lw:
            topic, msg, qos, retain = self.lw
            client.will_set(topic, msg, qos, retain)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._paho, self._connack = client, None
        client.connect(self.server, self.port, self.keepalive)  # OSError: refused, unreachable
        self.sock = _Socket(client)
        network.on_air_lost.append(self._cut)
        self._until(lambda: self._connack is not None)
        if self._connack:
            self._cut()
            raise MQTTException(self._connack)
        return self._session

    def _cut(self) -> None:
        """The air went: the TCP connection ends without a DISCONNECT. (Called from the test's
        thread too, hence shutdown(): paho, on the firmware's thread, then reads the end.)"""
        if self._cut in network.on_air_lost:
            network.on_air_lost.remove(self._cut)
        sock = self._paho.socket() if self._paho is not None else None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def disconnect(self) -> None:
        client = self._live()
        client.disconnect()
        if self._cut in network.on_air_lost:
            network.on_air_lost.remove(self._cut)

    def ping(self) -> None:
        if self._live()._send_pingreq() != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise OSError(-1)

    # -- messages ------------------------------------------------------------------------
    def publish(self, topic: str | bytes, msg: str | bytes, retain: bool = False, qos: int = 0) -> None:
        client = self._live()
        assert qos in (0, 1), "umqtt.simple has no QoS 2"
        info = client.publish(_text(topic), _bytes(msg), qos, bool(retain))
        if qos == 1:
            self._until(info.is_published)
        else:
            self._step(0)

    def subscribe(self, topic: str | bytes, qos: int = 0) -> None:
        assert self.cb is not None, "Subscribe callback is not set"
        _, mid = self._live().subscribe(_text(topic), qos)
        self._until(lambda: mid in self._granted)
        if self._granted.pop(mid)[0] == 0x80:
            raise MQTTException(0x80)

    def wait_msg(self) -> None:
        before = self._delivered
        while self._delivered == before:
            self._step(1.0)

    def check_msg(self) -> None:
        self._step(0)

    # -- paho, driven from the caller's thread -------------------------------------------
    def _live(self) -> mqtt.Client:
        if self._paho is None:
            raise OSError(-1)
        return self._paho

    def _step(self, timeout: float) -> None:
        rc = self._live().loop(timeout)
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or not network.air:
            self._cut()
            self._paho = None
            raise OSError(-1, "connection lost" if network.air else "Wi-Fi gone", rc.name)

    def _until(self, done: Callable[[], bool]) -> None:
        end = time.monotonic() + WAIT
        while not done():
            if time.monotonic() > end:
                raise OSError(110, "ETIMEDOUT")
            self._step(0.05)

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        self._connack = 0 if not reason.is_failure else int(reason.value) or 5
        self._session = bool(flags.session_present)

    def _on_subscribe(self, client: Any, userdata: Any, mid: int, reasons: Any, properties: Any) -> None:
        self._granted[mid] = [int(r.value) for r in reasons]

    def _on_message(self, client: Any, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        assert self.cb is not None
        self._delivered += 1
        self.cb(msg.topic.encode(), bytes(msg.payload))
