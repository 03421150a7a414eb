"""The node's counters: one periodic log line, and retained on `…/<node>/health` over MQTT."""

from __future__ import annotations

import json
import logging

from museokit.core.clock import VirtualClock
from museokit.core.config import load_installation
from museokit.core.health import Health
from museokit.core.runtime import Runtime
from tests.conftest import REPO
from tests.net_fixtures import wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
HEALTH = "museokit/two_rooms/entrance/health"


def test_summary_line_only_when_a_counter_moved(caplog) -> None:
    runtime = Runtime(load_installation(REPO / "installations/hello-button"), clock=VirtualClock(),
                      backend_override="sim")
    runtime.start()
    seen: list[dict[str, object]] = []
    runtime.health.listeners.append(seen.append)
    runtime.health.start(runtime.loop)
    try:
        with caplog.at_level(logging.INFO, logger="museokit.health"):
            runtime.run_for(runtime.health.interval + 1)  # all at 0: quiet
            runtime.bus.stats.record_error("behaviour.boom", "door.pressed", RuntimeError("x"))
            runtime.run_for(runtime.health.interval)
            runtime.run_for(runtime.health.interval)  # nothing moved since: quiet again
    finally:
        runtime.health.stop()
        runtime.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "museokit.health"]
    assert lines == ["health: handlers.errors 1"]
    assert [t["handlers.errors"] for t in seen] == [0, 1]


def test_a_failing_source_does_not_hide_the_others() -> None:
    health = Health()
    health.add("good", lambda: {"n": 2})
    health.add("bad", lambda: 1 / 0)  # type: ignore[arg-type, return-value]
    assert health.counters() == {"good.n": 2}
    assert health.summary() == "good.n 2"


def test_health_is_retained_on_mqtt_with_the_refusals_counted(mosquitto, node, observer) -> None:
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    obs = observer([HEALTH])
    first = json.loads(wait_for(lambda: obs.last(HEALTH), what="the retained health"))
    assert first["mqtt.connected"] == 1 and first["handlers.errors"] == 0
    assert {"mqtt.refused", "mqtt.outbox_waiting", "mqtt.outbox_dropped",
            "mqtt.outbox_disk_errors", "handlers.slow"} <= set(first)
    for _ in range(7):
        obs.publish("museokit/two_rooms/entrance/ready/cmd/blink", b"[NaN]")
    wait_for(lambda: entrance.link.refused >= 7, what="the refusals")
    entrance.on_loop(entrance.runtime.health.tick)
    wait_for(lambda: json.loads(obs.last(HEALTH) or b"{}").get("mqtt.refused") == 7,
             what=lambda: f"health with 7 refusals, got {obs.last(HEALTH)!r}")
