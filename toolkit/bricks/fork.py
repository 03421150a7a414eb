"""`museokit new PATH --from SOURCE`: a new piece made from someone else's brick.

SOURCE is a folder, an installed brick's name, a git repository (a local one, or
`git+file://…`, `git+https://…`, with `@ref` and `#subdirectory=FOLDER` as pip writes
them), or a wheel/sdist. The fork:

- never imports or runs the source's code (files are copied, TOML is parsed);
- refuses an existing target, and writes nothing there until the copy is
  complete: it is built in a hidden sibling folder and renamed into place;
- refuses an archive whose members would land outside it (`../`, absolute
  paths, links) before anything is extracted;
- records `forked_from` (name, version, content hash) at the head of the chain,
  keeps the original authors as credits, and resets the version to 0.1.0.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from museokit.bricks import manifest, tomlwrite
from museokit.core.uses import installed_folder

FIRST_VERSION = "0.1.0"
GIT_TIMEOUT = 120


class ForkError(Exception):
    """The fork cannot be made; the message names the source or target and the fix."""


@dataclass
class Forked:
    target: Path
    name: str
    source: str
    original: manifest.Fork
    files: int


def fork(source: str, target: Path, author: str | None = None) -> Forked:
    """Copy the brick at `source` into the new folder `target`, renamed, with its lineage."""
    if target.exists() or target.is_symlink():
        raise ForkError(f"{target} already exists; nothing was changed — pick a new folder")
    name = slug(target.resolve().name)
    if not name:
        raise ForkError(f"{target.name!r} makes no brick name; use letters and digits, "
                        "like my-piece")
    with _source_folder(source) as folder:
        original = _original(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            files = _copy(folder, staging)
            _rewrite(staging, name, original, author or default_author())
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return Forked(target, name, source, original, files)


def slug(text: str) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", text.lower())).strip("-").lstrip("0123456789-")


def default_author() -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        found = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True,
                               timeout=5).stdout.strip()
        if found:
            return found
    return getpass.getuser()


# -- sources ----------------------------------------------------------------------------

@contextlib.contextmanager
def _source_folder(source: str) -> Iterator[Path]:
    """The folder holding the source brick (a temporary one for git and archives)."""
    path = Path(source).expanduser()
    if source.startswith("git+") or (source.endswith(".git") and not path.is_dir()):
        with tempfile.TemporaryDirectory(prefix="museokit-fork-") as tmp:
            yield _clone(source, Path(tmp) / "src")
        return
    if path.is_file():
        with tempfile.TemporaryDirectory(prefix="museokit-fork-") as tmp:
            yield _unpack(path, Path(tmp))
        return
    if path.is_dir():
        if not ((path / manifest.FILENAME).is_file() or (path / "installation.toml").is_file()):
            raise ForkError(f"{path} holds no brick.toml or installation.toml: is it a brick?")
        yield path
        return
    if manifest.SLUG.match(source):
        found = installed_folder(source)
        if found is not None:
            yield found
            return
        raise ForkError(f"no brick {source!r}: not a folder here and not installed "
                        "(`museokit bricks` lists installed ones; pip install museokit-brick-"
                        f"{source} installs a packed one)")
    raise ForkError(f"source {source!r} not found: give a folder, an installed brick's name, "
                    "a git URL (git+file://…, git+https://…) or a .whl/.tar.gz")


def _clone(source: str, into: Path) -> Path:
    url = source[4:] if source.startswith("git+") else source
    url, _, fragment = url.partition("#")
    subdirectory = fragment.removeprefix("subdirectory=") if fragment else ""
    if fragment and (not fragment.startswith("subdirectory=") or not subdirectory
                     or subdirectory.startswith("/") or ".." in PurePosixPath(subdirectory).parts):
        raise ForkError(f"{source}: after '#' write subdirectory=FOLDER, a folder inside the "
                        "repository (like #subdirectory=bricks/attract-loop)")
    ref = None
    if "@" in url.rsplit("/", 1)[-1]:
        url, ref = url.rsplit("@", 1)
    command = ["git", "clone", "--quiet", "--depth", "1", *(["--branch", ref] if ref else []),
               url, str(into)]
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=GIT_TIMEOUT,
                              env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise ForkError("git is not installed: apt install git") from None
    except subprocess.TimeoutExpired:
        raise ForkError(f"git could not fetch {url} within {GIT_TIMEOUT} s; check the "
                        "address and the network") from None
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["git failed"])[-1].removeprefix("fatal: ")
        raise ForkError(f"cannot fetch {source}: {why} — check the address "
                        f"(and @ref{' ' + repr(ref) if ref else ''})")
    if subdirectory:
        folder = into / subdirectory
        if not ((folder / manifest.FILENAME).is_file() or (folder / "installation.toml").is_file()):
            raise ForkError(f"{source}: the repository has no brick in {subdirectory}/ (no "
                            "brick.toml or installation.toml there)")
        return folder
    return _brick_root(into, source)


def _unpack(archive: Path, into: Path) -> Path:
    """Extract a wheel, sdist or zip after checking every member stays inside `into`."""
    name = archive.name.lower()
    if name.endswith((".whl", ".zip")):
        try:
            with zipfile.ZipFile(archive) as z:
                members = [(i.filename, _zip_is_link(i)) for i in z.infolist()]
                _refuse_escapes(archive, members)
                z.extractall(into)
        except zipfile.BadZipFile as exc:
            raise ForkError(f"{archive}: not a readable wheel or zip ({exc})") from None
    elif name.endswith((".tar.gz", ".tgz", ".tar")):
        try:
            with tarfile.open(archive) as t:
                infos = t.getmembers()
                _refuse_escapes(archive, [(i.name, i.issym() or i.islnk() or not (
                    i.isfile() or i.isdir())) for i in infos])
                t.extractall(into, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise ForkError(f"{archive}: not a readable sdist ({exc})") from None
    else:
        raise ForkError(f"{archive}: not a brick archive; give a .whl, .tar.gz or .zip "
                        "(or the brick's folder)")
    return _brick_root(into, str(archive))


def _zip_is_link(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _refuse_escapes(archive: Path, members: list[tuple[str, bool]]) -> None:
    for member, is_link in members:
        pure = PurePosixPath(member.replace("\\", "/"))
        if pure.is_absolute() or re.match(r"^[A-Za-z]:", member) or ".." in pure.parts:
            raise ForkError(f"{archive}: member {member!r} would be written outside the folder "
                            "(zip-slip); refused, nothing was written")
        if is_link:
            raise ForkError(f"{archive}: member {member!r} is a link or device; refused, "
                            "nothing was written")


def _brick_root(folder: Path, source: str) -> Path:
    """The shallowest folder under `folder` holding brick.toml (else installation.toml)."""
    for name in (manifest.FILENAME, "installation.toml"):
        found = sorted(folder.rglob(name), key=lambda p: (len(p.parts), str(p)))
        found = [p for p in found if ".git" not in p.parts]
        if found:
            return found[0].parent
    raise ForkError(f"{source} holds no brick.toml or installation.toml: is it a brick?")


# -- copy and rewrite ---------------------------------------------------------------------

def _original(folder: Path) -> manifest.Fork:
    """Who the source is: from its manifest, or the folder of a plain installation."""
    data = _read_toml(folder / manifest.FILENAME)
    head = data.get("brick", {}) if isinstance(data.get("brick"), dict) else {}
    name = head.get("name")
    version = head.get("version")
    return manifest.Fork(name if isinstance(name, str) and name else slug(folder.name) or "unnamed",
                         version if isinstance(version, str) and version else "0.0.0",
                         manifest.content_hash(folder))


def _copy(source: Path, target: Path) -> int:
    """Copy the brick's files; a link is followed only to a file inside the brick (an installed
    brick's own links, as an editable install makes, are trusted)."""
    count = 0
    root = source.resolve()
    trusted = _is_installed(source)
    for rel in manifest.brick_files(source):
        src = source / rel
        if src.is_symlink() and not trusted and root not in src.resolve().parents:
            continue  # a link out of the brick could leak any file into the fork
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        count += 1
    return count


