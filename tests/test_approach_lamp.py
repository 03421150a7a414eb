"""The approach-lamp example on the gpio backend, with gpiozero's mock pins standing in for
the HC-SR04, lamp and relay (its scenarios run in tests/test_examples.py)."""

from __future__ import annotations

from museokit.sim.harness import Harness
from tests.conftest import REPO
from tests.gpio_pins import hc_sr04, wait_for

FOLDER = REPO / "installations/approach-lamp"


def test_the_same_installation_on_gpio_pins(pins):
    sensor = hc_sr04(pins, trigger=23, echo=24, echo_time=0.013)  # 223 cm: nobody near
    lamp, relay = pins.pin(18), pins.pin(17)
    with Harness.open(FOLDER, backend="gpio") as h:
        h.run_for(1)
        assert lamp.state == 0 and relay.state == 1  # dark; the active-low relay is off
        sensor.echo_time = 0.002  # a visitor at 34 cm
        wait_for(h, lambda: h.device("motor").is_active)
        assert h.events("visitor.entered")[-1].value == "near"
        assert relay.state == 0
        wait_for(h, lambda: lamp.state == 1.0)
        assert lamp.frequency == 100  # gpiozero's PWM, not on/off
        sensor.echo_time = 0.0075  # they step back to 129 cm: the lamp dims to half
        wait_for(h, lambda: 0.4 < lamp.state < 0.6)
        sensor.echo_time = 0.013  # they walk away
        wait_for(h, lambda: lamp.state == 0.0)
        assert relay.state == 0  # the motor runs on for 5 s
        h.run_for(5.5)
        assert relay.state == 1
        assert h.errors == []
