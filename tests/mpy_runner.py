"""Run firmware/micropython on CPython as a board with a serial port, like simboard.c does
for the Arduino sketch: same `PTY` line, same stdin commands, same `SIM` replies.

    python tests/mpy_runner.py BOARD_ID_HEX
    python tests/mpy_runner.py --node FOLDER

The firmware talks to the master end of a fresh pseudo-terminal; the test opens the
printed slave path. `reset` restarts the firmware from scratch (a new Firmware, outputs
cleared), as the reset button of a Pico does.

With `--node`, the board runs its MQTT mode instead (node.py, Wi-Fi through the `network`
shim, the broker through the `umqtt.simple` shim over paho): FOLDER is its flash, with
node.json; it prints `NODE FOLDER`, then the firmware's log lines; `start` boots it and
`wifi off` / `wifi on` take the access point away and bring it back.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
import tempfile
import threading
import tty
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE / "mpy_shims"), str(HERE.parent / "firmware" / "micropython")]

import machine  # noqa: E402  (the shim, found through the path above)

import museokit  # noqa: E402

_out = threading.Lock()


def say(*parts: object) -> None:
    """print() in one write, so the firmware's log lines never interleave with SIM lines."""
    with _out:
        sys.stdout.write(" ".join(str(p) for p in parts) + "\n")
        sys.stdout.flush()


class Reset(Exception):
    """Raised in the firmware's thread to end it, like a reset ends a real board's program."""


class PtyPort:
    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.stop = threading.Event()

    def read(self) -> bytes:
        if self.stop.is_set():
            raise Reset
        if select.select([self.fd], [], [], 0)[0]:
            return os.read(self.fd, 64)
        return b""

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)


def pin(name: str) -> int:
    return int(name.lstrip("DdAa"))


class Board:
    def __init__(self, master: int) -> None:
        self.master = master
        self.port: PtyPort | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.port = port = PtyPort(self.master)

        def serve() -> None:
            with contextlib.suppress(Reset):
                museokit.run(port)

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()

    def extra(self, verb: str, args: list[str]) -> list[str]:
        raise ValueError(f"unknown command: {verb} {' '.join(args)}")

    def reset(self) -> None:
        assert self.port and self.thread
        self.port.stop.set()
        self.thread.join(5)
        machine.reset_outputs()
        self.start()

    def command(self, line: str) -> list[str]:
        """Run one command; returns the SIM lines it prints before OK. ValueError: refused."""
        verb, *args = line.split()
        if verb == "start" and not args:
            self.start()
        elif verb == "reset" and not args:
            self.reset()
        elif verb == "pin" and len(args) == 2:
            machine.levels[pin(args[0])] = int(args[1])
        elif verb == "adc" and len(args) == 2:
            machine.adc[int(args[0])] = int(args[1])
        elif verb == "sonar" and len(args) == 3:
            machine.sonar[pin(args[1])] = int(args[2])
        elif verb == "level" and len(args) == 1:
            return [f"LEVEL {args[0]} {machine.outputs.get(pin(args[0]), 0)}"]
        elif verb == "pixels" and len(args) == 1:
            return [f"PIXELS {args[0]} {machine.strips.get(pin(args[0]), b'').hex().upper()}"]
        elif verb == "time" and not args:
            return [f"TIME {machine.ticks_ms()}"]
        else:
            return self.extra(verb, args)
        return []


class NodeBoard(Board):
    """The MQTT mode: node.run() on its own thread, the flash being the current folder."""

    def start(self) -> None:
        import node

        node.print = say  # type: ignore[attr-defined]  # the firmware's log, whole lines
        self.thread = threading.Thread(target=node.run, daemon=True)
        self.thread.start()

    def reset(self) -> None:
        raise ValueError("reset: not in the MQTT mode (stop the process instead)")

    def extra(self, verb: str, args: list[str]) -> list[str]:
        import network

        if verb == "wifi" and args in (["on"], ["off"]):
            network.set_air(args == ["on"])
            return []
        return super().extra(verb, args)


def main() -> None:
    board: Board
    if sys.argv[1] == "--node":
        os.chdir(sys.argv[2])  # the board's flash, with node.json
        board = NodeBoard(-1)
        say("NODE", sys.argv[2])
    else:
        os.environ["MUSEOKIT_BOARD_ID"] = sys.argv[1]
        os.chdir(tempfile.mkdtemp(prefix="mpy-board-"))  # the board's own flash (board_id file)
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo before the host opens the port
        say("PTY", os.ttyname(slave))
        board = Board(master)
    for line in sys.stdin:
        if line.strip() == "quit":
            break
        if not line.strip():
            continue
        try:
            for said in board.command(line.strip()):
                say("SIM", said)
            say("SIM OK", line.strip())
        except ValueError as refused:
            say("SIM ERR", refused)
    os._exit(0)  # the firmware thread never returns


if __name__ == "__main__":
    main()
