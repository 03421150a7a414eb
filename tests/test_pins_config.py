"""Pi pins in the installation file: every gpiozero name, the ADC channels, and the pins
that belong to the I2C and SPI buses (caught by `museokit check`, not at run time)."""

from __future__ import annotations

import pytest

from museokit.core.pins import PinRef
from tests.conftest import device
from tests.test_cli import museokit
from tests.test_config import line, the_problem


@pytest.mark.parametrize("name", ["17", '"GPIO17"', '"BCM17"', '"BOARD11"', '"J8:11"', '"j8:11"'])
def test_every_gpiozero_name_of_a_pin(installation, name):
    inst = installation(device("door", "button", f"pin = {name}"))
    assert inst.device("door").pins["pin"] == PinRef("pi", "GPIO17")


def test_adc_channels_are_pins_of_the_chip(installation):
    inst = installation(device("knob", "analog", 'board = "MCP3008"\npin = 3')
                        + device("light", "analog", 'board = "mcp3008"\npin = "CH4"'))
    assert [d.pins["pin"] for d in inst.devices] == [PinRef("mcp3008", "CH3"),
                                                     PinRef("mcp3008", "CH4")]


@pytest.mark.parametrize(("chip", "pin", "says"), [
    ("mcp3008", "8", "an MCP3008 has channels 0..7; got 8"),
    ("mcp3004", '"CH4"', "an MCP3004 has channels 0..3"),
    ("mcp3008", '"A0"', "got 'A0'"),
])
def test_adc_channel_out_of_range(installation, chip, pin, says):
    issue = the_problem(installation, device("knob", "analog", f'board = "{chip}"\npin = {pin}'))
    assert issue.path == "devices[0].pin"
    assert says in issue.message


def test_two_sensors_on_one_adc_channel(installation):
    issue = the_problem(installation, device("a", "analog", 'board = "mcp3008"\npin = 1')
                        + device("b", "analog", 'board = "mcp3008"\npin = "ch1"'))
    assert issue.message == "pin mcp3008:CH1 is already used by device 'a'"


@pytest.mark.parametrize(("pin", "role", "bus"), [(2, "I2C1 SDA", "i2c"), (3, "I2C1 SCL", "i2c"),
                                                  (7, "SPI0 CE1", "spi"), (10, "SPI0 MOSI", "spi")])
def test_a_bus_pin_used_as_gpio_is_a_warning_with_the_fix(installation, pin, role, bus):
    toml = device("door", "button", f"pin = {pin}")
    [warning] = installation(toml).warnings
    assert (warning.line, warning.path) == (line(toml, "pin ="), "devices[0].pin")
    assert warning.message.startswith(f"pin GPIO{pin} of device 'door' is {role}")
    assert f"say {bus}_pins_as_gpio = true in [installation]" in warning.hint


def test_saying_so_silences_the_bus_pin_warning(installation):
    inst = installation("[installation]\ni2c_pins_as_gpio = true\nspi_pins_as_gpio = true\n\n"
                        + device("door", "button", "pin = 3") + device("bell", "button", "pin = 9"))
    assert inst.warnings == []


def test_a_bus_pin_flag_must_be_true_or_false(installation):
    issue = the_problem(installation, '[installation]\ni2c_pins_as_gpio = "yes"\n')
    assert (issue.path, issue.line) == ("installation.i2c_pins_as_gpio", 2)


def test_spi_pins_are_taken_when_an_adc_is_on_the_bus(installation):
    toml = ("[installation]\nspi_pins_as_gpio = true\n\n"
            + device("knob", "analog", 'board = "mcp3008"\npin = 0')
            + device("door", "button", "pin = 9"))
    issue = the_problem(installation, toml)
    assert (issue.path, issue.line) == ("devices[1].pin", line(toml, "pin = 9"))
    assert issue.message == "pin GPIO9 is SPI0 MISO, which the ADC of device 'knob' uses"
    assert "free GPIO" in issue.hint


@pytest.mark.subprocess
def test_check_prints_the_bus_pin_warning(tmp_path):
    (tmp_path / "installation.toml").write_text(device("door", "button", "pin = 2"))
    result = museokit("check", str(tmp_path))
    assert result.returncode == 0
    assert "note: " in result.stdout and "GPIO2 of device 'door' is I2C1 SDA" in result.stdout


# -- a servo on the Pi's own pins ----------------------------------------------------------

@pytest.mark.parametrize("pin", [17, 18])  # GPIO18 too: gpiozero's lgpio PWM is software on all
def test_a_servo_on_the_gpio_backend_is_a_warning_with_the_fix(installation, monkeypatch, pin):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    toml = device("lamp", "led", "pin = 5") + device("arm", "servo", f"pin = {pin}")
    [warning] = installation(toml).warnings
    assert (warning.line, warning.path) == (line(toml, f"pin = {pin}"), "devices[1].pin")
    assert warning.message.startswith(f"servo 'arm' on GPIO{pin}: gpiozero times its pulses in "
                                      "software on every pin")
    assert "GPIOZERO_PIN_FACTORY=pigpio" in warning.hint
    assert 'backend = "serial"' in warning.hint


def test_no_servo_warning_with_the_pigpio_factory(installation, monkeypatch):
    monkeypatch.setenv("GPIOZERO_PIN_FACTORY", "pigpio")
    assert installation(device("arm", "servo", "pin = 17")).warnings == []


@pytest.mark.parametrize("where", ['[installation]\nbackend = "sim"\n\n',
                                   '[installation]\nbackend = "serial"\n\n'])
def test_no_servo_warning_off_the_gpio_backend(installation, monkeypatch, where):
    monkeypatch.delenv("GPIOZERO_PIN_FACTORY", raising=False)
    board = 'board = "3FA29C01"\n' if "serial" in where else ""
    assert installation(where + device("arm", "servo", board + "pin = 17")).warnings == []


@pytest.mark.subprocess
def test_check_prints_the_servo_warning_and_passes(tmp_path):
    (tmp_path / "installation.toml").write_text(device("arm", "servo", "pin = 23"))
    result = museokit("check", str(tmp_path))
    assert result.returncode == 0
    assert "note: " in result.stdout and "servo 'arm' on GPIO23" in result.stdout
    assert "pigpio" in result.stdout
