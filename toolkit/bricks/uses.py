"""Checking `[[uses]]`: each brick found, of a version in range, with options it knows, no cycle.

Used by `museokit check` (and before `run` and `sim`) for an installation's
`[[uses]]`, and for the `[[uses]]` of a brick's own manifest.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path

from museokit.bricks import manifest
from museokit.core.config import ConfigIssue
from museokit.core.suggest import suggest
from museokit.core.tomlmap import key_lines, line_of
from museokit.core.uses import BRICKS, BrickNotFound, UseConfig, brick_folder

#: error(use, key, message, hint)
Report = Callable[[UseConfig, str, str, str], None]


def check_uses(file: Path, uses: list[UseConfig], owner: str) -> list[ConfigIssue]:
    """Every problem with `uses` (written in `file`, by the brick or installation `owner`)."""
    try:
        lines = key_lines(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        lines = {}
    issues: list[ConfigIssue] = []

    def error(use: UseConfig, key: str, message: str, hint: str) -> None:
        path = ("uses", use.index, key) if key else ("uses", use.index)
        issues.append(ConfigIssue(str(file), line_of(lines, path),
                                  f"uses[{use.index}]" + (f".{key}" if key else ""), message, hint))

    for use in uses:
        found = _resolve(use, file.parent, error)
        if found is None:
            continue
        if found.kind != "behaviour":
            error(use, "brick", f"brick {use.brick!r} is {'an' if found.kind == 'installation' else 'a'} "
                  f"{found.kind} brick, not a behaviour",
                  "[[uses]] runs behaviour bricks; fork an installation brick with "
                  "`museokit new PATH --from NAME`")
            continue
        if use.version is not None:
            try:
                ok = manifest.satisfies(found.version, use.version)
            except Exception:
                error(use, "version", f"{use.version!r} is not a version range", manifest.RANGE_HINT)
                continue
            if not ok:
                error(use, "version", f"brick {use.brick!r} {found.version} (at {found.folder}) is "
                      f"not in the range {use.version}",
                      f"install a version in range (pip install 'museokit-brick-{use.brick}"
                      f"{use.version.replace(' ', '')}'), or change version to match "
                      f"{found.version} if it works")
        for key, value in use.options.items():
            if found.options and key not in found.options:
                error(use, "options", f"brick {use.brick!r} has no option {key!r}",
                      suggest(key, found.options) or f"its options: {', '.join(found.options)}")
            elif key in found.options and not _same_type(found.options[key], value):
                default = found.options[key]
                error(use, "options", f"option {key!r} of brick {use.brick!r} is {_kind(default)} "
                      f"(like {default!r}), got {value!r}", f"see `museokit check {found.folder}` "
                      "and its README for what each option means")
        cycle = _cycle(found, [owner])
        if cycle:
            error(use, "brick", f"dependency cycle: {' → '.join(cycle)}",
                  "a brick cannot use itself through others; remove one [[uses]] of the loop")
    return issues


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    for cls, name in ((str, "a text"), (list, "a list"), (dict, "a table")):
        if isinstance(value, cls):
            return name
    return type(value).__name__


def _same_type(default: object, value: object) -> bool:
    """A number for a number (whole or not), a list for a list, and so on."""
    return _kind(default) == _kind(value)


def _resolve(use: UseConfig, base: Path, error: Report) -> manifest.Manifest | None:
    try:
        folder = brick_folder(use, base)
    except BrickNotFound as exc:
        if use.path is not None:
            error(use, "path", str(exc), "give the folder of a brick (it holds brick.toml)")
        else:
            known = [ep.name for ep in entry_points(group=BRICKS)]
            error(use, "brick", f"brick {use.brick!r} is not installed",
                  suggest(use.brick, known) or f"pip install museokit-brick-{use.brick}, or give "
                  f'path = "FOLDER" to use a local copy')
        return None
    try:
        found = manifest.load(folder)
    except manifest.ManifestError as exc:
        error(use, "brick", f"brick {use.brick!r} has a broken manifest: {exc.issues[0]}",
              f"`museokit check {folder}` lists every problem")
        return None
    if found.name != use.brick:
        error(use, "brick", f"the brick in {folder} is named {found.name!r}, not {use.brick!r}",
              f'write brick = "{found.name}"')
        return None
    return found


def _cycle(brick: manifest.Manifest, stack: list[str]) -> list[str] | None:
    """The loop of names if `brick`, used from `stack`, leads back into it."""
    if brick.name in stack:
        return [*stack[stack.index(brick.name):], brick.name]
    for use in brick.dependencies():
        try:
            folder = brick_folder(use, brick.folder)
            inner = manifest.load(folder)
        except (BrickNotFound, manifest.ManifestError):
            continue  # reported when that brick itself is checked
        found = _cycle(inner, [*stack, brick.name])
        if found:
            return found
    return None
