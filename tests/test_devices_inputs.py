"""Input devices on the sim backend: Button, MotionSensor, DistanceSensor,
AnalogSensor and TagReader, driven on the virtual clock.

Raw levels are injected straight into the device's virtual input channel where a
test needs readings a visitor action cannot produce (contact bounce, single
noisy readings); otherwise tests play visitor actions like a scenario does.
"""

from __future__ import annotations

import pytest

from museokit.core.device import CommandError
from tests.conftest import device, option_problem


def values(h, key: str) -> list:
    return [s.value for s in h.events(key)]


def inject(h, dev_id: str, *levels, gap: float = 0.0) -> None:
    """Deliver raw readings as the backend would, `gap` virtual seconds apart."""
    channel = h.runtime.backends["sim"].inputs[dev_id]
    for level in levels:
        channel.inject(level)
        h.run_for(gap)


def click(h, dev_id: str, seconds: float = 0.1, then: float = 0.1) -> None:
    h.act(dev_id, "press")
    h.run_for(seconds)
    h.act(dev_id, "release")
    h.run_for(then)


# -- Button -----------------------------------------------------------------------------

def test_button_debounce_turns_a_bouncing_press_and_release_into_one_each(harness):
    h = harness(device("door", "button"))  # debounce 0.05 s by default
    inject(h, "door", True, False, True, False, True, gap=0.005)
    h.run_for(0.5)
    inject(h, "door", False, True, False, True, False, gap=0.005)
    h.run_for(0.5)
    assert len(h.events("door.pressed")) == 1
    assert len(h.events("door.released")) == 1
    assert not h.device("door").is_pressed


def test_button_without_debounce_sees_every_bounce(harness):
    h = harness(device("door", "button", "debounce = 0"))
    inject(h, "door", True, False, True, False, gap=0.005)
    assert len(h.events("door.pressed")) == 2


def test_button_release_inside_the_debounce_window_is_not_lost(harness):
    h = harness(device("door", "button", "debounce = 0.05"))
    inject(h, "door", True, gap=0.02)
    inject(h, "door", False, gap=0.0)  # released 20 ms in: ignored for now...
    assert h.device("door").is_pressed
    h.run_for(0.1)  # ...and seen when the window closes
    assert len(h.events("door.released")) == 1
    assert not h.device("door").is_pressed
    assert h.device("door").state["label"] == "released"


def late(h, dev_id: str, *edges: tuple[float, bool], handled: float) -> None:
    """Edges stamped at their own virtual times (`sink(level, at)`), all handled together
    `handled` seconds after the first, as when the loop thread was held up."""
    channel = h.runtime.backends["sim"].inputs[dev_id]
    start = h.runtime.clock.monotonic()
    h.runtime.clock.advance_to(start + handled)  # time passes; the loop handles nothing
    for t, level in edges:
        channel.sink(level, start + t)
    h.run_for(0)


def test_button_edges_handled_late_count_at_their_own_times(harness):
    h = harness(device("door", "button", "debounce = 0.0002"))
    # Two 1 ms presses, 1 ms apart, reach the loop 5 ms late, all at once.
    late(h, "door", (0.0, True), (0.001, False), (0.002, True), (0.003, False), handled=0.005)
    h.run_for(1)
    keys = [s.key for s in h.seen]
    assert keys.count("door.pressed") == 2 and keys.count("door.released") == 2
    assert values(h, "door.released") == [0.001, 0.001]
    assert values(h, "door.clicked") == [2]


def test_button_bounces_handled_late_still_debounce_on_their_own_times(harness):
    h = harness(device("door", "button"))  # 50 ms
    late(h, "door", (0.0, True), (0.002, False), (0.004, True), (0.080, False), handled=0.1)
    h.run_for(1)
    assert values(h, "door.released") == [0.08]
    assert [s.key for s in h.seen].count("door.pressed") == 1


def test_button_hold_counts_from_the_edge_not_from_when_it_was_handled(harness):
    h = harness(device("door", "button"))  # hold_time 1 s
    late(h, "door", (0.0, True), handled=0.3)
    h.run_for(0.69)
    assert not h.fired("door.held")
    h.run_for(0.02)
    assert values(h, "door.held") == [1.0]


