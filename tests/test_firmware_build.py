"""The Arduino firmware builds with Debian's toolchain, fits the Uno, and its protocol core
passes its host unit tests (g++, no Arduino.h)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.simboard import SKETCH, build_sketch

#: gcc-avr and arduino-builder, the toolchain the simavr tests build with (and g++).
pytestmark = pytest.mark.simavr

TESTS = SKETCH.parent / "tests"

#: ATmega328P with the Optiboot bootloader: 32256 bytes of flash, 2048 of RAM, of which we
#: keep 400 for the stack (deepest call: a command line parsed into 24 tokens, plus ISRs).
FLASH, RAM, STACK = 32256, 2048, 400


def test_protocol_core_passes_its_host_unit_tests(tmp_path: Path) -> None:
    exe = tmp_path / "test_protocol"
    sources = [TESTS / "test_protocol.cpp", TESTS / "fake_hal.cpp", SKETCH / "protocol.cpp"]
    subprocess.run(["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", "-fsanitize=address,undefined",
                    "-o", str(exe), *map(str, sources)], check=True)
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert " 0 failures" in run.stdout  # compiled without Arduino.h: the core is portable


def test_sketch_fits_an_uno() -> None:
    elf = build_sketch()
    text, data, bss = (int(x) for x in (elf.parent / "size.txt").read_text().split("\n")[1].split()[:3])
    assert text + data <= FLASH
    assert data + bss <= RAM - STACK
