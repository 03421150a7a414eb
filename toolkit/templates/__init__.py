"""Templates for `museokit new`: a working installation to start from."""

from __future__ import annotations

import re
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path


class TemplateError(ValueError):
    """The template cannot be created there; the message says why."""


def names() -> list[str]:
    root = resources.files(__package__)
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("_"))


def create(target: Path, template: str = "basic") -> list[str]:
    """Copy `template` into `target` (which must be new or empty); returns the files made."""
    if template not in names():
        raise TemplateError(f"no template {template!r}; templates: {', '.join(names())}")
    if target.exists() and any(target.iterdir()):
        raise TemplateError(f"{target} already exists and is not empty; pick a new folder")
    name = target.resolve().name
    site = re.sub(r"[^a-z0-9_]", "_", name.lower()).strip("_") or "site"
    if not site[0].isalpha():
        site = "site_" + site
    made: list[str] = []
    _copy(resources.files(__package__) / template, target, {"{{name}}": name, "{{site}}": site},
          made, Path())
    return made


def _copy(source: Traversable, target: Path, values: dict[str, str], made: list[str],
          rel: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.name == "__pycache__":
            continue
        if item.is_dir():
            _copy(item, target / item.name, values, made, rel / item.name)
            continue
        text = item.read_text(encoding="utf-8")
        for key, value in values.items():
            text = text.replace(key, value)
        (target / item.name).write_text(text, encoding="utf-8")
        made.append(str(rel / item.name))
