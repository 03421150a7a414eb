"""`brick.toml`: what a brick is, who made it, under which licences, from what, with what parts.

Read and checked into a `Manifest` with every problem collected as a
`ConfigIssue` (file, line, key, fix), exactly like `installation.toml`:

    brick.toml:4: brick.version: '1.0' is not a semantic version — write MAJOR.MINOR.PATCH, like "1.0.0"

Wiring is never repeated here: it lives in `installation.toml`.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from museokit import __version__
from museokit.bricks import spdx
from museokit.core.config import ConfigIssue, _line_from_toml_error
from museokit.core.config import _Checker as InstallationChecker
from museokit.core.suggest import suggest
from museokit.core.tomlmap import Path as KeyPath
from museokit.core.tomlmap import key_lines
from museokit.core.uses import USE_KEYS, UseConfig, parse_uses

FILENAME = "brick.toml"
KINDS = ("installation", "behaviour", "device")
PLATFORMS = ("pi4", "pi5", "pi3", "pi-zero-2", "uno", "nano", "mega", "pico", "esp32", "sim")
#: Where a part draws its power: the board's 3.3 V or 5 V pins, or a supply of its own.
RAILS = ("3v3", "5v", "external")
PROVIDES = {"devices": "museokit.devices", "backends": "museokit.backends",
            "triggers": "museokit.triggers"}

_TOP = ("brick", "made", "authors", "credits", "content", "forked_from", "parts", "uses",
        "options", "provides")
_BRICK = ("name", "kind", "version", "summary", "description", "keywords", "homepage",
          "repository", "license", "museokit", "platforms", "photos", "currency")
_MADE = ("event", "museum", "place", "year")
_PERSON = ("name", "email", "role")
_CREDIT = ("name", "for")
_CONTENT = ("files", "license", "credit")
_FORK = ("name", "version", "hash")
_PART = ("qty", "part", "note", "cost", "device", "current_ma", "rail", "url")

SLUG = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
HASH = re.compile(r"^sha256:[0-9a-f]{64}$")

#: Files whose rights a museum cares about: pictures, sound, video, fonts, 3D models.
MEDIA_SUFFIXES = frozenset((
    ".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".svg", ".tif", ".tiff",
    ".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a", ".aac", ".opus",
    ".mp4", ".webm", ".mov", ".avi", ".mkv", ".m4v",
    ".ttf", ".otf", ".woff", ".woff2", ".stl", ".obj", ".3mf", ".glb", ".gltf", ".pdf"))
#: What is never part of a brick's content (built, cached or private).
IGNORED_DIRS = frozenset((".git", "__pycache__", ".venv", "venv", "dist", "build", ".pytest_cache",
                          ".mypy_cache", ".ruff_cache", "node_modules"))
#: The first line of the `__init__.py` that makes a brick folder an importable package
#: (`brick pack` writes it); such a file is not part of the brick.
PACKED_MARKER = "# museokit brick package marker: not part of the brick"


@dataclass(frozen=True)
class Person:
    name: str
    email: str = ""
    role: str = ""


@dataclass(frozen=True)
class Credit:
    name: str
    what: str = ""


@dataclass(frozen=True)
class Content:
    files: tuple[str, ...]
    license: str
    credit: str

    def covers(self, rel: str) -> bool:
        return any(glob_match(pattern, rel) for pattern in self.files)


@dataclass(frozen=True)
class Fork:
    name: str
    version: str
    hash: str


@dataclass(frozen=True)
class Part:
    qty: int
    part: str
    note: str = ""
    cost: float | None = None
    device: str = ""
    current_ma: float | None = None
    rail: str = ""
    url: str = ""


@dataclass
class Manifest:
    folder: Path
    file: Path
    name: str
    kind: str
    version: str
    summary: str = ""
    description: str = ""
    keywords: list[str] = field(default_factory=list)
    homepage: str = ""
    repository: str = ""
    license: str = ""
    museokit: str = ""
    platforms: list[str] = field(default_factory=list)
    photos: list[str] = field(default_factory=list)
    currency: str = "EUR"
    made: dict[str, Any] = field(default_factory=dict)
    authors: list[Person] = field(default_factory=list)
    credits: list[Credit] = field(default_factory=list)
    content: list[Content] = field(default_factory=list)
    forked_from: list[Fork] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)
    uses: list[UseConfig] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    provides: dict[str, dict[str, str]] = field(default_factory=dict)
    #: The file as parsed, for `fork` to rewrite.
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def total_cost(self) -> float:
        return sum((p.cost or 0.0) * p.qty for p in self.parts)

    def uncovered_media(self) -> list[str]:
        """Media files in the folder that no `[[content]]` entry licenses."""
        return [rel for rel in media_files(self.folder)
                if not any(c.covers(rel) for c in self.content)]

    def dependencies(self) -> list[UseConfig]:
        """The bricks it uses: its own `[[uses]]`, and an installation's `[[uses]]`
        (written once, in installation.toml)."""
        found = list(self.uses)
        if self.kind == "installation":
            try:
                data = tomllib.loads((self.folder / "installation.toml").read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                return found
            found += parse_uses(data.get("uses", []), lambda *_: None)
        return found

    def content_license(self, rel: str) -> Content | None:
        return next((c for c in self.content if c.covers(rel)), None)


class ManifestError(Exception):
    """The manifest cannot be used; `issues` lists every problem found."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def find(path: str | Path) -> Path:
    """`brick.toml` for a folder, or the file itself."""
    p = Path(path)
    return p if p.name == FILENAME or p.suffix == ".toml" else p / FILENAME


