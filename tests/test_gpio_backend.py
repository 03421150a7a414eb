"""The gpio backend, driven through gpiozero's real code on its MockFactory pins.

Edges on mock pins call gpiozero's callbacks synchronously; the backend posts each
level to the loop, which the virtual clock then runs. Readings that gpiozero makes
on its own threads (HC-SR04 echo timing, the ADC poller) are waited for.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from gpiozero.pins.mock import MockPin, MockPWMPin

from museokit.core.runtime import StartError
from museokit.core.waveforms import Pulse
from tests.conftest import REPO, device
from tests.gpio_pins import MockMCP3008, hc_sr04, wait_for

BUTTON = device("door", "button", "pin = 17")


def gpio(harness, toml: str, behaviour: str | None = None):
    return harness(toml, behaviour, backend="gpio")


def keys(h) -> list[str]:
    return [s.key for s in h.seen]


def bounce(pin, h, levels: str, gap: float = 0.002) -> None:
    """Drive `pin` through `levels` ("1010" ...) with `gap` virtual seconds between edges."""
    for level in levels:
        if level == "1":
            pin.drive_high()
        else:
            pin.drive_low()
        h.run_for(gap)


# -- inputs --------------------------------------------------------------------------------

def test_a_bouncing_press_and_release_are_one_press_and_one_release(pins, harness):
    h = gpio(harness, BUTTON)
    pin = pins.pin(17)
    assert pin.state == 1  # museokit asked gpiozero for the pull-up: released reads high
    bounce(pin, h, "0101010")  # pressed (low), with three bounces inside 12 ms
    h.run_for(0.3)
    assert h.device("door").is_pressed
    bounce(pin, h, "1010101")  # released, bouncing
    h.run_for(1)
    assert keys(h).count("door.pressed") == 1
    assert keys(h).count("door.released") == 1
    assert h.events("door.clicked")[0].value == 1


def test_a_release_that_ends_inside_the_debounce_window_is_not_lost(pins, harness):
    h = gpio(harness, BUTTON)
    pin = pins.pin(17)
    bounce(pin, h, "0101", gap=0.01)  # a 10 ms tap and a bounce, all within 30 ms
    h.run_for(0.2)
    assert keys(h).count("door.pressed") == 1
    assert keys(h).count("door.released") == 1
    assert not h.device("door").is_pressed


def test_edges_the_loop_handles_late_keep_their_own_times(pins, harness):
    """A busy loop: gpiozero reports three edges 1 ms apart, the loop handles them together
    3 ms later. Measured on the edges they are a 1 ms press and the start of another."""
    h = gpio(harness, device("door", "button", "pin = 17\ndebounce = 0.0002"))
    pin, clock = pins.pin(17), h.runtime.clock
    for level in "010":
        pin.drive_high() if level == "1" else pin.drive_low()  # gpiozero posts to the loop
        clock.advance_to(clock.monotonic() + 0.001)  # time passes, nothing is handled
    h.run_for(0.5)
    assert keys(h)[:3] == ["door.pressed", "door.released", "door.pressed"]
    assert h.events("door.released")[0].value == 0.001
    assert h.device("door").is_pressed


def test_hold_and_double_click_on_gpio(pins, harness):
    h = gpio(harness, BUTTON)
    pin = pins.pin(17)
    pin.drive_low()
    h.run_for(1.5)
    pin.drive_high()
    h.run_for(1)
    assert [e.value for e in h.events("door.held")] == [1.0]
    for _ in range(2):
        pin.drive_low()
        h.run_for(0.1)
        pin.drive_high()
        h.run_for(0.1)
    h.run_for(1)
    assert [e.value for e in h.events("door.clicked")] == [2]


class HeldDown(MockPWMPin):
    """A button held down at power-on: the pull-up cannot lift a line shorted to ground."""

    def _set_pull(self, value):
        self._pull = value


def test_a_button_held_at_start_counts_as_pressed(pins, harness):
    pins.pin(17, pin_class=HeldDown)
    h = gpio(harness, BUTTON)
    h.run_for(0.1)
    assert h.fired("door.pressed")


def test_motion_sensor_pulses_and_retrigger(pins, harness):
    h = gpio(harness, device("pir", "motion", "pin = 4\nretrigger = 2"))
    pin = pins.pin(4)
    pin.drive_high()
    h.run_for(0.5)
    pin.drive_low()
    h.run_for(1)
    pin.drive_high()  # still there
    h.run_for(0.2)
    pin.drive_low()
    h.run_for(3)
    assert keys(h) == ["pir.motion", "pir.no_motion"]


def test_distance_readings_become_zone_events(pins, harness):
    trigger = hc_sr04(pins, 23, 24, echo_time=0.002)
    h = gpio(harness, device("dist", "distance", "trigger = 23\necho = 24\n"
                             "zones = {near = 80, far = 180}\nsmoothing = 3"))
    wait_for(h, lambda: h.fired("dist.entered"))
    assert h.events("dist.entered")[0].value == "near"  # 2 ms echo: 34 cm
    assert 30 <= h.device("dist").distance < 80
    trigger.echo_time = 0.0075  # 129 cm
    wait_for(h, lambda: h.device("dist").zone == "far")
    assert keys(h)[-2:] == ["dist.left", "dist.entered"]
    assert [e.value for e in h.events("dist.left")] == ["near"]


def test_analog_sensor_on_an_mcp3008(pins, harness):
    pins.pin_class = MockPin  # gpiozero's software SPI runs on plain mock pins
    chip = MockMCP3008()
    chip.voltages[2] = 0.66  # 0.2 of 3.3 V
    h = gpio(harness, device("knob", "analog", 'board = "mcp3008"\npin = 2\nthreshold = 0.5'))
    wait_for(h, lambda: h.device("knob").value > 0)
    assert h.device("knob").value == pytest.approx(0.2, abs=0.002)
    assert not h.fired("knob.above")
    chip.voltages[2] = 2.97  # 0.9
    wait_for(h, lambda: h.fired("knob.above"))
    assert h.events("knob.above")[0].value == pytest.approx(0.9, abs=0.002)


# -- outputs -------------------------------------------------------------------------------

def test_led_on_off_and_relay_active_low(pins, harness):
    h = gpio(harness, device("lamp", "led", "pin = 5")
             + device("motor", "relay", "pin = 6\nactive_high = false"))
    led, relay = pins.pin(5), pins.pin(6)
    assert (led.state, relay.state) == (0, 1)  # both off; the active-low relay idles high
    h.command("lamp", "on")
    h.command("motor", "on")
    assert (led.state, relay.state) == (1, 0)
    h.command("motor", "pulse", 2)
    h.run_for(2.1)
    assert relay.state == 1
    assert h.fired("motor.finished")


def test_pwm_brightness_levels(pins, harness):
    pin = pins.pin(18)
    h = gpio(harness, device("lamp", "led", "pin = 18\npwm = true"))
    h.command("lamp", "brightness", 0.3)
    assert pin.state == pytest.approx(0.3)
    h.command("lamp", "brightness", 1.7)  # clamped
    assert pin.state == 1.0
    h.command("lamp", "off")
    assert pin.state == 0.0


def test_a_full_pulse_runs_in_gpiozero_and_reaches_every_level(pins, harness):
    pin = pins.pin(18)
    h = gpio(harness, device("lamp", "led", "pin = 18\npwm = true"))
    pin.clear_states()
    h.command("lamp", "pulse", 0.2, 0.2)
    seen = lambda: [s.state for s in pin.states]  # noqa: E731
    wait_for(h, lambda: any(v > 0.95 for v in seen()) and seen()[-1] < 0.1)
    assert any(0.3 < v < 0.7 for v in seen())
    h.command("lamp", "off")
    assert pin.state == 0.0


def test_a_dimmed_pulse_is_stepped_on_the_loop_clock(pins, harness):
    pin = pins.pin(18)
    h = gpio(harness, device("lamp", "led", "pin = 18\npwm = true\nbrightness = 0.5"))
    start = h.now
    pin.clear_states()
    h.command("lamp", "pulse", 1, 1)
    h.run_for(2)
    levels = [s.state for s in pin.states]
    assert max(levels) == pytest.approx(0.5)
    expected = Pulse(1, 1, None, 0.5)
    assert pin.state == pytest.approx(expected.level_at(h.now - start), abs=0.02)


def test_servo_pulse_widths(pins, harness):
    pin = pins.pin(12)
    h = gpio(harness, device("arm", "servo", "pin = 12\nmin_pulse_width = 0.0005\n"
                             "max_pulse_width = 0.0025"))
    assert pin.state == 0  # detached: no pulses
    for angle, width in [(0, 0.0005), (90, 0.0015), (180, 0.0025), (45, 0.001)]:
        h.command("arm", "angle", angle)
        assert pin.frequency == 50
        assert pin.state * 0.02 == pytest.approx(width), angle  # duty cycle x 20 ms frame
    h.command("arm", "detach")
    assert pin.state == 0


def test_buzzer_plays_tones_and_beeps(pins, harness):
    pin = pins.pin(13)
    h = gpio(harness, device("bell", "buzzer", "pin = 13"))
    h.command("bell", "play", "A5")
    assert pin.frequency == pytest.approx(880)
    assert pin.state == 0.5
    h.command("bell", "play", 15000)  # above TonalBuzzer's range: the nearest it plays
    assert pin.frequency == pytest.approx(7040)
    h.command("bell", "beep", 0.1, 0.1, n=2, tone=440)
    h.run_for(0.05)
    assert pin.frequency == pytest.approx(440)
    h.run_for(0.1)
    assert pin.state == 0
    h.run_for(0.5)
    assert h.fired("bell.finished")


# -- bad input -----------------------------------------------------------------------------

def test_a_dimmable_led_on_a_pin_without_pwm_says_so(pins, installation):
    from museokit.core.runtime import Runtime

    pins.pin_class = MockPin  # no PWM anywhere
    runtime = Runtime(installation(device("lamp", "led", "pin = 18\npwm = true")),
                      backend_override="gpio")
    with pytest.raises(StartError) as info:
        runtime.start()
    message = str(info.value)
    assert "lamp" in message and "GPIO18 cannot do PWM with the MockFactory pin factory" in message
    assert "pwm = false" in message
    assert len(message.splitlines()) == 1


def test_a_servo_without_pwm_says_so(pins, installation):
    from museokit.core.runtime import Runtime

    pins.pin_class = MockPin
    runtime = Runtime(installation(device("arm", "servo", "pin = 12")), backend_override="gpio")
    with pytest.raises(StartError, match=r"arm: pin GPIO12 cannot do PWM .* a Servo needs it"):
        runtime.start()


def test_analog_sensor_without_an_adc_says_how_to_wire_one(pins, installation):
    from museokit.core.runtime import Runtime

    runtime = Runtime(installation(device("knob", "analog", "pin = 5")), backend_override="gpio")
    with pytest.raises(StartError, match='no analog pins; wire the sensor to an MCP3008'):
        runtime.start()


def test_closing_releases_every_pin(pins, harness):
    pwm = pins.pin(18)
    h = gpio(harness, BUTTON + device("lamp", "led", "pin = 18\npwm = true"))
    h.command("lamp", "on")
    h.close()
    assert pwm.state == 0
    assert pins.pin(17).function == "input"
    assert not any(pins._reservations.values())  # gpiozero holds no pin any more


@pytest.mark.subprocess
def test_run_without_gpio_says_so_in_one_line(tmp_path):
    """No pin factory works on this machine: one line, no gpiozero traceback."""
    (tmp_path / "installation.toml").write_text(BUTTON)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GPIOZERO")}
    result = subprocess.run([sys.executable, "-m", "museokit.cli", "run", str(tmp_path),
                             "--backend", "gpio"], capture_output=True, text=True, timeout=60,
                            cwd=REPO, env=env)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "museokit: cannot start: backend 'gpio' cannot start: no GPIO here: this machine is "
        "not a Raspberry Pi (gpiozero found no pin library); `museokit run PATH --backend sim` "
        "simulates the devices, `museokit sim PATH` too"]