def test_button_hold_fires_once_without_repeat(harness):
    h = harness(device("door", "button", "hold_time = 1.0"))
    h.act("door", "press")
    h.run_for(3.5)
    assert values(h, "door.held") == [pytest.approx(1.0)]
    assert h.device("door").held_time == pytest.approx(3.5)


def test_button_hold_repeat_fires_every_hold_time_while_pressed(harness):
    h = harness(device("door", "button", "hold_time = 1.0\nhold_repeat = true"))
    h.act("door", "press")
    h.run_for(3.5)
    h.act("door", "release")
    h.run_for(3)
    assert values(h, "door.held") == [pytest.approx(1.0), pytest.approx(2.0), pytest.approx(3.0)]


def test_button_long_press_is_not_a_click(harness):
    h = harness(device("door", "button", "long_press = 2.0"))
    click(h, "door", seconds=2.5, then=1)
    assert values(h, "door.long_press") == [pytest.approx(2.5)]
    assert not h.fired("door.clicked")
    click(h, "door", seconds=0.2, then=1)
    assert len(h.events("door.long_press")) == 1
    assert values(h, "door.clicked") == [1]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_button_multi_click_counts(harness, count):
    h = harness(device("door", "button", "click_window = 0.4"))
    for _ in range(count):
        click(h, "door", seconds=0.1, then=0.1)
    h.run_for(1)
    assert values(h, "door.clicked") == [count]


def test_button_clicks_separated_by_a_hold_are_counted_apart(harness):
    h = harness(device("door", "button", "hold_time = 1.0\nlong_press = 2.0"))
    click(h, "door")
    click(h, "door", seconds=1.5)  # a hold: neither a click nor a long press
    click(h, "door")
    h.run_for(1)
    assert values(h, "door.clicked") == [1, 1]


def test_button_when_pressed_like_gpiozero(harness):
    h = harness(device("door", "button"))
    button = h.device("door")
    calls: list[str] = []
    button.when_pressed = lambda: calls.append("pressed")
    button.when_released = lambda event: calls.append(f"released after {event.value}")
    click(h, "door", seconds=0.25)
    assert calls == ["pressed", "released after 0.25"]
    button.when_pressed = None
    click(h, "door")
    assert calls[2:] == ["released after 0.1"]


# -- MotionSensor -------------------------------------------------------------------------

def test_motion_retrigger_window_keeps_a_still_visitor_present(harness):
    h = harness(device("pir", "motion", "retrigger = 5.0"))
    h.act("pir", "motion")
    h.run_for(3)
    h.act("pir", "motion")  # inside the window: restarts it
    h.run_for(4)
    assert not h.fired("pir.no_motion")
    assert h.device("pir").motion_detected
    h.run_for(1.5)
    assert len(h.events("pir.motion")) == 1
    assert [s.t for s in h.events("pir.no_motion")] == [pytest.approx(8.0)]
    assert not h.device("pir").is_active


# -- DistanceSensor -----------------------------------------------------------------------

ZONES = "zones = {near = 50, far = 150}"


def test_distance_median_smoothing_ignores_a_stray_echo(harness):
    h = harness(device("ruler", "distance", ZONES))
    inject(h, "ruler", 100, 100, 100, 20, 100)  # one echo off a passing hand
    assert h.device("ruler").distance == 100
    assert values(h, "ruler.entered") == ["far"]


def test_distance_without_smoothing_follows_every_reading(harness):
    h = harness(device("ruler", "distance", ZONES + "\nsmoothing = 1"))
    inject(h, "ruler", 100, 100, 100, 20, 100)
    assert values(h, "ruler.entered") == ["far", "near", "far"]


def test_distance_beyond_max_distance_is_nothing_in_range(harness):
    h = harness(device("ruler", "distance", "max_distance = 200"))
    h.act("ruler", "value", "120")
    sensor = h.device("ruler")
    assert (sensor.distance, sensor.value, sensor.in_range) == (120, 0.6, True)
    h.act("ruler", "value", "250")
    assert (sensor.distance, sensor.value, sensor.in_range) == (None, 1.0, False)


