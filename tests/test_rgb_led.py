"""The RGB LED: on the sim backend (three virtual pwm outputs) and on the gpio backend
through gpiozero's MockFactory with MockPWMPin (the three pins' duty cycles)."""

from __future__ import annotations

import pytest

from museokit.core.device import CommandError
from museokit.core.waveforms import Pulse
from tests.conftest import device, option_problem

PINS = "red = 17\ngreen = 27\nblue = 22\n"
RGB = device("eye", "rgb_led", PINS)


def levels(h, dev_id: str = "eye") -> list[float]:
    return [round(float(channel.level()), 3) for channel in h.outputs(dev_id)]


# -- sim backend ---------------------------------------------------------------------------

def test_colour_names_and_hex_set_the_three_channels(harness):
    h = harness(RGB)
    assert levels(h) == [0, 0, 0]
    assert h.device("eye").label == "off"
    h.command("eye", "color", "orange")  # (255, 128, 0)
    assert levels(h) == [1.0, 0.502, 0.0]
    assert h.device("eye").state["color"] == "#ff8000"
    assert h.device("eye").label == "on"
    h.command("eye", "color", "#0080ff")
    assert levels(h) == [0.0, 0.502, 1.0]
    assert h.device("eye").value == pytest.approx((0.0, 0.502, 1.0), abs=0.001)
    h.command("eye", "off")
    assert levels(h) == [0, 0, 0]
    h.command("eye", "on")  # the last colour again
    assert levels(h) == [0.0, 0.502, 1.0]


def test_on_uses_the_configured_colour_and_brightness(harness):
    h = harness(device("eye", "rgb_led", PINS + 'color = "warm"\nbrightness = 0.5'))
    h.command("eye", "on")  # warm is (255, 180, 100), at half
    assert levels(h) == [0.5, round(180 / 510, 3), round(100 / 510, 3)]
    h.command("eye", "brightness", 1.0)
    assert levels(h) == [1.0, round(180 / 255, 3), round(100 / 255, 3)]


def test_blink_in_a_colour_n_times_then_off_and_finished(harness):
    h = harness(RGB)
    h.command("eye", "blink", 0.5, 0.5, 2, "magenta")
    assert h.device("eye").label == "blinking"
    h.run_for(0.25)
    assert levels(h) == [1.0, 0.0, 1.0]
    h.run_for(0.5)
    assert levels(h) == [0, 0, 0]
    h.run_for(1.5)
    assert h.device("eye").label == "off"
    assert [s.key for s in h.seen].count("eye.finished") == 1


def test_pulse_scales_every_colour_together(harness):
    h = harness(RGB)
    h.command("eye", "pulse", 1, 1, None, "#ff8040")
    h.run_for(0.5)  # half way up
    assert levels(h) == pytest.approx([0.5, 0.5 * 128 / 255, 0.5 * 64 / 255], abs=0.002)
    h.run_for(0.5)  # the top
    assert levels(h) == pytest.approx([1.0, 128 / 255, 64 / 255], abs=0.002)


def test_without_pwm_a_colour_shows_its_components_fully_and_pulse_is_refused(harness):
    h = harness(device("eye", "rgb_led", PINS + "pwm = false"))
    h.command("eye", "color", "orange")
    assert [c.level() for c in h.outputs("eye")] == [True, True, False]
    with pytest.raises(CommandError, match="pulse needs a dimmable LED; set pwm = true"):
        h.command("eye", "pulse")


def test_bad_colours_are_refused_and_the_led_keeps_its_colour(harness):
    h = harness(RGB)
    h.command("eye", "color", "red")
    with pytest.raises(CommandError, match="unknown colour 'sky'"):
        h.command("eye", "color", "sky")
    with pytest.raises(CommandError, match="unknown colour"):
        h.command("eye", "blink", 1, 1, 2, "#12")
    assert levels(h) == [1.0, 0, 0]
    assert h.device("eye").state["color"] == "#ff0000"


def test_a_bad_colour_option_names_the_key_and_line(installation):
    issue = option_problem(installation, "rgb_led", 'color = "sky"')
    assert "unknown colour 'sky'" in issue.message


def test_the_lamp_goes_off_at_closing(harness):
    h = harness(RGB)
    h.command("eye", "color", "blue")
    h.device("eye").sleep()
    assert levels(h) == [0, 0, 0]


def test_a_rule_sets_a_colour(harness):
    h = harness(device("door", "button", "pin = 5") + RGB
                + '[[rules]]\nwhen = "door.pressed"\ndo = "eye.color green"\n')
    h.act("door", "press")
    h.run_for(0.01)
    assert levels(h) == [0, 1.0, 0]


# -- gpio backend on gpiozero's mock pins ----------------------------------------------------

def duty(pins) -> list[float]:
    return [round(pins.pin(n).state, 3) for n in (17, 27, 22)]


def test_gpio_three_pwm_pins_carry_the_colour(pins, harness):
    h = harness(RGB, backend="gpio")
    assert duty(pins) == [0, 0, 0]
    assert all(pins.pin(n).frequency for n in (17, 27, 22))  # PWM running on each
    h.command("eye", "color", "purple")  # (128, 0, 255)
    assert duty(pins) == [0.502, 0.0, 1.0]
    h.command("eye", "off")
    assert duty(pins) == [0, 0, 0]


def test_gpio_common_anode_inverts_every_pin(pins, harness):
    h = harness(device("eye", "rgb_led", PINS + "common_anode = true"), backend="gpio")
    assert duty(pins) == [1.0, 1.0, 1.0]  # off: every cathode high, no current
    h.command("eye", "color", "#ff4000")
    assert duty(pins) == [0.0, round(1 - 64 / 255, 3), 1.0]


def test_gpio_pulse_steps_all_three_pins_in_step_on_the_loop_clock(pins, harness):
    h = harness(RGB, backend="gpio")
    start = h.now
    h.command("eye", "pulse", 1, 1, None, "white")
    h.run_for(0.7)
    expected = Pulse(1, 1).level_at(h.now - start)
    # A full-level pulse on one gpiozero LED runs in gpiozero's own thread; the three pins
    # of an RGB LED are stepped together on the (virtual) clock (every 20 ms), so they match.
    red, green, blue = duty(pins)
    assert red == green == blue == pytest.approx(expected, abs=0.021)
    assert 0.3 < red < 1
    h.command("eye", "off")
    assert duty(pins) == [0, 0, 0]
