"""`museokit boards`: list the boards plugged in and give one a new id (against a pty board)."""

from __future__ import annotations

import pytest

from museokit.backends.serial import boards
from museokit.cli import main
from tests.serial_peer import ScriptedBoard


@pytest.fixture
def board():
    peer = ScriptedBoard("3FA29C01")
    yield peer
    peer.unplug()


def test_boards_lists_each_boards_id_and_firmware(board):
    [line] = boards.describe([board.port], greeting_timeout=0.1)
    assert line.startswith(f"{board.port}  board 3FA29C01  scripted-0.1  protocol 1  ana,dist,in")


def test_set_id_stores_a_new_id_and_refuses_a_malformed_one(board):
    assert boards.set_id(board.port, "3fa29c02", greeting_timeout=0.1) == (
        f"{board.port}: board 3FA29C01 is now board 3FA29C02")
    assert board.board_id == "3FA29C02"
    with pytest.raises(ValueError, match="not a board id: 8 hex digits"):
        boards.set_id(board.port, "kitchen")


def test_set_id_needs_exactly_one_port(capsys):
    assert main(["boards", "--set-id", "3FA29C02"]) == 2
    assert "--set-id needs exactly one PORT" in capsys.readouterr().err
