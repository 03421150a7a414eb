"""Which media files an installation names: in device options, in rules, and in string
literals its behaviour passes to screen and sound commands.

`museokit check` decodes each of them; a screen preloads its own, so the first
trigger shows at once. Devices declare which commands take media
(`media_commands`) and which options name media (`media_options`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from museokit.core.config import Installation
from museokit.media.files import kind_of


@dataclass(frozen=True)
class MediaRef:
    device: str
    name: str
    #: Where it is named: its file and line, and a key path (`rules[2].do`, `screen.play`).
    file: Path
    line: int | None
    key: str
    #: Named as something that loops (an attract item).
    loops: bool = False


def media_devices(inst: Installation) -> dict[str, Any]:
    """Device id -> class, for devices that take media files."""
    return {d.id: d.cls for d in inst.devices if getattr(d.cls, "media_commands", ())}


def media_refs(inst: Installation) -> list[MediaRef]:
    devices = media_devices(inst)
    refs: list[MediaRef] = []
    for d in inst.devices:
        for option in getattr(d.cls, "media_options", ()):
            for name in _names(d.options.get(option)):
                refs.append(MediaRef(d.id, name, inst.file, d.line, f"{d.id}.{option}", True))
    for i, rule in enumerate(inst.rules):
        for action in rule.actions:
            if action.command in getattr(devices.get(action.device), "media_commands", ()):
                values = [*action.args, *(v for k, v in action.kwargs if k == "then")]
                refs += [MediaRef(action.device, name, inst.file, rule.line, f"rules[{i}].do")
                         for name in _names(values)]
    if inst.behaviour is not None and devices:
        refs += _behaviour_refs(inst.behaviour, devices)
    return refs


def _names(value: Any) -> Iterator[str]:
    """The media file names in an option or argument value (text, or lists of texts)."""
    if isinstance(value, str):
        if kind_of(value):
            yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _names(item)


def _behaviour_refs(path: Path, devices: dict[str, Any]) -> list[MediaRef]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []  # `museokit check` reports those itself
    refs = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id in devices):
            continue
        device, command = node.func.value.id, node.func.attr
        if command not in devices[device].media_commands:
            continue
        values = [*node.args, *(k.value for k in node.keywords if k.arg == "then")]
        refs += [MediaRef(device, name, path, node.lineno, f"{device}.{command}")
                 for name in _names([_literal(v) for v in values])]
    return refs


def _literal(node: ast.expr) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError):
        return None  # a name computed at run time: not findable statically
