"""Boards running museokit firmware without hardware, for tests and benchmarks.

`SimAvrBoard` is the Arduino sketch (firmware/arduino/museokit) compiled with Debian's
gcc-avr + arduino-core-avr and run by firmware/simavr/simboard.c (libsimavr) with UART0 on
a pseudo-terminal. Both are built once and cached under build/firmware/<source hash>/.

Use::

    with SimAvrBoard(board_id="3FA29C01") as board:
        port = serial.Serial(board.port, 115200, timeout=1)   # open first ...
        board.start()                                          # ... then run the CPU
        board.pin("D2", 0)                                     # a visitor presses
        board.adc(0, 512); board.sonar("D7", "D8", 1000)
        board.level("D13"); board.pixels("D6"); board.reset()

Every visitor command returns after the simulator has applied it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import queue
import select
import shutil
import subprocess
import sys
import threading
import time
import tty
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import pytest

from tests.external import starting

REPO = Path(__file__).resolve().parent.parent
FIRMWARE = REPO / "firmware"
SKETCH = FIRMWARE / "arduino" / "museokit"
SIMBOARD_C = FIRMWARE / "simavr" / "simboard.c"
ECHO_SKETCH = FIRMWARE / "simavr" / "echo"
BUILD = Path(os.environ.get("MUSEOKIT_BUILD_DIR", REPO / "build")) / "firmware"

#: The flags Debian's gcc-avr 5.4 needs with its arduino-core-avr (float.h lacks DECIMAL_DIG).
ARDUINO_BUILDER = [
    "arduino-builder", "-hardware", "/usr/share/arduino/hardware",
    "-hardware", "/usr/share/arduino-builder",  # the ctags recipe lives there
    "-tools", "/usr/bin", "-fqbn", "arduino:avr:uno",
    "-prefs=build.extra_flags=-DDECIMAL_DIG=__DECIMAL_DIG__",
]


def _digest(paths: list[Path], *extra: str) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    for e in extra:
        h.update(e.encode())
    return h.hexdigest()[:16]


def _cached(name: str, digest: str, make: Callable[[Path], None]) -> Path:
    """Build `name` into build/firmware/<digest>/ once, safe against parallel builders."""
    out_dir = BUILD / digest
    target = out_dir / name
    if target.exists():
        return target
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.exists():
            work = BUILD / f"{digest}.tmp"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            make(work)
            out_dir.mkdir(exist_ok=True)
            os.replace(work / name, target)
            for leftover in work.iterdir():  # logs and sizes beside the product
                if leftover.is_file():
                    os.replace(leftover, out_dir / leftover.name)
            shutil.rmtree(work, ignore_errors=True)
    return target


def _run(cmd: list[str], what: str) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"{what} failed ({' '.join(cmd)}):\n{done.stdout}{done.stderr}")
    return done.stdout


def build_sketch(sketch: Path = SKETCH) -> Path:
    """A sketch folder's .elf for the Uno, compiled with arduino-builder (cached by source hash).

    The default is museokit's firmware; `ECHO_SKETCH` is the raw echo baseline.
    """
    sources = [p for p in sketch.iterdir() if p.suffix in (".ino", ".cpp", ".h")]
    name = sketch.name

    def make(work: Path) -> None:
        copy = work / name  # arduino-builder wants the folder named like the .ino
        shutil.copytree(sketch, copy)
        objects = work / "objects"
        objects.mkdir()
        log = _run([*ARDUINO_BUILDER, "-build-path", str(objects), str(copy / f"{name}.ino")],
                   "arduino-builder")
        (work / "build.log").write_text(log)
        os.replace(objects / f"{name}.ino.elf", work / f"{name}.elf")
        os.replace(objects / f"{name}.ino.hex", work / f"{name}.hex")
        sizes = subprocess.run(["avr-size", f"{name}.elf"], cwd=work, capture_output=True, text=True)
        (work / "size.txt").write_text(sizes.stdout)
        shutil.rmtree(copy)
        shutil.rmtree(objects)

    return _cached(f"{name}.elf", _digest(sources, *ARDUINO_BUILDER), make)


def build_simboard() -> Path:
    """firmware/simavr/simboard.c linked against libsimavr and libsimavrparts (cached)."""
    cmd = ["gcc", "-O2", "-Wall", "-Wextra", "-I/usr/include/simavr", str(SIMBOARD_C),
           "-lsimavr", "-lsimavrparts", "-lpthread", "-lutil", "-o"]

    def make(work: Path) -> None:
        _run([*cmd, str(work / "simboard")], "gcc simboard")

    return _cached("simboard", _digest([SIMBOARD_C], *cmd), make)


class _ProcessBoard:
    """A board run by a helper process that prints `PTY <path>` and takes visitor commands
    on stdin (firmware/simavr/simboard.c, tests/mpy_runner.py); its serial port is `self.port`."""

    #: The line the helper prints once it is ready; the word after it is `self.port`.
    READY = "PTY "

    def __init__(self, argv: list[str], board_id: str) -> None:
        self.board_id = board_id
        self._proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True, bufsize=1)
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.port = ""
        while not self.port:
            line = self._next_line()
            if line.startswith(self.READY):
                self.port = line.split()[1]

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put("")  # end of output

    def _next_line(self) -> str:
        try:
            line = self._lines.get(timeout=15)
        except queue.Empty:
            raise RuntimeError("simboard did not answer within 15 s") from None
        if line == "" and self._proc.poll() is not None:
            err = self._proc.stderr.read() if self._proc.stderr else ""
            raise RuntimeError(f"simboard exited ({self._proc.returncode}): {err}")
        return line

    def command(self, text: str) -> list[str]:
        """Send one simboard command; returns its `SIM ...` output lines before the OK."""
        assert self._proc.stdin is not None
        self._proc.stdin.write(text + "\n")
        self._proc.stdin.flush()
        said: list[str] = []
        while True:
            line = self._next_line()
            if line.startswith("SIM OK"):
                return said
            if line.startswith("SIM ERR"):
                raise ValueError(f"simboard refused {text!r}: {line[8:]}")
            if line.startswith("SIM "):
                said.append(line[4:])

    def start(self) -> None:
        """Run the CPU: call after opening the port, since pyserial's open() discards input."""
        self.command("start")

    def pin(self, pin: str, level: int) -> None:
        self.command(f"pin {pin} {level}")

    def adc(self, channel: int, value: int) -> None:
        self.command(f"adc {channel} {value}")

    def sonar(self, trig: str, echo: str, mm: int) -> None:
        self.command(f"sonar {trig} {echo} {mm}")

    def level(self, pin: str) -> int:
        [line] = self.command(f"level {pin}")
        return int(line.split()[-1])

    def pixels(self, pin: str) -> bytes:
        """The last WS2812 frame the firmware sent on `pin`, GRB bytes as on the wire."""
        [line] = self.command(f"pixels {pin}")
        parts = line.split()
        return bytes.fromhex(parts[2]) if len(parts) > 2 else b""

    def reset(self) -> None:
        """Press the reset button: the firmware reboots and greets again; the levels driven
        onto input pins stay (a held button is still held)."""
        self.command("reset")

    def close(self) -> None:
        if self._proc.poll() is None:
            try:
                assert self._proc.stdin is not None
                self._proc.stdin.write("quit\n")
                self._proc.stdin.flush()
                self._proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self._proc.kill()
                self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> _ProcessBoard:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


