"""Tests that start a process beside their own carry its marker, and `external`.

    pytest -m "not external"      the quick core, in-process: no Mosquitto, simavr, Xvfb,
                                  chromium, nor museokit or a firmware in a child process
    pytest -m mosquitto           only the tests that start a broker

The fixture or helper that starts a program declares it: a fixture with
`@needs("xvfb")` marks every test that uses it, directly or through another
fixture; a fixture parameter with `marks=pytest.mark.simavr` marks those tests
only; a test that runs `museokit` itself in a child process says so with
`@pytest.mark.subprocess`. Each helper also calls `starting(program)` just before it
starts the program, and a test without `external` that starts any child process fails
(`refuse_children`), so no slow test can hide in the quick subset. The markers are
registered in pyproject.toml.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

#: Each program's marker, and what it stands for.
PROGRAMS = {
    "mosquitto": "a Mosquitto broker (Debian mosquitto, mosquitto-clients)",
    "simavr": "the Arduino sketch, built with gcc-avr and arduino-builder, run in simavr",
    "xvfb": "an X server for the simulator window (Debian xvfb, xdotool)",
    "chromium": "headless chromium (/usr/bin/chromium)",
    "subprocess": "another child process: museokit itself, a firmware runner, a system tool",
}
EXTERNAL = "external"

F = TypeVar("F", bound=Callable[..., Any])

_current: list[pytest.Item] = []


def needs(*programs: str) -> Callable[[F], F]:
    """Mark every test that uses the decorated fixture (put it under @pytest.fixture)."""
    unknown = set(programs) - set(PROGRAMS)
    assert not unknown, f"unknown program markers {unknown}; known: {', '.join(PROGRAMS)}"

    def mark(fixture: F) -> F:
        fixture.museokit_needs = programs  # type: ignore[attr-defined]
        return fixture

    return mark


def mark_items(items: list[pytest.Item]) -> None:
    """Add the program markers the fixtures declare, and `external` to every test with one."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for defs in (info.name2fixturedefs.values() if info is not None else ()):
            for fixturedef in defs:
                for program in getattr(fixturedef.func, "museokit_needs", ()):
                    item.add_marker(program)
        if any(item.get_closest_marker(program) for program in PROGRAMS):
            item.add_marker(EXTERNAL)


def running(item: pytest.Item | None) -> None:
    """The test whose setup, call or teardown runs now (conftest's hooks say so)."""
    _current[:] = [item] if item is not None else []


def starting(program: str) -> None:
    """Fail the current test unless it carries `program`'s marker."""
    assert program in PROGRAMS, program
    if _current and _current[0].get_closest_marker(program) is None:
        pytest.fail(f"{_current[0].nodeid} starts {program} but is not marked: declare it on "
                    f"the fixture that starts it (@needs({program!r}), tests/external.py) or "
                    f"mark the test @pytest.mark.{program}, so `pytest -m 'not external'` "
                    "leaves it out", pytrace=False)


def refuse_children(item: pytest.Item, monkeypatch: pytest.MonkeyPatch) -> None:
    """In a test without `external`, starting a child process fails the test."""
    if item.get_closest_marker(EXTERNAL) is not None:
        return
    start = subprocess.Popen.__init__

    def refused(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
        pytest.fail(f"{item.nodeid} starts a child process ({args!r}) but is not marked: "
                    "mark it @pytest.mark.subprocess (or the program's marker, tests/external.py) "
                    "so `pytest -m 'not external'` stays in-process and quick", pytrace=False)
        start(self, args, *rest, **kwargs)  # not reached

    monkeypatch.setattr(subprocess.Popen, "__init__", refused)
