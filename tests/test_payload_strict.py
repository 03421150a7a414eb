"""One strict check of command arguments, whoever calls: MQTT, rules, the console, behaviours.

Non-finite numbers, wrong types, out-of-range values and duplicate keys are refused; a
refused payload's log line is bounded and escaped; refusals, handler errors and dropped
serial lines are rate-limited in the log with a count.
"""

from __future__ import annotations

import logging
import math

import pytest

from museokit.core.arguments import excerpt, problem
from museokit.core.bus import HandlerStats
from museokit.core.config import InstallationError, load_installation, parse_action
from museokit.core.device import CommandError, check_call
from museokit.core.ratelog import RateLimitedLog
from museokit.devices.led import Led
from museokit.net.payload import PayloadError, command_arguments
from tests.conftest import REPO
from tests.net_fixtures import wait_for

TWO_ROOMS = REPO / "installations/two-rooms"
PREFIX = "museokit/two_rooms/entrance"


@pytest.mark.parametrize("payload", [b"[NaN]", b"[Infinity]", b"[-Infinity]", b"[1e999]",
                                     b'{"fade_in": 1e400}', b'{"n": 1, "n": 2}',
                                     b'{"on_time": 0.1, "off_time": [1, {"a": 1, "a": 2}]}'])
def test_payload_refused_at_decoding(payload: bytes) -> None:
    with pytest.raises(PayloadError) as caught:
        command_arguments(payload)
    assert "\n" not in str(caught.value) and len(str(caught.value)) < 200


@pytest.mark.parametrize(("args", "kwargs", "words"), [
    ([math.inf], {}, "finite"), ([], {"fade_in": math.nan}, "finite"),
    (["slow"], {}, "expected a number"), ([True], {}, "expected a number"),
    ([0.5, 0.5, 2.5], {}, "expected a whole number"), ([], {"n": "3"}, "expected a whole number"),
    ([10 ** 400], {}, "expected a number"), ([-1.0], {}, "at least"), ([], {"n": 0}, "at least"),
])
def test_the_one_check_refuses_bad_values(args: list[object], kwargs: dict[str, object],
                                          words: str) -> None:
    """check_call is what MQTT, rules and scenarios use; a behaviour's direct call goes through
    the @command wrapper, which asks the same `arguments.problem`."""
    opts = Led.with_defaults({"pwm": True})
    with pytest.raises(CommandError) as caught:
        check_call(Led, "lamp (led)", "pulse", args, kwargs, opts)
        # Range problems are found by the command itself when it runs (it knows its bounds).
        raise CommandError(str(_run_pulse(args, kwargs)))
    assert words in f"{caught.value} {caught.value.hint}", caught.value


def _run_pulse(args: list[object], kwargs: dict[str, object]) -> object:
    from museokit.core.clock import VirtualClock
    from museokit.core.runtime import Runtime

    inst = load_installation(REPO / "installations/hello-button")
    runtime = Runtime(inst, clock=VirtualClock(), backend_override="sim")
    runtime.start()
    try:
        led = next(d for d in runtime.devices.values() if isinstance(d, Led))
        led.opts["pwm"] = True
        return led.pulse(*args, **kwargs)
    finally:
        runtime.close()


def test_a_behaviour_call_with_infinity_is_refused() -> None:
    """`lamp.pulse(float('inf'))` in behaviour.py raises CommandError (a handler error,
    counted and logged), and the LED never starts a Pulse(fade_in=inf)."""
    with pytest.raises(CommandError, match="finite"):
        _run_pulse([math.inf], {})
    with pytest.raises(CommandError, match="expected a whole number"):
        _run_pulse([], {"n": 2.5})