class SimAvrBoard(_ProcessBoard):
    """A simulated Uno (simavr, real time by default) running the museokit sketch."""

    def __init__(self, board_id: str = "3FA29C01", speed: float = 1.0, sketch: Path = SKETCH) -> None:
        starting("simavr")
        super().__init__([str(build_simboard()), "-i", board_id, "-s", str(speed),
                          str(build_sketch(sketch))], board_id)

    def edges(self, pin: str) -> int:
        """Rising edges the firmware drove on `pin` so far (a servo sends one per pulse)."""
        [line] = self.command(f"edges {pin}")
        return int(line.split()[-1])


class MicroPythonBoard(_ProcessBoard):
    """firmware/micropython on CPython with machine/neopixel shims (tests/mpy_runner.py)."""

    def __init__(self, board_id: str = "E6614C31") -> None:
        starting("subprocess")
        super().__init__([sys.executable, str(REPO / "tests" / "mpy_runner.py"), board_id], board_id)


class MicroPythonNode(_ProcessBoard):
    """firmware/micropython's MQTT mode (node.py) on CPython: `network` and `umqtt.simple`
    shims, the latter over paho to a real broker. `flash` is the board's file system and
    holds node.json; the firmware's log lines collect in `log`."""

    READY = "NODE "

    def __init__(self, flash: Path) -> None:
        self.log: list[str] = []
        starting("subprocess")
        super().__init__([sys.executable, str(REPO / "tests" / "mpy_runner.py"), "--node", str(flash)], "")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("museokit: "):
                self.log.append(line[len("museokit: "):])
            else:
                self._lines.put(line)
        self._lines.put("")

    def wifi(self, up: bool) -> None:
        """Bring the access point back, or take it away (connections end without a word)."""
        self.command(f"wifi {'on' if up else 'off'}")

    def stderr(self) -> str:
        """What the runner wrote to stderr so far (a traceback if the firmware crashed)."""
        import fcntl
        assert self._proc.stderr is not None
        fd = self._proc.stderr.fileno()
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
        try:
            return os.read(fd, 65536).decode(errors="replace")
        except BlockingIOError:
            return ""

    def logged(self, text: str) -> list[str]:
        return [line for line in list(self.log) if text in line]


