"""The event bus: `<device>.<event>` names, wildcards, and handlers that cannot take
the installation down with them."""

from __future__ import annotations

import logging
import time

import pytest

from museokit.core.bus import Bus, callable_name, event_handler
from museokit.core.events import Event, split_key


def press(device: str = "door", name: str = "pressed", value: object = None) -> Event:
    return Event(device, name, value)


@pytest.fixture
def bus() -> Bus:
    return Bus()


def recorder(bus: Bus, pattern: str) -> list[str]:
    """Subscribe to `pattern`; return the list of event names it receives."""
    got: list[str] = []
    bus.subscribe(pattern, lambda event: got.append(event.key))
    return got


# -- names -------------------------------------------------------------------------------


def test_an_event_is_named_device_dot_event():
    event = Event("door", "pressed", 1, ts=12.5, seq=7, node="pi1")
    assert event.key == "door.pressed"
    assert event.payload() == {"ts": 12.5, "value": 1, "seq": 7}
    assert split_key("door.pressed") == ("door", "pressed")
    for bad in ("door", "door.pressed.twice"):
        with pytest.raises(ValueError, match=r"<device>\.<event>"):
            split_key(bad)


# -- subscriptions ---------------------------------------------------------------------------


def test_exact_subscription_gets_only_its_event(bus):
    got = recorder(bus, "door.pressed")
    for event in (press(), press(name="released"), press("bell"), press()):
        bus.publish(event)
    assert got == ["door.pressed", "door.pressed"]


@pytest.mark.parametrize(("pattern", "expected"), [
    ("door.*", ["door.pressed", "door.released"]),
    ("*.pressed", ["door.pressed", "bell.pressed"]),
    ("*", ["door.pressed", "door.released", "bell.pressed", "lamp.finished"]),
    ("?ell.pressed", ["bell.pressed"]),
    ("lamp.finished", ["lamp.finished"]),
    ("nobody.*", []),
])
def test_wildcard_subscriptions(bus, pattern, expected):
    got = recorder(bus, pattern)
    for device, name in [("door", "pressed"), ("door", "released"), ("bell", "pressed"),
                         ("lamp", "finished")]:
        bus.publish(press(device, name))
    assert got == expected


def test_a_wildcard_does_not_match_part_of_a_device_name(bus):
    got = recorder(bus, "door.*")
    bus.publish(press("front_door"))
    bus.publish(press("doorbell"))
    assert got == []


def test_handlers_run_in_subscription_order_whatever_their_pattern(bus):
    order: list[str] = []
    bus.subscribe("*", lambda e: order.append("everything"))
    bus.subscribe("door.pressed", lambda e: order.append("exact"))
    bus.subscribe("door.*", lambda e: order.append("door wildcard"))
    bus.subscribe("door.pressed", lambda e: order.append("exact again"))
    bus.publish(press())
    assert order == ["everything", "exact", "door wildcard", "exact again"]


def test_taps_run_before_handlers(bus):
    order: list[str] = []
    bus.subscribe("door.pressed", lambda e: order.append("handler"))
    bus.tap(lambda e: order.append("tap"))
    bus.publish(press())
    assert order == ["tap", "handler"]


def test_handlers_get_the_event_itself(bus):
    got: list[Event] = []
    bus.subscribe("door.*", got.append)
    event = press(value=3)
    bus.publish(event)
    assert got == [event]
    assert bus.published == 1


def test_unsubscribe_takes_effect_even_after_the_event_was_cached(bus):
    got: list[str] = []
    sub = bus.subscribe("door.*", lambda e: got.append("wildcard"))
    bus.subscribe("door.pressed", lambda e: got.append("exact"))
    bus.publish(press())  # resolves and caches door.pressed -> both handlers
    bus.unsubscribe(sub)
    bus.publish(press())
    assert got == ["wildcard", "exact", "exact"]
    bus.unsubscribe(sub)  # twice is harmless


def test_subscribe_after_an_event_was_cached_is_seen(bus):
    bus.publish(press())  # door.pressed resolved to nobody, and cached
    assert not bus.has_subscribers("door.pressed")
    got = recorder(bus, "*.pressed")
    bus.publish(press())
    assert got == ["door.pressed"]
    assert bus.has_subscribers("door.pressed")


def test_untap(bus):
    got: list[str] = []
    sub = bus.tap(lambda e: got.append(e.key))
    bus.publish(press())
    bus.untap(sub)
    bus.publish(press())
    assert got == ["door.pressed"]


def test_a_handler_that_unsubscribes_another_mid_dispatch(bus):
    # The event being dispatched still reaches everyone it was published to; the
    # next one does not reach the unsubscribed handler.
    got: list[str] = []
    later = bus.subscribe("door.pressed", lambda e: got.append("second"))

    def first(event: Event) -> None:
        got.append("first")
        bus.unsubscribe(later)

    bus.subscribe_first("door.pressed", first)
    bus.publish(press())
    bus.publish(press())
    assert got == ["first", "second", "first"]


# -- handlers that go wrong ------------------------------------------------------------------


def test_a_handler_that_raises_is_logged_counted_and_the_others_still_run(bus, caplog):
    got: list[str] = []

    def broken_handler(event: Event) -> None:
        raise ValueError("no such film")

    bus.subscribe("door.pressed", lambda e: got.append("before"))
    bus.subscribe("door.pressed", broken_handler)
    bus.subscribe("door.pressed", lambda e: got.append("after"))
    with caplog.at_level(logging.ERROR, logger="museokit.bus"):
        bus.publish(press())
        bus.publish(press())
    assert got == ["before", "after", "before", "after"]
    assert bus.stats.errors == 2
    name = callable_name(broken_handler)
    assert name.endswith("broken_handler")
    assert bus.stats.errors_by_handler == {name: 2}
    (first, _) = [r for r in caplog.records if r.name == "museokit.bus"]
    assert first.levelno == logging.ERROR
    message = first.getMessage()
    assert "broken_handler" in message
    assert "door.pressed" in message
    assert "ValueError: no such film" in message


