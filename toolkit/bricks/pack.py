"""`museokit brick pack PATH`: the brick as a wheel and an sdist, built through PEP 517 (`build`).

The distribution is `museokit-brick-<name>`; the brick's folder becomes the top-level
package `museokit_brick_<name>` (files as package data, plus a marker `__init__.py`),
registered in the entry-point group `museokit.bricks` so that `museokit bricks` lists
it and `museokit new x --from <name>` forks it. A device brick's `[provides]` become
entry points in `museokit.devices`, `museokit.backends` and `museokit.triggers`, so
pip installing it makes `kind = "<its kind>"` work. Nothing of the brick is imported.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from museokit.bricks import manifest, tomlwrite
from museokit.core.uses import BRICKS

BUILD_TIMEOUT = 600


class PackError(Exception):
    """The brick cannot be packed; the message says why and what to do."""


def distribution(name: str) -> str:
    return f"museokit-brick-{name}"


def package(name: str) -> str:
    return "museokit_brick_" + name.replace("-", "_")


def pack(folder: Path, out: Path | None = None) -> list[Path]:
    """Build the wheel and sdist of the brick in `folder` into `out`; returns their paths."""
    m = manifest.load(folder)
    if importlib.util.find_spec("build") is None:
        raise PackError("packing needs the `build` package: pip install 'museokit[bricks]'")
    out = (out or folder / "dist").resolve()
    with tempfile.TemporaryDirectory(prefix="museokit-pack-") as tmp:
        project = Path(tmp) / distribution(m.name)
        _project(m, project)
        out.mkdir(parents=True, exist_ok=True)
        before = set(out.iterdir())
        command = [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out),
                   str(project)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PackError(f"building {m.name} took over {BUILD_TIMEOUT} s") from None
        if done.returncode != 0:
            tail = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()][-3:]
            raise PackError(f"building {m.name} failed: {' | '.join(tail)} — the build backend "
                            "(setuptools) comes from the package index: check the network, or "
                            "`pip download setuptools` into a local index")
        built = sorted(p for p in set(out.iterdir()) - before if p.suffix in (".whl", ".gz"))
    if not built:  # the same version built before: the files were replaced in place
        stem = package(m.name)
        built = sorted(p for p in out.iterdir() if p.name.startswith((stem, distribution(m.name)))
                       and m.version in p.name)
    return built


def _project(m: manifest.Manifest, project: Path) -> None:
    pkg = project / package(m.name)
    pkg.mkdir(parents=True)
    for rel in manifest.brick_files(m.folder):
        dest = pkg / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(m.folder / rel, dest)
    (pkg / "__init__.py").write_text(manifest.PACKED_MARKER + "\n", encoding="utf-8")
    readme = m.folder / "README.md"
    if readme.is_file():
        shutil.copyfile(readme, project / "README.md")
    (project / "pyproject.toml").write_text(pyproject(m), encoding="utf-8")


def pyproject(m: manifest.Manifest) -> str:
    """The pyproject.toml of the brick's distribution."""
    pkg = package(m.name)
    meta: dict[str, Any] = {
        "name": distribution(m.name), "version": m.version,
        "description": m.summary or m.name, "requires-python": ">=3.11",
        "license": m.license,
        "keywords": ["museokit", "museokit-brick", f"museokit-{m.kind}", *m.keywords],
        "dependencies": [f"museokit{m.museokit.replace(' ', '')}", *_brick_requirements(m)],
    }
    if (m.folder / "README.md").is_file():
        meta["readme"] = "README.md"
    authors = [{k: v for k, v in (("name", a.name), ("email", a.email)) if v} for a in m.authors]
    meta["authors"] = authors
    urls = {k: v for k, v in (("Homepage", m.homepage), ("Repository", m.repository)) if v}
    data: dict[str, Any] = {
        "build-system": {"requires": ["setuptools>=77"], "build-backend": "setuptools.build_meta"},
        "project": meta,
    }
    text = tomlwrite.dumps(data)
    if urls:
        text += "\n[project.urls]\n" + "".join(f"{k} = {tomlwrite.value(v)}\n" for k, v in urls.items())
    text += f'\n[project.entry-points."{BRICKS}"]\n{tomlwrite.key(m.name)} = {tomlwrite.value(pkg)}\n'
    for group, entries in m.provides.items():
        text += f'\n[project.entry-points."{manifest.PROVIDES[group]}"]\n'
        text += "".join(f"{tomlwrite.key(name)} = {tomlwrite.value(f'{pkg}.{target}')}\n"
                        for name, target in entries.items())
    text += (f"\n[tool.setuptools]\npackages = [{tomlwrite.value(pkg)}]\n"
             f"include-package-data = false\n\n[tool.setuptools.package-data]\n"
             f'{pkg} = ["*", "**/*"]\n')
    return text


def _brick_requirements(m: manifest.Manifest) -> list[str]:
    """Packed bricks it uses (those that ship with museokit need nothing more)."""
    from museokit.bricks.catalog import shipped

    own = shipped()
    found = []
    for use in m.dependencies():
        if use.path is None and use.brick in own:
            continue
        found.append(f"{distribution(use.brick)}{(use.version or '').replace(' ', '')}")
    return found
