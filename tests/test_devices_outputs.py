"""Output devices on the sim backend: Led, PixelStrip, Relay, Servo and Buzzer.

Commands go through `h.command` (the path rules, behaviours and MQTT take);
what the hardware would show is read from the virtual output channel,
`h.output(id)`, whose `level()` evaluates running patterns at the virtual time.
"""

from __future__ import annotations

import pytest

from museokit.core.config import InstallationError
from museokit.core.device import CommandError
from museokit.devices.buzzer import note_hz
from tests.conftest import device, option_problem

RED, BLUE, BLACK = (255, 0, 0), (0, 0, 255), (0, 0, 0)


def levels_at(h, dev_id: str, start: float, offsets: list[float]) -> list:
    """The output's level at `start + offset` for each offset (running the clock there)."""
    out = []
    for offset in offsets:
        h.run_until(start + offset)
        out.append(h.output(dev_id).level())
    return out


# -- Led ----------------------------------------------------------------------------------

def test_led_on_off_toggle(harness):
    h = harness(device("lamp", "led"))
    lamp, out = h.device("lamp"), h.output("lamp")
    h.command("lamp", "on")
    assert (out.level(), lamp.is_lit, lamp.label) == (True, True, "on")
    h.command("lamp", "off")
    assert (out.level(), lamp.is_lit, lamp.label) == (False, False, "off")
    h.command("lamp", "toggle")
    assert out.level() is True
    h.command("lamp", "toggle")
    assert out.level() is False


def test_led_blink_n_times_then_off_and_finished(harness):
    h = harness(device("lamp", "led"))
    h.command("lamp", "blink", 0.5, 0.5, n=3)
    start = h.now
    assert levels_at(h, "lamp", start, [0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3.25]) == [
        True, False, True, False, True, False, False]
    h.run_for(5)
    assert len(h.events("lamp.finished")) == 1
    assert h.device("lamp").label == "off"


def test_led_blink_without_n_never_finishes(harness):
    h = harness(device("lamp", "led"))
    h.command("lamp", "blink", 0.5, 0.5)
    h.run_for(600.25)
    assert h.output("lamp").level() is True
    assert not h.fired("lamp.finished")


def test_led_pulse_fades_through_mid_levels(harness):
    h = harness(device("lamp", "led", "pwm = true"))
    h.command("lamp", "pulse", 1.0, 1.0)
    assert levels_at(h, "lamp", h.now, [0.25, 0.5, 1.0, 1.5, 2.0]) == [
        pytest.approx(0.25), pytest.approx(0.5), pytest.approx(1.0), pytest.approx(0.5),
        pytest.approx(0.0)]
    assert h.device("lamp").label == "pulsing"


def test_led_pulse_without_pwm_says_how_to_fix_it(harness):
    h = harness(device("lamp", "led"))
    with pytest.raises(CommandError, match="set pwm = true"):
        h.command("lamp", "pulse")
    assert h.device("lamp").label == "off"


@pytest.mark.parametrize(("command", "args", "says"), [
    ("blink", ("fast",), "on_time: expected a number, got 'fast'"),
    ("blink", (0.2, 0), "off_time: expected a number of at least 0.001"),
    ("blink", (0.2, 0.2, 0), "n: expected a whole number of at least 1"),
    ("pulse", (1, 1, 2.5), "n: expected a whole number"),
    ("brightness", ("dim",), "level: expected a number"),
], ids=["blink-word", "blink-zero-off", "blink-n-zero", "pulse-n-fraction", "brightness-word"])
def test_led_refuses_bad_arguments_and_keeps_its_state(harness, command, args, says):
    h = harness(device("lamp", "led", "pwm = true"))
    h.command("lamp", "on")
    with pytest.raises(CommandError, match=says):
        h.command("lamp", command, *args)
    assert h.device("lamp").label == "on"


# -- PixelStrip ---------------------------------------------------------------------------

def test_pixels_fill_and_off(harness):
    h = harness(device("strip", "pixels", "count = 4"))
    h.command("strip", "fill", "red")
    assert h.output("strip").level() == [RED] * 4
    assert h.device("strip").state == {"label": "on", "color": "#ff0000", "animation": None}
    h.command("strip", "off")
    assert h.output("strip").level() == [BLACK] * 4
    assert not h.device("strip").is_lit


def test_pixels_set_one_keeps_the_others(harness):
    h = harness(device("strip", "pixels", "count = 4"))
    h.command("strip", "fill", "#ff0000")
    h.command("strip", "set", 2, [0, 0, 255])
    assert h.output("strip").level() == [RED, RED, BLUE, RED]
    assert h.device("strip").state["color"] is None  # no longer one colour


