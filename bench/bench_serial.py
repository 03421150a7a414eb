"""The serial backend against the Arduino firmware in simavr: command → ack, and input → handler.

Command → ack: museokit's `BoardLink` sends `set D13 1` / `set D13 0` (sequence number,
checksum, one line in flight) and waits for the firmware's `ok`, which the link's
reader thread matches and hands back. Raw baseline: the firmware/simavr/echo sketch on
the same simulator and the same kind of pty; pyserial writes a line of the same length
and reads it back, with no protocol and no threads.

Input → handler: simboard drives D2 low/high (a button), the firmware debounces it
(5 ms, the backend's default) and sends `ev`; museokit parses it on the reader thread,
hands it to the loop, the Button emits `door.pressed`/`released` and a handler reads
the clock. Raw baseline: the same firmware configured by hand, the same pin change,
and pyserial reading the `ev` line straight off the pty.

Both runs alternate blocks so a busy neighbour hurts both alike. Targets: ack round trip
<= 1.2x the raw echo (p50 and p99, quiet and loaded); pin → handler p50 <= 1.3x raw.
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path
from time import perf_counter_ns

from _common import Result, median, percentile, progress, report

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from museokit.backends.serial.protocol import encode  # noqa: E402
from museokit.core.config import load_installation  # noqa: E402
from tests.live import Live  # noqa: E402
from tests.simboard import ECHO_SKETCH, SimAvrBoard  # noqa: E402

BOARD = "0BE4C401"
#: Round trips per side. A p99 needs enough of them to be more than the few worst: of 300 it
#: is the 3rd-worst, and the ratio was 1.19x and 1.23x in two runs on the 2-core VM (a soak
#: running beside them); of 1,500 (the other latency benches take 2,000–3,000), 1.07x and 1.13x.
ROUND_TRIPS = 1500
PRESSES = 40
BLOCKS = 3

TOML = f"""
[installation]
name = "serial bench"
backend = "serial"

[serial]
ports = ["{{port}}"]
greeting_timeout = 0.2

[[devices]]
id = "door"
kind = "button"
board = "{BOARD}"
pin = "D2"
debounce = 0

[[devices]]
id = "lamp"
kind = "led"
board = "{BOARD}"
pin = "D13"
"""


def raw_echo(count: int) -> list[float]:
    import serial

    line = encode(65000, "set", "D13", 1)  # the same length as museokit's command lines
    with SimAvrBoard(board_id=BOARD, sketch=ECHO_SKETCH) as echo:
        conn = serial.Serial(echo.port, 115200, timeout=1)
        echo.start()
        times = []
        for _ in range(count):
            t0 = perf_counter_ns()
            conn.write(line)
            got = b""
            while not got.endswith(b"\n"):
                got += conn.read(conn.in_waiting or 1)
            times.append((perf_counter_ns() - t0) / 1000)
        conn.close()
    return times


def museokit_acks(run: Live, count: int) -> list[float]:
    link = run.runtime.backends["serial"].links[BOARD]  # type: ignore[attr-defined]
    done = threading.Event()
    times = []
    for i in range(count):
        done.clear()
        t0 = perf_counter_ns()
        link.send("bench", [("set", "D13", i % 2)], lambda reply: done.set())
        if not done.wait(2):
            raise RuntimeError("no ack within 2 s")
        times.append((perf_counter_ns() - t0) / 1000)
    return times


def museokit_inputs(run: Live, uno: SimAvrBoard, count: int) -> list[float]:
    arrived: list[int] = []
    got = threading.Event()

    def handler(*_: object) -> None:
        arrived.append(perf_counter_ns())
        got.set()

    button = run.runtime.devices["door"]
    run.call(setattr, button, "when_pressed", handler)
    run.call(setattr, button, "when_released", handler)
    times = []
    for i in range(count):
        got.clear()
        t0 = perf_counter_ns()
        uno.pin("D2", i % 2)
        if not got.wait(2):
            raise RuntimeError("no handler call within 2 s")
        times.append((arrived[-1] - t0) / 1000)
    return times


def raw_inputs(count: int) -> list[float]:
    import serial

    with SimAvrBoard(board_id=BOARD) as uno:
        conn = serial.Serial(uno.port, 115200, timeout=1)
        uno.start()
        conn.write(encode(None, "in", "D2", "up", 5))
        time.sleep(0.2)
        conn.reset_input_buffer()
        times = []
        for i in range(count):
            t0 = perf_counter_ns()
            uno.pin("D2", i % 2)
            while not conn.readline().startswith(b"ev "):
                pass  # heartbeats
            times.append((perf_counter_ns() - t0) / 1000)
        conn.close()
    return times


def run() -> list[Result]:
    ack: list[float] = []
    echo: list[float] = []
    ins: list[float] = []
    raw_in: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for block in range(BLOCKS):
            progress(f"block {block + 1}/{BLOCKS}: {ROUND_TRIPS // BLOCKS} acks and echoes, "
                     f"{PRESSES // BLOCKS} pin changes each way")
            echo += raw_echo(ROUND_TRIPS // BLOCKS)
            raw_in += raw_inputs(PRESSES // BLOCKS)
            with SimAvrBoard(board_id=BOARD) as uno:
                uno.start()
                (folder / "installation.toml").write_text(TOML.format(port=uno.port))
                with Live(load_installation(folder)) as live:
                    ack += museokit_acks(live, ROUND_TRIPS // BLOCKS)
                    ins += museokit_inputs(live, uno, PRESSES // BLOCKS)
    return [
        Result("serial command → ack p50", median(ack), median(echo), "µs", 1.2,
               target_is_ratio=True, note="raw = echo sketch, same simulator, same line length"),
        Result("serial command → ack p99", percentile(ack, 99), percentile(echo, 99), "µs", 1.2,
               target_is_ratio=True),
        Result("board pin → handler p50", median(ins), median(raw_in), "µs", 1.3,
               target_is_ratio=True,
               note="raw = the same firmware's `ev` line read off the pty; both include the "
                    "firmware's 5 ms debounce"),
    ]


def main() -> int:
    report("Serial backend against the simulated Uno (lower is better)", run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