#: Every firmware the protocol tests run against, by family.
BOARDS: dict[str, Callable[..., _ProcessBoard]] = {"avr": SimAvrBoard, "micropython": MicroPythonBoard}
#: The families as test parameters: the avr one runs in simavr (tests/external.py).
FAMILIES = [pytest.param("avr", marks=pytest.mark.simavr),
            pytest.param("micropython", marks=pytest.mark.subprocess)]


if __name__ == "__main__":  # `python -m tests.simboard`: build both and print the sizes
    print(build_simboard())
    elf = build_sketch()
    print(elf)
    print((elf.parent / "size.txt").read_text(), file=sys.stdout)


def checksum(body: str) -> str:
    """The two hex digits of a line's `*HH` suffix: XOR of its bytes (PROTOCOL.md 1.1)."""
    x = 0
    for byte in body.encode("ascii"):
        x ^= byte
    return f"{x:02X}"


class Wire:
    """The host end of a board's port, raw, speaking PROTOCOL.md by hand (no pyserial).

    The protocol tests use it to check the firmware alone; `read()` checks every line's
    checksum, so a firmware that sends a bad one fails the test.
    """

    def __init__(self, port: str) -> None:
        self.fd = os.open(port, os.O_RDWR | os.O_NOCTTY)
        tty.setraw(self.fd)
        self._buf = b""
        self.seq = 0

    def write(self, data: bytes) -> None:
        os.write(self.fd, data)

    def send(self, body: str, seq: int | None = None, check: bool = True) -> int:
        """Send one command line; seq None takes the next number. Returns the seq used."""
        if seq is None:
            self.seq = self.seq % 65535 + 1
            seq = self.seq
        line = f"{seq} {body}" if seq else body
        self.write((f"{line}*{checksum(line)}" if check else line).encode() + b"\n")
        return seq

    def read(self, timeout: float = 5.0) -> str:
        """The next line from the board, without its checksum (which must be right)."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError(f"no line from the board within {timeout} s (have {self._buf!r})")
            self._buf += os.read(self.fd, 4096)
        raw, self._buf = self._buf.split(b"\n", 1)
        line = raw.decode("ascii")
        body, star, digits = line.rpartition("*")
        assert star and digits == checksum(body), f"bad checksum from the board: {line!r}"
        return body

    def expect(self, prefix: str, timeout: float = 5.0) -> str:
        """Skip lines (heartbeats, other events) until one starts with prefix."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.read(max(0.01, deadline - time.monotonic()))
            if line.startswith(prefix):
                return line

    def ask(self, body: str, seq: int | None = None, check: bool = True) -> str:
        """Send a command and return its reply (`ok <seq> ...` or `err <seq> ...`)."""
        seq = self.send(body, seq, check)
        while True:
            line = self.read()
            kind, _, rest = line.partition(" ")
            if kind in ("ok", "err") and rest.split(" ")[0] == str(seq):
                return line

    def quiet(self, seconds: float) -> list[str]:
        """Every line that arrives within `seconds`."""
        lines = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                lines.append(self.read(left))
            except TimeoutError:
                break
        return lines

    def close(self) -> None:
        os.close(self.fd)
