"""`museokit check` catches serial mistakes before anything starts, without pyserial."""

from __future__ import annotations

import subprocess
import sys

import pytest

from museokit.core.config import InstallationError
from tests.conftest import REPO, device

HEAD = '[installation]\nname = "t"\nbackend = "serial"\n\n'


def problems(installation, text: str) -> list[str]:
    with pytest.raises(InstallationError) as info:
        installation(text)
    return [str(i) for i in info.value.issues]


def test_a_device_without_board_is_refused_with_the_fix(installation):
    [issue] = problems(installation, HEAD + device("door", "button", "pin = 2"))
    assert "devices[0]: device 'door' is on the serial backend but names no board" in issue
    assert 'board = "3FA29C01"' in issue


def test_an_unknown_board_name_gets_a_suggestion(installation):
    text = HEAD + '[serial]\nboards = {plinth = "3FA29C01"}\n\n' + device(
        "door", "button", 'board = "plinht"\npin = 2')
    [issue] = problems(installation, text)
    assert "devices[0].board: unknown board 'plinht' — did you mean 'plinth'?" in issue


def test_a_pin_the_board_does_not_have_is_refused(installation):
    text = HEAD + device("door", "button", 'board = "3FA29C01"\npin = "GPIO17"')
    [issue] = problems(installation, text)
    assert "devices[0].pin: 'GPIO17' is not a board pin — write 'D2'" in issue


def test_bad_serial_settings_name_the_key_and_line(installation):
    text = HEAD + '[serial]\nbuad = 9600\nboards = {plinth = "kitchen"}\nretries = 0\n'
    found = problems(installation, text)
    assert any(":6: serial.buad: unknown key 'buad' in [serial] — did you mean 'baud'?" in p
               for p in found)
    assert any(":8: serial.retries: expected a whole number from 1 to 20, got 0" in p for p in found)
    [issue] = problems(installation, HEAD + '[serial]\nboards = {plinth = "kitchen"}\n')
    assert "serial.boards: board 'plinth': 'kitchen' is not a board id" in issue


def test_a_tag_reader_on_a_board_is_refused_with_what_to_use_instead(installation):
    text = HEAD + device("reader", "tag_reader", 'board = "3FA29C01"\npin = "D10"')
    [issue] = problems(installation, text)
    assert "devices[0].kind: device 'reader': RFID readers on a serial board are not supported yet" \
        in issue
    assert "wire the reader to the Raspberry Pi instead, or use a USB HID reader" in issue


@pytest.mark.subprocess
def test_check_names_the_file_and_line_of_a_tag_reader_on_a_board(tmp_path):
    """What a maker sees from `museokit check`, with the line of the offending device."""
    folder = tmp_path / "plinth"
    folder.mkdir()
    (folder / "installation.toml").write_text(
        HEAD + device("reader", "tag_reader", 'board = "3FA29C01"\npin = "D10"'))
    out = subprocess.run([sys.executable, "-m", "museokit.cli", "check", str(folder)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    said = out.stdout + out.stderr
    assert "installation.toml:" in said and "RFID readers on a serial board are not supported yet" in said


def test_pins_on_a_board_are_shared_whatever_their_spelling(installation):
    text = HEAD + device("door", "button", 'board = "3FA29C01"\npin = 2') + device(
        "lamp", "led", 'board = "3FA29C01"\npin = "d2"')
    [issue] = problems(installation, text)
    assert "pin 3FA29C01:D2 is already used by device 'door'" in issue


@pytest.mark.subprocess
def test_check_of_a_serial_installation_does_not_import_pyserial():
    code = ("import sys; from museokit.cli import main; "
            "rc = main(['check', 'installations/object-plinth']); "
            "print(rc, 'serial' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True,
                         timeout=60)
    assert out.stdout.split()[-2:] == ["0", "False"], out.stderr


def test_any_device_asking_a_board_for_tags_is_refused_at_start():
    """A brick of another kind that reads tags gets the same answer when it opens."""
    from museokit.backends.serial.backend import NO_RFID, SerialBackend
    from museokit.core.backend import BackendError
    from museokit.core.bus import Bus
    from museokit.core.clock import VirtualClock
    from museokit.core.loop import Loop
    from museokit.core.pins import PinRef

    backend = SerialBackend(Loop(VirtualClock(), Bus()))
    with pytest.raises(BackendError) as refused:
        backend.open_input("shelf", "tag", PinRef("3FA29C01", "D10"), lambda value: None)
    assert str(refused.value) == NO_RFID
