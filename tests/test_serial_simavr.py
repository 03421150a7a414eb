"""The serial backend against the real firmware: the Arduino sketch in simavr (and MicroPython).

The simulated Uno (tests/simboard.py, firmware/simavr/simboard.c) has its UART on a pty,
reached through a symlink the way /dev/serial/by-id/ names a real board; "unplugging" is
killing the simulator, "replugging" is starting a new one on a new pty. The example
installation object-plinth is played step by step, as its scenario does in the simulator
(the scenario runner itself only runs on the virtual clock).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.live import Live
from tests.simboard import BOARDS, SimAvrBoard
from toolkit.core.config import load_installation

EXAMPLE = REPO / "installations" / "object-plinth"
BOARD = "3FA29C01"  # the id in the example's installation.toml
WARM = bytes.fromhex("B4FF64") * 12  # the ring's `warm` fill, GRB as on the wire


def plug(uno: SimAvrBoard, link: Path) -> SimAvrBoard:
    link.unlink(missing_ok=True)
    link.symlink_to(uno.port)
    uno.start()  # already running when the host opens the port: it asks with `hello`
    return uno


def settle(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def example(tmp_path: Path) -> Iterator[tuple[Live, Path]]:
    """The example installation, told where the simulated board's port is."""
    folder = tmp_path / "object-plinth"
    folder.mkdir()
    text = (EXAMPLE / "installation.toml").read_text()
    link = tmp_path / "ttyACM-plinth"
    text = text.replace("[serial]\n", f'[serial]\nports = ["{tmp_path}/ttyACM-*"]\n'
                        "greeting_timeout = 0.2\nwait = 10\n", 1)
    (folder / "installation.toml").write_text(text)
    yield folder, link


@pytest.mark.parametrize("family", sorted(BOARDS))
def test_the_plinth_on_a_simulated_uno(example, family: str) -> None:
    """Also run against the MicroPython firmware (CPython with machine shims, on a pty)."""
    folder, link = example
    with plug(BOARDS[family](board_id=BOARD), link) as uno, Live(load_installation(folder)) as run:
        assert uno.level("D13") == 0
        mark = run.mark()
        uno.pin("D2", 0)                      # the object is placed: the switch closes
        run.wait_for("plinth.pressed", since=mark)
        assert settle(lambda: uno.pixels("D6") == WARM)
        assert uno.level("D13") == 0

        uno.pin("D2", 1)                      # a visitor lifts it
        run.wait_for("plinth.released", since=mark)
        assert settle(lambda: uno.level("D13") == 1)   # the spot's `set D13 1` was acked
        frames = {uno.pixels("D6") for _ in range(5) if time.sleep(0.1) is None}
        assert len(frames) > 1                          # the chase runs on the ring

        uno.pin("D2", 0)                      # ...and puts it back
        run.wait_for("plinth.pressed", since=run.mark() - 1)
        assert settle(lambda: uno.level("D13") == 0 and uno.pixels("D6") == WARM)
        keys = run.keys(mark)
        assert keys.count("plinth.pressed") == 2 and keys.count("plinth.released") == 1
        assert not [k for k in keys if k.endswith("offline")]


LAMP_ONLY = """
[installation]
name = "lamp"
backend = "serial"

[serial]
ports = ["{ports}/ttyACM-*"]
greeting_timeout = 0.2
wait = 10

[[devices]]
id = "spot"
kind = "led"
board = "3FA29C01"
pin = "D13"
"""


def test_a_reset_board_is_configured_again_and_gets_its_acked_output_back(tmp_path, installation):
    # Only an output here: simboard's reset forgets the levels it drives onto input pins, so
    # a button would read pressed for a moment after the reset (noted for the firmware side).
    link = tmp_path / "ttyACM-lamp"
    with plug(SimAvrBoard(board_id=BOARD), link) as uno, \
            Live(installation(LAMP_ONLY.format(ports=tmp_path))) as run:
        run.command("spot", "on")
        assert settle(lambda: uno.level("D13") == 1)
        mark = run.mark()
        uno.reset()
        assert run.wait_for("spot.offline", since=mark).value.endswith("board reset")
        run.wait_for("spot.online", since=mark)
        assert settle(lambda: uno.level("D13") == 1)  # the acked `on` is restored
        assert run.keys(mark) == ["spot.offline", "spot.online"]


def test_unplug_and_replug_lose_nothing_acked_and_repeat_nothing(example) -> None:
    folder, link = example
    second = None
    first = plug(SimAvrBoard(board_id=BOARD), link)
    try:
        with Live(load_installation(folder)) as run:
            with first:
                first.pin("D2", 0)                          # the object is placed
                run.wait_for("plinth.pressed")
                first.pin("D2", 1)                          # and lifted: the spot comes on
                run.wait_for("plinth.released")
                assert settle(lambda: first.level("D13") == 1)
                mark = run.mark()
            assert "unplugged" in run.wait_for("plinth.offline", since=mark).value
            assert not run.runtime.devices["spot"].is_online
            second = plug(SimAvrBoard(board_id=BOARD), link)  # a new port, the same board
            run.wait_for("plinth.online", since=mark, timeout=15)
            assert settle(lambda: second.level("D13") == 1)  # the spot is on again
            second.pin("D2", 0)
            run.wait_for("plinth.pressed", since=mark)
            keys = run.keys()
            assert keys.count("plinth.pressed") == 2 and keys.count("plinth.released") == 1
    finally:
        first.close()
        if second is not None:
            second.close()  # after the host let go of its port: uart_pty's stop can hang