def test_distance_zones_are_entered_and_left_in_order(harness):
    h = harness(device("ruler", "distance", ZONES))
    h.act("ruler", "value", "120")
    h.act("ruler", "value", "30")
    assert h.device("ruler").zone == "near"
    assert h.device("ruler").state == {"label": "near", "distance": 30, "zone": "near"}
    h.act("ruler", "value", "none")
    assert [(s.key, s.value) for s in h.events()] == [
        ("ruler.entered", "far"), ("ruler.left", "far"), ("ruler.entered", "near"),
        ("ruler.left", "near")]
    assert h.device("ruler").zone is None


WOBBLE = ["100", "40", "52", "47", "54", "48", "60"]  # steps in, wobbles on the 50 cm edge


def test_distance_zone_hysteresis_stops_flapping_on_a_boundary(harness):
    h = harness(device("ruler", "distance", ZONES + "\nhysteresis = 5"))
    for cm in WOBBLE:
        h.act("ruler", "value", cm)
    assert [(s.key, s.value) for s in h.events()] == [
        ("ruler.entered", "far"), ("ruler.left", "far"), ("ruler.entered", "near"),
        ("ruler.left", "near"), ("ruler.entered", "far")]


def test_distance_without_hysteresis_flaps(harness):
    h = harness(device("ruler", "distance", ZONES + "\nhysteresis = 0"))
    for cm in WOBBLE:
        h.act("ruler", "value", cm)
    assert values(h, "ruler.entered") == ["far", "near", "far", "near", "far", "near", "far"]


def test_distance_when_entered_like_gpiozero(harness):
    h = harness(device("ruler", "distance", ZONES))
    seen: list[str] = []
    h.device("ruler").when_entered = lambda event: seen.append(event.value)
    h.act("ruler", "value", "20")
    assert seen == ["near"]


# -- AnalogSensor -------------------------------------------------------------------------

def test_analog_threshold_with_hysteresis(harness):
    h = harness(device("light", "analog", "threshold = 0.5\nhysteresis = 0.05"))
    sensor = h.device("light")
    for level, active in [("0.52", False), ("0.56", True), ("0.48", True), ("0.52", True),
                          ("0.44", False), ("0.53", False)]:
        h.act("light", "value", level)
        assert sensor.is_active is active, level
    assert [(s.key, s.value) for s in h.events()] == [("light.above", 0.56), ("light.below", 0.44)]
    assert sensor.value == 0.53


def test_analog_changed_fires_only_for_big_enough_moves(harness):
    h = harness(device("knob", "analog", "change = 0.1"))
    for level in ("0.05", "0.12", "0.15", "0.3", "0.25"):
        h.act("knob", "value", level)
    assert values(h, "knob.changed") == [0.12, 0.3]


def test_analog_changed_is_off_by_default(harness):
    h = harness(device("knob", "analog"))
    h.act("knob", "value", "0.9")
    assert not h.fired("knob.changed")
    assert h.fired("knob.above")


# -- TagReader ----------------------------------------------------------------------------

def test_tag_placed_and_removed_carry_the_id(harness):
    h = harness(device("plinth", "tag_reader", "removal_delay = 0.5"))
    h.act("plinth", "tag", "04A3B2")
    assert h.device("plinth").tag == "04A3B2"
    h.act("plinth", "tag", "none")
    h.run_for(1)
    assert [(s.key, s.value) for s in h.events()] == [
        ("plinth.placed", "04A3B2"), ("plinth.removed", "04A3B2")]
    assert not h.device("plinth").is_active


def test_tag_that_flickers_out_of_range_is_not_removed(harness):
    h = harness(device("plinth", "tag_reader", "removal_delay = 0.5"))
    h.act("plinth", "tag", "04A3B2")
    h.run_for(1)
    h.act("plinth", "tag")  # no id: gone...
    h.run_for(0.3)
    h.act("plinth", "tag", "04A3B2")  # ...and back before the delay
    h.run_for(2)
    assert not h.fired("plinth.removed")
    assert len(h.events("plinth.placed")) == 1


def test_tag_repeated_empty_polls_do_not_postpone_removal(harness):
    h = harness(device("plinth", "tag_reader", "removal_delay = 0.5"))
    h.act("plinth", "tag", "04A3B2")
    inject(h, "plinth", *[None] * 10, gap=0.1)  # a reader polling "no tag" for a second
    assert [s.t for s in h.events("plinth.removed")] == [pytest.approx(0.5)]


