"""The serial backend against the real firmware: the Arduino sketch in simavr (and MicroPython).

The simulated Uno (tests/simboard.py, firmware/simavr/simboard.c) has its UART on a pty,
reached through a symlink the way /dev/serial/by-id/ names a real board; "unplugging" is
killing the simulator, "replugging" is starting a new one on a new pty. The example
installation object-plinth runs its own scenario file against the board, in real time,
through tests/board_driver.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from museokit.core.config import load_installation
from museokit.sim.scenario import load_scenario, run_scenario
from tests.board_driver import BoardDriver
from tests.conftest import REPO, device
from tests.live import Live, settle
from tests.simboard import BOARDS, ECHO_SKETCH, FAMILIES, SimAvrBoard

EXAMPLE = REPO / "installations" / "object-plinth"
BOARD = "3FA29C01"  # the id in the example's installation.toml
WARM = bytes.fromhex("B4FF64") * 12  # the ring's `warm` fill, GRB as on the wire


def plug(uno: SimAvrBoard, link: Path) -> SimAvrBoard:
    link.unlink(missing_ok=True)
    link.symlink_to(uno.port)
    uno.start()  # already running when the host opens the port: it asks with `hello`
    return uno


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


# Its visit of the plinth; idle-attract.scenario waits two minutes for the attract loop,
# which on a board is two minutes of real time (the simulator runs it in the scenario tests).
@pytest.mark.parametrize("scenario", [EXAMPLE / "scenarios" / "lift-and-return.scenario"],
                         ids=lambda p: p.stem)
@pytest.mark.parametrize("family", FAMILIES)
def test_the_plinth_passes_its_scenario_on_a_simulated_board(example, family: str,
                                                              scenario: Path) -> None:
    """The example's own .scenario file, unchanged, against the serial backend and the board's
    firmware (the Arduino sketch in simavr; the MicroPython firmware on CPython shims)."""
    folder, link = example
    installation = load_installation(folder)
    with plug(BOARDS[family](board_id=BOARD), link) as uno:
        result = run_scenario(installation, load_scenario(scenario, installation), BoardDriver(uno))
        report = "\n".join(result.lines())
        assert result.passed, report
        assert result.clock == "real" and result.met == len(result.outcomes) >= 9, report
        assert uno.level("D13") == 0 and uno.pixels("D6") == WARM  # where the scenario left it


def on_a_board(ports: Path, *devices: str) -> str:
    """An installation file whose devices sit on the simulated board found under `ports`."""
    return ('[installation]\nname = "t"\nbackend = "serial"\n\n[serial]\n'
            f'ports = ["{ports}/ttyACM-*"]\ngreeting_timeout = 0.2\nwait = 10\n\n' + "".join(devices))


LAMP = device("spot", "led", f'board = "{BOARD}"\npin = "D13"')
BUTTONS = (device("door", "button", f'board = "{BOARD}"\npin = "D2"')
           + device("bell", "button", f'board = "{BOARD}"\npin = "D3"'))
SERVO = device("arm", "servo", f'board = "{BOARD}"\npin = "D9"')


@pytest.mark.simavr
def test_a_scenario_fails_when_the_board_does_not_follow_the_host(tmp_path, installation):
    """The state check reads the board's pins: an LED the host turned on but the board never
    lit (here: the board runs a sketch that is not museokit's) fails the expectation."""
    inst = installation(on_a_board(tmp_path, LAMP).replace("wait = 10", "wait = 0.5"))
    scenario = tmp_path / "lamp.scenario"
    scenario.write_text("at 0.2  do spot.on\n        expect spot is on\n")
    with plug(SimAvrBoard(board_id=BOARD, sketch=ECHO_SKETCH), tmp_path / "ttyACM-lamp") as echo:
        result = run_scenario(inst, load_scenario(scenario, inst), BoardDriver(echo))
    [outcome] = result.outcomes
    assert not result.passed
    assert outcome.problem == ("the host set it, but the hardware did not follow: "
                               "D13 is 0, the host wrote 1"), outcome


@pytest.mark.simavr
def test_a_reset_board_is_configured_again_keeps_its_inputs_and_gets_its_outputs_back(
        tmp_path, installation):
    """A button held through the reset still reads held and one left alone still reads
    released: no event from either, as with real buttons on a board that reboots."""
    link = tmp_path / "ttyACM-lamp"
    with plug(SimAvrBoard(board_id=BOARD), link) as uno, \
            Live(installation(on_a_board(tmp_path, LAMP, BUTTONS))) as run:
        uno.pin("D2", 0)                                 # door held down
        run.wait_for("door.pressed")
        run.command("spot", "on")
        assert settle(lambda: uno.level("D13") == 1)
        mark = run.mark()
        uno.reset()
        assert run.wait_for("spot.offline", since=mark).value.endswith("board reset")
        for device in ("spot", "door", "bell"):
            run.wait_for(f"{device}.online", since=mark)
        assert settle(lambda: uno.level("D13") == 1)  # the acked `on` is restored

        def inputs() -> list[str]:
            return [k for k in run.keys(mark) if not k.endswith(("offline", "online"))]
        assert inputs() == []  # the levels read at configure time were the same as before
        assert run.call(lambda: (run.runtime.devices["door"].is_pressed,
                                 run.runtime.devices["bell"].is_pressed)) == (True, False)
        uno.pin("D3", 0)                                 # a real press after the reset
        run.wait_for("bell.pressed", since=mark)
        assert inputs() == ["bell.pressed"]


@pytest.mark.simavr
def test_a_detached_servo_stops_its_pulses(tmp_path, installation):
    """`detach` is `set D9 off` on the wire: the firmware stops the pulses, the servo goes limp."""
    def pulsing(uno: SimAvrBoard) -> bool:
        before = uno.edges("D9")
        time.sleep(0.1)                                   # five 20 ms servo frames
        return uno.edges("D9") > before

    with plug(SimAvrBoard(board_id=BOARD), tmp_path / "ttyACM-arm") as uno, \
            Live(installation(on_a_board(tmp_path, SERVO))) as run:
        assert not pulsing(uno)                           # starts detached
        run.command("arm", "angle", 90)
        assert settle(lambda: pulsing(uno))
        run.command("arm", "detach")
        assert settle(lambda: not pulsing(uno))
        run.command("arm", "angle", 10)                   # and it comes back
        assert settle(lambda: pulsing(uno))


@pytest.mark.simavr
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