@pytest.mark.parametrize(("args", "says"), [
    ((4, "red"), "index: expected a whole number from 0 to 3"),
    ((-1, "red"), "from 0 to 3"),
    ((1, "reddish"), "unknown colour 'reddish'"),
    ((1, [300, 0, 0]), "0..255"),
])
def test_pixels_set_refuses_bad_arguments(harness, args, says):
    h = harness(device("strip", "pixels", "count = 4"))
    with pytest.raises(CommandError, match=says.replace("(", r"\(")):
        h.command("strip", "set", *args)


def test_pixels_chase_animation_moves_along_the_strip(harness):
    h = harness(device("strip", "pixels", "count = 8"))
    h.command("strip", "animate", "chase", "red", period=1.0)
    start = h.now
    frames = levels_at(h, "strip", start, [0.0, 0.3, 0.6])
    lit = [[i for i, p in enumerate(frame) if p == RED] for frame in frames]
    assert lit == [[0], [2], [4]]
    assert list(h.device("strip").value) == frames[-1]
    assert h.device("strip").label == "chase"


def test_pixels_breathe_is_dark_then_full_colour_mid_period(harness):
    h = harness(device("strip", "pixels", "count = 3"))
    h.command("strip", "animate", "breathe", "blue", 2.0)
    assert levels_at(h, "strip", h.now, [0.0, 1.0]) == [[BLACK] * 3, [BLUE] * 3]


def test_pixels_fill_stops_an_animation(harness):
    h = harness(device("strip", "pixels", "count = 3"))
    h.command("strip", "animate", "rainbow")
    h.command("strip", "fill", "blue")
    h.run_for(0.5)
    assert h.output("strip").level() == [BLUE] * 3
    assert h.device("strip").state["animation"] is None


def test_pixels_unknown_animation_suggests_one(harness):
    h = harness(device("strip", "pixels"))
    with pytest.raises(CommandError, match="did you mean 'rainbow'"):
        h.command("strip", "animate", "rainbw")


# -- Relay --------------------------------------------------------------------------------

def test_relay_on_off_toggle(harness):
    h = harness(device("fan", "relay"))
    fan = h.device("fan")
    h.command("fan", "on")
    assert (h.output("fan").level(), fan.value, fan.is_active) == (True, 1, True)
    h.command("fan", "toggle")
    assert (h.output("fan").level(), fan.value, fan.label) == (False, 0, "off")


def test_relay_pulse_switches_off_after_the_time_and_finishes(harness):
    h = harness(device("smoke", "relay"))
    h.command("smoke", "pulse", 2)
    assert levels_at(h, "smoke", h.now, [1.0, 2.5]) == [True, False]
    assert [s.t for s in h.events("smoke.finished")] == [pytest.approx(2.0)]
    assert h.device("smoke").label == "off"


@pytest.mark.parametrize("seconds", [0, -1, "long"])
def test_relay_pulse_needs_a_positive_time(harness, seconds):
    h = harness(device("smoke", "relay"))
    # A word is refused by the one type check; a number out of range by the command itself.
    with pytest.raises(CommandError, match="seconds: expected a number"):
        h.command("smoke", "pulse", seconds)


# -- Servo --------------------------------------------------------------------------------

@pytest.mark.parametrize(("angle", "width"), [(0, 0.001), (90, 0.0015), (180, 0.002)])
def test_servo_pulse_widths_like_gpiozero(harness, angle, width):
    h = harness(device("arm", "servo"))
    h.command("arm", "angle", angle)
    assert h.output("arm").level() == pytest.approx(width)
    assert h.device("arm").state == {"label": "holding", "angle": angle,
                                     "pulse_width": pytest.approx(width)}


def test_servo_custom_range_and_widths(harness):
    h = harness(device("arm", "servo", "min_angle = -90\nmax_angle = 90\n"
                                      "min_pulse_width = 0.0005\nmax_pulse_width = 0.0025"))
    for angle, width in [(-90, 0.0005), (0, 0.0015), (45, 0.002)]:
        h.command("arm", "angle", angle)
        assert h.device("arm").pulse_width == pytest.approx(width)


def test_servo_min_angle_above_max_angle_turns_the_other_way(harness):
    h = harness(device("arm", "servo", "min_angle = 180\nmax_angle = 0"))
    h.command("arm", "angle", 180)
    assert h.output("arm").level() == pytest.approx(0.001)


@pytest.mark.parametrize(("angle", "says"), [
    (181, "outside 0..180; if the servo turns further, widen min_angle/max_angle"),
    (-1, "outside 0..180"),
    ("left", "degrees: expected a number"),
])
def test_servo_refuses_angles_it_cannot_reach(harness, angle, says):
    h = harness(device("arm", "servo"))
    with pytest.raises(CommandError, match=says):
        h.command("arm", "angle", angle)
    assert h.output("arm").level() is None