def test_tag_swapped_for_another_reports_both_at_once(harness):
    h = harness(device("plinth", "tag_reader"))
    h.act("plinth", "tag", "AAAA")
    h.act("plinth", "tag", "BBBB")
    assert [(s.key, s.value) for s in h.events()] == [
        ("plinth.placed", "AAAA"), ("plinth.removed", "AAAA"), ("plinth.placed", "BBBB")]


def test_tag_friendly_names_go_in_the_state_and_values_stay_ids(harness):
    h = harness(device("plinth", "tag_reader", 'tags = {"04a3b2" = "owl"}'))
    h.act("plinth", "tag", "04A3B2")
    reader = h.device("plinth")
    assert values(h, "plinth.placed") == ["04A3B2"]
    assert (reader.tag_name, reader.state["name"]) == ("owl", "owl")
    h.act("plinth", "tag", "FFFF")
    assert (reader.tag_name, reader.state["tag"]) == (None, "FFFF")


def test_tag_rule_matches_on_the_id(harness):
    h = harness(device("plinth", "tag_reader") + device("lamp", "led") + """
        [[rules]]
        when = "plinth.placed"
        value = "04A3B2"
        do = "lamp.on"
        """)
    h.act("plinth", "tag", "FFFF")
    assert h.device("lamp").label == "off"
    h.act("plinth", "tag", "04A3B2")
    h.run_for(0.1)
    assert h.device("lamp").label == "on"


# -- the simulator refuses visitor actions a device cannot have ------------------------------

@pytest.mark.parametrize(("kind", "action", "arg", "says"), [
    pytest.param("button", "tag", "04A3B2", "press", id="button-has-no-tag-action"),
    *[pytest.param("distance", "value", arg, "distance in cm", id=f"distance-value-{arg}")
      for arg in ["far", "-3", None]],
    *[pytest.param("analog", "value", arg, "from 0 to 1", id=f"analog-value-{arg}")
      for arg in ["1.5", "bright", "none"]],
])
def test_sim_actions_refuse_what_the_device_cannot_do(harness, kind, action, arg, says):
    h = harness(device("it", kind))
    with pytest.raises(CommandError, match=says):
        h.act("it", action, arg)


# -- options are checked before anything starts --------------------------------------------

@pytest.mark.parametrize(("kind", "option", "says"), [
    ("button", "debounce = -1", "a number from 0 to 2"),
    ("motion", "retrigger = 'long'", "a number of at least 0"),
    ("distance", "zones = {near = -5}", "near: expected a number of at least 0"),
    ("distance", "zones = [50, 150]", "a table like {name = value}"),
    ("distance", "smoothing = 2.5", "a whole number from 1 to 50"),
    ("analog", "threshold = 2", "a number from 0 to 1"),
    ("analog", "threshold = nan", "a number from 0 to 1"),
    ("tag_reader", "tags = {A1 = 3}", "A1: expected a text"),
    ("tag_reader", "removal_delay = true", "a number from 0 to 10"),
])
def test_bad_input_options_name_the_key_line_and_what_was_expected(installation, kind, option, says):
    assert says in option_problem(installation, kind, option).message


def test_offline_and_online_reach_rules_and_behaviours_once_per_change(harness):
    h = harness(device("door", "button") + device("lamp", "led") +
                '[[rules]]\nwhen = "door.offline"\ndo = "lamp.on"\n',
                behaviour="from museokit import on\nseen = []\n\n"
                          "@on('door.online')\ndef back(event):\n    seen.append(event.value)\n")
    door = h.runtime.devices["door"]
    assert door.is_online
    door.set_online(False, "board unplugged")
    door.set_online(False, "still unplugged")
    h.run_for(0.1)
    assert values(h, "door.offline") == ["board unplugged"]
    assert h.runtime.devices["lamp"].is_lit
    door.set_online(True)
    h.run_for(0.1)
    assert h.runtime.behaviour.seen == [None]
    assert door.state["online"] is True and "offline" in door.describe()["events"]
