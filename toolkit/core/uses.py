"""`[[uses]]`: behaviour bricks an installation runs beside its own behaviour.

    [[uses]]
    brick = "attract-loop"          # an installed brick (entry point in `museokit.bricks`)
    version = ">=1,<2"              # checked by `museokit check` (museokit.bricks.uses)
    path = "../bricks/attract-loop" # or a local folder, relative to the installation
    options = { inputs = ["plinth.*"], idle = 60 }

The core only parses the tables and finds each brick's folder; version ranges
and the brick's own manifest are checked a layer up, by `museokit check`.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from museokit.core.suggest import suggest

#: Entry-point group of installed bricks: name -> the top-level package that holds the brick.
BRICKS = "museokit.bricks"
USE_KEYS = ("brick", "version", "path", "options")
#: The Python module a behaviour brick shares, in its folder.
BRICK_MODULE = "behaviour.py"

Report = Callable[[tuple[str | int, ...], str, str], None]


@dataclass(frozen=True)
class UseConfig:
    brick: str
    version: str | None = None
    path: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    index: int = 0


class BrickNotFound(LookupError):
    """The brick is neither installed nor in the folder given; the message says which."""


def parse_uses(raw: Any, error: Report) -> list[UseConfig]:
    """The `[[uses]]` tables, each problem sent to `error(path, message, hint)`."""
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        error(("uses",), "expected [[uses]] tables", "write each one under its own [[uses]] header")
        return []
    result: list[UseConfig] = []
    for i, table in enumerate(raw):
        path: tuple[str | int, ...] = ("uses", i)
        for key in table:
            if key not in USE_KEYS:
                error((*path, key), f"unknown key {key!r} in [[uses]]",
                      suggest(key, USE_KEYS) or f"known keys: {', '.join(USE_KEYS)}")
        brick = table.get("brick")
        if not isinstance(brick, str) or not brick:
            error((*path, "brick") if "brick" in table else path,
                  "[[uses]] without a brick" if brick is None else
                  f"expected a brick name in quotes, got {brick!r}",
                  'add brick = "attract-loop" (its name)')
            continue
        texts = {}
        for key in ("version", "path"):
            value = table.get(key)
            if value is not None and not isinstance(value, str):
                error((*path, key), f"expected a text, got {value!r}",
                      'for example version = ">=1,<2"' if key == "version" else
                      'for example path = "../bricks/attract-loop"')
                value = None
            texts[key] = value
        options = table.get("options", {})
        if not isinstance(options, dict):
            error((*path, "options"), f"expected a table, got {options!r}",
                  "write options = { idle = 60 }")
            options = {}
        result.append(UseConfig(brick, texts["version"], texts["path"], options, i))
    return result


def brick_folder(use: UseConfig, base: Path) -> Path:
    """The folder of a used brick: its `path`, else the installed package's folder.

    Finding an installed brick reads its entry point and locates its top-level
    package without importing it.
    """
    if use.path is not None:
        folder = (base / use.path).resolve()
        if not (folder / "brick.toml").is_file():
            raise BrickNotFound(f"no brick.toml in {folder}")
        return folder
    found = installed_folder(use.brick)
    if found is None:
        raise BrickNotFound(f"brick {use.brick!r} is not installed")
    return found


def installed_folder(name: str) -> Path | None:
    """The folder of the installed brick `name`. Its entry point names the package that holds
    it; the folder is found from the top-level package's location, so nothing is imported
    (not even a parent package's `__init__`)."""
    for ep in entry_points(group=BRICKS):
        if ep.name != name:
            continue
        top, *rest = ep.value.split(":")[0].split(".")
        spec = importlib.util.find_spec(top)
        if spec is None or not spec.submodule_search_locations:
            return None
        for location in spec.submodule_search_locations:
            folder = Path(location).joinpath(*rest)
            if folder.is_dir():
                return folder
    return None