def test_servo_starts_detached_and_can_be_detached_again(harness):
    h = harness(device("arm", "servo"))
    assert not h.device("arm").is_active
    h.command("arm", "angle", 30)
    h.command("arm", "detach")
    assert h.output("arm").level() is None
    assert h.device("arm").state == {"label": "detached", "angle": None, "pulse_width": None}


# -- Buzzer -------------------------------------------------------------------------------

@pytest.mark.parametrize(("note", "hz"), [
    ("A4", 440.0), ("A5", 880.0), ("a3", 220.0), ("C4", 261.626), ("C#5", 554.365),
    ("Db5", 554.365), ("Bb3", 233.082), ("B0", 30.868),
])
def test_note_names_to_hz(note, hz):
    assert note_hz(note) == pytest.approx(hz, abs=0.001)


@pytest.mark.parametrize("bad", ["H4", "A", "C##4", "440Hz"])
def test_a_bad_note_says_how_to_write_one(bad):
    with pytest.raises(ValueError, match="like 'A4', 'C#5'"):
        note_hz(bad)


def test_buzzer_timed_tone_stops_and_finishes(harness):
    h = harness(device("bell", "buzzer"))
    h.command("bell", "play", "A4", 0.5)
    assert (h.output("bell").level(), h.device("bell").value) == (440.0, 440.0)
    h.run_for(2)
    assert h.output("bell").level() is None
    assert [s.t for s in h.events("bell.finished")] == [pytest.approx(0.5)]
    assert h.device("bell").label == "silent"


def test_buzzer_untimed_tone_plays_until_stopped(harness):
    h = harness(device("bell", "buzzer"))
    h.command("bell", "play", 523.25)
    h.run_for(60)
    assert h.output("bell").level() == 523.25
    h.command("bell", "stop")
    assert h.output("bell").level() is None
    assert not h.fired("bell.finished")


@pytest.mark.parametrize(("kind", "timed", "meanwhile", "level"), [
    pytest.param("relay", ("pulse", 2), ("on",), True, id="relay-on-during-a-pulse"),
    pytest.param("buzzer", ("play", "C5", 1), ("stop",), None, id="buzzer-stop-during-a-timed-tone"),
])
def test_a_command_during_a_timed_output_cancels_its_finish(harness, kind, timed, meanwhile, level):
    h = harness(device("it", kind))
    h.command("it", *timed)
    h.run_for(0.5)
    h.command("it", *meanwhile)
    h.run_for(5)
    assert h.output("it").level() is level
    assert not h.fired("it.finished")


def test_buzzer_beeps_n_times_at_the_tone_then_finishes(harness):
    h = harness(device("bell", "buzzer"))
    h.command("bell", "beep", 0.1, 0.2, n=2, tone="A5")
    assert levels_at(h, "bell", h.now, [0.05, 0.15, 0.35, 0.45, 0.65]) == [
        880.0, None, 880.0, None, None]
    assert [s.t for s in h.events("bell.finished")] == [pytest.approx(0.6)]


@pytest.mark.parametrize(("args", "says"), [
    (("Z9",), "tone: 'Z9' is not a note"),
    ((5,), "tone: expected a number from 20 to 20000"),
    (("nan",), "tone: expected a number from 20 to 20000"),
    (("A4", -1), "seconds: expected a number of at least"),
])
def test_buzzer_refuses_bad_tones(harness, args, says):
    h = harness(device("bell", "buzzer"))
    with pytest.raises(CommandError, match=says):
        h.command("bell", "play", *args)


def test_rule_plays_a_note_when_a_visitor_comes_near(harness):
    h = harness(device("ruler", "distance", "zones = {near = 50}") + device("bell", "buzzer") + """
        [[rules]]
        when = "ruler.entered"
        value = "near"
        do = "bell.play C#5 0.2"
        """)
    h.act("ruler", "value", "30")
    h.run_for(0.1)
    assert h.output("bell").level() == pytest.approx(554.365, abs=0.001)


# -- options are checked before anything starts --------------------------------------------

@pytest.mark.parametrize(("kind", "option", "says"), [
    ("led", "brightness = 1.5", "a number from 0 to 1"),
    ("pixels", "count = 0", "a whole number from 1 to 1024"),
    ("relay", "active_high = 'no'", "true or false"),
    ("servo", "min_pulse_width = 1", "a number from 0.0001 to 0.01"),
    ("servo", "max_angle = '180'", "expected a number"),
])
def test_bad_output_options_name_the_key_line_and_what_was_expected(installation, kind, option, says):
    assert says in option_problem(installation, kind, option).message


def test_rule_with_a_bad_buzzer_call_is_refused_at_load(installation):
    with pytest.raises(InstallationError, match="usage: play TONE"):
        installation(device("bell", "buzzer") + device("door", "button") + """
            [[rules]]
            when = "door.pressed"
            do = "bell.play"
            """)