def _is_installed(folder: Path) -> bool:
    from museokit.bricks.catalog import installed_names

    return any(installed_folder(name) == folder for name in installed_names())


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ForkError(f"{path}: cannot read the source's manifest ({exc}); fix it or fork "
                        "the folder without it") from None


def _rewrite(folder: Path, name: str, original: manifest.Fork, author: str) -> None:
    file = folder / manifest.FILENAME
    data = _read_toml(file)
    head = data.setdefault("brick", {})
    if not head.get("kind"):
        head["kind"] = "installation" if (folder / "installation.toml").is_file() else "behaviour"
    head["name"] = name
    head["version"] = FIRST_VERSION
    old_authors = [a for a in data.get("authors", []) if isinstance(a, dict) and a.get("name")]
    credits = [c for c in data.get("credits", []) if isinstance(c, dict)]
    found = data.get("made")
    made: dict[str, Any] = found if isinstance(found, dict) else {}
    where = ", ".join(str(made[k]) for k in ("event", "museum", "place", "year") if made.get(k))
    for a in old_authors:
        credits.append({"name": a["name"], "for": f"{original.name} {original.version}"
                        + (f" ({where})" if where else "")})
    data["made"] = {"year": time.gmtime().tm_year}  # where the original was made stays in its credit
    data["credits"] = credits
    data["authors"] = [{"name": author}]
    chain = [f for f in data.get("forked_from", []) if isinstance(f, dict)]
    data["forked_from"] = [{"name": original.name, "version": original.version,
                            "hash": original.hash}, *chain]
    for key in ("homepage", "repository"):  # they point at the original, not at this fork
        head.pop(key, None)
    file.write_text(f"# {name}: forked from {original.name} {original.version} by "
                    "`museokit new --from`.\n\n" + tomlwrite.dumps(data, first=("brick",)),
                    encoding="utf-8")
    _rename_installation(folder / "installation.toml", name)


def _rename_installation(path: Path, name: str) -> None:
    """Give the copied installation the fork's name (`[installation] name`), comments kept."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    table = None
    for i, line in enumerate(lines):
        header = re.match(r"^\s*\[\[?\s*([^\]]+?)\s*\]", line)
        if header:
            table = header.group(1)
            continue
        if table == "installation" and re.match(r"^\s*name\s*=", line):
            lines[i] = f"name = {tomlwrite.value(name)}\n"
            break
    path.write_text("".join(lines), encoding="utf-8")
