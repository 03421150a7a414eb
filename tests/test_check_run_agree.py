"""`museokit check` refuses exactly what `museokit run` would refuse on the hardware.

Every example runs under every backend it declares, on gpiozero's mock pins with the
chips it names modelled (an RC522 on SPI0, an MPR121 on I2C, /dev/spidev recorded):
check passes, and the runtime starts. Then broken variants of the examples: check
refuses each on its line; with the backend's own checks switched off (as if `check`
had not looked), the runtime refuses the same file when it opens the hardware.
"""

from __future__ import annotations

import re
import shutil

import gpiozero
import pytest
import smbus2
import spidev
from gpiozero.pins.mock import MockFactory, MockPWMPin

from museokit.backends.gpio import GpioBackend
from museokit.cli import main
from museokit.core.config import InstallationError, load_installation
from museokit.core.runtime import StartError
from museokit.sim.harness import Harness
from tests.chips.mfrc522_model import Mfrc522Model
from tests.chips.mpr121_model import Mpr121Bus, Mpr121Chip
from tests.conftest import REPO, device
from tests.test_gpio_chips import RecordingSpiDev

EXAMPLES = sorted(p.parent for p in (REPO / "installations").glob("*/installation.toml"))


@pytest.fixture
def mock_pi(monkeypatch):
    """A mock Pi: gpiozero's MockFactory, an RC522 model on CE0, MPR121s, a recorded spidev."""
    factory = MockFactory(pin_class=MockPWMPin)
    gpiozero.Device.pin_factory = factory
    Mfrc522Model(factory)
    monkeypatch.setattr(spidev, "SpiDev", RecordingSpiDev)
    monkeypatch.setattr(smbus2, "SMBus", lambda bus: Mpr121Bus({0x5A: Mpr121Chip(), 0x5B: Mpr121Chip()}))
    yield factory
    factory.reset()
    gpiozero.Device.pin_factory = None


def backends_of(folder) -> list[str]:
    installation = load_installation(folder)
    named = {d.backend for d in installation.devices if d.backend}
    return sorted({installation.backend, *named})


def starts(installation, backend: str) -> str | None:
    """None if the runtime starts on `backend`, else why not."""
    if backend == "serial":  # no board is plugged in: start with them offline, at once
        installation.backend_options.setdefault("serial", {})["wait"] = 0.0
    try:
        Harness(installation, backend=backend).close()
    except StartError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("folder", EXAMPLES, ids=lambda p: p.name)
def test_every_example_passes_check_and_starts_under_each_backend_it_declares(folder, mock_pi, capsys):
    assert main(["check", str(folder)]) == 0, capsys.readouterr().err
    for backend in backends_of(folder):
        assert starts(load_installation(folder), backend) is None, backend


def test_cabinet_and_two_rooms_start_on_a_mock_pi_as_their_readmes_say(mock_pi):
    for name in ("cabinet-of-curiosities", "two-rooms"):
        assert backends_of(REPO / "installations" / name) == ["gpio"]
        assert starts(load_installation(REPO / "installations" / name), "gpio") is None


#: (example, what is changed in its installation.toml, what check says)
BROKEN = [
    ("cabinet-of-curiosities", ("pin = 10  ", "pin = 18  "), "pixels on GPIO18 need the PWM method"),
    ("cabinet-of-curiosities", ("pin = 10  ", "pin = 21  "), "pixels on GPIO21 cannot be driven"),
    ("tag-table", ("", device("second", "tag_reader")), "two devices on SPI0 CE0"),
    ("tag-table", ("", device("more", "touch", "address = 0x5A")), "two devices on I2C address 0x5a"),
    ("tag-table", ("", device("door", "button", "pin = 9")), "GPIO9 is SPI0 MISO"),
    ("tag-table", ("", device("ring", "pixels", "pin = 10")), "wire it to GPIO20"),
    ("tag-table", ("", device("nfc", "tag_reader", 'reader = "pn532"')
                   + device("nfc2", "tag_reader", 'reader = "pn532"')), "two devices on I2C address 0x24"),
]


@pytest.mark.parametrize(("example", "change", "says"), BROKEN, ids=lambda v: str(v)[:30])
def test_what_check_refuses_run_refuses_too(example, change, says, tmp_path, mock_pi, monkeypatch):
    folder = tmp_path / example
    shutil.copytree(REPO / "installations" / example, folder)
    toml = folder / "installation.toml"
    old, new = change
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new, 1) if old else text + "\n" + new)
    with pytest.raises(InstallationError) as refused:
        load_installation(folder)
    assert says in str(refused.value)
    assert re.search(r"installation\.toml:\d+: devices\[\d\]", str(refused.value))

    monkeypatch.setattr(GpioBackend, "check_device", classmethod(lambda cls, d, o: []))
    monkeypatch.setattr(GpioBackend, "check_together", classmethod(lambda cls, d, o: []))
    unchecked = load_installation(folder)
    reason = starts(unchecked, "gpio")
    assert reason is not None, f"check refuses ({says}) but run starts"
    assert "\n" not in reason


@pytest.mark.parametrize(("count", "note"), [
    (300, None),  # 2.7 kB a frame, 110 frames/s: nothing to say
    (500, "4,524 SPI bytes a frame and 15.1 ms on the wire: at most 66 frames/s; over the "
          "Pi's default SPI buffer (4096 bytes): add spidev.bufsiz=65536"),
    (800, "at most 41 frames/s; over the Pi's default SPI buffer (4096 bytes): add "
          "spidev.bufsiz=65536 to /boot/firmware/cmdline.txt and reboot, or `run` refuses the "
          "strip; slower than 60 frames/s"),
])
def test_check_tells_what_a_long_strip_costs(installation, count, note):
    inst = installation(device("strip", "pixels", f"pin = 10\ncount = {count}"))
    notes = [f"{w.path}: {w.message}" for w in inst.warnings if "SPI bytes" in w.message]
    if note is None:
        assert notes == []
    else:
        assert len(notes) == 1 and note in notes[0] and notes[0].startswith("devices[0].count: "), notes
