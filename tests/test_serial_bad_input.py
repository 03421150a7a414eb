"""The serial backend against a scripted board on a pty: everything that can go wrong.

The main path (a real firmware in simavr) is in test_serial_simavr.py; here a small
scripted peer sends what a real board rarely does on demand: garbage, cut and overlong
lines, wrong checksums, repeated line numbers, lost replies, resets, unplugs, a wrong
protocol version and two boards with one id.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
import serial

from museokit.backends.serial.ports import close_port
from tests.conftest import device
from tests.live import Live, settle
from tests.serial_peer import ScriptedBoard, signed

BOARD = "3FA29C01"


def toml(folder: Path, extra: str = "") -> str:
    return f"""
[installation]
name = "t"
backend = "serial"

[serial]
ports = ["{folder}/board*"]
greeting_timeout = 0.1
ack_timeout = 0.1
heartbeat = 0.2
wait = 1.5
boards = {{plinth = "{BOARD}"}}

{device("door", "button", 'board = "plinth"' + chr(10) + 'pin = "D2"' + chr(10) + "debounce = 0")}
{device("lamp", "led", 'board = "plinth"' + chr(10) + "pin = 13")}
{extra}
"""


@pytest.fixture
def ports(tmp_path: Path) -> Path:
    folder = tmp_path / "dev"
    folder.mkdir()
    return folder


@pytest.fixture
def boards(ports: Path):
    made: list[ScriptedBoard] = []

    def make(name: str = "board0", **kwargs: object) -> ScriptedBoard:
        board = ScriptedBoard(link=ports / name, **kwargs)  # type: ignore[arg-type]
        made.append(board)
        return board

    yield make
    for board in made:
        board.unplug()


@pytest.fixture
def live(installation, ports: Path):
    running: list[Live] = []

    def start() -> Live:
        run = Live(installation(toml(ports)))
        running.append(run)
        return run.__enter__()

    yield start
    for run in running:
        run.close()


def link_of(run: Live):
    return run.runtime.backends["serial"].links[BOARD]  # type: ignore[attr-defined]


def test_garbage_cut_overlong_and_badly_summed_lines_are_dropped_counted_never_acted_on(
        boards, live):
    board = boards()
    run = live()
    assert board.wait_for("in D2 up 5")
    mark = run.mark()
    board.raw(b"\x00\xff\xfe garbage \x07\n")                    # junk bytes
    board.raw(b"ev 1 100 D2 0\n")                                 # no checksum: cut or forged
    board.raw(signed("ev 1 100 D2 0")[:-4] + b"*00\n")            # wrong checksum
    board.raw(b"ev 1 100 D2 0*" + b"7" * 200 + b"\n")             # overlong
    board.raw(signed("ev 1 100 D2 0")[:8])                        # cut short by a reset...
    board.raw(signed("ev 1 100 D2 0"))                            # ...joined to the next line
    board.raw(signed("ev x 100 D2 0"))                            # checksum fine, malformed
    board.event("D2", "0")                                        # the one real press
    pressed = run.wait_for("door.pressed", since=mark)
    counters = link_of(run).counters
    assert (counters.junk, counters.badsum, counters.long, counters.malformed) == (1, 3, 1, 1)
    assert pressed.value is None
    assert run.keys(mark).count("door.pressed") == 1
    assert not any(k.endswith("offline") for k in run.keys(mark))


def test_a_repeated_line_number_is_acted_on_once_and_a_gap_rereads_the_inputs(boards, live):
    board = boards()
    run = live()
    mark = run.mark()
    line = signed(f"ev {board.n + 1} 100 D2 0")
    board.raw(line + line)
    run.wait_for("door.pressed", since=mark)
    board.n += 1
    board.levels["D2"] = "1"
    board.n += 5  # five lines lost: the host must ask for D2's level
    board.unsolicited("hb {n} 0 0 0")
    run.wait_for("door.released", since=mark)
    assert board.wait_for("get D2")
    assert run.keys(mark).count("door.pressed") == 1
    assert link_of(run).counters.dup == 1 and link_of(run).counters.gaps == 1


def test_a_lost_reply_is_retried_with_the_same_number_and_executed_once(boards, live):
    board = boards()
    run = live()
    board.drop_replies = 1
    run.command("lamp", "on")
    assert board.wait_for("set D13 1")
    run.command("lamp", "off")
    assert board.wait_for("set D13 0")
    assert board.executed.count("set D13 1") == 1
    assert link_of(run).online.is_set()


def test_a_board_that_resets_goes_offline_is_configured_again_and_gets_its_outputs_back(
        boards, live):
    board = boards()
    run = live()
    run.command("lamp", "on")
    assert board.wait_for("set D13 1")
    mark = run.mark()
    board.executed.clear()
    board.greet()
    assert run.wait_for("door.offline", since=mark).value == "board plinth (3FA29C01): board reset"
    run.wait_for("door.online", since=mark)
    run.wait_for("lamp.online", since=mark)
    assert board.executed[:2] == ["strict 1", "clear"]
    assert "set D13 1" in board.executed  # what the host had acked is restored
    board.event("D2", "0")
    run.wait_for("door.pressed", since=mark)


def test_a_reset_whose_greeting_is_garbled_is_seen_from_the_line_numbers(boards, live, caplog):
    """The soak's Uno reset mid-line: the stub of the cut line glued to `hello 0` failed
    its checksum, and every line after it looked like a repeat, so the board stayed
    unconfigured (its `px` refused) until the next unplug."""
    board = boards()
    run = live()
    board.event("D2", "0")
    run.wait_for("door.pressed")
    run.command("lamp", "on")
    assert board.wait_for("set D13 1")
    mark = run.mark()
    board.executed.clear()
    board.greet(stub=b"ev 7 123")
    assert run.wait_for("door.offline", since=mark).value == "board plinth (3FA29C01): board reset"
    run.wait_for("lamp.online", since=mark)
    assert board.executed[:2] == ["strict 1", "clear"]
    assert "set D13 1" in board.executed
    assert "its greeting was lost" in caplog.text
    board.event("D2", "1")
    run.wait_for("door.released", since=mark)


def test_refusals_from_a_board_are_rate_limited_in_the_log(boards, live, caplog):
    board = boards()
    run = live()
    board.roles.clear()  # the board forgets D13 without a reset: every `set` is refused
    board.executed.clear()
    for i in range(12):
        run.command("lamp", "on" if i % 2 == 0 else "off")
        assert settle(lambda n=i + 1: sum(c.startswith("set D13") for c in board.executed) == n)
    assert settle(lambda: link_of(run).refusals.total == 12)
    assert caplog.text.count("refused `set D13") == 5  # then counted: "… and 7 more"
    health = run.runtime.health
    assert health.counters()["serial.plinth.refused"] == 12
    assert link_of(run).refusals in health.limiters  # its "… and 7 more" line comes on time


def test_unplug_and_replug_on_another_port_goes_offline_then_online_without_double_events(
        boards, live):
    first = boards()
    run = live()
    first.event("D2", "0")
    run.wait_for("door.pressed")
    mark = run.mark()
    first.unplug()
    offline = run.wait_for("door.offline", since=mark)
    assert "unplugged" in offline.value
    second = boards("board1")  # the same board id, on a new port
    second.levels["D2"] = "0"  # still held down: no second press
    run.wait_for("door.online", since=mark)
    assert link_of(run).port.endswith("board1")
    second.event("D2", "1")
    run.wait_for("door.released", since=mark)
    assert run.keys().count("door.pressed") == 1


def test_a_board_that_stops_answering_counts_as_gone(boards, live):
    board = boards()
    run = live()
    mark = run.mark()
    board.answer = False
    run.call(run.runtime.devices["lamp"].on)
    offline = run.wait_for("lamp.offline", since=mark)
    assert "no reply to `set D13 1` after 3 tries" in offline.value or "no heartbeat" in offline.value


def test_an_unknown_protocol_version_is_refused_with_one_clear_line(boards, live, caplog):
    boards(protocol=2)
    with caplog.at_level(logging.ERROR, logger="museokit.serial"):
        run = live()
        offline = run.wait_for("door.offline")
    assert "speaks protocol version 2" in offline.value
    [record] = [r for r in caplog.records if "protocol version 2" in r.getMessage()]
    assert "flash firmware/" in record.getMessage()


def test_two_boards_with_the_same_id_are_both_refused_with_a_clear_message(boards, live, caplog):
    boards("board0")
    boards("board1")
    with caplog.at_level(logging.ERROR, logger="museokit.serial"):
        run = live()
        run.wait_for("door.offline")
    messages = [r.getMessage() for r in caplog.records if "two boards" in r.getMessage()]
    assert len(messages) == 1
    assert f"two boards answer as board {BOARD}" in messages[0]
    assert "board0" in messages[0] and "board1" in messages[0]
    assert not link_of(run).online.is_set()


def test_a_port_closed_twice_from_two_threads_does_not_kill_the_link_thread():
    """Shutdown closes the port while the link thread ends its session and closes it too;
    pyserial's second close then fails with EBADF, which once killed the thread."""
    controller, worker = os.openpty()
    conn = serial.Serial(os.ttyname(worker), 115200, timeout=0.05)
    os.close(worker)
    os.close(conn.fd)  # the other thread got there first
    with pytest.raises(OSError):
        conn.close()
    close_port(conn)  # the same second close, taken quietly
    close_port(None)
    os.close(controller)