def test_rules_and_console_actions_refuse_non_finite(tmp_path) -> None:
    """A rule's `do` (and the console, which parses actions the same way) with `inf`."""
    action = parse_action("lamp.blink inf")
    assert action.args == (math.inf,)
    (tmp_path / "installation.toml").write_text(
        "[installation]\nname = 'x'\n[[devices]]\nid = 'door'\nkind = 'button'\npin = 17\n"
        "[[devices]]\nid = 'lamp'\nkind = 'led'\npin = 18\n"
        "[[rules]]\nwhen = 'door.pressed'\ndo = 'lamp.blink inf 0.2'\n")
    with pytest.raises(InstallationError) as caught:
        load_installation(tmp_path)
    (issue,) = caught.value.issues
    assert issue.line == 13 and "finite" in issue.message


def test_problem_accepts_good_values() -> None:
    assert problem(Led.commands["blink"], [0.2, 0.2], {"n": 3}) is None
    assert problem(Led.commands["blink"], [1], {}) is None  # a whole number is a number
    assert problem(Led.commands["blink"], [], {"n": None}) is None


def test_excerpt_is_bounded_and_escaped() -> None:
    assert excerpt("a\nb\x1b[31m" + "x" * 500) == ("a\\nb\\x1b[31m" + "x" * 500)[:120] + "…"
    assert excerpt("short") == "short"


def test_rate_limited_log_counts_the_rest(caplog) -> None:
    now = [0.0]
    logger = logging.getLogger("museokit.test.ratelog")
    limited = RateLimitedLog(logger, "refused payloads", clock=lambda: now[0])
    with caplog.at_level(logging.WARNING, logger=logger.name):
        for i in range(317):
            limited(logging.WARNING, "refused %d", i)
        now[0] = 61.0
        limited.flush()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [*(f"refused {i}" for i in range(5)),
                     "… and 312 more refused payloads in the last minute"]
    assert limited.total == 317


def test_handler_errors_are_rate_limited(caplog) -> None:
    stats = HandlerStats()
    with caplog.at_level(logging.ERROR, logger="museokit.bus"):
        for _ in range(300):
            stats.record_error("behaviour.boom", "door.pressed", RuntimeError("x" * 5000))
    assert stats.errors == 300
    assert len(caplog.records) == 5
    assert all(len(r.getMessage()) < 500 for r in caplog.records)


def test_mqtt_command_with_non_finite_number_refused_in_one_bounded_line(
        mosquitto, node, observer, caplog) -> None:
    """Against a real Mosquitto: `1e999` (JSON, but infinite once parsed) and a long junk
    payload are refused, logged on one line of bounded length, and nothing runs."""
    entrance = node(TWO_ROOMS, mosquitto.url, "entrance")
    obs = observer([])
    runtime = entrance.runtime
    before = entrance.link.refused
    with caplog.at_level(logging.WARNING, logger="museokit.net"):
        obs.publish(f"{PREFIX}/ready/cmd/pulse", b'{"fade_in": 1e999}')
        obs.publish(f"{PREFIX}/ready/cmd/blink", b'["' + b"\x1b[2J" * 800 + b'"]')
        obs.publish(f"{PREFIX}/ready/cmd/blink", b'{"n": 2, "n": 3}')
        obs.publish(f"{PREFIX}/ready/cmd/on", b"")
        wait_for(lambda: runtime.devices["ready"].label == "on", what="the marker command")
    assert entrance.link.refused - before == 3
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("refused")]
    assert len(lines) == 3
    assert all(len(line) < 500 and "\x1b" not in line for line in lines), lines
    assert "finite" in lines[0] and "twice" in lines[2]


@pytest.mark.parametrize("text", ["inf", "nan", "-inf", "1e999", "Infinity"])
def test_sim_readings_must_be_finite(text: str) -> None:
    """`…/sim/value inf` (MQTT), `value inf` (console, scenario) on a distance sensor."""
    from museokit.core.clock import VirtualClock
    from museokit.core.runtime import Runtime

    runtime = Runtime(load_installation(REPO / "installations/approach-lamp"), clock=VirtualClock(),
                      backend_override="sim")
    runtime.start()
    try:
        sensor = next(d for d, dev in runtime.devices.items() if dev.kind == "distance")
        with pytest.raises(CommandError, match="needs a distance"):
            runtime.simulate(sensor, "value", text)
    finally:
        runtime.close()
