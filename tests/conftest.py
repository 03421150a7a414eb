"""Shared fixtures: build an installation from TOML text and run it on the virtual clock."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from museokit.core.config import ConfigIssue, Installation, InstallationError, load_installation
from museokit.sim.harness import Harness
from tests import external

REPO = Path(__file__).resolve().parent.parent

#: The `pins` fixture: gpiozero's MockFactory, for tests of the gpio backend; Mosquitto,
#: MQTT observers and node processes for the networking tests.
pytest_plugins = ["tests.gpio_pins", "tests.net_fixtures", "tests.dash_fixtures"]

# Screens and sound run headless in tests: SDL's dummy video and audio drivers.
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")

#: The smallest installation: one button called door.
ONE_BUTTON = """\
[[devices]]
id = "door"
kind = "button"
pin = 17
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that start a program from outside Python (tests/external.py)."""
    external.mark_items(items)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    external.running(item)


@pytest.fixture(autouse=True)
def _in_process_unless_marked(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    external.refuse_children(request.node, monkeypatch)


def device(dev_id: str, kind: str, options: str = "") -> str:
    """The TOML of one device table: `device("lamp", "led", "pwm = true")`."""
    return f'[[devices]]\nid = "{dev_id}"\nkind = "{kind}"\n{options}\n'


def option_problem(installation: Callable[..., Installation], kind: str,
                   option: str) -> ConfigIssue:
    """Load one device of `kind` with the option line `option`, which must be refused.

    Checks the one issue names that option's key and line and carries the option's help
    as its hint; returns it so the test can check what it says.
    """
    toml = f'[installation]\nname = "t"\n\n{device("it", kind, option)}'
    with pytest.raises(InstallationError) as info:
        installation(toml)
    [issue] = info.value.issues
    key = option.split("=")[0].strip()
    # A table option's bad value is named by its own key: `devices[0].zones.near`.
    assert issue.path == f"devices[0].{key}" or issue.path.startswith(f"devices[0].{key}.")
    assert issue.line == toml.splitlines().index(option) + 1
    assert issue.hint  # the option's help text
    return issue


def write_installation(folder: Path, toml: str, behaviour: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "installation.toml").write_text(textwrap.dedent(toml), encoding="utf-8")
    if behaviour is not None:
        (folder / "behaviour.py").write_text(textwrap.dedent(behaviour), encoding="utf-8")
    return folder


@pytest.fixture
def installation(tmp_path: Path) -> Callable[..., Installation]:
    """`installation(toml, behaviour=None)` -> a validated Installation in a temp folder."""

    def make(toml: str, behaviour: str | None = None, name: str = "piece") -> Installation:
        return load_installation(write_installation(tmp_path / name, toml, behaviour))

    return make


@pytest.fixture
def harness(installation: Callable[..., Installation]) -> Iterator[Callable[..., Harness]]:
    """`harness(toml, behaviour=None)` -> a started Harness (virtual clock, sim backend)."""
    made: list[Harness] = []

    def make(toml: str, behaviour: str | None = None, **kwargs: object) -> Harness:
        h = Harness(installation(toml, behaviour), **kwargs)  # type: ignore[arg-type]
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