def load(path: str | Path) -> Manifest:
    """Read and check a brick's manifest; raises ManifestError listing every problem."""
    file = find(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = (f"{file.parent} is not a brick yet: write a brick.toml there (docs/bricks.md)"
                if file.parent.is_dir() else "no such folder")
        raise ManifestError([ConfigIssue(str(file), None, "", "file not found", hint)]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([ConfigIssue(str(file), None, "", f"cannot read: {exc}")]) from None
    return _Checker(file, text).check()


def glob_match(pattern: str, rel: str) -> bool:
    """`media/**` matches every file under media/, `*.png` only at the top, `**/*.png` anywhere."""
    return re.fullmatch(_glob_regex(pattern), rel) is not None


def _glob_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def brick_files(folder: Path) -> Iterator[str]:
    """Every file that belongs to the brick, as a POSIX path relative to `folder`, sorted."""
    found: list[str] = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder)
        if any(part in IGNORED_DIRS or part.endswith(".egg-info") for part in rel.parts[:-1]):
            continue
        if not path.is_file() or path.suffix == ".pyc" or path.name in IGNORED_DIRS:
            continue
        if path.name == "__init__.py" and _is_packed_marker(path):
            continue
        found.append(rel.as_posix())
    yield from sorted(found)


def _is_packed_marker(path: Path) -> bool:
    try:
        with path.open(encoding="utf-8") as f:
            return f.readline().rstrip("\n") == PACKED_MARKER
    except (OSError, UnicodeDecodeError):
        return False


def media_files(folder: Path) -> list[str]:
    return [rel for rel in brick_files(folder) if Path(rel).suffix.lower() in MEDIA_SUFFIXES]


def content_hash(folder: Path) -> str:
    """sha256 over each file's path and bytes: what `forked_from.hash` records."""
    total = hashlib.sha256()
    for rel in brick_files(folder):
        total.update(rel.encode() + b"\0" + hashlib.sha256((folder / rel).read_bytes()).digest())
    return "sha256:" + total.hexdigest()


def version_problem(text: str) -> str | None:
    if not SEMVER.match(text):
        return f"{text!r} is not a semantic version"
    try:
        Version(text)
    except InvalidVersion:
        return f"{text!r} is not a version pip understands"
    return None


def range_of(text: str) -> SpecifierSet:
    """A version range (`>=1,<2`, `^1.2`, `~1.2`, `1.x`); raises InvalidSpecifier."""
    text = text.strip()
    caret = re.fullmatch(r"\^(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if caret:
        major, minor, patch = (int(g or 0) for g in caret.groups())
        upper = f"{major + 1}" if major else (f"0.{minor + 1}" if minor else f"0.0.{patch + 1}")
        return SpecifierSet(f">={major}.{minor}.{patch},<{upper}")
    tilde = re.fullmatch(r"~(\d+)(?:\.(\d+))?(?:\.(\d+))?", text)
    if tilde:
        major, minor, patch = (int(g or 0) for g in tilde.groups())
        return SpecifierSet(f">={major}.{minor}.{patch},<{major}.{minor + 1}")
    star = re.fullmatch(r"(\d+)\.(?:x|\*)", text)
    if star:
        return SpecifierSet(f">={star.group(1)},<{int(star.group(1)) + 1}")
    if text in ("*", ""):
        return SpecifierSet("")
    return SpecifierSet(text)


def satisfies(version: str, spec: str) -> bool:
    return range_of(spec).contains(Version(version), prereleases=True)


RANGE_HINT = 'write a range like ">=1,<2", "^1.2" or "~1.2.0"'


class _Checker(InstallationChecker):
    """Checks a manifest, reporting like the installation file's checker (whose `error`,
    `unknown_keys`, `section` and `tables` it shares)."""

    def __init__(self, file: Path, text: str) -> None:  # not the installation's state
        self.file = file
        self.folder = file.parent
        self.source = text
        self.lines = key_lines(text)
        self.issues: list[ConfigIssue] = []
        self.warnings: list[ConfigIssue] = []

    def string(self, path: KeyPath, table: dict[str, Any], key: str, required: str = "") -> str:
        value = table.get(key)
        if value is None:
            if required:
                self.error(path, f"missing {key}", required)
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.error((*path, key), f"expected a text, got {value!r}", required)
            return ""
        return value

    def texts(self, path: KeyPath, table: dict[str, Any], key: str, hint: str) -> list[str]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error((*path, key), f"expected a list of texts, got {value!r}", hint)
            return []
        return list(value)

    # -- the file -------------------------------------------------------------------
    def check(self) -> Manifest:
        try:
            data = tomllib.loads(self.source)
        except tomllib.TOMLDecodeError as exc:
            line = _line_from_toml_error(str(exc), self.source)
            raise ManifestError([ConfigIssue(str(self.file), line, "", f"not valid TOML: {exc}",
                                             "check quotes, brackets and '=' on that line")]) from None
        self.unknown_keys((), data, _TOP, FILENAME)
        head = self.section(data, "brick")
        if "brick" not in data:
            self.error((), "no [brick] table", 'start the file with [brick] name = "my-brick"')
        self.unknown_keys(("brick",), head, _BRICK, "[brick]")
        m = Manifest(self.folder, self.file, self.name(head), self.kind(head), self.version(head),
                     data=data)
        p: KeyPath = ("brick",)
        m.summary = self.string(p, head, "summary", 'add summary = "one line: what a visitor sees"')
        m.description = self.string(p, head, "description")
        m.keywords = self.texts(p, head, "keywords", 'keywords = ["button", "led"]')
        m.homepage = self.url(p, head, "homepage")
        m.repository = self.url(p, head, "repository")
        m.license = self.licence(p, head, "license", code=True)
        m.museokit = self.museokit_range(head)
        m.platforms = self.platforms(head)
        m.photos = self.photos(head)
        m.currency = self.string(p, head, "currency") or "EUR"
        m.made = self.made(self.section(data, "made"))
        m.authors = self.people(data)
        m.credits = self.credits(data)
        m.content = self.content(data)
        m.forked_from = self.forks(data)
        m.parts = self.parts(data)
        m.uses = self.uses(data)
        m.options = self.section(data, "options")
        m.provides = self.provides(m.kind, self.section(data, "provides"))
        self.kind_files(m)
        self.part_devices(m)
        if self.issues:
            raise ManifestError(self.issues)
        for rel in m.uncovered_media():
            self.error(("content",) if m.content else ("brick",),
                       f"media file {rel} has no content licence",
                       f'add [[content]] files = ["{rel}"] license = "CC-BY-4.0" '
                       'credit = "Photo: A. Person, Museum" (a glob like "media/**" covers a folder)')
        if self.issues:
            raise ManifestError(self.issues)
        return m

    def name(self, head: dict[str, Any]) -> str:
        name = self.string(("brick",), head, "name", 'add name = "my-brick" (lower case, digits, -)')
        if name and not SLUG.match(name):
            self.error(("brick", "name"), f"{name!r} is not a brick name",
                       "use lower case letters, digits and single dashes, like 'attract-loop'")
        return name

    def kind(self, head: dict[str, Any]) -> str:
        kind = self.string(("brick",), head, "kind", f"add kind = one of {', '.join(KINDS)}")
        if kind and kind not in KINDS:
            self.error(("brick", "kind"), f"unknown kind {kind!r}",
                       suggest(kind, KINDS) or f"kinds: {', '.join(KINDS)}")
        return kind

    def version(self, head: dict[str, Any]) -> str:
        version = self.string(("brick",), head, "version", 'add version = "0.1.0"')
        problem = version and version_problem(version)
        if problem:
            self.error(("brick", "version"), problem, 'write MAJOR.MINOR.PATCH, like "1.0.0"')
        return version

    def check_range(self, path: KeyPath, text: str) -> bool:
        try:
            range_of(text)
        except InvalidSpecifier:
            self.error(path, f"{text!r} is not a version range", RANGE_HINT)
            return False
        return True

    def licence(self, path: KeyPath, table: dict[str, Any], key: str, code: bool) -> str:
        hint = ('add license = "MIT" (an SPDX id: MIT, Apache-2.0, GPL-3.0-or-later, ...)' if code
                else 'add license = "CC-BY-4.0" (CC0-1.0, CC-BY-SA-4.0, ...)')
        value = self.string(path, table, key, hint)
        problem = value and spdx.problem(value)
        if problem:
            self.error((*path, key), *problem)
        return value

    def museokit_range(self, head: dict[str, Any]) -> str:
        text = self.string(("brick",), head, "museokit", f'add museokit = ">={_major_minor()},<1"')
        if text and self.check_range(("brick", "museokit"), text) and not satisfies(__version__, text):
            self.error(("brick", "museokit"), f"this brick needs museokit {text}, and this is "
                       f"museokit {__version__}",
                       "install a museokit in that range (pip install 'museokit" + text.replace(
                           " ", "") + "'), or widen the range if the brick works here")
        return text

    def platforms(self, head: dict[str, Any]) -> list[str]:
        names = self.texts(("brick",), head, "platforms", f"platforms = {list(PLATFORMS[:2])!r}")
        for name in names:
            if name not in PLATFORMS:
                self.error(("brick", "platforms"), f"unknown platform {name!r}",
                           suggest(name, PLATFORMS) or f"platforms: {', '.join(PLATFORMS)}")
        return names

    def url(self, path: KeyPath, table: dict[str, Any], key: str) -> str:
        value = self.string(path, table, key)
        if value and not re.match(r"^https?://[^\s\"'<>]+$", value):
            self.error((*path, key), f"{value!r} is not a web address",
                       'write the full address, like "https://github.com/team/brick"')
            return ""
        return value

    def photos(self, head: dict[str, Any]) -> list[str]:
        photos = self.texts(("brick",), head, "photos", 'photos = ["photo.jpg"]')
        for rel in photos:
            if rel.startswith("/") or ".." in Path(rel).parts:
                self.error(("brick", "photos"), f"photo {rel!r} points outside the brick",
                           "give paths relative to the brick's folder")
            elif not (self.folder / rel).is_file():
                self.error(("brick", "photos"), f"photo {rel} not found in {self.folder}",
                           "put the picture in the brick's folder, or `python -m museokit.sim."
                           "screenshots FOLDER --out FOLDER` makes a simulator screenshot")
        return photos

    def made(self, table: dict[str, Any]) -> dict[str, Any]:
        self.unknown_keys(("made",), table, _MADE, "[made]")
        year = table.get("year")
        if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                                 or not 1900 <= year <= 2200):
            self.error(("made", "year"), f"expected a year like 2026, got {year!r}")
        for key in ("event", "museum", "place"):
            self.string(("made",), table, key)
        return table

    def people(self, data: dict[str, Any]) -> list[Person]:
        result = []
        tables = self.tables(data.get("authors", []), "authors")
        if not tables and "authors" not in data:
            self.error(("brick",), "no [[authors]]", 'add [[authors]] name = "Your Name"')
        for i, table in enumerate(tables):
            path: KeyPath = ("authors", i)
            self.unknown_keys(path, table, _PERSON, "an author")
            name = self.string(path, table, "name", 'add name = "Your Name"')
            if name:
                result.append(Person(name, self.string(path, table, "email"),
                                     self.string(path, table, "role")))
        return result

    def credits(self, data: dict[str, Any]) -> list[Credit]:
        result = []
        for i, table in enumerate(self.tables(data.get("credits", []), "credits")):
            path: KeyPath = ("credits", i)
            self.unknown_keys(path, table, _CREDIT, "a credit")
            name = self.string(path, table, "name", 'add name = "Who"')
            if name:
                result.append(Credit(name, self.string(path, table, "for")))
        return result

    def content(self, data: dict[str, Any]) -> list[Content]:
        result = []
        for i, table in enumerate(self.tables(data.get("content", []), "content")):
            path: KeyPath = ("content", i)
            self.unknown_keys(path, table, _CONTENT, "a content licence")
            files = self.texts(path, table, "files", 'files = ["media/**"]')
            if not files:
                self.error(path, "content licence without files", 'add files = ["media/**"]')
            for pattern in files:
                if pattern.startswith("/") or ".." in Path(pattern).parts:
                    self.error((*path, "files"), f"{pattern!r} points outside the brick",
                               "give paths relative to the brick's folder")
            licence = self.licence(path, table, "license", code=False)
            credit = self.string(path, table, "credit",
                               'add credit = "Photo: A. Person / Museum, 2026" (who to credit)')
            if files and licence:
                result.append(Content(tuple(files), licence, credit))
        return result

    def forks(self, data: dict[str, Any]) -> list[Fork]:
        result = []
        for i, table in enumerate(self.tables(data.get("forked_from", []), "forked_from")):
            path: KeyPath = ("forked_from", i)
            self.unknown_keys(path, table, _FORK, "a forked_from entry")
            name = self.string(path, table, "name", "the original brick's name")
            version = self.string(path, table, "version", "the original brick's version")
            digest = self.string(path, table, "hash", '`museokit new --from` records it')
            if version and version_problem(version):
                self.error((*path, "version"), str(version_problem(version)),
                           'write MAJOR.MINOR.PATCH, like "1.0.0"')
            if digest and not HASH.match(digest):
                self.error((*path, "hash"), f"{digest!r} is not a content hash",
                           'expected "sha256:" and 64 hex digits, as `museokit new --from` writes')
            result.append(Fork(name, version, digest))
        return result

    def parts(self, data: dict[str, Any]) -> list[Part]:
        result = []
        for i, table in enumerate(self.tables(data.get("parts", []), "parts")):
            path: KeyPath = ("parts", i)
            self.unknown_keys(path, table, _PART, "a part")
            part = self.string(path, table, "part", 'add part = "HC-SR501 PIR sensor"')
            qty = table.get("qty", 1)
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
                self.error((*path, "qty"), f"expected a whole number of 1 or more, got {qty!r}")
                qty = 1
            numbers: dict[str, float | None] = {}
            for key in ("cost", "current_ma"):
                value = table.get(key)
                if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                          or value < 0):
                    self.error((*path, key), f"expected a number (0 or more), got {value!r}",
                               "cost: approximate price of one, in the brick's currency"
                               if key == "cost" else "typical current draw of one, in mA")
                    value = None
                numbers[key] = None if value is None else float(value)
            rail = self.string(path, table, "rail")
            if rail and rail not in RAILS:
                self.error((*path, "rail"), f"unknown rail {rail!r}",
                           suggest(rail, RAILS) or f"rails: {', '.join(RAILS)}")
            if part:
                result.append(Part(qty, part, self.string(path, table, "note"), numbers["cost"],
                                   self.string(path, table, "device"), numbers["current_ma"], rail,
                                   self.string(path, table, "url")))
        return result

    def uses(self, data: dict[str, Any]) -> list[UseConfig]:
        result = []
        for i, table in enumerate(self.tables(data.get("uses", []), "uses")):
            path: KeyPath = ("uses", i)
            self.unknown_keys(path, table, [k for k in USE_KEYS if k != "options"], "[[uses]]")
            brick = self.string(path, table, "brick", 'add brick = "attract-loop"')
            version = self.string(path, table, "version") or None
            if version is not None:
                self.check_range((*path, "version"), version)
            if brick:
                result.append(UseConfig(brick, version, self.string(path, table, "path") or None,
                                        {}, i))
        return result

    def provides(self, kind: str, table: dict[str, Any]) -> dict[str, dict[str, str]]:
        self.unknown_keys(("provides",), table, PROVIDES, "[provides]")
        if table and kind != "device":
            self.error(("provides",), "[provides] is for device bricks",
                       'set kind = "device", or remove [provides]')
        result: dict[str, dict[str, str]] = {}
        for group, entries in table.items():
            if group not in PROVIDES:
                continue
            if not isinstance(entries, dict):
                self.error(("provides", group), "expected a table of name = \"module:Class\"")
                continue
            for name, target in entries.items():
                if not isinstance(target, str) or not re.fullmatch(r"[\w.]+:\w+", target):
                    self.error(("provides", group, name), f"expected \"module:Class\", got {target!r}",
                               f'{name} = "{name}:{name.capitalize()}" (module {name}.py in the brick)')
                    continue
                module = target.split(":")[0].replace(".", "/")
                if not ((self.folder / f"{module}.py").is_file()
                        or (self.folder / module / "__init__.py").is_file()):
                    self.error(("provides", group, name), f"no module {module}.py in the brick",
                               "put the module beside brick.toml")
                result.setdefault(group, {})[name] = target
        return result

    def part_devices(self, m: Manifest) -> None:
        """A part's `device` names a device of installation.toml (the sheet draws it there)."""
        named = [(i, p.device) for i, p in enumerate(m.parts) if p.device]
        if not named or m.kind != "installation":
            return
        try:
            data = tomllib.loads((self.folder / "installation.toml").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return  # `check` reports the installation file itself
        devices = data.get("devices", [])
        if not isinstance(devices, list) or not all(
                isinstance(d, dict) and isinstance(d.get("id"), str) for d in devices):
            return  # a mistake of the installation file, which `check` reports there
        known = [d["id"] for d in devices]
        for i, device in named:
            if device not in known:
                self.error(("parts", i, "device"), f"no device {device!r} in installation.toml",
                           suggest(device, known) or f"devices: {', '.join(known) or 'none'}")

    def kind_files(self, m: Manifest) -> None:
        if m.kind == "installation" and not (self.folder / "installation.toml").is_file():
            self.error(("brick", "kind"), f"an installation brick needs installation.toml in {self.folder}",
                       'add it, or set kind = "behaviour" / "device"')
        if m.kind == "behaviour" and not (self.folder / "behaviour.py").is_file():
            self.error(("brick", "kind"), f"a behaviour brick needs behaviour.py in {self.folder}",
                       "put the module that uses on()/after()/goto() there")
        if m.kind == "device" and not m.provides:
            self.error(("brick", "kind"), "a device brick provides something",
                       'add [provides] devices = { foo = "foo:Foo" }')
        if m.options and m.kind != "behaviour":
            self.error(("options",), "[options] is for behaviour bricks (their defaults)",
                       "an installation's options go in installation.toml")


def _major_minor() -> str:
    return ".".join(__version__.split(".")[:2])