def test_a_handler_can_be_given_a_name(bus, caplog):
    bus.subscribe("door.pressed", lambda e: 1 / 0, name="behaviour.py:12 greet")
    with caplog.at_level(logging.ERROR, logger="museokit.bus"):
        bus.publish(press())
    assert "handler behaviour.py:12 greet failed on door.pressed: ZeroDivisionError" in caplog.text
    assert bus.stats.errors_by_handler == {"behaviour.py:12 greet": 1}


def test_in_profile_mode_a_handler_that_blocks_is_named_in_a_warning(caplog):
    # The simulator profiles; in real time the Watchdog does this (tests/test_watchdog.py).
    bus = Bus(slow_threshold=0.02)
    bus.profile = True

    def slow_handler(event: Event) -> None:
        time.sleep(0.05)

    quick: list[str] = []
    bus.subscribe("door.pressed", slow_handler)
    bus.subscribe("door.pressed", lambda e: quick.append(e.key))
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        bus.publish(press())
    (warning,) = [r.getMessage() for r in caplog.records
                  if r.levelno == logging.WARNING and "slow_handler" in r.getMessage()]
    assert "door.pressed" in warning
    assert "after()" in warning  # it says what to do about it
    assert bus.stats.slow_warnings >= 1
    assert bus.stats.slowest_name.endswith("slow_handler")
    assert bus.stats.slowest_event == "door.pressed"
    assert bus.stats.slowest_seconds >= 0.05
    assert quick == ["door.pressed"]  # the next handler still ran


def test_a_quick_handler_gives_no_warning(caplog):
    bus = Bus(slow_threshold=0.5)
    bus.profile = True
    bus.subscribe("door.pressed", lambda e: None)
    with caplog.at_level(logging.WARNING, logger="museokit.bus"):
        bus.publish(press())
    assert bus.stats.slow_warnings == 0
    assert caplog.records == []


def test_a_keyboard_interrupt_in_a_handler_is_not_swallowed(bus):
    # Ctrl-C must stop the installation, not be counted as a handler error.
    def interrupted(event: Event) -> None:
        raise KeyboardInterrupt

    bus.subscribe("door.pressed", interrupted)
    with pytest.raises(KeyboardInterrupt):
        bus.publish(press())
    assert bus.stats.errors == 0


# -- zero-argument handlers --------------------------------------------------------------


def test_zero_argument_handlers_are_adapted(bus):
    calls: list[str] = []

    def greet() -> None:
        calls.append("hello")

    handler = event_handler(greet)
    bus.subscribe("door.pressed", handler)
    bus.publish(press())
    assert calls == ["hello"]
    assert callable_name(handler) == callable_name(greet)  # errors name `greet`, not a wrapper


def test_one_argument_handlers_are_left_alone():
    def greet(event: Event) -> None: ...

    def anything(*args: object) -> None: ...

    assert event_handler(greet) is greet
    assert event_handler(anything) is anything


def test_bound_methods_and_callable_objects(bus):
    got: list[object] = []

    class Counter:
        def bump(self) -> None:
            got.append("bump")

        def see(self, event: Event) -> None:
            got.append(event.key)

        def __call__(self) -> None:
            got.append("called")

    counter = Counter()
    for fn in (counter.bump, counter.see, counter, lambda: got.append("lambda")):
        bus.subscribe("door.pressed", event_handler(fn))
    bus.publish(press())
    assert got == ["bump", "door.pressed", "called", "lambda"]
    assert bus.stats.errors == 0


def test_callable_name_is_module_and_qualified_name():
    def greet() -> None: ...

    assert callable_name(greet) == f"{__name__}.test_callable_name_is_module_and_qualified_name" \
                                   ".<locals>.greet"


# -- state watchers -----------------------------------------------------------------------


def test_state_watchers_see_every_change(bus):
    seen: list[tuple[str, dict[str, object]]] = []

    def watcher(device: str, state: dict[str, object]) -> None:
        seen.append((device, state))

    bus.watch_state(watcher)
    bus.publish_state("lamp", {"label": "on"})
    bus.unwatch_state(watcher)
    bus.publish_state("lamp", {"label": "off"})
    assert seen == [("lamp", {"label": "on"})]
    bus.unwatch_state(watcher)  # twice is harmless


def test_a_state_watcher_that_raises_is_counted_and_the_others_still_run(bus, caplog):
    seen: list[str] = []

    def broken_watcher(device: str, state: dict[str, object]) -> None:
        raise RuntimeError("display unplugged")

    bus.watch_state(broken_watcher)
    bus.watch_state(lambda device, state: seen.append(device))
    with caplog.at_level(logging.ERROR, logger="museokit.bus"):
        bus.publish_state("lamp", {"label": "on"})
    assert seen == ["lamp"]
    assert bus.stats.errors == 1
    assert "broken_watcher" in caplog.text and "lamp state" in caplog.text


def test_a_device_state_change_reaches_watchers_once(harness):
    h = harness("""
        [[devices]]
        id = "lamp"
        kind = "led"
    """)
    seen: list[tuple[str, object]] = []
    h.runtime.bus.watch_state(lambda device, state: seen.append((device, state["label"])))
    h.command("lamp", "on")
    h.command("lamp", "on")  # no change, no news
    h.command("lamp", "off")
    assert seen == [("lamp", "on"), ("lamp", "off")]
