"""Bus names map one-to-one onto docs/design.md's MQTT topics."""

import pytest

from museokit.core.events import Event, split_key
from museokit.core.topics import Topic, format_topic, parse_topic


@pytest.mark.parametrize(("topic", "text"), [
    (Topic("louvre", "entrance", "event", "door", "pressed"),
     "museokit/louvre/entrance/door/event/pressed"),
    (Topic("louvre", "entrance", "state", "lamp"), "museokit/louvre/entrance/lamp/state"),
    (Topic("louvre", "entrance", "cmd", "lamp", "blink"), "museokit/louvre/entrance/lamp/cmd/blink"),
    (Topic("louvre", "entrance", "sim", "door", "press"), "museokit/louvre/entrance/door/sim/press"),
    (Topic("louvre", "entrance", "status"), "museokit/louvre/entrance/status"),
    (Topic("louvre", "entrance", "meta"), "museokit/louvre/entrance/meta"),
], ids=["event", "state", "cmd", "sim", "status", "meta"])
def test_every_channel_round_trips(topic, text):
    assert format_topic(topic) == text
    assert parse_topic(text) == topic


def test_an_event_name_is_its_topic():
    event = Event("door", "pressed", None, 1767603600.5, 7)
    assert split_key(event.key) == ("door", "pressed")
    topic = format_topic(Topic("demo", "main", "event", *split_key(event.key)))
    assert topic == "museokit/demo/main/door/event/pressed"
    assert event.payload() == {"ts": 1767603600.5, "value": None, "seq": 7}


@pytest.mark.parametrize("text", [
    "museokit/demo/main",                       # no channel
    "other/demo/main/door/event/pressed",       # not our root
    "museokit/demo/main/door/event",            # event without a name
    "museokit/demo/main/door/bogus/pressed",    # unknown channel
    "museokit/demo/main/door/event/pressed/x",  # too deep
])
def test_anything_outside_the_contract_is_refused(text):
    with pytest.raises(ValueError, match="not a museokit topic"):
        parse_topic(text)


@pytest.mark.parametrize("key", ["door", "door.pressed.twice", ".pressed"])
def test_an_event_key_is_device_dot_event(key):
    with pytest.raises(ValueError):
        split_key(key)
